"""Small sequence data sets that minidl generates itself, deterministically from a seed.

reviews(n, seed)         short reviews in 6 classes (3 topics × positive/negative) where
                         the word order decides the class: "not" flips the adjective
                         right after it, and an unrelated "not" elsewhere does not
embedded_reber(n, seed)  strings of the embedded Reber grammar (Hochreiter &
                         Schmidhuber 1997), whose second symbol must be recalled at
                         the end, after a whole inner string
"""

from __future__ import annotations

import numpy as np

__all__ = ["REVIEW_CLASSES", "embedded_reber", "reber", "reviews"]

_TOPICS = {
    "food": {
        "things": ["pasta", "soup", "pizza", "dessert", "coffee", "bread", "salad", "curry"],
        "places": ["restaurant", "cafe", "bistro", "diner"],
        "actions": ["we ordered the {thing}", "the chef made the {thing}", "i tasted the {thing}"],
    },
    "film": {
        "things": ["plot", "acting", "ending", "soundtrack", "script", "cast", "dialogue", "story"],
        "places": ["cinema", "theatre", "festival", "premiere"],
        "actions": ["we watched it at the {place}", "the director shot the {thing}", "i saw the trailer"],
    },
    "travel": {
        "things": ["hotel", "flight", "beach", "room", "guide", "train", "view", "tour"],
        "places": ["island", "city", "resort", "village"],
        "actions": ["we booked the {thing}", "we stayed near the {place}", "i planned the {thing}"],
    },
}  # fmt: skip
_POSITIVE = ["good", "great", "excellent", "lovely", "wonderful", "pleasant", "superb", "fine"]
_NEGATIVE = ["bad", "awful", "terrible", "poor", "boring", "dull", "horrible", "weak"]
_INTENSIFIERS = ["very", "really", "quite", "truly"]
_VERBS = ["was", "seemed", "looked", "felt"]
# Side remarks with an optional "not" that negates nothing the class depends on.
_REMARKS = [
    "i did {not} expect much",
    "we had {not} planned to go",
    "it was {not} our first visit",
    "my friends could {not} join us",
    "i am {not} an expert",
    "we did {not} book ahead",
    "the weather was {not} warm",
    "it was {not} expensive",
]
_JOINS = ["but", "and", "so", "although", "because"]

#: The class names of ``reviews``, in label order.
REVIEW_CLASSES = tuple(
    f"{topic} {sentiment}" for topic in _TOPICS for sentiment in ("positive", "negative")
)


def reviews(n: int = 6000, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``n`` generated reviews and their labels (int64 indices into ``REVIEW_CLASSES``).

    Each review names its topic (food, film or travel) through its nouns, and judges it
    in one clause "the <thing> <verb> [not] [very] <adjective>": positive when the
    adjective is positive and not negated, or negative and negated. Every review also
    makes side remarks, each with "not" half of the time, which do not change the class.

    Word order decides the sentiment: a bag of words sees one "not" and one adjective
    but not whether that "not" stands before the adjective or in a remark. Half the
    reviews hold exactly one "not", so a bag-of-words model can reach at most about 75 %
    (it guesses on those), while a model that reads in order can reach 100 %.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"reviews n must be a positive integer, got {n!r}")
    rng = np.random.default_rng(seed)
    topics = list(_TOPICS)
    texts, labels = [], []
    for _ in range(n):
        topic_index = int(rng.integers(len(topics)))
        topic = _TOPICS[topics[topic_index]]
        positive_word = bool(rng.integers(2))
        negated = bool(rng.integers(2))
        judgement = " ".join(
            word
            for word in [
                "the",
                _pick(rng, topic["things"]),
                _pick(rng, _VERBS),
                "not" if negated else "",
                _pick(rng, _INTENSIFIERS) if rng.random() < 0.4 else "",
                _pick(rng, _POSITIVE if positive_word else _NEGATIVE),
            ]
            if word
        )
        remarks = [
            _pick(rng, _REMARKS)
            .replace("{not}", "not" if rng.integers(2) else "")
            .replace("  ", " ")
            for _ in range(int(rng.integers(1, 3)))
        ]
        action = _pick(rng, topic["actions"]).format(
            thing=_pick(rng, topic["things"]), place=_pick(rng, topic["places"])
        )
        clauses = [judgement, *remarks, action]
        order = rng.permutation(len(clauses))
        sentence = clauses[order[0]]
        for position in order[1:]:
            sentence += f" {_pick(rng, _JOINS)} {clauses[position]}"
        texts.append(sentence)
        labels.append(2 * topic_index + (0 if positive_word != negated else 1))
    return texts, np.array(labels, dtype=np.int64)


def _pick(rng: np.random.Generator, words: list[str]) -> str:
    return words[int(rng.integers(len(words)))]


# Reber's grammar as a finite automaton: from each state, two symbols, each with
# probability 1/2, and the state each leads to (5 = the end, then "E").
_REBER_EDGES = {
    0: (("T", 1), ("P", 2)),
    1: (("S", 1), ("X", 3)),
    2: (("T", 2), ("V", 4)),
    3: (("X", 2), ("S", 5)),
    4: (("P", 3), ("V", 5)),
}


def reber(rng: np.random.Generator) -> str:
    """One string of Reber's grammar, "B…E", e.g. "BTSSXXTVVE"."""
    state, symbols = 0, ["B"]
    while state != 5:
        symbol, state = _REBER_EDGES[state][int(rng.integers(2))]
        symbols.append(symbol)
    return "".join(symbols) + "E"


def embedded_reber(n: int = 1000, seed: int = 0) -> list[str]:
    """``n`` strings of the embedded Reber grammar: "B" + T or P + a Reber string + the
    same T or P + "E", e.g. "BTBPVVETE".

    The symbol before the final "E" repeats the second one, across a whole inner string
    (5 to 20+ symbols). Predicting it needs a memory of that length: Hochreiter and
    Schmidhuber (1997) showed an LSTM learns it where simple recurrent networks fail.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"embedded_reber n must be a positive integer, got {n!r}")
    rng = np.random.default_rng(seed)
    strings = []
    for _ in range(n):
        branch = "T" if rng.integers(2) else "P"
        strings.append("B" + branch + reber(rng) + branch + "E")
    return strings
