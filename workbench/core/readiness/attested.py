"""Attested items: what only a person can vouch for, valid while their evidence is unchanged."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from workbench.core.readiness.context import PROMPTS, RUNBOOK, CheckContext
from workbench.core.readiness.docs import find_section, load_yaml, sha256_file
from workbench.core.readiness.model import Verdict
from workbench.store.signoffs import SignoffRecord


@dataclass(frozen=True)
class Fingerprint:
    """A hash of the evidence an attestation refers to, and a name for that evidence."""

    sha256: str
    evidence: str


FingerprintFn = Callable[[CheckContext], Fingerprint]


def runbook_section(*words: str) -> FingerprintFn:
    """Fingerprint the RUNBOOK.md section whose heading names one of ``words`` (else the file)."""

    def fingerprint(ctx: CheckContext) -> Fingerprint:
        section = find_section(ctx.runbook or [], *words)
        if section is None:
            return Fingerprint(sha256_file(ctx.root / RUNBOOK), RUNBOOK)
        return Fingerprint(section.sha256(), f"{RUNBOOK}#{section.title}")

    return fingerprint


def current_prompt_version(ctx: CheckContext) -> tuple[str, str]:
    """(version id, its text) of the prompt version the project uses now."""
    path = ctx.root / PROMPTS
    if not path.is_file():
        return "", ""
    try:
        data = load_yaml(path).data
    except ValueError:
        return "", path.read_text(encoding="utf-8")
    if not isinstance(data, dict):
        return "", ""
    listed = data.get("versions")
    versions = listed if isinstance(listed, dict) else {}
    current = next(
        (str(data[k]) for k in ("current", "default", "version") if isinstance(data.get(k), str)),
        "",
    )
    if current not in versions and versions:
        current = str(list(versions)[-1])
    body = versions.get(current, "")
    return current, json.dumps(body, sort_keys=True, default=str)


def prompt_and_guardrails(ctx: CheckContext) -> Fingerprint:
    """Fingerprint the current prompt version and the guardrail code a red team reviewed."""
    version, text = current_prompt_version(ctx)
    digest = hashlib.sha256(f"{version}\n{text}".encode())
    guardrails = sorted(m.rel for m in ctx.source.modules if m.name.split(".")[-1] == "guardrails")
    for rel in guardrails:
        digest.update(rel.encode())
        digest.update(sha256_file(ctx.root / rel).encode())
    parts = [f"{PROMPTS}@{version or '?'}", *guardrails]
    return Fingerprint(digest.hexdigest(), " + ".join(parts))


def config_sections(*sections: str) -> FingerprintFn:
    """Fingerprint sections of ``workbench.toml`` (e.g. the models and budgets a review saw)."""

    def fingerprint(ctx: CheckContext) -> Fingerprint:
        data = {name: ctx.toml.get(name) for name in sections}
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
        return Fingerprint(digest, "workbench.toml " + ", ".join(f"[{s}]" for s in sections))

    return fingerprint


def combined(*parts: FingerprintFn) -> FingerprintFn:
    """One fingerprint over several pieces of evidence."""

    def fingerprint(ctx: CheckContext) -> Fingerprint:
        prints = [part(ctx) for part in parts]
        digest = hashlib.sha256("".join(p.sha256 for p in prints).encode()).hexdigest()
        return Fingerprint(digest, " + ".join(p.evidence for p in prints))

    return fingerprint


def judge_signoff(
    item_id: str, fingerprint: Fingerprint, signoff: SignoffRecord | None, project: str
) -> Verdict:
    """Pass while the newest sign-off matches the evidence's fingerprint; else needs sign-off."""
    command = f"workbench signoff {project} {item_id} --by NAME --note TEXT"
    watched = f"evidence: {fingerprint.evidence} (sha256 {fingerprint.sha256[:12]})"
    if signoff is None:
        return Verdict(
            "needs-signoff", (watched,), f"no sign-off yet; once done, record it: {command}"
        )
    signed = f"signed by {signoff.signed_by} on {signoff.signed_at}: {signoff.note}"
    if signoff.fingerprint != fingerprint.sha256:
        return Verdict(
            "needs-signoff",
            (f"expired: {signed}", f"{signoff.evidence} changed since it was signed", watched),
            f"review the change and sign again: {command}",
        )
    return Verdict.ok(signed, watched)
