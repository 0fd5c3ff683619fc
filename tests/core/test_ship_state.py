"""Ship knows where the project keeps its state: one process over SQLite, replicas over Redis."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from tests.core.ship_fixtures import PASSED, make_project
from workbench.cli import cli
from workbench.core.projects import open_project
from workbench.core.ship import plan_ship, write_ship
from workbench.core.ship.replicas import embedded_state_problem
from workbench.errors import CheckFailed

PRODUCTION = "k8s/overlays/production/kustomization.yaml"


def _files(project, **kwargs) -> dict[str, str]:
    return {f.path: f.content for f in plan_ship(project, checklist=PASSED, **kwargs).files}


def _replica_patches(kustomization: str) -> list[int]:
    doc = yaml.safe_load(kustomization)
    ops = [op for p in doc["patches"] for op in yaml.safe_load(p["patch"])]
    return [op["value"] for op in ops if op["path"] == "/spec/replicas"]


def test_sqlite_state_ships_one_pod_with_its_state_on_a_volume(tmp_path):
    project = open_project(make_project(tmp_path, state="sqlite"))
    plan = plan_ship(project, checklist=PASSED)
    files = {f.path: f.content for f in plan.files}
    assert plan.state_refusal is None
    assert "k8s/base/hpa.yaml" not in files
    assert not any(path.startswith("k8s/overlays/canary/") for path in files)
    assert _replica_patches(files[PRODUCTION]) == [1]
    assert _replica_patches(files["k8s/overlays/staging/kustomization.yaml"]) == [1]
    deployment = yaml.safe_load(files["k8s/base/deployment.yaml"])
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == "sample-agent-data"
    assert "pvc.yaml" in yaml.safe_load(files["k8s/base/kustomization.yaml"])["resources"]
    deploy = yaml.safe_load(files[".github/workflows/deploy.yml"])
    assert set(deploy["jobs"]) == {"canary", "promote"}
    steps = [s.get("name", "") for s in deploy["jobs"]["canary"]["steps"]]
    assert not any("canary" in name.lower() for name in steps)
    assert any(name.startswith("Eval gate") for name in steps)


def test_redis_state_ships_replicas_an_autoscaler_a_canary_and_redis_in_compose(tmp_path):
    project = open_project(make_project(tmp_path, state="redis"))
    plan = plan_ship(project, checklist=PASSED)
    files = {f.path: f.content for f in plan.files}
    assert plan.state_refusal is None
    assert "k8s/base/hpa.yaml" in files and "k8s/overlays/canary/deployment.yaml" in files
    assert _replica_patches(files[PRODUCTION]) == [3]
    compose = yaml.safe_load(files["docker-compose.yaml"])
    assert compose["services"]["redis"]["healthcheck"]
    assert compose["services"]["app"]["environment"]["AGENT_REDIS_URL"] == "redis://redis:6379/0"
    # In the cluster the URL (and its password) comes from the Secret, not the ConfigMap.
    configmap = yaml.safe_load(files["k8s/base/configmap.yaml"])["data"]
    assert not any(key.endswith("REDIS_URL") for key in configmap)
    assert configmap["AGENT_MEMORY_BACKEND"] == "redis"
    assert "AGENT_REDIS_URL" in files["k8s/base/deployment.yaml"].split("secretRef")[0]


def test_deploy_state_wins_over_the_memory_backend(tmp_path):
    project = open_project(make_project(tmp_path, memory="sqlite", state="redis"))
    assert "k8s/base/hpa.yaml" in _files(project)
    other = open_project(make_project(tmp_path / "b", memory="redis", state="sqlite"))
    assert "k8s/base/hpa.yaml" not in _files(other)


def test_an_edited_replica_count_over_sqlite_is_refused_in_one_line(tmp_path):
    project = open_project(make_project(tmp_path, state="sqlite"))
    write_ship(plan_ship(project, checklist=PASSED))
    overlay = project.path / PRODUCTION
    overlay.write_text(overlay.read_text().replace("value: 1\n", "value: 3\n", 1))
    plan = plan_ship(project, checklist=PASSED)
    assert plan.state_refusal is not None and "\n" not in plan.state_refusal
    assert PRODUCTION in plan.state_refusal and "3 replicas" in plan.state_refusal
    with pytest.raises(CheckFailed, match='state = "sqlite"'):
        write_ship(plan)
    # --force overwrites the edit with one replica, so nothing is left to refuse.
    assert plan_ship(project, checklist=PASSED, force=True).state_refusal is None


def test_a_leftover_autoscaler_over_sqlite_is_refused(tmp_path):
    project = open_project(make_project(tmp_path, state="redis"))
    write_ship(plan_ship(project, checklist=PASSED))
    toml = project.path / "workbench.toml"
    toml.write_text(toml.read_text().replace('state = "redis"', 'state = "sqlite"'))
    plan = plan_ship(open_project(project.path), checklist=PASSED)
    assert plan.state_refusal is not None
    assert "HorizontalPodAutoscaler" in plan.state_refusal


def test_the_cli_refuses_with_the_reason_and_no_traceback(tmp_path):
    project = open_project(make_project(tmp_path, state="sqlite"))
    write_ship(plan_ship(project, checklist=PASSED))
    overlay = project.path / PRODUCTION
    overlay.write_text(overlay.read_text().replace("value: 1\n", "value: 2\n", 1))
    result = CliRunner().invoke(cli, ["ship", str(project.path), "--pretend", "--skip-validation"])
    assert result.exit_code != 0
    assert "2 replicas" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("kind: Deployment\nspec:\n  replicas: 1\n", False),
        ("kind: Deployment\nspec:\n  replicas: 2\n", True),
        ("kind: Deployment\nmetadata:\n  labels:\n    track: canary\nspec:\n  replicas: 1\n", True),
        ("kind: HorizontalPodAutoscaler\nspec: {}\n", True),
        ("kind: ScaledObject\nspec: {}\n", True),
        ("kind: Kustomization\nreplicas:\n  - name: app\n    count: 4\n", True),
        ("kind: Kustomization\npatches:\n  - patch: |-\n      spec:\n        replicas: 5\n", True),
        (
            "kind: Kustomization\npatches:\n  - patch: |-\n"
            "      - op: replace\n        path: /spec/replicas\n        value: 1\n",
            False,
        ),
    ],
)
def test_the_rule_reads_every_way_of_asking_for_more_processes(text, refused):
    assert (embedded_state_problem("sqlite", {"k8s/x.yaml": text}) is not None) is refused
    assert embedded_state_problem("redis", {"k8s/x.yaml": text}) is None


def test_redis_state_may_be_a_managed_redis_outside_the_cluster(tmp_path):
    project = open_project(make_project(tmp_path, state="redis"))
    policy = yaml.safe_load(_files(project)["k8s/base/networkpolicy.yaml"])
    redis_rules = [
        rule
        for rule in policy["spec"]["egress"]
        if {p["port"] for p in rule["ports"]} == {6379, 6380}
    ]
    assert redis_rules and "to" not in redis_rules[0]
    sqlite = open_project(make_project(tmp_path / "b", state="sqlite"))
    policy = yaml.safe_load(_files(sqlite)["k8s/base/networkpolicy.yaml"])
    ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule.get("ports", [])}
    assert 6379 not in ports
