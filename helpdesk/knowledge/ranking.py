"""The help center's ranking: BM25 over stemmed words blended with static word embeddings,
on one 0-1 scale, so one threshold (helpdesk.core.config.help_match_threshold) says "no
article covers this" for any question.

- Lexical (BM25F-style): title 3x, tags and "also asked as" 2x, the body 0.5x, in one bag of
  words per article. The sum over the question's terms is divided by the most those terms
  could score (a term no article uses counts in that most too), so a question whose words
  mostly fall outside every article scores low, however long it is.
- Semantic, from two views of the article: how the question is asked (the mean of the best
  three cosines with the title and the "also asked as" phrasings) and what the article says
  (the best cosine with one of its paragraphs). Each is rescaled so an unrelated pair sits
  near 0.
- Misspelt words are corrected against the articles' vocabulary first (helpdesk.knowledge.spelling).

The score is (lexical + asked + 0.8 x says) / 2.8. The weights, the cosine floor and
the threshold were fitted on the calibration half of the evaluation set
(benchmarks/eval_help_center.py --calibrate) and are reported on the other half.

Everything is computed here, in Python, from the articles' rows: the ranking is the same on
SQLite and PostgreSQL. An article's vectors are computed when it is saved and stored with it
(Article.vectors), so an index of 10,000 articles is built from the rows in seconds. With
more than CANDIDATES articles the semantic part is computed exactly for the best CANDIDATES
by lexical score and the best CANDIDATES by the cosine with each article's centroid; the
others keep the centroid's cosine (an article that clears neither cut does not reach the top)."""
from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from helpdesk.knowledge import embedding
from helpdesk.knowledge.analysis import content_words, raw_words, stem, terms
from helpdesk.knowledge.spelling import Speller

FIELD_WEIGHTS = {"title": 3.0, "aliases": 2.0, "tags": 2.0, "body": 0.5}
K1 = 1.8
B = 0.9
# The blend (lexical, asked, says), and the cosine an unrelated pair sits at.
WEIGHTS = (1.0, 1.0, 0.8)
COSINE_FLOOR = 0.1
BEST_PHRASINGS = 3
CANDIDATES = 100
# What the stored vectors are of: change it when _article_texts changes, and they are recomputed.
VECTORS_RECIPE = f"{embedding.MODEL_NAME}:title+aliases|paragraphs:1"


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
    vectors: bytes = b""  # as stored with the article (vectors_for), or empty
    vectors_recipe: str = ""


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


def first_paragraph(body: str) -> str:
    blocks = passages(body)
    return blocks[0] if blocks else ""


def _article_texts(title: str, aliases: Sequence[str], body: str) -> tuple[list[str], list[str]]:
    """What an article's meaning is compared on: the ways it is asked, and its paragraphs."""
    return [title, *aliases], passages(body) or [title]


def vectors_for(*, title: str, aliases: Sequence[str], body: str) -> tuple[bytes, str]:
    """The vectors to store with an article (float32 rows: phrasings, then paragraphs) and
    their recipe; empty without the model (the index computes them then)."""
    asked, says = _article_texts(title, aliases, body)
    vectors = embedding.embed(asked + says)
    if vectors is None:
        return b"", ""
    return np.ascontiguousarray(vectors, dtype=np.float32).tobytes(), VECTORS_RECIPE


def _content_key(doc: ArticleDoc) -> bytes:
    """What an article's analysis and vectors depend on, hashed: caches are keyed by content, so
    they can never hand one database's article to another's (ids and versions repeat)."""
    text = "\x1f".join([doc.title, "\x1e".join(doc.aliases), "\x1e".join(doc.tags), doc.body])
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


# Vectors of articles whose stored ones are missing or stale, by content.
_vector_cache: dict[bytes, np.ndarray] = {}
_VECTOR_CACHE_MAX = 20_000


def _doc_vectors(doc: ArticleDoc, rows: int) -> np.ndarray | None:
    if doc.vectors and doc.vectors_recipe == VECTORS_RECIPE and len(doc.vectors) == rows * embedding.DIMENSIONS * 4:
        return np.frombuffer(doc.vectors, dtype=np.float32).reshape(rows, embedding.DIMENSIONS)
    return _vector_cache.get(_content_key(doc))


