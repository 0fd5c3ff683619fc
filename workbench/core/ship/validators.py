"""Running real validators on generated files: hadolint, check-jsonschema, zizmor, Kubernetes."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from workbench.core.ship import tools
from workbench.core.ship.manifest import load_manifest, write_atomic
from workbench.core.ship.models import Finding, ShipPlan, ValidatorResult
from workbench.core.ship.render import OUTPUTS
from workbench.core.ship.tools import missing_reason, run_tool
from workbench.core.ship.validators_k8s import validate_k8s

COMPOSE_NAMES = {"docker-compose.yaml", "docker-compose.yml", "compose.yaml", "compose.yml"}
# zizmor severities that fail validation; lower ones are reported but pass.
ZIZMOR_FAILING = {"medium", "high"}


def validate_files(
    target: ShipPlan | Path, *, paths: Sequence[str] | None = None
) -> list[ValidatorResult]:
    """Validate a plan's contents (in a scratch folder) or the generated files in a folder.

    ``paths`` (relative to the folder) limits which files; by default the files the
    ship manifest lists, or else every file ship generates that exists.
    """
    if isinstance(target, ShipPlan):
        with tempfile.TemporaryDirectory(prefix="workbench-ship-") as tmp:
            root = Path(tmp)
            for file in target.files:
                write_atomic(root / file.path, file.content)
            return validate_tree(root, [file.path for file in target.files])
    root = Path(target)
    return validate_tree(root, list(paths) if paths is not None else generated_paths(root))


def generated_paths(root: Path) -> list[str]:
    """The generated files present in ``root``: the manifest's, or ship's known outputs."""
    listed = list(load_manifest(root).files) or [output.path for output in OUTPUTS]
    return sorted({path for path in listed if (root / path).is_file()})


def validate_tree(root: Path, paths: list[str]) -> list[ValidatorResult]:
    """Run every validator that applies to ``paths`` (relative to ``root``)."""
    results: list[ValidatorResult] = []
    dockerfiles = [p for p in paths if Path(p).name == "Dockerfile"]
    compose = [p for p in paths if Path(p).name in COMPOSE_NAMES]
    workflows = [p for p in paths if p.startswith(".github/workflows/")]
    results += hadolint(root, dockerfiles)
    results += check_jsonschema(root, compose, "vendor.compose-spec")
    results += check_jsonschema(root, workflows, "vendor.github-workflows")
    results += zizmor(root, workflows)
    results += validate_k8s(root, [p for p in paths if p.startswith("k8s/")])
    return results


def hadolint(root: Path, files: list[str]) -> list[ValidatorResult]:
    """hadolint on each Dockerfile: any finding, even style, fails."""
    tool = tools.find_tool("hadolint")
    results = []
    for rel in files:
        if tool is None:
            results.append(_skipped("hadolint", rel, missing_reason("hadolint")))
            continue
        run = run_tool([tool, "--no-color", "--format", "json", rel], root)
        try:
            raw = json.loads(run.stdout or "[]")
        except ValueError:
            results.append(_failed("hadolint", rel, run.stderr or run.stdout))
            continue
        findings = [
            Finding(
                message=item.get("message", ""),
                code=item.get("code", ""),
                severity=item.get("level", ""),
                line=item.get("line"),
            )
            for item in raw
        ]
        results.append(
            ValidatorResult(validator="hadolint", file=rel, ok=not findings, findings=findings)
        )
    return results


def check_jsonschema(root: Path, files: list[str], schema: str) -> list[ValidatorResult]:
    """check-jsonschema with one of its vendored schemas, one result per file."""
    name = f"check-jsonschema ({schema.removeprefix('vendor.')})"
    tool = tools.find_tool("check-jsonschema")
    if not files:
        return []
    if tool is None:
        return [_skipped(name, rel, missing_reason("check-jsonschema")) for rel in files]
    run = run_tool([tool, "--builtin-schema", schema, "-o", "json", *files], root)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        return [_failed(name, rel, run.stderr or run.stdout) for rel in files]
    by_file: dict[str, list[Finding]] = {rel: [] for rel in files}
    for error in [*report.get("errors", []), *report.get("parse_errors", [])]:
        rel = str(error.get("filename", ""))
        message = f"{error.get('path', '')}: {error.get('message', '')}".strip(": ")
        by_file.setdefault(rel, []).append(Finding(message=message))
    return [
        ValidatorResult(validator=name, file=rel, ok=not findings, findings=findings)
        for rel, findings in by_file.items()
    ]


def zizmor(root: Path, files: list[str]) -> list[ValidatorResult]:
    """zizmor offline on the workflows: medium or high findings fail, lower ones are listed."""
    tool = tools.find_tool("zizmor")
    if not files:
        return []
    if tool is None:
        return [_skipped("zizmor", rel, missing_reason("zizmor")) for rel in files]
    run = run_tool([tool, "--offline", "--format", "json", *files], root)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        return [_failed("zizmor", rel, run.stderr or run.stdout) for rel in files]
    by_file: dict[str, list[Finding]] = {rel: [] for rel in files}
    for item in report:
        if item.get("ignored"):
            continue
        severity = str(item.get("determinations", {}).get("severity", "")).lower()
        for location in item.get("locations", [])[:1]:
            key = location.get("symbolic", {}).get("key", {}).get("Local", {})
            rel = str(key.get("verbatim_path") or key.get("given_path") or "")
            point = location.get("concrete", {}).get("location", {}).get("start_point", {})
            annotation = location.get("symbolic", {}).get("annotation", "")
            finding = Finding(
                message=f"{item.get('desc', '')}: {annotation}".strip(": "),
                code=str(item.get("ident", "")),
                severity=severity,
                line=point.get("row", -1) + 1 if point else None,
            )
            by_file.setdefault(rel, []).append(finding)
    return [
        ValidatorResult(
            validator="zizmor",
            file=rel,
            ok=not any(f.severity in ZIZMOR_FAILING for f in findings),
            findings=findings,
        )
        for rel, findings in by_file.items()
    ]


def _skipped(validator: str, rel: str, reason: str) -> ValidatorResult:
    return ValidatorResult(validator=validator, file=rel, ok=False, skipped=True, reason=reason)


def _failed(validator: str, rel: str, output: str) -> ValidatorResult:
    message = (output.strip().splitlines() or ["no output"])[-1]
    return ValidatorResult(
        validator=validator, file=rel, ok=False, findings=[Finding(message=message)]
    )
