"""Fault injection: statuses with Retry-After, hangs, malformed bodies, truncated streams, rates."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from tests.core.test_mock_server import make_project
from workbench.core.llm import import_litellm
from workbench.core.mock import start_mock
from workbench.core.mock.state import MockState
from workbench.settings import get_settings

FAULTS = """
rules:
  - {id: r429, when: {user: "rate me"}, respond: {text: ok}, fault: {status: 429, retry_after: 2}}
  - {id: r500, when: {user: "break me"}, respond: {text: ok}, fault: {status: 500}}
  - {id: r503, when: {user: "unavailable"}, respond: {text: ok}, fault: {status: 503}}
  - {id: hang, when: {user: "hang"}, respond: {text: ok}, fault: {kind: timeout, hang_s: 30}}
  - {id: bad-json, when: {user: "malformed"}, respond: {text: ok}, fault: {kind: malformed}}
  - id: cut
    when: {user: "truncate"}
    respond: {text: "one two three four five six seven eight nine ten eleven twelve"}
    fault: {kind: truncated, after_chunks: 2}
  - id: drop
    when: {user: "drop"}
    respond: {text: "one two three four five six seven eight nine ten eleven twelve"}
    fault: {kind: truncated, abort: true}
  - id: flaky
    when: {user: "flaky"}
    respond: {text: "finally"}
    fault: {status: 503, fail_first: 2, retry_after: 0.05}
  - id: coin
    when: {user: "coin"}
    respond: {text: ok}
    fault: {status: 500, probability: 0.3, seed: 3}
  - {id: slow, when: {user: "slow"}, respond: {text: ok}, latency_ms: 150}
  - {id: jitter, when: {user: "jitter"}, respond: {text: ok}, latency_ms: {min: 50, max: 80}}
  - {id: default, respond: {text: "all good"}}
