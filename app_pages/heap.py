"""The server's long-lived objects, set aside from the garbage collector's full passes.

Streamlit collects garbage in full after every run (`runner.postScriptGC`), which keeps
memory down; each pass walked the objects of every library loaded (Streamlit, pydantic, the
core, the pack: about 1.9 million), 90-180 ms on the 2-core machine while holding the
interpreter lock, so the next click of every session waited for it (bench/build.py). Once
loaded they live as long as the server: frozen (`gc.freeze`), they are never walked again,
and what a run leaves behind is still collected after it, as before. A page that loads more
libraries (the Audit page's pandas) freezes them on its first run. What the sessions of the
moment hold is frozen with them, and never collected as a cycle: a few sessions' state, a
few times per server (once per page first opened), the price of the 100 ms saved per run.
"""

from __future__ import annotations

import gc
import sys

_modules_frozen = 0
"""How many modules were loaded when the heap was last frozen."""


def settle() -> None:
    """Freeze what is loaded, when a run has loaded modules since the last freeze: garbage is
    collected first, so only what is alive is set aside."""
    global _modules_frozen  # noqa: PLW0603 - one count per server process
    loaded = len(sys.modules)
    if loaded == _modules_frozen:
        return
    _modules_frozen = loaded
    gc.collect()
    gc.freeze()
