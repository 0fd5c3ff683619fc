"""Lazy, offline import of litellm: it takes seconds to import and would fetch its price map."""

from __future__ import annotations

import os
from functools import lru_cache
from types import ModuleType


@lru_cache(maxsize=1)
def import_litellm() -> ModuleType:
    """Import litellm with its bundled (offline) model price map and no telemetry."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    # Counting a Llama or Command-R prompt, litellm fetches that model's tokenizer from the
    # Hugging Face Hub (20 s of retries offline). The workbench counts offline: litellm then
    # falls back to its bundled tokenizer. Set HF_HUB_OFFLINE=0 to let it fetch.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm
