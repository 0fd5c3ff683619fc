"""List commands piped (TSV with full ids), ``--format``, and no float noise in what people
read: CLI tables, TSV, JSON and the TUI's span detail all go through ``core.figures``."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.tui.tracedata import T0, store_spans, support_turn
from workbench.cli import cli, output_format
from workbench.cli.traces import TSV_COLUMNS
from workbench.core.figures import format_cost, format_number, json_text, tidy
from workbench.core.tracemodels import SpanRecord
from workbench.tui.widgets.span_detail import span_markup

# Two prices whose float sum is 4.9999999999999996e-05, not 5e-05.
PRICES = (1.5e-05, 3.5e-05)
NOISE = repr(PRICES[0] + PRICES[1])


def store_noisy_turn() -> str:
    """One support turn whose two model calls cost PRICES; returns its trace id (hex)."""
    spans = support_turn(1, start_ns=T0)
    prices = iter(PRICES)
    for span in spans:
        for attribute in span.attributes:
            if attribute.key == "workbench.cost_usd":
                attribute.value.double_value = next(prices)
    store_spans(spans)
    return spans[0].trace_id.hex()


def test_the_prices_really_add_up_to_noise():
    assert NOISE == "4.9999999999999996e-05"


def test_piped_traces_list_is_tsv_with_full_ids_and_no_noise():
    trace_id = store_noisy_turn()
    result = CliRunner().invoke(cli, ["traces", "list"], env={"COLUMNS": "40"})
    assert result.exit_code == 0, result.output
    header, row = (line.split("\t") for line in result.output.splitlines())
    assert header == list(TSV_COLUMNS)
    cells = dict(zip(header, row, strict=True))
    assert cells["trace_id"] == trace_id and len(trace_id) == 32
    assert cells["name"] == "invoke_agent support"
    assert cells["cost_usd"] == "5e-05"
    assert cells["models"] == "gpt-4o-mini"
    assert NOISE not in result.output


def test_a_table_asked_for_while_piped_is_not_cut_to_the_terminal():
    store_noisy_turn()
    result = CliRunner().invoke(cli, ["traces", "list", "--format", "table"], env={"COLUMNS": "40"})
    assert result.exit_code == 0
    assert "invoke_agent support" in result.output and "…" not in result.output.split("\n")[1]
    assert "$0.000050" in result.output


def test_on_a_terminal_the_default_is_a_table(monkeypatch):
    store_noisy_turn()
    monkeypatch.setattr(output_format, "stdout_is_tty", lambda: True)
    result = CliRunner().invoke(cli, ["traces", "list"], env={"COLUMNS": "200"})
    assert result.output.split()[:2] == ["trace", "started"]


def test_json_keeps_numbers_without_noise():
    trace_id = store_noisy_turn()
    runner = CliRunner()
    for args in (["traces", "list", "--json"], ["traces", "list", "--format", "json"]):
        output = runner.invoke(cli, args).output
        assert NOISE not in output
        assert json.loads(output)[0]["cost_usd"] == 5e-05
    shown = runner.invoke(cli, ["traces", "show", trace_id, "--json"]).output
    assert NOISE not in shown and json.loads(shown)["cost_usd"] == 5e-05


def test_an_empty_piped_list_is_a_header_and_a_note_on_stderr():
    result = CliRunner().invoke(cli, ["traces", "list"])
    assert result.stdout == "\t".join(TSV_COLUMNS) + "\n"
    assert "no traces yet" in result.stderr


def test_the_span_detail_shows_attributes_without_noise():
    noisy = PRICES[0] + PRICES[1]
    span = SpanRecord(
        trace_id="ab" * 16,
        span_id="cd" * 8,
        name="chat gpt-4o-mini",
        kind="llm",
        start_ns=T0,
        end_ns=T0 + 1_000_000,
        duration_ms=1.0,
        status="ok",
        attributes={"workbench.cost_usd": noisy, "nested": {"total": [noisy]}},
        events=[{"name": "priced", "attributes": {"usd": noisy}}],
    )
    markup = span_markup(span)
    assert NOISE not in markup
    assert "workbench.cost_usd[/] 5e-05" in markup and "usd=5e-05" in markup


def test_figures():
    assert format_cost(PRICES[0] + PRICES[1]) == "$0.000050"
    assert format_cost(0) == "$0" and format_cost(None) == "-" and format_cost(1.25) == "$1.2500"
    assert format_number(PRICES[0] + PRICES[1]) == "5e-05" and format_number(7) == "7"
    assert tidy({"a": [0.1 + 0.2, {"b": 1.0}], "c": "x"}) == {"a": [0.3, {"b": 1.0}], "c": "x"}
    # Real precision is kept: an epoch time to 10 µs, a price with eight decimals.
    assert tidy(1_768_469_400.12345) == 1_768_469_400.12345
    assert tidy(0.00000123) == 0.00000123
    assert json_text({"cost": 0.1 + 0.2}, indent=None) == '{"cost": 0.3}'
