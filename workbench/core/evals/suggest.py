""" "Did you mean …?" for eval sets: only names close in meaning as well as in spelling.

A plain spelling distance calls ``contains-json`` a typo of ``contains-any``; here names
are compared part by part (``contains`` | ``json``), so every part must be a near-typo of
its counterpart. promptfoo names that mean something else here get their own explanation.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_PART_CUTOFF = 0.75
# Names with a different number of parts must be nearly the same letters (startswith).
_WORD_CUTOFF = 0.86

# promptfoo assertion types this workbench does not run, and what to use instead.
FOREIGN_TYPES: dict[str, str] = {
    "javascript": "JavaScript assertions are not run here; write it as inline Python"
    " (type: python, value: an expression using `output`)",
    "model-graded-closedqa": "use llm-rubric with the question's criteria as the rubric",
    "model-graded-factuality": "use llm-rubric with the expected facts as the rubric",
    "factuality": "use llm-rubric with the expected facts as the rubric",
    "g-eval": "use llm-rubric with the criteria as the rubric",
    "answer-relevance": "use llm-rubric (RAG metrics are not built in)",
    "context-recall": "promptfoo's grades an expected answer against context given in vars;"
    " here context-recall lists the document or chunk ids the turn must retrieve (read from"
    " its RETRIEVER spans): write it with those ids",
    "context-relevance": "no equivalent (the share of the context needed to answer); here"
    " context-precision ranks the retrieved chunks against relevant ids you list",
    "levenshtein": "not built in; write it as inline Python",
    "rouge-n": "not built in; use similar, or write it as inline Python",
    "bleu": "not built in; use similar, or write it as inline Python",
    "meteor": "not built in; use similar, or write it as inline Python",
    "f-score": "not built in; write it as inline Python",
    "perplexity": "needs token logprobs, which agent turns do not report",
    "perplexity-score": "needs token logprobs, which agent turns do not report",
    "classifier": "HuggingFace classifiers are not run here; use llm-rubric",
    "moderation": "moderation APIs are not called; use is-refusal or llm-rubric",
    "webhook": "webhook assertions are not called; write the check as python",
    "select-best": "comparisons across outputs are made by `workbench compare`",
    "max-score": "comparisons across outputs are made by `workbench compare`",
    "human": "human grading is not part of a run",
    "is-valid-openai-tools-call": "use tool-called (it reads the trace)",
    "is-valid-openai-function-call": "use tool-called (it reads the trace)",
    "is-valid-function-call": "use tool-called (it reads the trace)",
    "tool-call-f1": "use tool-sequence (score = share of the expected calls made)",
    "trajectory:tool-used": "use tool-called",
    "trajectory:tool-sequence": "use tool-sequence",
    "trajectory:step-count": "use max-steps",
    "trajectory:tool-args-match": "use tool-called with {name, arguments}",
    "is-sql": "not built in; write it as python",
    "contains-sql": "not built in; write it as python",
    "is-xml": "not built in; write it as python",
    "contains-xml": "not built in; write it as python",
    "is-html": "not built in; write it as python",
    "contains-html": "not built in; write it as python",
}


# promptfoo test keys that mean something else here, with what to do instead.
FOREIGN_CASE_KEYS: dict[str, str] = {
    "provider": "a case runs on every variant of the run; choose models with variants",
    "providers": "a case runs on every variant of the run; choose them with --variants",
    "prompts": "a case runs with every variant's prompt version",
    "options": "promptfoo's test options (transform, rubricPrompt, provider) are not read here",
    "metadata": "put labels in 'tags' and the grouping in 'category'",
    "providerOutput": "cases are graded on what the agent answers, not on a given output",
}


# promptfoo assertion keys that mean something else here, with what to do instead.
FOREIGN_ASSERTION_KEYS: dict[str, str] = {
    "transform": "output transforms are JavaScript and are not run; the assertion reads the reply",
    "rubricPrompt": "the judge's prompt is the workbench's own (see llm-rubric)",
    "contextTransform": "context transforms are JavaScript and are not run",
}


def _parts(name: str) -> list[str]:
    return [part for part in re.split(r"[-_:.\s]+", name.lower()) if part]


def _close(word: str, candidate: str) -> bool:
    ours, theirs = _parts(word), _parts(candidate)
    if not ours or len(ours) != len(theirs):
        joined = "".join(ours)
        return difflib.SequenceMatcher(None, joined, "".join(theirs)).ratio() >= _WORD_CUTOFF
    return all(
        a == b or difflib.SequenceMatcher(None, a, b).ratio() >= _PART_CUTOFF
        for a, b in zip(ours, theirs, strict=True)
    )


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` is most likely a typo of, or ``None`` (never ``word`` itself)."""
    options = [choice for choice in choices if choice != word]
    ranked = difflib.get_close_matches(word, options, n=5, cutoff=0.6)
    return next((choice for choice in ranked if _close(word, choice)), None)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a near-typo, else an empty string."""
    options = list(choices)
    if word.startswith("not-"):
        match = closest(word.removeprefix("not-"), options)
        return f" (did you mean {'not-' + match!r}?)" if match else ""
    match = closest(word, options)
    return f" (did you mean {match!r}?)" if match else ""


def unknown_type_message(written: str, known: Iterable[str]) -> str:
    """Why an assertion type is refused: promptfoo's own explanation, or a near-typo."""
    name = written.removeprefix("not-")
    if name in FOREIGN_TYPES:
        return f"assertion type {written!r} is not supported here: {FOREIGN_TYPES[name]}"
    return f"unknown assertion type {written!r}{did_you_mean(written, known)}"
