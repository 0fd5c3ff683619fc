"""Hostile and random log and metric exports: a 400 or rows, never an exception."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.core.collector.decode import JSON, PROTOBUF, RequestError
from workbench.core.collector.signals import decode_logs, decode_metrics, log_rows, metric_rows

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=25,
)
_log_keys = st.sampled_from(
    ["resourceLogs", "scopeLogs", "logRecords", "traceId", "spanId", "body", "timeUnixNano"]
)
_shaped = st.recursive(
    _json, lambda inner: st.dictionaries(_log_keys, inner) | st.lists(inner, max_size=3)
)


def _rows_or_400(decode, rows_of, body: bytes, media: str) -> None:
    try:
        message = decode(body, media)
    except RequestError as error:
        assert error.status == 400
        return
    rows_of(message)


@settings(max_examples=150, deadline=None)
@given(body=_shaped)
def test_json_logs_and_metrics(body):
    encoded = json.dumps(body).encode()
    _rows_or_400(decode_logs, log_rows, encoded, JSON)
    _rows_or_400(decode_metrics, metric_rows, encoded, JSON)


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=200))
def test_protobuf_bytes(body):
    _rows_or_400(decode_logs, log_rows, body, PROTOBUF)
    _rows_or_400(decode_metrics, metric_rows, body, PROTOBUF)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_a_400(depth):
    body = ('{"resourceLogs": ' + "[" * depth + "]" * depth + "}").encode()
    with pytest.raises(RequestError) as refused:
        decode_logs(body, JSON)
    assert refused.value.status == 400
