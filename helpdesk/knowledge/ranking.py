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

The score is (lexical + asked + 0.5 x says) / 2.5, then the sibling contrast (contrast())
takes a tenth of the scale. The weights, the cosine floor, the contrast's weight and
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
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from helpdesk.knowledge import embedding
from helpdesk.knowledge.analysis import content_words, raw_words, stem, terms
from helpdesk.knowledge.spelling import Speller

FIELD_WEIGHTS = {"title": 3.0, "aliases": 2.0, "tags": 2.0, "body": 0.5}
K1 = 1.8
B = 0.9
# The blend (lexical, asked, says), and the cosine an unrelated pair sits at.
WEIGHTS = (1.0, 1.0, 0.5)
COSINE_FLOOR = 0.1
BEST_PHRASINGS = 3
CANDIDATES = 100
# The sibling contrast (ArticleIndex.contrast): among the best RIVALS articles, each is compared
# with the question against its SIBLINGS most alike of them.
RIVALS = 12
SIBLINGS = 3
SIBLING_SHARE = 0.5
CONTRAST_SHARPNESS = 10.0
CONTRAST_WEIGHT = 0.1
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
    created_at: datetime | None = None  # with the version, what tells a changed article
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Match:
    article_id: int
    slug: str
    title: str
    category_id: int
    score: float  # 0-1, calibrated: compare it with the threshold
    lexical: float
    semantic: float
    evidence: float = 0.0  # the score before the sibling contrast, rescaled as it is: how close two matches really are


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


