"""Data: datasets, loaders and preprocessing.

dataset.py       Dataset, TensorDataset
loader.py        DataLoader: batches, shuffling from a seed, augmentation
sampler.py       DistributedSampler: each rank's share of an epoch (data-parallel)
transforms.py    standardize (D1), scale_pixels (D2), one_hot (D3), train_test_split
augmentation.py  random flips, rotations, zooms, shifts (T4), also as transforms.*
image_folder.py  ImageFolder: images from one sub-folder per class (Keras' flow_from_directory)
datasets.py      load_digits, load_breast_cancer, load_diabetes, mnist, fashion_mnist,
                 load_text_csv, and the generated reviews and embedded_reber (corpora.py)
text.py          tokenize, Vocabulary, pad_sequences (S5), TextDataset
idx.py           the IDX file format of (Fashion-)MNIST
"""

from minidl.data import datasets, text, transforms
from minidl.data.dataset import Dataset, TensorDataset
from minidl.data.image_folder import ImageFolder
from minidl.data.loader import DataLoader
from minidl.data.sampler import DistributedSampler
from minidl.data.transforms import one_hot, scale_pixels, standardize, train_test_split

__all__ = [
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "ImageFolder",
    "TensorDataset",
    "datasets",
    "one_hot",
    "scale_pixels",
    "standardize",
    "text",
    "train_test_split",
    "transforms",
]
