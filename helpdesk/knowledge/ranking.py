"""The help center's ranking: BM25 over stemmed words blended with static word embeddings,
each on a 0-1 scale, so one threshold (helpdesk.core.config.help_match_threshold) says "no
article covers this" for any question.

- Lexical (BM25F-style): title and "also asked as" count 3x, tags 2x, the body once, in one
  bag of words per article. The sum over the question's terms is divided by the most those
  terms could score (a term no article uses counts in that most too), so a question whose
  words mostly fall outside every article scores low, however long it is.
- Semantic: the best cosine between the question and the article's title, each of its "also
  asked as" phrasings, and its summary (title, tags, first paragraph), rescaled so that an
  unrelated pair sits near 0.
- Misspelt words are corrected against the articles' vocabulary first (helpdesk.knowledge.spelling).

Everything is computed here, in Python, from the articles' rows: the ranking is the same on
SQLite and PostgreSQL. The constants were calibrated on one half of the evaluation set
(benchmarks/eval_help_center.py --calibrate) and are reported on the other half."""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from helpdesk.knowledge import embedding
from helpdesk.knowledge.analysis import content_words, raw_words, stem, terms
from helpdesk.knowledge.spelling import Speller

FIELD_WEIGHTS = {"title": 3.0, "aliases": 3.0, "tags": 2.0, "body": 1.0}
K1 = 1.2
B = 0.75
# The blend: how much of the score is lexical, and the cosine an unrelated pair sits at.
LEXICAL_SHARE = 0.45
COSINE_FLOOR = 0.25


@dataclass(frozen=True)
class ArticleDoc:
    """What the index knows of one published article."""

    id: int
    slug: str
    title: str
    category_id: int
    body: str
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    version: int = 1


@dataclass(frozen=True)
class Match:
    article_id: int
    slug: str
    title: str
    category_id: int
    score: float  # 0-1, calibrated: compare it with the threshold
    lexical: float
    semantic: float


@dataclass
class _Postings:
    docs: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)


# Embeddings of articles already seen, by (id, version): a rebuilt index re-embeds only what changed.
_vector_cache: dict[tuple[int, int], np.ndarray] = {}
_VECTOR_CACHE_MAX = 50_000


def _article_texts(doc: ArticleDoc) -> list[str]:
    """The texts an article's meaning is compared on: title, each phrasing, its summary."""
    summary = " ".join([doc.title, " ".join(doc.tags), first_paragraph(doc.body)])
    return [doc.title, *doc.aliases, summary]


def first_paragraph(body: str) -> str:
    blocks = passages(body)
    return blocks[0] if blocks else ""


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")


def passages(body: str) -> list[str]:
    """The body's paragraphs, a heading kept with the paragraph under it."""
    blocks, heading = [], None
    for block in (part.strip() for part in re.split(r"\n\s*\n", body.strip())):
        if not block:
            continue
        if _HEADING.match(block) and "\n" not in block:
            heading = block
            continue
        blocks.append(f"{heading}\n\n{block}" if heading else block)
        heading = None
    return blocks


