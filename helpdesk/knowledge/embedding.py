"""Static word embeddings for meaning beyond the exact words ("parcel" meets "package").

WordLlama (MIT licence) ships its weights and tokenizer inside its wheel; it is loaded from the
package folder with downloads disabled, so nothing is fetched at run time. Without it (not
installed, or HELPDESK_KB_EMBEDDINGS=0) search ranks by BM25 alone."""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "wordllama-l2_supercat-256"
DIMENSIONS = 256

_lock = threading.Lock()
_model = None
_loaded = False


def model():
    """The embedding model, loaded once per process; None when it is not available."""
    global _model, _loaded
    if _loaded:
        return _model
    with _lock:
        if not _loaded:
            _model = _load()
            _loaded = True
    return _model


def _load():
    if os.environ.get("HELPDESK_KB_EMBEDDINGS", "1") == "0":
        return None
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:
        log.info("wordllama is not installed: help center search ranks by BM25 alone")
        return None
    try:
        # Its tokenizer lives in the package's own folder, which the default lookup misses.
        return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    except (OSError, ValueError) as exc:
        log.warning("wordllama could not load (%s): help center search ranks by BM25 alone", exc)
        return None


def embed(texts: list[str]) -> np.ndarray | None:
    """Unit vectors, one row per text (float32); None without the model."""
    loaded = model()
    if loaded is None:
        return None
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = np.asarray(loaded.embed(texts, norm=True), dtype=np.float32)
    # A text without a token the model knows pools to 0/0: a zero vector compares as unrelated.
    return np.nan_to_num(vectors, nan=0.0)
