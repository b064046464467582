"""Keep Streamlit's after-run garbage collection to what the runs made.

After every script run Streamlit calls `gc.collect(2)` (`runner.postScriptGC`) in the script's
thread, holding the GIL, after telling the browser the run is over, so the browser's "finished"
message waits for it. A full collection walks every container object in the process: about
200,000 once pandas, SQLAlchemy, Alembic and the pages are imported, 100-150 ms a run on a
small server and more than the rest of a queue run together, to find almost nothing (module
objects live as long as the process).

`freeze_long_lived` collects once and moves what is left into the permanent generation
(`gc.freeze`), whenever the process has imported modules since the last time (the first run of
each page imports its own): the collection after each run then walks only what runs have made
since. Reference counting frees frozen objects as before; a cycle among them is only
collected if it became garbage after a later freeze, which costs at most what the sessions of
those few moments hold.
"""
from __future__ import annotations

import gc
import sys
import threading

_lock = threading.Lock()
_modules_when_frozen = 0


def freeze_long_lived() -> None:
    global _modules_when_frozen
    if len(sys.modules) == _modules_when_frozen:
        return
    with _lock:
        modules = len(sys.modules)
        if modules == _modules_when_frozen:
            return
        gc.collect()
        gc.freeze()
        _modules_when_frozen = modules
