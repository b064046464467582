"""Words as the help center's search compares them: folded, filler dropped, stemmed.

One function for articles and questions alike, so "Refunds", "refunded" and "refund" meet."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

# English function words, and the filler of a support question ("hi, I need help, please"),
# which says nothing about which article answers it.
STOPWORDS = frozenset("""
a about above after again against all am an and any are aren as at be because been before being
below between both but by can cannot could couldn did didn do does doesn doing don down during each
few for from further had hadn has hasn have haven having he her here hers herself him himself his how
i if in into is isn it its itself just ll me more most mustn my myself no nor not now of off on once
only or other ought our ours ourselves out over own re same shan she should shouldn so some such than
that the their theirs them themselves then there these they this those through to too under until up
us ve very was wasn we were weren what when where which while who whom why will with won would
wouldn you your yours yourself yourselves im ive id youre dont cant wont isnt doesnt didnt
hi hello hey dear thanks thank thx pls please help helps need needs needed want wants wanted
wondering wonder question questions know tell ask asking anyone someone somebody guys team support
hope trying tried try also still really actually just get got getting gets go going goes went
one thing things something anything way ok okay yes yeah like since ago today yesterday
""".split())

_WORD = re.compile(r"[a-z0-9]+")
# The combining marks NFKD splits off letters (é -> e + U+0301), in every block Unicode has them.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_stemmer = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Lowercase, accents and compatibility forms folded: "Café" and "cafe" are one word."""
    if text.isascii():
        return text.lower().replace("'", "")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _COMBINING.sub("", decomposed).replace("'", "").replace("’", "")


def raw_words(text: str) -> list[str]:
    """The words of `text`, folded, filler included (for spelling and for showing)."""
    return _WORD.findall(fold(text))


def content_words(text: str) -> list[str]:
    """The words that say what the text is about: folded, without filler, unstemmed."""
    return [word for word in raw_words(text) if word not in STOPWORDS]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """The search terms of `text`: content words, stemmed."""
    return [stem(word) for word in content_words(text)]
