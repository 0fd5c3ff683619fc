"""Validating Kubernetes manifests: kubernetes-validate, KEDA's CRD schema, kustomize builds."""

from __future__ import annotations

import json
import tempfile
from functools import lru_cache
from pathlib import Path

import yaml

from workbench.core.ship import tools
from workbench.core.ship.models import Finding, ValidatorResult
from workbench.core.ship.tools import missing_reason, run_tool

KUBERNETES_VALIDATE = "kubernetes-validate"
KEDA = "keda-schema"
KUSTOMIZE = "kustomize"
KUSTOMIZATIONS = {"kustomization.yaml", "kustomization.yml", "Kustomization"}
KEDA_SCHEMA = Path(__file__).with_name("keda-scaledobject.schema.json")


def validate_k8s(root: Path, files: list[str]) -> list[ValidatorResult]:
    """Each resource file, then each kustomization built and its output validated."""
    results: list[ValidatorResult] = []
    resources = [f for f in files if Path(f).name not in KUSTOMIZATIONS]
    native: list[str] = []
    for rel in resources:
        try:
            docs = _documents((root / rel).read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            results.append(_result(KUBERNETES_VALIDATE, rel, [Finding(message=str(error))]))
            continue
        keda = [doc for doc in docs if _is_keda(doc)]
        if keda:
            results.append(_result(KEDA, rel, [f for doc in keda for f in keda_findings(doc)]))
        if len(keda) < len(docs):
            native.append(rel)
    results += kubernetes_validate(root, {rel: rel for rel in native})
    for folder in sorted({str(Path(f).parent) for f in files if Path(f).name in KUSTOMIZATIONS}):
        results += kustomize_build(root, folder)
    return results


def kubernetes_validate(root: Path, files: dict[str, str]) -> list[ValidatorResult]:
    """kubernetes-validate --strict on ``files`` (path to run on -> name to report)."""
    if not files:
        return []
    tool = tools.find_tool(KUBERNETES_VALIDATE)
    if tool is None:
        reason = missing_reason(KUBERNETES_VALIDATE)
        return [_skipped(KUBERNETES_VALIDATE, label, reason) for label in files.values()]
    run = run_tool([tool, "--strict", *files], root)
    by_file: dict[str, list[Finding]] = {label: [] for label in files.values()}
    for line in (run.stdout + "\n" + run.stderr).splitlines():
        level, _, rest = line.partition(" ")
        path, _, message = rest.partition(" ")
        if level not in ("ERROR", "WARN") or path not in files:
            continue
        if "Couldn't find schema" in message:
            # A custom resource nobody vendored a schema for: reported, never passed silently.
            message = f"not validated: {message}"
        by_file[files[path]].append(Finding(message=message, severity=level.lower()))
    if run.returncode not in (0, 1) or (run.returncode == 1 and not any(by_file.values())):
        first = next(iter(by_file))
        by_file[first].append(Finding(message=(run.stderr or run.stdout).strip()[-500:]))
    return [_result(KUBERNETES_VALIDATE, label, found) for label, found in by_file.items()]


def kustomize_build(root: Path, folder: str) -> list[ValidatorResult]:
    """``kubectl kustomize`` on a folder, then its output through the resource validators."""
    tool = tools.find_tool("kubectl")
    if tool is None:
        return [_skipped(KUSTOMIZE, folder, missing_reason("kubectl"))]
    run = run_tool([tool, "kustomize", folder], root)
    if run.returncode != 0:
        message = (run.stderr or run.stdout).strip() or "kustomize build failed"
        return [_result(KUSTOMIZE, folder, [Finding(message=message)])]
    label = f"{folder} (built)"
    try:
        docs = _documents(run.stdout)
    except yaml.YAMLError as error:
        return [_result(KUSTOMIZE, folder, [Finding(message=f"unreadable output: {error}")])]
    results = [_result(KUSTOMIZE, folder, [])]
    keda = [doc for doc in docs if _is_keda(doc)]
    if keda:
        results.append(_result(KEDA, label, [f for doc in keda for f in keda_findings(doc)]))
    native = [doc for doc in docs if not _is_keda(doc)]
    if native:
        with tempfile.TemporaryDirectory(prefix="workbench-kustomize-") as tmp:
            built = Path(tmp) / "built.yaml"
            built.write_text(yaml.safe_dump_all(native, sort_keys=False), encoding="utf-8")
            results += kubernetes_validate(Path(tmp), {built.name: label})
    return results


def keda_findings(doc: dict) -> list[Finding]:
    """Problems of a KEDA ScaledObject against the vendored schema."""
    from jsonschema import Draft7Validator

    validator = Draft7Validator(_keda_schema())
    findings = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(part) for part in error.absolute_path) or "(root)"
        findings.append(Finding(message=f"{where}: {error.message}"))
    if doc.get("kind") != "ScaledObject":
        findings = [Finding(message=f"not validated: no vendored schema for {doc.get('kind')}")]
    return findings


@lru_cache(maxsize=1)
def _keda_schema() -> dict:
    return json.loads(KEDA_SCHEMA.read_text(encoding="utf-8"))


def _is_keda(doc: dict) -> bool:
    return str(doc.get("apiVersion", "")).startswith("keda.sh/")


def _documents(text: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict)]


def _result(validator: str, label: str, findings: list[Finding]) -> ValidatorResult:
    failing = [f for f in findings if f.severity != "info"]
    return ValidatorResult(validator=validator, file=label, ok=not failing, findings=findings)


def _skipped(validator: str, label: str, reason: str) -> ValidatorResult:
    return ValidatorResult(validator=validator, file=label, ok=False, skipped=True, reason=reason)
