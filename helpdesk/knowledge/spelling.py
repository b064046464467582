"""Typo correction against the articles' own words only (symspellpy), so a misspelt question
still meets its article and no correction can turn a word into one no article uses.

A word that is real English (symspellpy's own frequency list, 82,765 words, shipped in its
wheel) is never corrected: "weather" must not become the articles' "whether".

Building symspellpy's table is the slow part of an index (about 1.5 s for 11,000 words), so
a new index keeps the table of the one before it and adds the words that are new in a small
second table; words no article uses any more stay in the table but are never suggested."""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib import resources

from symspellpy import SymSpell, Verbosity

from helpdesk.knowledge.analysis import STOPWORDS

# Words this short are too easily corrected into another word ("bill" -> "all").
SHORTEST_CORRECTED = 4
# Past this many words in the second table, the next index builds one table afresh.
ADDED_WORDS_MAX = 2_000


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    listing = resources.files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt").read_text(encoding="utf-8")
    return frozenset(line.split(" ", 1)[0] for line in listing.splitlines() if line)


def _table(words) -> SymSpell:
    table = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    for word in words:
        table.create_dictionary_entry(word, 1)
    return table


class Speller:
    """Corrects words into `vocabulary`'s (word -> how often the articles use it). Pass the
    index's previous speller as `previous` to reuse its table."""

    def __init__(self, vocabulary: Mapping[str, int], previous: Speller | None = None) -> None:
        self._counts = vocabulary
        self._known = english_words()
        wanted = {word for word in vocabulary if len(word) >= 2}
        if previous is not None and len(wanted - previous._covered) <= ADDED_WORDS_MAX:
            self._base, self._base_words = previous._base, previous._base_words
            added = wanted - self._base_words
        else:
            self._base, self._base_words = _table(sorted(wanted)), frozenset(wanted)
            added = set()
        self._added = _table(sorted(added)) if added else None
        self._covered = self._base_words | added

    def correct(self, word: str) -> str:
        """`word`, or the article word it is most likely a typo of (at most 1 edit for words of
        up to 5 letters, 2 for longer ones), the one the articles use most on a tie."""
        if (word in self._counts or word in STOPWORDS or word in self._known or len(word) < SHORTEST_CORRECTED
                or word.isdigit()):
            return word
        distance = 1 if len(word) <= 5 else 2
        # ALL, not CLOSEST: the closest words may be ones no article uses any more.
        found = [item for table in (self._base, self._added) if table is not None
                 for item in table.lookup(word, Verbosity.ALL, max_edit_distance=distance)
                 if self._counts.get(item.term)]
        if not found:
            return word
        return min(found, key=lambda item: (item.distance, -self._counts[item.term], item.term)).term
