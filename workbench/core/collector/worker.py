"""A collector worker process: decode and normalize export bodies read from stdin.

Run by ``workers.NormalizePool`` as ``python -m workbench.core.collector.worker
[PROJECTS_DIR]``. It writes ``READY`` once started; then each job is a
``JOB_HEADER`` and a body on stdin, each answer a ``RESULT_HEADER`` and a
marshalled ``Result`` on stdout. End-of-file on stdin (the receiver closed the
pipe, or died) ends the process.
"""

from __future__ import annotations

import gc
import marshal
import os
import signal
import sys
from pathlib import Path

from workbench.core.collector.overrides import PricingOverrides
from workbench.core.collector.workers import (
    JOB_HEADER,
    MEDIA_NAMES,
    READY,
    RESULT_HEADER,
    normalize_body,
    read_exact,
)
from workbench.core.pricing import price_map


def main(argv: list[str]) -> None:
    """Answer jobs until stdin ends."""
    # Ctrl+C in a terminal reaches the whole process group: stopping is the receiver's call.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    jobs = os.fdopen(os.dup(sys.stdin.fileno()), "rb")
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # Anything printed by accident goes to stderr, never into the answers.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    overrides = PricingOverrides(Path(argv[0]) if argv and argv[0] else None)
    price_map()
    # Modules and prices live as long as the worker: keep the collector from scanning them.
    gc.freeze()
    answers.write(READY)
    answers.flush()
    while True:
        try:
            size, media = JOB_HEADER.unpack(read_exact(jobs, JOB_HEADER.size))
            body = read_exact(jobs, size)
        except EOFError:
            return
        try:
            result = normalize_body(body, MEDIA_NAMES[media], overrides)
        except Exception as error:  # one bad export must not cost the receiver its worker
            result = (500, f"could not normalize the export: {type(error).__name__}")
        answer = marshal.dumps(result)
        answers.write(RESULT_HEADER.pack(len(answer)))
        answers.write(answer)
        answers.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
