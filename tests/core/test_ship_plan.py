"""Planning and writing ship files: statuses, idempotency, edits kept, markers, detection."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.core.ship_fixtures import PASSED, make_project
from workbench.core.projects import open_project
from workbench.core.ship import ChecklistStatus, plan_ship, write_ship
from workbench.core.ship.manifest import MANIFEST
from workbench.core.ship.render import ACTIONS, FAILING_MARK, UNEVALUATED_MARK
from workbench.errors import CheckFailed

FAILING = ChecklistStatus(evaluated=True, passed=False)


@pytest.fixture
def project(tmp_path):
    return open_project(make_project(tmp_path))


def test_first_plan_lists_every_file_as_new_and_writes_nothing(project):
    plan = plan_ship(project, checklist=PASSED)
    paths = {file.path for file in plan.files}
    assert {"Dockerfile", ".dockerignore", "docker-compose.yaml", "otel-collector.yaml"} <= paths
    assert {f".github/workflows/{n}.yml" for n in ("pre-merge", "post-merge", "deploy")} <= paths
    # The fixture keeps its state in SQLite: one replica, no autoscaler (test_ship_state.py).
    assert "k8s/base/scaledobject.yaml" not in paths and "k8s/base/pvc.yaml" in paths
    assert {file.status for file in plan.files} == {"new"}
    assert all(file.diff.startswith("--- /dev/null") for file in plan.files)
    assert not (project.path / "Dockerfile").exists()


def test_a_blocked_ship_still_writes_the_ci_workflows_first(project):
    # The eval gate in CI is itself a readiness item: the workflows cannot wait for it.
    with pytest.raises(CheckFailed, match="wrote the CI workflows first"):
        write_ship(plan_ship(project, checklist=FAILING))
    workflows = sorted(p.name for p in (project.path / ".github" / "workflows").iterdir())
    assert workflows and "deploy.yml" in workflows
    assert FAILING_MARK not in (project.path / ".github/workflows/deploy.yml").read_text()
    assert not (project.path / "Dockerfile").exists()


def test_regenerating_the_same_inputs_writes_nothing(project):
    first = write_ship(plan_ship(project, checklist=PASSED))
    manifest = project.path / MANIFEST
    stamp = manifest.stat().st_mtime_ns
    again = plan_ship(project, checklist=PASSED)
    assert {file.status for file in again.files} == {"unchanged"}
    result = write_ship(again)
    assert first.written and result.written == []
    assert result.manifest_written is False
    assert manifest.stat().st_mtime_ns == stamp
    recorded = json.loads(manifest.read_text())["files"]
    assert set(recorded) == set(first.written)


def test_a_file_edited_by_a_person_is_kept_and_diffed(project):
    write_ship(plan_ship(project, checklist=PASSED))
    dockerfile = project.path / "Dockerfile"
    edited = dockerfile.read_text() + "LABEL team=agents\n"
    dockerfile.write_text(edited)
    plan = plan_ship(project, checklist=PASSED)
    conflict = next(file for file in plan.files if file.path == "Dockerfile")
    assert conflict.status == "edited-conflict"
    assert "-LABEL team=agents" in conflict.diff
    result = write_ship(plan)
    assert result.kept == ["Dockerfile"] and dockerfile.read_text() == edited
    # Still an edit on the next run: the manifest kept the generated sha.
    assert plan_ship(project, checklist=PASSED).files[0].status == "edited-conflict"
    forced = write_ship(plan_ship(project, force=True, checklist=PASSED))
    assert "Dockerfile" in forced.written and "LABEL team" not in dockerfile.read_text()


def test_a_generated_file_untouched_since_is_updated(project):
    write_ship(plan_ship(project, checklist=PASSED))
    toml = project.path / "workbench.toml"
    toml.write_text(toml.read_text().replace("sample_agent.api.app:app", "sample_agent.main:api"))
    plan = plan_ship(open_project(project.path), checklist=PASSED)
    dockerfile = next(file for file in plan.files if file.path == "Dockerfile")
    assert dockerfile.status == "update"
    assert '+CMD ["uvicorn", "sample_agent.main:api"' in dockerfile.diff
    assert "Dockerfile" in write_ship(plan).written


def test_a_file_that_existed_before_ship_is_an_edit(project):
    (project.path / "Dockerfile").write_text("FROM scratch\n")
    plan = plan_ship(project, checklist=PASSED)
    assert plan.files[0].status == "edited-conflict"
    assert "-FROM scratch" in plan.files[0].diff


def test_a_change_between_plan_and_write_is_not_overwritten(project):
    plan = plan_ship(project, checklist=PASSED)
    (project.path / "Dockerfile").write_text("FROM scratch\n")
    result = write_ship(plan)
    assert "Dockerfile" in result.kept
    assert (project.path / "Dockerfile").read_text() == "FROM scratch\n"


def test_a_failing_checklist_blocks_writing(project):
    plan = plan_ship(project, checklist=FAILING)
    assert plan.blocked
    with pytest.raises(CheckFailed):
        write_ship(plan)
    assert not (project.path / "Dockerfile").exists()


def test_force_marks_every_file_generated_from_a_failing_checklist(project):
    write_ship(plan_ship(project, force=True, checklist=FAILING))
    for rel in ("Dockerfile", "k8s/base/deployment.yaml"):
        assert (project.path / rel).read_text().startswith(f"# {FAILING_MARK}\n")
    # CI workflows need no readiness, so they are never marked.
    assert FAILING_MARK not in (project.path / ".github/workflows/deploy.yml").read_text()
    # Once the checklist passes, the marker goes away through an ordinary update.
    plan = plan_ship(project, checklist=PASSED)
    statuses = {file.path: file.status for file in plan.files}
    assert {s for p, s in statuses.items() if not p.startswith(".github/")} == {"update"}
    assert {s for p, s in statuses.items() if p.startswith(".github/")} == {"unchanged"}
    write_ship(plan)
    assert FAILING_MARK not in (project.path / "Dockerfile").read_text()


def test_an_unevaluated_checklist_is_said_so(project):
    unevaluated = ChecklistStatus(evaluated=False, passed=False, note="no checklist")
    plan = plan_ship(project, force=True, checklist=unevaluated)
    assert plan.files[0].content.startswith(f"# {UNEVALUATED_MARK}\n")


def test_workflows_gate_on_evals_and_pin_actions_to_shas(project):
    files = {file.path: file.content for file in plan_ship(project, checklist=PASSED).files}
    pre = yaml.safe_load(files[".github/workflows/pre-merge.yml"])
    runs = [step.get("run", "") for step in pre["jobs"]["evals"]["steps"]]
    assert "workbench eval . --set smoke --variants baseline --gate" in runs
    post = files[".github/workflows/post-merge.yml"]
    assert "workbench eval . --set support --variants baseline --gate" in post
    assert "workbench eval . --set safety --variants baseline --gate" in post
    assert "--gate" in files[".github/workflows/deploy.yml"]
    for rel in (p for p in files if p.startswith(".github/")):
        doc = yaml.safe_load(files[rel])
        assert doc["permissions"] == {}
        for job in doc["jobs"].values():
            assert "permissions" in job
            for step in job.get("steps", []):
                if "uses" in step:
                    sha = step["uses"].partition("@")[2]
                    assert len(sha) == 40 and int(sha, 16) >= 0, step["uses"]
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
    assert all(" # v" in pin for pin in ACTIONS.values())


def test_redis_and_a_worker_queue_add_redis_and_keda(tmp_path):
    project = open_project(make_project(tmp_path, memory="redis", queue=True))
    files = {file.path: file.content for file in plan_ship(project, checklist=PASSED).files}
    assert "k8s/base/scaledobject.yaml" in files and "k8s/base/hpa.yaml" not in files
    compose = yaml.safe_load(files["docker-compose.yaml"])
    assert compose["services"]["redis"]["healthcheck"]
    assert compose["services"]["app"]["depends_on"]["redis"]["condition"] == "service_healthy"
    scaled = yaml.safe_load(files["k8s/base/scaledobject.yaml"].split("\n", 2)[2])
    assert scaled["spec"]["triggers"][0]["type"] == "redis"
    assert "'redis', " in files["Dockerfile"]


def test_sqlite_memory_has_no_redis(project):
    files = {file.path: file.content for file in plan_ship(project, checklist=PASSED).files}
    assert "redis" not in yaml.safe_load(files["docker-compose.yaml"])["services"]


def test_secrets_stay_out_of_the_configmap_and_the_image(project):
    files = {file.path: file.content for file in plan_ship(project, checklist=PASSED).files}
    configmap = yaml.safe_load(files["k8s/base/configmap.yaml"])
    assert "OPENAI_API_KEY" not in configmap["data"] and "AGENT_API_KEYS" not in configmap["data"]
    assert configmap["data"]["AGENT_ENVIRONMENT"] == "production"
    assert "OPENAI_API_KEY" in files["k8s/base/deployment.yaml"]  # named, never valued
    ignore = files[".dockerignore"].splitlines()
    assert ".env" in ignore and "cassettes" in ignore and ".git" in ignore
    assert ".env" not in files["Dockerfile"].replace(".env.", "")
