"""stamina's retry events go to the workbench's log at debug level, never to stdout.

stamina reports each scheduled retry through structlog when structlog is installed (it is, for
the generated projects' logging), and structlog's default logger prints to stdout: into a
command's JSON or across the TUI's screen. The workbench's retrying parts report retries in
their own status instead (the forwarder's ``last_error``, a lock wait's eventual error).
"""

from __future__ import annotations

import logging

import stamina.instrumentation

logger = logging.getLogger("workbench.retries")


def _log_retry(details: stamina.instrumentation.RetryDetails) -> None:
    logger.debug(
        "retry %d of %s in %.3f s (%.3f s so far) after %r",
        details.retry_num,
        details.name,
        details.wait_for,
        details.waited_so_far,
        details.caused_by,
    )


def log_retries_quietly() -> None:
    """Send stamina's retry events to the ``workbench.retries`` logger (idempotent)."""
    if stamina.instrumentation.get_on_retry_hooks() != (_log_retry,):
        stamina.instrumentation.set_on_retry_hooks([_log_retry])
