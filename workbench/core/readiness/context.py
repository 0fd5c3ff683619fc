"""What every check sees: the project, its parsed code and files, the store, the probe harness."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.readiness.docs import Section, TomlDoc, load_toml, markdown_sections
from workbench.core.readiness.source import SourceIndex

if TYPE_CHECKING:
    from sqlite_utils import Database

    from workbench.core.projects import Project
    from workbench.core.readiness.modelchoice import ModelChoice
    from workbench.core.readiness.probes.harness import Harness

RUNBOOK = "RUNBOOK.md"
PROMPTS = "prompts/system.yaml"


@dataclass
class CheckContext:
    """Parsed once per evaluation, shared by every check; ``close()`` stops what probes started."""

    project: Project
    run_dynamic: bool = True
    # The evaluating thread's connection; a probe lane's thread reads through thread_db().
    db: Database | None = None
    # The real model of `workbench check --model` (None: the workbench mock).
    model: ModelChoice | None = None
    _harness: Harness | None = field(default=None, repr=False)
    _owner: int = field(default_factory=threading.get_ident, repr=False)
    _lane_dbs: dict[int, Database] = field(default_factory=dict, repr=False)
    _lane_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def root(self) -> Path:
        """The project folder."""
        return self.project.path

    @cached_property
    def package_dir(self) -> Path:
        """``src/<package>``, or the src folder when the package folder is missing."""
        candidate = self.project.src_dir / self.project.package
        return candidate if candidate.is_dir() else self.project.src_dir

    @cached_property
    def source(self) -> SourceIndex:
        """The project's own package, parsed."""
        return SourceIndex(self.root, self.package_dir, self.project.src_dir)

    @cached_property
    def tests(self) -> SourceIndex:
        """The project's tests, parsed."""
        return SourceIndex(self.root, self.root / "tests")

    @cached_property
    def toml(self) -> TomlDoc:
        """``workbench.toml`` with line lookup."""
        return load_toml(self.root / "workbench.toml")

    @cached_property
    def runbook(self) -> list[Section] | None:
        """The sections of ``RUNBOOK.md``, or None when there is none."""
        path = self.root / RUNBOOK
        if not path.is_file():
            return None
        return markdown_sections(path.read_text(encoding="utf-8"))

    def rel(self, path: Path) -> str:
        """``path`` relative to the project, for evidence."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    @property
    def cli_name(self) -> str:
        """How to name this project on a command line from the current folder."""
        try:
            return Path(self.root).relative_to(Path.cwd()).as_posix() or "."
        except ValueError:
            return str(self.root)

    def pkg(self, *parts: str) -> str:
        """A path inside the package for hints, e.g. ``src/support_agent/agents/llm.py``."""
        return self.rel(self.package_dir.joinpath(*parts))

    @cached_property
    def app_file(self) -> str:
        """The module that creates the FastAPI app (where routes belong), for hints."""
        apps = self.source.calls("FastAPI", root="fastapi")
        return apps[0].module.rel if apps else self.module_rel("api.app", self.pkg("api", "app.py"))

    def module_rel(self, dotted_suffix: str, default: str) -> str:
        """The path of the module ``<pkg>.<dotted_suffix>`` if it exists, else ``default``."""
        module = self.source.module(f"{self.project.package}.{dotted_suffix}")
        return module.rel if module else default

    @cached_property
    def gated_tools(self) -> list:
        """(tool, why) for every tool that must wait for a person's approval."""
        from workbench.core.readiness.probes.gated import gated_tools

        return gated_tools(self.source, self.root / self.project.config.evals.dir)

    @property
    def harness(self) -> Harness:
        """The dynamic-probe harness (mock, collector, workers), started on first use."""
        if self._harness is None:
            from workbench.core.readiness.probes.harness import Harness
            from workbench.core.readiness.probes.rules import probe_rules, probe_tools, tool_faults

            tools = probe_tools(self.source)
            gated = [tool for tool, _why in self.gated_tools]
            self._harness = Harness(self.project, probe_rules(tools, gated), tool_faults(tools))
        return self._harness

    def thread_db(self) -> Database | None:
        """The store for the calling thread (None when the evaluation has none).

        The evaluating thread gets ``db``; a lane's thread gets a connection of its own. One
        SQLite connection used from two threads at once interleaves their savepoints ("no
        such savepoint"), so connections are never shared between threads.
        """
        if self.db is None or threading.get_ident() == self._owner:
            return self.db
        from workbench.store.db import connect

        with self._lane_lock:
            db = self._lane_dbs.get(threading.get_ident())
            if db is None:
                # Closed by close(), from the evaluating thread, once the lanes have ended.
                db = connect(check_same_thread=False)
                self._lane_dbs[threading.get_ident()] = db
            return db

    def close(self) -> None:
        """Stop every process and server the probes started, and close the lanes' stores."""
        if self._harness is not None:
            self._harness.close()
            self._harness = None
        with self._lane_lock:
            for db in self._lane_dbs.values():
                db.conn.close()
            self._lane_dbs.clear()

    def memo(self) -> dict[str, Any]:
        """A per-evaluation scratch space shared by related checks."""
        return self.__dict__.setdefault("_memo", {})
