"""Typo correction against the articles' own words only (symspellpy), so a misspelt question
still meets its article and no correction can turn a word into one no article uses.

A word that is real English (symspellpy's own frequency list, 82,765 words, shipped in its
wheel) is never corrected: "weather" must not become the articles' "whether".

Building symspellpy's table is the slow part of an index (about 1.5 s for 11,000 words), so
a new index keeps the table of the one before it and puts the words new since that table was
built in a small second table; words no article uses any more stay in the table but are never
suggested. When either set passes ADDED_WORDS_MAX, the next index builds one table afresh."""
from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources

from symspellpy import SymSpell, Verbosity

from helpdesk.knowledge.analysis import STOPWORDS

# Words this short are too easily corrected into another word ("bill" -> "all").
SHORTEST_CORRECTED = 4
# Past this many words added to, or gone from, the articles since the table was built, the next
# index builds one table afresh.
ADDED_WORDS_MAX = 2_000


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    listing = resources.files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt").read_text(encoding="utf-8")
    return frozenset(line.split(" ", 1)[0] for line in listing.splitlines() if line)


class _Table:
    """A symspellpy table and the lock its look-ups take: its edit-distance code keeps scratch
    buffers on the object, so two threads looking up at once can get each other's distances."""

    def __init__(self, words) -> None:
        self.words = frozenset(words)
        self._symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word in sorted(self.words):
            self._symspell.create_dictionary_entry(word, 1)
        self._lock = threading.Lock()

    def lookup(self, word: str, distance: int) -> list:
        with self._lock:
            # ALL, not CLOSEST: the closest words may be ones no article uses any more.
            return self._symspell.lookup(word, Verbosity.ALL, max_edit_distance=distance)


class Speller:
    """Corrects words into `vocabulary`'s (word -> how often the articles use it). Pass the
    index's previous speller as `previous` to reuse its table."""

    def __init__(self, vocabulary: Mapping[str, int], previous: Speller | None = None) -> None:
        self._counts = vocabulary
        self._known = english_words()
        wanted = {word for word in vocabulary if len(word) >= 2}
        base = previous._base if previous is not None else None
        if base is not None and len(wanted - base.words) <= ADDED_WORDS_MAX \
                and len(base.words - wanted) <= ADDED_WORDS_MAX:
            self._base = base
        else:  # the first, or the articles' words have moved too far from the table's
            self._base = _Table(wanted)
        added = wanted - self._base.words
        self._added = _Table(added) if added else None

    def correct(self, word: str) -> str:
        """`word`, or the article word it is most likely a typo of (at most 1 edit for words of
        up to 5 letters, 2 for longer ones), the one the articles use most on a tie."""
        if (word in self._counts or word in STOPWORDS or word in self._known or len(word) < SHORTEST_CORRECTED
                or word.isdigit()):
            return word
        distance = 1 if len(word) <= 5 else 2
        found = [item for table in (self._base, self._added) if table is not None
                 for item in table.lookup(word, distance) if self._counts.get(item.term)]
        if not found:
            return word
        return min(found, key=lambda item: (item.distance, -self._counts[item.term], item.term)).term
