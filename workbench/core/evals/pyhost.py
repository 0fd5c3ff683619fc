"""The subprocess that runs a project's ``python`` assertions: JSON lines in, verdicts out.

Run as ``python pyhost.py PROJECT_DIR SRC_DIR``; it imports only the standard
library and the project's own modules, so project code never runs in the workbench.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import re
import sys
from pathlib import Path

_cache: dict[str, object] = {}


def _resolve(reference: str, project_dir: Path):
    reference = reference.removeprefix("file://")
    target, _, name = reference.partition(":")
    name = name or "get_assert"
    key = f"{target}:{name}"
    if key in _cache:
        return _cache[key]
    if target.endswith(".py"):
        path = (project_dir / target).resolve()
        spec = importlib.util.spec_from_file_location(f"_wb_assert_{len(_cache)}", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {target}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    function = getattr(module, name)
    _cache[key] = function
    return function


def _inline(source: str):
    """The function compiled from inline assertion code (``def _assert(output, context)``)."""
    if source in _cache:
        return _cache[source]
    # promptfoo's inline examples use json, re and math without importing them.
    namespace: dict = {"__name__": "_wb_inline_assert", "json": json, "re": re, "math": math}
    exec(compile(source, "<python assertion>", "exec"), namespace)  # the user's own assertion
    function = namespace["_assert"]
    _cache[source] = function
    return function


def _verdict(value) -> dict:
    if isinstance(value, bool):
        return {"pass": value, "score": float(value), "reason": f"returned {value}"}
    if isinstance(value, int | float):
        score = float(value)
        return {"pass": score >= 0.5, "score": score, "reason": f"score {score:g}"}
    if isinstance(value, dict) and "pass" in value:
        score = value.get("score", float(bool(value["pass"])))
        return {
            "pass": bool(value["pass"]),
            "score": float(score),
            "reason": str(value.get("reason", "")),
        }
    return {"pass": False, "score": 0.0, "reason": f"unexpected return value {value!r:.80}"}


def main() -> None:
    """Answer grading requests until stdin closes."""
    project_dir, src_dir = Path(sys.argv[1]), Path(sys.argv[2])
    sys.path[:0] = [str(src_dir), str(project_dir)]
    out = sys.stdout
    sys.stdout = sys.stderr  # prints from project code must not corrupt the protocol
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request.get("inline"):
                function = _inline(request["ref"])
            else:
                function = _resolve(request["ref"], project_dir)
            reply = _verdict(function(request["output"], request["context"]))
        except Exception as error:  # project code: report, never crash the host
            text = " ".join(str(error).split())
            reply = {"pass": False, "score": 0.0, "reason": f"{type(error).__name__}: {text}"[:300]}
            reply["error"] = True
        reply["id"] = request["id"]
        out.write(json.dumps(reply, default=str) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