class ArticleIndex:
    """The published articles, ready to be searched. Built once per change of the articles."""

    def __init__(self, docs: Sequence[ArticleDoc]) -> None:
        self.docs = list(docs)
        self._by_id = {doc.id: i for i, doc in enumerate(self.docs)}
        vocabulary: Counter[str] = Counter()
        postings: dict[str, _Postings] = {}
        lengths = np.zeros(len(self.docs), dtype=np.float64)
        for i, doc in enumerate(self.docs):
            weighted: Counter[str] = Counter()
            for name, text in (("title", doc.title), ("aliases", " ".join(doc.aliases)),
                               ("tags", " ".join(doc.tags)), ("body", doc.body)):
                words = raw_words(text)
                vocabulary.update(words)
                for term in terms(text):
                    weighted[term] += FIELD_WEIGHTS[name]
            lengths[i] = sum(weighted.values())
            for term, weight in weighted.items():
                entry = postings.setdefault(term, _Postings())
                entry.docs.append(i)
                entry.weights.append(weight)
        self._speller = Speller(vocabulary)
        count = max(len(self.docs), 1)
        self._average_length = float(lengths.mean()) if len(self.docs) else 1.0
        self._length_norm = K1 * (1 - B + B * lengths / max(self._average_length, 1e-9))
        self._postings = {term: (np.asarray(p.docs, dtype=np.int64), np.asarray(p.weights, dtype=np.float64))
                          for term, p in postings.items()}
        self._idf = {term: self._idf_of(len(p.docs), count) for term, p in postings.items()}
        self._unseen_idf = self._idf_of(0, count)
        self._build_vectors()

    @staticmethod
    def _idf_of(document_frequency: int, count: int) -> float:
        return math.log(1 + (count - document_frequency + 0.5) / (document_frequency + 0.5))

    def _build_vectors(self) -> None:
        """One matrix of every article's vectors, grouped by article (`_starts` marks each group)."""
        self._vectors = None
        if not self.docs or embedding.model() is None:
            return
        missing = [doc for doc in self.docs if (doc.id, doc.version) not in _vector_cache]
        if missing:
            texts = [_article_texts(doc) for doc in missing]
            flat = embedding.embed([text for group in texts for text in group])
            at = 0
            if len(_vector_cache) + len(missing) > _VECTOR_CACHE_MAX:
                _vector_cache.clear()
            for doc, group in zip(missing, texts, strict=True):
                _vector_cache[(doc.id, doc.version)] = flat[at:at + len(group)]
                at += len(group)
        groups = [_vector_cache[(doc.id, doc.version)] for doc in self.docs]
        self._starts = np.cumsum([0] + [len(group) for group in groups[:-1]])
        self._vectors = np.vstack(groups)

    @property
    def semantic(self) -> bool:
        """Whether meaning is compared too (the embedding model loaded)."""
        return self._vectors is not None

    def corrected(self, question: str) -> str:
        """The question with each misspelt content word replaced by the article word it most
        likely means."""
        return " ".join(self._speller.correct(word) for word in raw_words(question))

    def search(self, question: str, *, limit: int = 10) -> list[Match]:
        """Every article's calibrated score for `question`, best first (at most `limit`)."""
        if not self.docs:
            return []
        text = self.corrected(question)
        query = list(dict.fromkeys(stem(word) for word in content_words(text)))
        if not query:
            return []
        lexical = self._lexical(query)
        if self._vectors is not None:
            cosines = self._vectors @ embedding.embed([text])[0]
            best = np.maximum.reduceat(cosines, self._starts)
            semantic = np.clip((best - COSINE_FLOOR) / (1 - COSINE_FLOOR), 0.0, 1.0)
            scores = LEXICAL_SHARE * lexical + (1 - LEXICAL_SHARE) * semantic
        else:
            semantic = np.zeros_like(lexical)
            scores = lexical
        top = np.argsort(-scores, kind="stable")[:limit]
        return [Match(article_id=self.docs[i].id, slug=self.docs[i].slug, title=self.docs[i].title,
                      category_id=self.docs[i].category_id, score=round(float(scores[i]), 4),
                      lexical=float(lexical[i]), semantic=float(semantic[i]))
                for i in top if scores[i] > 0]

    def _lexical(self, query: list[str]) -> np.ndarray:
        scores = np.zeros(len(self.docs), dtype=np.float64)
        most = 0.0
        for term in query:
            idf = self._idf.get(term, self._unseen_idf)
            most += idf * (K1 + 1)
            found = self._postings.get(term)
            if found is None:
                continue
            docs, weights = found
            scores[docs] += idf * weights * (K1 + 1) / (weights + self._length_norm[docs])
        return scores / most if most else scores

    def best_passage(self, article_id: int, question: str) -> str:
        """The paragraph of the article that answers `question` best. The first paragraph is
        written to stand alone as the answer, so it wins unless another fits clearly better."""
        doc = self.docs[self._by_id[article_id]]
        blocks = passages(doc.body)
        if len(blocks) <= 1:
            return blocks[0] if blocks else doc.title
        text = self.corrected(question)
        query = set(terms(text))
        overlap = np.array([len(query & set(terms(block))) / max(len(query), 1) for block in blocks])
        fit = overlap
        vectors = embedding.embed(blocks + [text])
        if vectors is not None:
            fit = 0.5 * overlap + 0.5 * (vectors[:-1] @ vectors[-1])
        fit[0] += 0.15
        return blocks[int(np.argmax(fit))]

    def get(self, article_id: int) -> ArticleDoc | None:
        at = self._by_id.get(article_id)
        return None if at is None else self.docs[at]
