"""The text pipeline: tokenize, Vocabulary, pad_sequences (Keras' defaults), TextDataset,
load_text_csv, and the generated corpora."""

from __future__ import annotations

import numpy as np
import pytest

from minidl.data import DataLoader, datasets
from minidl.data.corpora import REVIEW_CLASSES, embedded_reber, reviews
from minidl.data.text import TextDataset, Vocabulary, pad_sequences, tokenize


def test_tokenize_lowercases_words_and_drops_punctuation():
    assert tokenize("The film was NOT good, wasn't it?  Yes!") == [
        "the", "film", "was", "not", "good", "wasn't", "it", "yes",
    ]  # fmt: skip
    with pytest.raises(TypeError, match="expected a string, got list"):
        tokenize(["a"])


def test_vocabulary_orders_by_frequency_after_the_specials():
    vocab = Vocabulary(min_freq=2).build(["b a a", "c b a", "d"])
    assert vocab.itos == ["<pad>", "<unk>", "a", "b"]  # c, d seen once: below min_freq
    assert len(vocab) == 4 and vocab["a"] == 2 and "c" not in vocab
    assert vocab.encode("A c b") == [2, 1, 3]  # unknown → <unk>
    assert vocab.decode([3, 0]) == ["b", "<pad>"]
    assert Vocabulary(max_size=3).build(["b a a"]).itos == ["<pad>", "<unk>", "a"]


def test_vocabulary_without_unk_drops_unknown_tokens():
    vocab = Vocabulary(specials=("<pad>",)).build(["x y"])
    assert vocab.encode("x z y") == [1, 2]


def test_vocabulary_ids_do_not_depend_on_text_order():
    texts = ["one two two", "three three three one"]
    assert Vocabulary().build(texts).itos == Vocabulary().build(texts[::-1]).itos


def test_vocabulary_rejects_bad_settings():
    with pytest.raises(ValueError, match="min_freq must be an integer >= 1, got 0"):
        Vocabulary(min_freq=0)
    with pytest.raises(TypeError, match="list of texts, got a single string"):
        Vocabulary().build("a b")


def test_S5_pad_sequences_keras_defaults():
    """pad_sequences(maxlen): pad AND truncate at the front ("pre"), with 0 (Keras)."""
    padded = pad_sequences([[1, 2, 3, 4, 5], [6, 7], []], maxlen=3)
    np.testing.assert_array_equal(padded, [[3, 4, 5], [0, 6, 7], [0, 0, 0]])
    assert padded.dtype == np.int64
    post = pad_sequences([[1, 2, 3, 4, 5], [6, 7]], maxlen=3, padding="post", truncating="post")
    np.testing.assert_array_equal(post, [[1, 2, 3], [6, 7, 0]])
    np.testing.assert_array_equal(pad_sequences([[1], [2, 3]], value=9), [[9, 1], [2, 3]])


def test_pad_sequences_matches_a_plain_loop():
    rng = np.random.default_rng(0)
    seqs = [list(rng.integers(1, 50, size=rng.integers(0, 12))) for _ in range(40)]
    for padding in ("pre", "post"):
        for truncating in ("pre", "post"):
            expected = np.zeros((40, 7), dtype=np.int64)
            for row, seq in enumerate(seqs):
                kept = seq[-7:] if truncating == "pre" else seq[:7]
                if kept:
                    if padding == "pre":
                        expected[row, 7 - len(kept) :] = kept
                    else:
                        expected[row, : len(kept)] = kept
            padded = pad_sequences(seqs, 7, padding=padding, truncating=truncating)
            np.testing.assert_array_equal(padded, expected)


def test_pad_sequences_rejects_bad_options():
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post', got 'left'"):
        pad_sequences([[1]], padding="left")
    with pytest.raises(ValueError, match="maxlen must be a positive integer, got 0"):
        pad_sequences([[1]], maxlen=0)


def test_text_dataset_gives_ids_lengths_labels_in_batches():
    texts = ["good film", "a very long review of the film indeed", ""]
    vocab = Vocabulary().build(texts)
    dataset = TextDataset(texts, [0, 1, 0], vocab, maxlen=4)
    ids, length, label = dataset[0]
    np.testing.assert_array_equal(ids, [vocab["good"], vocab["film"], 0, 0])
    assert (length, label) == (2, 0)
    assert dataset[1][1] == 4 and dataset[2][1] == 1  # cut to maxlen; empty → one <pad>
    batches = list(DataLoader(dataset, batch_size=2))
    assert [tuple(part.shape) for part in batches[0]] == [(2, 4), (2,), (2,)]


def test_load_text_csv_reads_the_documents_data_csv(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text('text,label\n"great film, truly",pos\nawful plot,neg\nfine,pos\n', "utf-8")
    texts, labels, classes = datasets.load_text_csv(path, "text", "label")
    assert texts == ["great film, truly", "awful plot", "fine"]
    assert classes == ["neg", "pos"]
    np.testing.assert_array_equal(labels, [1, 0, 1])
    with pytest.raises(KeyError, match=r"no column 'body'.*\['text', 'label'\]"):
        datasets.load_text_csv(path, "body", "label")
    numbered = tmp_path / "numbered.csv"
    numbered.write_text("label,text\n2,a\n0,b\n", "utf-8")
    _, labels, classes = datasets.load_text_csv(numbered, "text", "label")
    np.testing.assert_array_equal(labels, [2, 0])  # integer labels stay as they are
    assert classes == [0, 1, 2]


def test_reviews_are_deterministic_and_balanced():
    texts, labels = reviews(600, seed=3)
    again, labels_again = reviews(600, seed=3)
    assert texts == again and np.array_equal(labels, labels_again)
    assert texts != reviews(600, seed=4)[0]
    counts = np.bincount(labels, minlength=len(REVIEW_CLASSES))
    assert len(REVIEW_CLASSES) == 6 and counts.min() > 60


def test_reviews_class_depends_on_where_not_stands():
    """The class is the adjective's polarity, flipped by a "not" right before it (or
    before its intensifier); a "not" anywhere else changes nothing."""
    positive = {"good", "great", "excellent", "lovely", "wonderful", "pleasant", "superb", "fine"}
    negative = {"bad", "awful", "terrible", "poor", "boring", "dull", "horrible", "weak"}
    for text, label in zip(*reviews(300, seed=1)):
        words = text.split()
        (at,) = [i for i, word in enumerate(words) if word in positive | negative]
        before = words[max(at - 2, 0) : at]
        negated = "not" in before
        is_positive = (words[at] in positive) != negated
        assert REVIEW_CLASSES[label].endswith("positive" if is_positive else "negative"), text


def test_embedded_reber_strings_follow_the_grammar():
    strings = embedded_reber(200, seed=0)
    assert strings == embedded_reber(200, seed=0)
    for string in strings:
        assert string[0] == "B" and string[-1] == "E" and string[1] in "TP"
        assert string[-2] == string[1]  # the symbol to remember
        inner = string[2:-2]
        assert inner[0] == "B" and inner[-1] == "E" and len(inner) >= 5
        assert set(inner[1:-1]) <= set("TPSXV")
