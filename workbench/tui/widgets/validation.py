"""Validator verdicts on the generated files: one line per check, findings indented below."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from workbench.core.ship import ValidatorResult

NOT_RUN = (
    "Not validated yet: press v to run hadolint, kubernetes-validate, check-jsonschema, zizmor."
)


def result_lines(result: ValidatorResult) -> list[Content]:
    """``✔ ok    validator  file`` then each finding, indented."""
    if result.skipped:
        head = Content.assemble(
            ("- skip  ", "$text-muted"),
            f"{result.validator}  {result.file}  ",
            (f"({result.reason})", "$text-muted"),
        )
        return [head]
    mark = ("✔ ok    ", "$text-success") if result.ok else ("✘ FAIL  ", "bold $text-error")
    lines = [Content.assemble(mark, f"{result.validator}  ", (result.file, "bold"))]
    for finding in result.findings:
        where = f":{finding.line}" if finding.line else ""
        code = f" {finding.code}" if finding.code else ""
        style = (
            "$text-error" if finding.severity in ("error", "high", "medium") else "$text-warning"
        )
        lines.append(
            Content.assemble(
                "        ", (f"{finding.severity}{code}{where}: ", style), finding.message
            )
        )
    return lines


def summary(results: list[ValidatorResult]) -> Content:
    """``24 checks: 23 ok, 1 failed, 0 skipped`` coloured by the outcome."""
    failed = sum(not r.ok and not r.skipped for r in results)
    skipped = sum(r.skipped for r in results)
    ok = len(results) - failed - skipped
    text = f"{len(results)} checks: {ok} ok, {failed} failed, {skipped} skipped"
    # A skipped check validated nothing, so it is never shown as a success.
    return Content.styled(text, "bold $text-error" if failed or skipped else "bold $text-success")


class ValidationView(VerticalScroll):
    """The latest validator results, or why there are none."""

    DEFAULT_CSS = """
    ValidationView {
        height: 1fr;
        padding: 0 1;
        & > Static { width: auto; min-width: 1fr; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(NOT_RUN, id="validation-text", markup=False)

    def show(self, results: list[ValidatorResult] | None, *, running: bool = False) -> None:
        """Show ``results`` (None: not run yet; ``running``: a run is under way)."""
        text = self.query_one("#validation-text", Static)
        if running:
            text.update("Validating… (the validators take a few seconds)")
        elif results is None:
            text.update(NOT_RUN)
        elif not results:
            text.update("No validator applies to these files.")
        else:
            lines = [summary(results), Content("")]
            for result in results:
                lines += result_lines(result)
            text.update(Content("\n").join(lines))

    @property
    def text(self) -> str:
        """The plain text shown (for tests)."""
        return str(self.query_one("#validation-text", Static).render())