"""


@pytest.fixture(scope="module")
def mock(tmp_path_factory):
    server = start_mock(project_dir=make_project(tmp_path_factory.mktemp("faults"), FAULTS))
    yield server
    server.stop()


# One client for all calls: a fresh httpx client per call costs ~40 ms (its SSL context).
CLIENT = httpx.Client()


def post(server, text: str, *, stream: bool = False, timeout: float = 10.0) -> httpx.Response:
    body = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": text}],
        "stream": stream,
    }
    return CLIENT.post(f"{server.api_base}/chat/completions", json=body, timeout=timeout)


def calls(server) -> int:
    return CLIENT.get(f"{server.url}/healthz", timeout=5).json()["calls"]


def test_status_faults_have_openai_error_bodies_and_retry_after(mock):
    limited = post(mock, "rate me")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2" and limited.headers["retry-after-ms"] == "2000"
    assert limited.json()["error"]["type"] == "rate_limit_exceeded"
    assert post(mock, "break me").status_code == 500
    unavailable = post(mock, "unavailable")
    assert unavailable.status_code == 503 and "retry-after" not in unavailable.headers


def test_litellm_sees_a_rate_limit_error(mock):
    litellm = import_litellm()
    with pytest.raises(litellm.RateLimitError):
        litellm.completion(
            model="openai/gpt-4o-mini",
            api_base=mock.api_base,
            api_key="mock",
            messages=[{"role": "user", "content": "rate me"}],
            max_retries=0,
        )


def test_a_hang_outlasts_the_client_timeout(mock):
    with pytest.raises(httpx.ReadTimeout):  # the hang is 30 s; the client gives up at 0.3 s
        post(mock, "hang", timeout=0.3)


def test_a_hang_does_not_block_shutdown(tmp_path):
    server = start_mock(project_dir=make_project(tmp_path / "p", FAULTS))
    outcomes: list[int | Exception] = []

    def hang() -> None:
        try:
            outcomes.append(post(server, "hang", timeout=20).status_code)
        except httpx.HTTPError as error:
            outcomes.append(error)

    worker = threading.Thread(target=hang)
    worker.start()
    deadline = time.monotonic() + 10
    while calls(server) < 1:  # wait until the hanging request has reached the mock
        assert time.monotonic() < deadline, "the request never reached the mock"
        time.sleep(0.01)
    server.stop()  # waits up to 5 s for the server thread; the hang alone would take 30 s
    worker.join(10)
    assert not server.thread.is_alive()
    assert not worker.is_alive()
    assert outcomes == [504]  # the hang ends as the injected timeout, answered before exit


def test_malformed_json_body_and_stream(mock):
    plain = post(mock, "malformed")
    assert plain.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(plain.text)
    streamed = post(mock, "malformed", stream=True)
    events = [line[6:] for line in streamed.text.splitlines() if line.startswith("data: ")]
    json.loads(events[0])
    with pytest.raises(json.JSONDecodeError):
        json.loads(events[1])


def test_truncated_stream_stops_without_finish_or_done(mock):
    streamed = post(mock, "truncate", stream=True)
    events = [line[6:] for line in streamed.text.splitlines() if line.startswith("data: ")]
    assert len(events) == 2 and "[DONE]" not in events
    assert all(json.loads(e)["choices"][0]["finish_reason"] is None for e in events)


def test_aborted_stream_drops_the_connection(mock):
    with pytest.raises(httpx.RemoteProtocolError):
        post(mock, "drop", stream=True)


def test_fail_first_fails_exactly_n_times_per_request(mock):
    before = calls(mock)
    statuses = [post(mock, "flaky").status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    assert calls(mock) - before == 4


def test_litellm_retries_exactly_until_fail_first_is_spent(mock):
    litellm = import_litellm()
    before = calls(mock)
    reply = litellm.completion(
        model="openai/gpt-4o-mini",
        api_base=mock.api_base,
        api_key="mock",
        messages=[{"role": "user", "content": "flaky, through litellm"}],
        max_retries=2,
    )
    assert reply.choices[0].message.content == "finally"
    assert calls(mock) - before == 3  # two 503s, one success


def test_fault_probability_is_seeded_per_request(mock, tmp_path):
    statuses = [post(mock, f"coin {n}").status_code for n in range(200)]
    share = statuses.count(500) / len(statuses)
    assert 0.18 <= share <= 0.42 and set(statuses) == {200, 500}
    # Seeded: a fresh mock with the same rules fails exactly the same requests.
    with start_mock(project_dir=make_project(tmp_path / "again", FAULTS)) as again:
        assert [post(again, f"coin {n}").status_code for n in range(50)] == statuses[:50]


@pytest.fixture
def slept(monkeypatch):
    """The delays the mock applies, in seconds: recorded instead of slept, so the latency
    tests compare the values themselves rather than wall-clock times."""
    delays: list[float] = []

    async def record(self, seconds: float) -> bool:
        delays.append(seconds)
        return True

    monkeypatch.setattr(MockState, "sleep", record)
    return delays


def test_latency_fixed_and_uniform(mock, slept):
    post(mock, "slow")
    assert slept == [pytest.approx(0.15)]
    slept.clear()
    for n in range(20):
        post(mock, f"jitter {n}")
    assert len(slept) == 20 and all(0.05 <= delay <= 0.08 for delay in slept)
    assert len(set(slept)) > 10  # drawn per request from the range, not one fixed value
    assert post(mock, "hello").status_code == 200 and len(slept) == 20  # no latency: no wait


@pytest.fixture
def env_mock(tmp_path, monkeypatch):
    def start(**env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return start_mock(project_dir=make_project(tmp_path / "p", FAULTS))

    return start


def test_global_fault_rate_from_the_environment(env_mock):
    with env_mock(WORKBENCH_MOCK_FAULT_RATE="0.5") as server:
        statuses = [post(server, f"hello {n}").status_code for n in range(200)]
        retried = [post(server, "hello 0").status_code for _ in range(20)]
    failed = [status for status in statuses if status != 200]
    assert 70 <= len(failed) <= 130
    assert set(failed) == {429, 500, 503}
    assert 200 in retried  # a retry of the same request draws again, so retries can succeed


def test_global_fault_rate_of_one_fails_every_call(env_mock):
    with env_mock(WORKBENCH_MOCK_FAULT_RATE="1") as server:
        statuses = {post(server, f"hello {n}").status_code for n in range(30)}
    assert statuses <= {429, 500, 503}


def test_global_latency_from_the_environment_overrides_rules(env_mock, slept):
    with env_mock(WORKBENCH_MOCK_LATENCY_MS="120") as server:
        post(server, "hello")  # no latency of its own: the global 120 ms
        post(server, "slow")  # the rule's 150 ms gives way to the global 120 ms
        post(server, "jitter")  # and so does the rule's 50-80 ms range
    assert slept == [pytest.approx(0.12)] * 3
