"""Exporting a run's results to a file and merging the shards of one plan into one run.

A results file (``<run id>.results.jsonl``) holds one JSON line describing the run
(set, digest, variants, repeat, options with its shard), then one line per result.
``merge_shards`` takes stored runs or such files (or folders of them, as CI
downloads its artifacts), checks that they are exactly the shards 1..N of one
plan, and stores their results as one new run: the same rows an unsharded run
would hold, so its report, comparisons and gate are computed the same way.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlite_utils import Database

from workbench.core.evals.run_ids import new_run_id
from workbench.core.evals.shards import Shard, plan_fields, stored_shard
from workbench.errors import WorkbenchError
from workbench.store.evals import (
    EvalResultRow,
    EvalRunInfo,
    get_run,
    iter_results,
    result_tuple,
    write_items,
)

FORMAT = "workbench-eval-results"
VERSION = 1
SUFFIX = ".results.jsonl"
_RUN_KEYS = (
    "id",
    "project",
    "project_path",
    "set_name",
    "set_path",
    "set_digest",
    "variant_specs",
    "repeat",
    "total",
    "status",
    "started_at",
    "finished_at",
    "done",
    "options",
)


@dataclass
class ShardRun:
    """One shard's run and its results, from the store or from a results file."""

    run: EvalRunInfo
    results: list[dict[str, Any]]
    origin: str
    shard: Shard | None = field(init=False)

    def __post_init__(self) -> None:
        self.shard = stored_shard(self.run.options)

    @property
    def label(self) -> str:
        """How errors name this shard: ``shard 2/3 (run X from FILE)``."""
        where = f"run {self.run.id}" + (f" from {self.origin}" if self.origin else "")
        return f"shard {self.shard} ({where})" if self.shard else where


def export_run(db: Database, run_id: str, out_dir: Path) -> Path:
    """Write a stored run and its results to ``out_dir/<run id>.results.jsonl``; its path."""
    run = get_run(db, run_id)
    if run is None:
        raise WorkbenchError(f"no eval run {run_id!r} (see: workbench eval runs)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WorkbenchError(f"--out {out_dir}: cannot create the folder ({error})") from None
    path = out_dir / f"{run.id}{SUFFIX}"
    partial = path.with_name(path.name + ".partial")
    header = {"format": FORMAT, "version": VERSION, "run": run.model_dump(include=set(_RUN_KEYS))}
    with partial.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(header, separators=(",", ":")) + "\n")
        for row in iter_results(db, run.id):
            data = row.model_dump()
            data["finished_at"] = 0.0
            handle.write(json.dumps(data, separators=(",", ":"), default=str) + "\n")
    os.replace(partial, path)
    return path


def load_sources(db: Database, sources: list[str]) -> list[ShardRun]:
    """Stored run ids, results files, and folders holding results files, as shard runs."""
    loaded: list[ShardRun] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            files = sorted(path.rglob(f"*{SUFFIX}"))
            if not files:
                raise WorkbenchError(f"{path}: no eval results files (*{SUFFIX}) in this folder")
            loaded += [read_results_file(file) for file in files]
        elif path.is_file():
            loaded.append(read_results_file(path))
        else:
            run = get_run(db, source)
            if run is None:
                raise WorkbenchError(
                    f"{source}: neither a results file, a folder, nor a stored eval run"
                )
            rows = [row.model_dump() for row in iter_results(db, run.id)]
            loaded.append(ShardRun(run, rows, ""))
    return loaded


