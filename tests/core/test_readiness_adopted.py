"""The checklist of an adopted project: judged, attested with what to look at, or n/a."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.projects import open_project
from workbench.core.readiness import adopted
from workbench.core.readiness.checklist import evaluate
from workbench.core.readiness.registry import ITEMS, items_for
from workbench.core.readiness.signoff import UnknownItem, record_signoff


def _adopted(root: Path, kind: str = "adopted") -> Path:
    (root / "foreign.py").write_text("def reply(question):\n    return question\n")
    (root / "workbench.toml").write_text(
        f'[project]\nname = "foreign"\npackage = "foreign"\nkind = "{kind}"\n\n'
        '[agent]\nadapter = "function"\nentry = "foreign:reply"\nsrc = "."\n'
        "\n[evals.gate]\nfunctional = 0.8\n"
    )
    return root


def test_every_item_is_classified_for_adopted_projects() -> None:
    """A new checklist item must be placed: judged, attested with a look-at, or n/a."""
    classified = adopted.JUDGED | adopted.PROBED | set(adopted.LOOK_AT)
    classified |= set(adopted.NOT_APPLICABLE)
    assert {item.id for item in ITEMS} == classified


def test_a_template_project_keeps_the_checklist(tmp_path: Path) -> None:
    """Only adopted projects get the adapted checklist."""
    project = open_project(_adopted(tmp_path, kind="template"))
    assert items_for(project) == list(ITEMS)


def test_adopted_checklist_is_honest(tmp_path: Path) -> None:
    """n/a items say why and do not block; code items need a person; files are judged."""
    project = open_project(_adopted(tmp_path))
    result = evaluate(project, run_dynamic=False, use_cache=False)
    by_id = {item.id: item for item in result.items}
    caching = by_id["cost.caching"]
    assert caching.status == "n/a" and not caching.required
    assert caching.evidence[0].startswith("not applicable here:")
    assert caching not in result.blocking
    timeouts = by_id["reliability.timeouts"]
    assert timeouts.kind == "attested" and timeouts.status == "needs-signoff"
    assert "look at: a timeout on every model call" in timeouts.evidence[0]
    assert by_id["safety.secrets"].kind == "static"
    gate = by_id["deployment.eval-gate-ci"]
    # ship generates an adopted project's CI too, so the hint may say so.
    assert gate.status == "fail" and "workbench ship" in gate.hint


def test_a_signoff_holds_until_the_agent_code_changes(tmp_path: Path) -> None:
    """Signing an adopted item passes it; editing the agent's source expires the sign-off."""
    root = _adopted(tmp_path)
    project = open_project(root)
    record_signoff(project, "reliability.timeouts", "Ada", "httpx timeout=30 everywhere")

    def status() -> str:
        result = evaluate(project, only_group="reliability", run_dynamic=False, use_cache=False)
        return next(i.status for i in result.items if i.id == "reliability.timeouts")

    assert status() == "pass"
    (root / "foreign.py").write_text("def reply(question):\n    return question * 2\n")
    assert status() == "needs-signoff"


def test_a_template_project_cannot_sign_a_code_item(tmp_path: Path) -> None:
    """The conversion is the adopted checklist's only: static items stay unsignable."""
    project = open_project(_adopted(tmp_path, kind="template"))
    with pytest.raises(UnknownItem):
        record_signoff(project, "reliability.timeouts", "Ada", "looked")


def test_tracing_is_judged_by_what_a_turn_leaves(tmp_path: Path, monkeypatch) -> None:
    """An agent without instrumentation leaves only the runner's agent span: tracing fails."""
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")
    project = open_project(_adopted(tmp_path))
    result = evaluate(project, only_group="observability", use_cache=False)
    tracing = next(i for i in result.items if i.id == "observability.tracing")
    assert tracing.kind == "dynamic" and tracing.status == "fail", tracing
    assert "the model call left no span" in tracing.evidence[0]
    assert "instrument the agent's model client" in tracing.hint


def _health(project) -> object:
    result = evaluate(project, only_group="reliability", use_cache=False)
    return next(i for i in result.items if i.id == "reliability.health-probes")


@pytest.mark.slow
def test_a_function_agents_probes_are_checked_on_the_server_ship_generates(
    tmp_path: Path,
) -> None:
    """Without dependency files ship cannot serve it (fail, saying why); with them the
    generated server starts and answers both probe routes (pass)."""
    root = _adopted(tmp_path)
    health = _health(open_project(root))
    assert health.kind == "dynamic" and health.status == "fail"
    assert health.evidence[0].startswith("dependencies: add requirements.txt")
    (root / "requirements.txt").write_text("starlette\nuvicorn\n")
    health = _health(open_project(root))
    assert health.status == "pass", health
    assert "workbench_server.py (planned) serves foreign:reply" in health.evidence[0]
    assert health.evidence[1] == "GET /healthz 200, GET /readiness 200"


@pytest.mark.slow
def test_a_function_agent_whose_module_fails_to_import_fails_the_probe(tmp_path: Path) -> None:
    """The server imports the entry as the image would: an import error is a failure."""
    root = _adopted(tmp_path)
    (root / "requirements.txt").write_text("starlette\nuvicorn\n")
    (root / "foreign.py").write_text(
        "import not_installed_anywhere\n\ndef reply(question):\n    return question\n"
    )
    health = _health(open_project(root))
    assert health.status == "fail"
    assert "the server did not come up: ModuleNotFoundError" in health.evidence[1]


def test_an_http_agents_probes_stay_attested(tmp_path: Path) -> None:
    """The workbench does not start an HTTP agent's own service: a person looks at it."""
    root = _adopted(tmp_path)
    (root / "workbench.toml").write_text(
        '[project]\nname = "foreign"\npackage = "foreign"\nkind = "adopted"\n\n'
        '[agent]\nadapter = "http"\nsrc = "."\n\n[agent.http]\nurl = "http://127.0.0.1:8000/chat"\n'
    )
    health = _health(open_project(root))
    assert health.kind == "attested" and "[deploy] health_path" in health.evidence[0]


def test_a_uv_lock_is_not_called_missing_but_its_freshness_is_not_claimed(tmp_path: Path) -> None:
    """ship installs a uv.lock hash-checked: the lock item warns (freshness unchecked)."""
    root = _adopted(tmp_path)
    (root / "pyproject.toml").write_text('[project]\nname = "foreign"\ndependencies = []\n')

    def lock_item():
        result = evaluate(open_project(root), only_group="deployment", run_dynamic=False)
        return next(i for i in result.items if i.id == "deployment.locked-dependencies")

    assert lock_item().status == "fail"  # no lock at all
    (root / "uv.lock").write_text("version = 1\n")
    item = lock_item()
    assert item.status == "warn" and "uv lock --check" in item.hint
    assert "uv.lock: not checked against pyproject.toml here" in item.evidence
