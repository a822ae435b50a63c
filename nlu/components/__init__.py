"""Custom Rasa components for Kelisim, loaded by Rasa from ``nlu/config.yml``."""

from __future__ import annotations

import hashlib
import inspect
from types import ModuleType


def source_fingerprint(*modules: ModuleType) -> str:
    """A hash of the modules' source code.

    Rasa's training cache keys a component by its class source and config only; the folding
    lives in nlu.normalize, so a change there must invalidate the cache too.
    """
    digest = hashlib.sha256()
    for module in modules:
        digest.update(inspect.getsource(module).encode("utf-8"))
    return digest.hexdigest()
