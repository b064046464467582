"""Typo correction against the articles' own words only (symspellpy), so a misspelt question
still meets its article and no correction can turn a word into one no article uses.

A word that is real English (symspellpy's own frequency list, 82,765 words, shipped in its
wheel) is never corrected: "weather" must not become the articles' "whether"."""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from importlib import resources

from symspellpy import SymSpell, Verbosity

from helpdesk.knowledge.analysis import STOPWORDS

# Words this short are too easily corrected into another word ("bill" -> "all").
SHORTEST_CORRECTED = 4


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    listing = resources.files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt").read_text(encoding="utf-8")
    return frozenset(line.split(" ", 1)[0] for line in listing.splitlines() if line)


class Speller:
    def __init__(self, vocabulary: Counter[str]) -> None:
        self._known = set(vocabulary) | STOPWORDS | english_words()
        self._symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in vocabulary.items():
            if len(word) >= 2:
                self._symspell.create_dictionary_entry(word, count)

    def correct(self, word: str) -> str:
        """`word`, or the article word it is most likely a typo of (at most 1 edit for words of
        up to 5 letters, 2 for longer ones), the more frequent one on a tie."""
        if word in self._known or len(word) < SHORTEST_CORRECTED or word.isdigit():
            return word
        distance = 1 if len(word) <= 5 else 2
        suggestions = self._symspell.lookup(word, Verbosity.CLOSEST, max_edit_distance=distance)
        return suggestions[0].term if suggestions else word