def read_results_file(path: Path) -> ShardRun:
    """A results file written by ``export_run``; a one-line error (file:line) when malformed."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise WorkbenchError(f"{path}: cannot be read ({error})") from None
    rows: list[dict[str, Any]] = []
    header: dict[str, Any] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as error:
            raise WorkbenchError(f"{path}:{number}: not JSON ({error})") from None
        if not isinstance(data, dict):
            raise WorkbenchError(f"{path}:{number}: expected a JSON object")
        if number == 1:
            header = data
            continue
        try:
            row = EvalResultRow.model_validate({**data, "run_id": ""})
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise WorkbenchError(f"{path}:{number}: {where}: {first['msg']}") from None
        rows.append(row.model_dump())
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise WorkbenchError(f"{path}:1: not a {FORMAT} v{VERSION} file")
    try:
        run = _run_from_header(header["run"])
    except (KeyError, TypeError, ValueError) as error:
        raise WorkbenchError(f"{path}:1: the run description is incomplete ({error})") from None
    return ShardRun(run, rows, str(path))


def _run_from_header(data: dict[str, Any]) -> EvalRunInfo:
    specs = data["variant_specs"]
    return EvalRunInfo.model_validate(
        {**data, "variants": [spec["name"] for spec in specs], "variant_specs": specs}
    )


def check_shards(shards: list[ShardRun]) -> int:
    """Check that ``shards`` are each shard 1..N of one plan, complete; returns N."""
    if not shards:
        raise WorkbenchError("nothing to merge: name shard runs, results files or folders")
    for item in shards:
        if item.shard is None:
            raise WorkbenchError(f"{item.label} is not a shard (it was not run with --shard I/N)")
    first = shards[0]
    assert first.shard is not None
    count = first.shard.count
    expected = _plan(first)
    seen: dict[int, ShardRun] = {}
    for item in shards:
        assert item.shard is not None
        if item.shard.count != count:
            raise WorkbenchError(
                f"{item.label} is one of {item.shard.count} shards, {first.label} one of {count}"
            )
        plan = _plan(item)
        differing = [key for key in expected if plan[key] != expected[key]]
        if differing:
            raise WorkbenchError(
                f"{item.label} ran another plan than {first.label}: "
                f"{differing[0]} differs ({plan[differing[0]]} vs {expected[differing[0]]})"
            )
        if item.shard.index in seen:
            other = seen[item.shard.index]
            raise WorkbenchError(f"shard {item.shard} is given twice: {other.label}, {item.label}")
        seen[item.shard.index] = item
        if item.run.status != "complete" or len(item.results) < item.run.total:
            raise WorkbenchError(
                f"{item.label} is incomplete ({len(item.results)}/{item.run.total} results,"
                f" {item.run.status}); finish it: workbench eval PROJECT --resume {item.run.id}"
            )
    missing = [str(index) for index in range(1, count + 1) if index not in seen]
    if missing:
        raise WorkbenchError(f"missing shard(s) {', '.join(missing)} of {count}")
    return count


def _plan(item: ShardRun) -> dict[str, str]:
    run = item.run
    return plan_fields(run.set_name, run.set_digest, run.variant_specs, run.repeat, run.options)


def merge_shards(db: Database, shards: list[ShardRun]) -> str:
    """Store the shards' results as one new complete run; its id. Checks them first."""
    check_shards(shards)
    shards = sorted(shards, key=lambda item: item.shard.index if item.shard else 0)
    first = shards[0].run
    run_id = new_run_id()
    options = {key: value for key, value in first.options.items() if key != "shard"}
    options["merged_from"] = [f"{item.run.id} ({item.shard})" for item in shards]
    keys: set[tuple[str, str, int]] = set()
    results = []
    for item in shards:
        for row in item.results:
            key = (row["case_id"], row["variant"], int(row["repeat"]))
            if key in keys:
                raise WorkbenchError(f"{item.label} repeats result {key} of another shard")
            keys.add(key)
            stored = {**row, "run_id": run_id, "finished_at": row.get("finished_at") or 0.0}
            results.append(("result", result_tuple(stored)))
    finished = max((item.run.finished_at or "" for item in shards), default="") or None
    run_row = {
        "id": run_id,
        "project": first.project,
        "project_path": first.project_path,
        "set_name": first.set_name,
        "set_path": first.set_path,
        "set_digest": first.set_digest,
        "variants": json.dumps(first.variant_specs),
        "repeat": first.repeat,
        "total": sum(item.run.total for item in shards),
        "status": "complete",
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": min(item.run.started_at for item in shards)
        or datetime.now(UTC).isoformat(timespec="seconds"),
        "heartbeat_at": time.time(),
        "finished_at": finished,
        "options": json.dumps(options, default=str),
    }
    with db.conn:
        # write_items stores results before run rows: the run goes in first.
        write_items(db, [("run", run_row)])
        write_items(db, results)
    return run_id
