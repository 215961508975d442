"""Neural-network modules: Module, Parameter, Sequential, layers, losses, init.

module.py  Parameter, Module (parameters, state_dict, train/eval, to, summary), Sequential
summary.py summary(model, input_shape): the table of layers, output shapes, parameters
layers.py  Linear, Conv2d, MaxPool2d, AvgPool2d, ReLU, Sigmoid, Tanh, Softmax, Flatten, Dropout
losses.py  MSELoss, CrossEntropyLoss, BCELoss, BCEWithLogitsLoss
sequence.py Embedding, LSTMCell, LSTM
utils.py   clip_grad_norm
init.py    seed_normal (FORMULAS D4), he_normal, xavier_uniform, zeros
"""

from minidl.nn import init
from minidl.nn.layers import (
    AvgPool2d,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from minidl.nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from minidl.nn.module import Module, Parameter, Sequential
from minidl.nn.sequence import LSTM, Embedding, LSTMCell
from minidl.nn.summary import summary
from minidl.nn.utils import clip_grad_norm

__all__ = [
    "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "Conv2d", "CrossEntropyLoss", "Dropout",
    "Embedding", "Flatten", "LSTM", "LSTMCell", "Linear", "MSELoss", "MaxPool2d", "Module",
    "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh", "clip_grad_norm", "init",
    "summary",
]  # fmt: skip
