"""Where an eval run's CPU goes: this process's threads by role, and its child processes.

Used by ``bench/eval_e2e.py``. ``CpuMeter.snapshot()`` reads Linux ``/proc`` (the
threads of this process by their Python names, and every descendant process by its
command line); the difference of two snapshots, divided by the turns run between
them, is each part's CPU per turn. Threads that ended between the snapshots are
counted in "threads that ended" (the process total minus the live threads), so the
parts always add up to the whole.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

# Python thread name prefix -> the part of the workbench it is.
THREAD_ROLES = [
    ("MainThread", "eval runner: event loop (engine, pool, grading)"),
    ("eval-writer", "eval runner: result writes (SQLite)"),
    ("workbench-mock", "mock server"),
    ("workbench collector", "collector: OTLP receiver"),
    ("workbench-collector", "collector: writer and workers"),
]
# Command-line marker -> the kind of child process it is.
PROCESS_ROLES = [
    (b"workbench.core.runner.child", "agent children (runner pool)"),
    (b"workbench.core.collector.worker", "collector: decode processes"),
    (b"pyhost.py", "eval runner: python assertion host"),
]


def _stat_cpu(path: Path) -> tuple[float, list[str]] | None:
    """CPU seconds (user + system) from a ``stat`` file, and its fields after the name."""
    try:
        fields = path.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS, fields


def _descendants() -> dict[int, tuple[float, bytes]]:
    """Every live descendant of this process: pid -> (CPU seconds, command line)."""
    table: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            read = _stat_cpu(entry / "stat")
            if read is not None:
                table[int(entry.name)] = (int(read[1][1]), read[0])
    ours: dict[int, tuple[float, bytes]] = {}
    for pid in table:
        parent, hops = table[pid][0], 0
        while parent not in (0, 1, os.getpid()) and parent in table and hops < 20:
            parent, hops = table[parent][0], hops + 1
        if parent == os.getpid() and pid != os.getpid():
            try:
                cmdline = (Path("/proc") / str(pid) / "cmdline").read_bytes()
            except OSError:
                continue
            ours[pid] = (table[pid][1], cmdline)
    return ours


class CpuMeter:
    """Snapshots of CPU seconds by part; ``since`` gives what each part used in between."""

    def snapshot(self) -> dict[str, float]:
        """CPU seconds so far by part: live threads of this process, descendants, the rest."""
        parts: dict[str, float] = {}
        live = 0.0
        for thread in threading.enumerate():
            if thread.native_id is None:
                continue
            read = _stat_cpu(Path(f"/proc/self/task/{thread.native_id}/stat"))
            if read is None:
                continue
            role = next(
                (role for prefix, role in THREAD_ROLES if thread.name.startswith(prefix)),
                "eval runner: other threads (to_thread, executors)",
            )
            parts[role] = parts.get(role, 0.0) + read[0]
            live += read[0]
        whole = _stat_cpu(Path("/proc/self/stat"))
        parts["threads that ended (to_thread workers, starts)"] = (whole[0] if whole else 0) - live
        for cpu, cmdline in _descendants().values():
            role = next(
                (role for marker, role in PROCESS_ROLES if marker in cmdline), "other processes"
            )
            parts[role] = parts.get(role, 0.0) + cpu
        return parts

    @staticmethod
    def since(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        """CPU seconds each part used between two snapshots (parts gone since count nothing)."""
        return {part: cpu - before.get(part, 0.0) for part, cpu in after.items()}


def report(used: dict[str, float], turns: int, wall_s: float) -> list[str]:
    """Lines of the breakdown: each part's ms per turn and share, the total against 2 cores."""
    total = sum(used.values())
    lines = [f"CPU by part during the run ({turns} turns, {wall_s:.2f} s wall):"]
    for part, cpu in sorted(used.items(), key=lambda item: -item[1]):
        if cpu <= 0:
            continue
        share = cpu / total * 100 if total else 0.0
        lines.append(f"  {part:<52} {cpu * 1000 / turns:6.2f} ms/turn  {share:4.0f}%")
    cores = os.cpu_count() or 1
    lines.append(
        f"  {'all parts':<52} {total * 1000 / turns:6.2f} ms/turn  "
        f"({total / wall_s / cores * 100 if wall_s else 0:.0f}% of {cores} cores over the run)"
    )
    return lines
