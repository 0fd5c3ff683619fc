"""Guardrails on input and output; every verdict is recorded on a `guardrail <name>` span."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from . import tracing

Verdict = Literal["pass", "block", "redact"]

INJECTION_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bignore\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:previous|prior|above|earlier|preceding)"
        r"\s+(?:instructions|prompts?|rules|messages|directions)",
        r"\bdisregard\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:previous|prior|above|system|instructions)",
        r"\bforget\s+(?:all\s+|everything\s+|your\s+)*(?:previous\s+|prior\s+)?(?:instructions|rules)",
        r"\b(?:reveal|show|print|repeat|output|leak)\s+(?:me\s+)?(?:your|the)\s+"
        r"(?:system\s+prompt|hidden\s+prompt|instructions|initial\s+prompt)",
        r"\byou\s+are\s+now\s+(?:in\s+)?(?:an?\s+)?(?:developer|dan|jailbroken|unrestricted|unfiltered)",
        r"\b(?:developer|god|debug)\s+mode\b",
        r"\bjailbreak",
        r"\boverride\s+(?:your|the|all)\s+(?:rules|instructions|guardrails|safety|policies)",
        r"<\s*/?\s*(?:system|im_start|im_end)\s*>",
        r"^\s*system\s*:",
    )
]

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
PHONE = re.compile(
    r"(?<![\w/])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}(?![\w/])"
)
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
SECRETS = [
    re.compile(p)
    for p in (
        r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}",
        r"\bAKIA[0-9A-Z]{16}\b",
        r"\bgh[pousr]_[A-Za-z0-9]{20,}",
        r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
        r"\bAIza[0-9A-Za-z_-]{35}",
        r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{20,}=*",
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
    )
]


@dataclass(frozen=True)
class GuardrailResult:
    """What a guardrail decided, and the (possibly redacted) text."""

    name: str
    verdict: Verdict
    reason: str
    text: str

    @property
    def blocked(self) -> bool:
        """Whether the request must be refused."""
        return self.verdict == "block"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _redact_cards(text: str) -> tuple[str, int]:
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            count += 1
            return "[REDACTED_CARD]"
        return match.group(0)

    return CARD.sub(replace, text), count


def check_length(text: str, limit: int) -> GuardrailResult:
    """Refuse inputs longer than `limit` characters."""
    if len(text) > limit:
        return GuardrailResult("input_length", "block", f"{len(text)} > {limit} characters", text)
    return GuardrailResult("input_length", "pass", f"{len(text)} characters", text)


def check_injection(text: str) -> GuardrailResult:
    """Refuse inputs that try to override the agent's instructions."""
    for pattern in INJECTION_PATTERNS:
        if pattern.search(text):
            return GuardrailResult(
                "prompt_injection", "block", "matched an injection pattern", text
            )
    return GuardrailResult("prompt_injection", "pass", "no injection pattern", text)


def redact_pii(text: str) -> GuardrailResult:
    """Replace emails, phone numbers and card numbers with placeholders."""
    redacted, cards = _redact_cards(text)
    redacted, emails = EMAIL.subn("[REDACTED_EMAIL]", redacted)
    redacted, phones = PHONE.subn("[REDACTED_PHONE]", redacted)
    found = [
        f"{n} {kind}" for n, kind in ((cards, "card"), (emails, "email"), (phones, "phone")) if n
    ]
    if found:
        return GuardrailResult("pii", "redact", "redacted " + ", ".join(found), redacted)
    return GuardrailResult("pii", "pass", "no PII found", text)


def redact_secrets(text: str) -> GuardrailResult:
    """Replace credential-shaped strings (API keys, tokens, private keys) in output."""
    count = 0
    for pattern in SECRETS:
        text, found = pattern.subn("[REDACTED_SECRET]", text)
        count += found
    if count:
        return GuardrailResult("secrets", "redact", f"redacted {count} secret(s)", text)
    return GuardrailResult("secrets", "pass", "no secrets found", text)


def record(result: GuardrailResult) -> GuardrailResult:
    """Record `result` on its own `guardrail <name>` span and return it."""
    with tracing.span(
        f"guardrail {result.name}",
        {
            tracing.OPERATION: "guardrail",
            tracing.GUARDRAIL_NAME: result.name,
            tracing.GUARDRAIL_VERDICT: result.verdict,
            tracing.GUARDRAIL_REASON: result.reason,
        },
    ):
        return result


def check_input(text: str, max_chars: int) -> GuardrailResult:
    """Run the input guardrails in order; the first block wins, else the redacted text."""
    for check in (lambda t: check_length(t, max_chars), check_injection):
        result = record(check(text))
        if result.blocked:
            return result
    return record(redact_pii(text))


def check_output(text: str) -> GuardrailResult:
    """Redact secrets and PII from what the agent is about to say."""
    secrets = record(redact_secrets(text))
    pii = record(replace(redact_pii(secrets.text), name="output_pii"))
    verdict: Verdict = "redact" if "redact" in (secrets.verdict, pii.verdict) else "pass"
    return GuardrailResult("output", verdict, f"{secrets.reason}; {pii.reason}", pii.text)