class _Numbering:
    """Every word or term the process has met, numbered once (only ever grows, by the words
    of the articles indexed): an article's analysis is kept as arrays of these numbers, so
    an index is put together from arrays rather than term by term."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self.names: list[str] = []
        self._lock = threading.Lock()

    def ids(self, names) -> np.ndarray:
        with self._lock:
            for name in names:
                if name not in self._ids:
                    self._ids[name] = len(self.names)
                    self.names.append(name)
            return np.fromiter((self._ids[name] for name in names), dtype=np.int64, count=len(names))

    def get(self, name: str) -> int | None:
        return self._ids.get(name)


_WORDS = _Numbering()
_TERMS = _Numbering()


@dataclass(frozen=True)
class _Analysis:
    words: np.ndarray  # ids in _WORDS (for spelling), with how often each occurs
    word_counts: np.ndarray
    terms: np.ndarray  # ids in _TERMS, with the weight of the fields each is in
    term_weights: np.ndarray
    length: float


def _best(scores: np.ndarray, count: int) -> np.ndarray:
    """The positions of the `count` highest scores, best first, the earlier on a tie (as a
    stable sort of all would give, without sorting 10,000 scores for ten)."""
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    if len(scores) > count:
        picked = np.argpartition(-scores, count - 1)[:count]
        # argpartition may cut among equal scores anywhere: take every tie of the last one too.
        picked = np.union1d(picked, np.flatnonzero(scores == scores[picked].min()))
    else:
        picked = np.arange(len(scores))
    return picked[np.lexsort((picked, -scores[picked]))][:count]


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-9)


# Each article's (phrasing rows, all rows, unit centroid of its vectors, unit centroid of its
# phrasing rows), by content.
_shape_cache: dict[bytes, tuple[int, int, np.ndarray, np.ndarray]] = {}

# Each article's analysis, by content: a rebuild after one edit analyses one article.
_analysis_cache: dict[bytes, _Analysis] = {}


def _analysed(doc: ArticleDoc) -> _Analysis:
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
    analysis = _Analysis(words=_WORDS.ids(list(words)), word_counts=np.fromiter(words.values(), dtype=np.int64),
                         terms=_TERMS.ids(list(weighted)),
                         term_weights=np.fromiter(weighted.values(), dtype=np.float64),
                         length=float(sum(weighted.values())))
    if len(_analysis_cache) >= _VECTOR_CACHE_MAX:
        _analysis_cache.clear()
    _analysis_cache[key] = analysis
    return analysis


class ArticleIndex:
    """The published articles, ready to be searched. Built once per change of the articles;
    given the index it replaces (`previous`), it keeps that one's spelling table."""

    def __init__(self, docs: Sequence[ArticleDoc], *, previous: ArticleIndex | None = None) -> None:
        self.docs = list(docs)
        self._by_id = {doc.id: i for i, doc in enumerate(self.docs)}
        analyses = [_analysed(doc) for doc in self.docs]
        self._speller = Speller(self._vocabulary(analyses), previous=previous._speller if previous else None)
        count = max(len(self.docs), 1)
        lengths = np.fromiter((a.length for a in analyses), dtype=np.float64, count=len(analyses))
        average = float(lengths.mean()) if len(self.docs) else 1.0
        self._length_norm = K1 * (1 - B + B * lengths / max(average, 1e-9))
        # Postings as three parallel arrays sorted by term: each term's documents are one slice.
        sizes = [len(a.terms) for a in analyses]
        term_ids = np.concatenate([a.terms for a in analyses]) if analyses else np.zeros(0, dtype=np.int64)
        order = np.argsort(term_ids, kind="stable")
        self._posting_docs = np.repeat(np.arange(len(analyses), dtype=np.int64), sizes)[order]
        self._posting_weights = (np.concatenate([a.term_weights for a in analyses]) if analyses
                                 else np.zeros(0))[order]
        unique, starts, frequencies = np.unique(term_ids[order], return_index=True, return_counts=True)
        idf = np.log(1 + (count - frequencies + 0.5) / (frequencies + 0.5))
        self._slices = {int(term): (int(start), int(start + n), float(weight))
                        for term, start, n, weight in zip(unique, starts, frequencies, idf, strict=True)}
        self._unseen_idf = self._idf_of(0, count)
        self._build_vectors()

    @staticmethod
    def _vocabulary(analyses: list[_Analysis]) -> dict[str, int]:
        """Every word of the articles, with how often they use it."""
        if not analyses:
            return {}
        totals = np.bincount(np.concatenate([a.words for a in analyses]),
                             weights=np.concatenate([a.word_counts for a in analyses]))
        used = np.flatnonzero(totals)
        return {_WORDS.names[i]: int(totals[i]) for i in used}

    @staticmethod
    def _idf_of(document_frequency: int, count: int) -> float:
        return math.log(1 + (count - document_frequency + 0.5) / (document_frequency + 0.5))

    def _build_vectors(self) -> None:
        """One matrix of every article's vectors (a zero row last, for padding), with each
        article's phrasing rows and paragraph rows as padded index tables, and its centroid."""
        self._vectors = None
        if not self.docs or embedding.model() is None:
            return
        keys = [_content_key(doc) for doc in self.docs]
        shapes = [_shape_cache.get(key) for key in keys]
        texts = {i: _article_texts(doc.title, doc.aliases, doc.body)
                 for i, (doc, shape) in enumerate(zip(self.docs, shapes, strict=True)) if shape is None}
        rows = [shape[1] if shape is not None else len(texts[i][0]) + len(texts[i][1])
                for i, shape in enumerate(shapes)]
        groups = [_doc_vectors(doc, n) for doc, n in zip(self.docs, rows, strict=True)]
        missing = [i for i, group in enumerate(groups) if group is None]
        if missing:
            for i in missing:
                texts.setdefault(i, _article_texts(self.docs[i].title, self.docs[i].aliases, self.docs[i].body))
            flat = embedding.embed([t for i in missing for t in texts[i][0] + texts[i][1]])
            if len(_vector_cache) + len(missing) > _VECTOR_CACHE_MAX:
                _vector_cache.clear()
            at = 0
            for i in missing:
                groups[i] = flat[at:at + rows[i]]
                _vector_cache[keys[i]] = groups[i]
                at += rows[i]
        if len(_shape_cache) + len(texts) > _VECTOR_CACHE_MAX:
            _shape_cache.clear()
        for i, shape in enumerate(shapes):
            if shape is None:
                asked = len(texts[i][0])
                shapes[i] = _shape_cache[keys[i]] = (asked, rows[i], _unit(groups[i].mean(axis=0)),
                                                     _unit(groups[i][:asked].mean(axis=0)))
        sizes = np.asarray(rows, dtype=np.int64)
        pad = int(sizes.sum())
        self._vectors = np.vstack([*groups, np.zeros((1, embedding.DIMENSIONS), dtype=np.float32)])
        starts = np.cumsum(sizes) - sizes
        self._asked_count = np.fromiter((shape[0] for shape in shapes), dtype=np.int64, count=len(shapes))
        self._asked_rows = self._table(starts, self._asked_count, pad)
        self._says_rows = self._table(starts + self._asked_count, sizes - self._asked_count, pad)
        self._centroids = np.vstack([shape[2] for shape in shapes])
        self._asked_centroids = np.vstack([shape[3] for shape in shapes])

    @staticmethod
    def _table(starts: np.ndarray, counts: np.ndarray, pad: int) -> np.ndarray:
        """Row i holds starts[i] .. starts[i] + counts[i] - 1, then `pad` to the widest row."""
        offsets = np.arange(max(int(counts.max()), 1), dtype=np.int64)
        return np.where(offsets < counts[:, None], starts[:, None] + offsets, pad)

    @property
    def semantic(self) -> bool:
        """Whether meaning is compared too (the embedding model loaded)."""
        return self._vectors is not None

    def corrected(self, question: str) -> str:
        """The question with each misspelt content word replaced by the article word it most
        likely means."""
        return " ".join(self._speller.correct(word) for word in raw_words(question))

    def components(self, question: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Each article's lexical score (0-1) and its two raw cosines with `question` (how it
        is asked, what it says; all 0 without the model), before they are blended, and the
        question's vector (None without the model or without a content word)."""
        zeros = np.zeros(len(self.docs), dtype=np.float64)
        text = self.corrected(question)
        query = list(dict.fromkeys(stem(word) for word in content_words(text)))
        if not self.docs or not query:
            return zeros, zeros, zeros.copy(), None
        lexical = self._lexical(query)
        if self._vectors is None:
            return lexical, zeros, zeros.copy(), None
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
        return lexical, asked, says, vector

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

    def contrast(self, scores: np.ndarray, vector: np.ndarray | None, *,
                 weight: float = CONTRAST_WEIGHT) -> np.ndarray:
        """The scores with the sibling contrast added, still on the 0-1 scale. Articles on
        neighbouring problems ("return an item", "exchange for another size") are asked in
        much the same words, so a question sits close to all of them; what tells them apart is
        how much closer it is to one than to that one's nearest siblings. Among the best RIVALS,
        each article's margin over its SIBLINGS most alike of them becomes a share (a softmax)
        of CONTRAST_WEIGHT."""
        if vector is None or not self.semantic or not weight:
            return scores
        rivals = _best(scores, RIVALS)
        rivals = rivals[scores[rivals] > 0]  # an article with no evidence at all gets no share either
        if len(rivals) < 2:
            return scores / (1 + weight)
        centroids = self._asked_centroids[rivals].astype(np.float64)
        closeness = centroids @ vector
        alike = centroids @ centroids.T
        np.fill_diagonal(alike, -np.inf)
        siblings = np.argsort(-alike, axis=1, kind="stable")[:, :min(SIBLINGS, len(rivals) - 1)]
        margin = closeness - SIBLING_SHARE * closeness[siblings].mean(axis=1)
        share = np.exp(CONTRAST_SHARPNESS * (margin - margin.max()))
        contrasted = scores.copy()
        contrasted[rivals] += weight * share / share.sum()
        return contrasted / (1 + weight)

    def search(self, question: str, *, limit: int = 10) -> list[Match]:
        """Every article's calibrated score for `question`, best first (at most `limit`)."""
        lexical, asked, says, vector = self.components(question)
        blended, semantic = self.blend(lexical, asked, says)
        scores = self.contrast(blended, vector)
        evidence = blended / (1 + CONTRAST_WEIGHT) if scores is not blended else blended
        top = _best(scores, limit)
        return [Match(article_id=self.docs[i].id, slug=self.docs[i].slug, title=self.docs[i].title,
                      category_id=self.docs[i].category_id, score=round(float(scores[i]), 4),
                      lexical=float(lexical[i]), semantic=float(semantic[i]), evidence=float(evidence[i]))
                for i in top if scores[i] > 0]

    def _lexical(self, query: list[str]) -> np.ndarray:
        scores = np.zeros(len(self.docs), dtype=np.float64)
        most = 0.0
        for term in query:
            number = _TERMS.get(term)
            found = None if number is None else self._slices.get(number)
            if found is None:
                most += self._unseen_idf * (K1 + 1)
                continue
            start, stop, idf = found
            most += idf * (K1 + 1)
            docs, weights = self._posting_docs[start:stop], self._posting_weights[start:stop]
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