# Each article's words and weighted terms, by content: a rebuild after one edit analyses one article.
_analysis_cache: dict[bytes, tuple[Counter[str], Counter[str]]] = {}


def _analysed(doc: ArticleDoc) -> tuple[Counter[str], Counter[str]]:
    """The article's words (for spelling) and its terms weighted by the field they are in."""
    key = _content_key(doc)
    cached = _analysis_cache.get(key)
    if cached is not None:
        return cached
    words: Counter[str] = Counter()
    weighted: Counter[str] = Counter()
    for name, text in (("title", doc.title), ("aliases", " ".join(doc.aliases)),
                       ("tags", " ".join(doc.tags)), ("body", doc.body)):
        words.update(raw_words(text))
        for term in terms(text):
            weighted[term] += FIELD_WEIGHTS[name]
    if len(_analysis_cache) >= _VECTOR_CACHE_MAX:
        _analysis_cache.clear()
    _analysis_cache[key] = (words, weighted)
    return words, weighted


class ArticleIndex:
    """The published articles, ready to be searched. Built once per change of the articles."""

    def __init__(self, docs: Sequence[ArticleDoc]) -> None:
        self.docs = list(docs)
        self._by_id = {doc.id: i for i, doc in enumerate(self.docs)}
        vocabulary: Counter[str] = Counter()
        postings: dict[str, _Postings] = {}
        lengths = np.zeros(len(self.docs), dtype=np.float64)
        for i, doc in enumerate(self.docs):
            words, weighted = _analysed(doc)
            vocabulary.update(words)
            lengths[i] = sum(weighted.values())
            for term, weight in weighted.items():
                entry = postings.get(term)
                if entry is None:
                    entry = postings[term] = _Postings()
                entry.docs.append(i)
                entry.weights.append(weight)
        self._speller = Speller(vocabulary)
        count = max(len(self.docs), 1)
        average = float(lengths.mean()) if len(self.docs) else 1.0
        self._length_norm = K1 * (1 - B + B * lengths / max(average, 1e-9))
        self._postings = {term: (np.asarray(p.docs, dtype=np.int64), np.asarray(p.weights, dtype=np.float64))
                          for term, p in postings.items()}
        self._idf = {term: self._idf_of(len(p.docs), count) for term, p in postings.items()}
        self._unseen_idf = self._idf_of(0, count)
        self._build_vectors()

    @staticmethod
    def _idf_of(document_frequency: int, count: int) -> float:
        return math.log(1 + (count - document_frequency + 0.5) / (document_frequency + 0.5))

    def _build_vectors(self) -> None:
        """One matrix of every article's vectors (a zero row last, for padding), with each
        article's phrasing rows and paragraph rows as padded index tables, and its centroid."""
        self._vectors = None
        if not self.docs or embedding.model() is None:
            return
        texts = [_article_texts(doc.title, doc.aliases, doc.body) for doc in self.docs]
        groups = [_doc_vectors(doc, len(asked) + len(says)) for doc, (asked, says) in zip(self.docs, texts, strict=True)]
        missing = [i for i, group in enumerate(groups) if group is None]
        if missing:
            flat = embedding.embed([t for i in missing for t in texts[i][0] + texts[i][1]])
            if len(_vector_cache) + len(missing) > _VECTOR_CACHE_MAX:
                _vector_cache.clear()
            at = 0
            for i in missing:
                rows = len(texts[i][0]) + len(texts[i][1])
                groups[i] = flat[at:at + rows]
                _vector_cache[_content_key(self.docs[i])] = groups[i]
                at += rows
        pad = sum(len(group) for group in groups)
        self._vectors = np.vstack([*groups, np.zeros((1, embedding.DIMENSIONS), dtype=np.float32)])
        starts = np.cumsum([0] + [len(group) for group in groups[:-1]])
        asked = [len(t[0]) for t in texts]
        self._asked_count = np.asarray(asked)
        self._asked_rows = self._table([list(range(s, s + n)) for s, n in zip(starts, asked, strict=True)], pad)
        self._says_rows = self._table([list(range(s + n, s + len(g))) for s, n, g in zip(starts, asked, groups,
                                                                                           strict=True)], pad)
        centroids = np.vstack([group.mean(axis=0) for group in groups])
        self._centroids = centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)

    @staticmethod
    def _table(rows: list[list[int]], pad: int) -> np.ndarray:
        width = max(len(r) for r in rows)
        return np.asarray([r + [pad] * (width - len(r)) for r in rows], dtype=np.int64)

    @property
    def semantic(self) -> bool:
        """Whether meaning is compared too (the embedding model loaded)."""
        return self._vectors is not None

    def corrected(self, question: str) -> str:
        """The question with each misspelt content word replaced by the article word it most
        likely means."""
        return " ".join(self._speller.correct(word) for word in raw_words(question))

    def components(self, question: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each article's lexical score (0-1) and its two raw cosines with `question` (how it
        is asked, what it says; all 0 without the model), before they are blended."""
        zeros = np.zeros(len(self.docs), dtype=np.float64)
        text = self.corrected(question)
        query = list(dict.fromkeys(stem(word) for word in content_words(text)))
        if not self.docs or not query:
            return zeros, zeros, zeros.copy()
        lexical = self._lexical(query)
        if self._vectors is None:
            return lexical, zeros, zeros.copy()
        vector = embedding.embed([text])[0]
        rough = (self._centroids @ vector).astype(np.float64)
        if len(self.docs) > CANDIDATES:
            chosen = np.union1d(np.argpartition(-lexical, CANDIDATES)[:CANDIDATES],
                                np.argpartition(-rough, CANDIDATES)[:CANDIDATES])
        else:
            chosen = np.arange(len(self.docs))
        asked, says = rough.copy(), rough.copy()
        best = -np.sort(-self._cosines(self._asked_rows[chosen], vector), axis=1)[:, :BEST_PHRASINGS]
        taken = np.minimum(self._asked_count[chosen], BEST_PHRASINGS)
        asked[chosen] = np.where(np.isfinite(best), best, 0).sum(axis=1) / taken
        says[chosen] = self._cosines(self._says_rows[chosen], vector).max(axis=1)
        return lexical, asked, says

    def _cosines(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Cosines of a padded table of rows with `vector`; the padding is -inf (never the best)."""
        cosines = self._vectors[rows] @ vector
        cosines[rows == len(self._vectors) - 1] = -np.inf
        return cosines

    def blend(self, lexical: np.ndarray, asked: np.ndarray, says: np.ndarray, *,
              weights: tuple[float, float, float] = WEIGHTS, floor: float = COSINE_FLOOR) -> tuple[np.ndarray, np.ndarray]:
        """The calibrated score (0-1) and its semantic part; BM25 alone without the model."""
        if not self.semantic:
            return lexical, np.zeros_like(lexical)
        rescale = lambda cosine: np.clip((cosine - floor) / (1 - floor), 0.0, 1.0)  # noqa: E731
        w_lexical, w_asked, w_says = weights
        semantic = (w_asked * rescale(asked) + w_says * rescale(says)) / (w_asked + w_says)
        return (w_lexical * lexical + (w_asked + w_says) * semantic) / sum(weights), semantic

    def search(self, question: str, *, limit: int = 10) -> list[Match]:
        """Every article's calibrated score for `question`, best first (at most `limit`)."""
        lexical, asked, says = self.components(question)
        scores, semantic = self.blend(lexical, asked, says)
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
        fit = np.array([len(query & set(terms(block))) / max(len(query), 1) for block in blocks])
        if self._vectors is not None:
            rows = self._says_rows[self._by_id[article_id]][:len(blocks)]
            fit = 0.5 * fit + 0.5 * (self._vectors[rows] @ embedding.embed([text])[0])
        fit[0] += 0.15
        return blocks[int(np.argmax(fit))]

    def get(self, article_id: int) -> ArticleDoc | None:
        at = self._by_id.get(article_id)
        return None if at is None else self.docs[at]
