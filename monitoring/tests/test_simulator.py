"""The CAS simulator over real HTTP (CAS_FEED.md §1 and §4), and its seeded event generator.

Pure Python: an in-thread ``SimulatorServer`` on a free port, driven with ``requests``; no database.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from monitoring.reference import load_cds_error_codes, load_uk_export_cpcs, load_uk_import_cpcs
from monitoring.simulator.events import MALFORMATIONS, malform
from monitoring.simulator.generator import EventGenerator
from monitoring.simulator.server import SimulatorServer, decode_cursor, encode_cursor, sign
from monitoring.tests.cas_event_shape import MRN, event_problems

TENANT = "acme-be"
CLIENT_ID = "acme-client"
CLIENT_SECRET = "acme-secret"
START = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.fixture
def server():
    with SimulatorServer(seed=7, clients=[(TENANT, CLIENT_ID, CLIENT_SECRET)], start_time=START) as simulator:
        yield simulator


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def get_token(server: SimulatorServer, http: requests.Session, client_id=CLIENT_ID, secret=CLIENT_SECRET):
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return http.post(f"{server.url}/oauth/token", data=form, timeout=5)


def bearer(server, http) -> dict[str, str]:
    return {"Authorization": f"Bearer {get_token(server, http).json()['access_token']}"}


def get_page(server, http, headers, cursor=None, limit=1000, timeout=5):
    params = {"limit": limit} if cursor is None else {"limit": limit, "cursor": cursor}
    return http.get(f"{server.url}/v1/events", params=params, headers=headers, timeout=timeout)


def read_all(server, http, headers, limit=1000) -> tuple[list[dict], int]:
    """Every event from the beginning to the end of the log, and how many pages that took."""
    events, cursor, pages = [], None, 0
    while True:
        body = get_page(server, http, headers, cursor, limit).json()
        events += body["data"]
        cursor, pages = body["next_cursor"], pages + 1
        if not body["has_more"]:
            return events, pages
        assert pages < 10_000, "the cursor never reached the end"


def control(server, http, path, payload):
    return http.post(f"{server.url}/_sim/{path}", json=payload, timeout=30)


# --- tokens -----------------------------------------------------------------------------------------------------


def test_client_credentials_give_a_bearer_token(server, http):
    response = get_token(server, http)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) >= 20
    assert get_page(server, http, {"Authorization": f"Bearer {body['access_token']}"}).status_code == 200


def test_wrong_credentials_get_401_json(server, http):
    response = get_token(server, http, secret="wrong")
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert get_token(server, http, client_id="nobody").status_code == 401
    form = {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert http.post(f"{server.url}/oauth/token", data=form, timeout=5).status_code == 400


def test_missing_unknown_or_expired_token_gets_401(http):
    with SimulatorServer(clients=[(TENANT, CLIENT_ID, CLIENT_SECRET)], token_ttl=1) as server:
        assert get_page(server, http, {}).status_code == 401
        assert get_page(server, http, {"Authorization": "Bearer not-a-token"}).status_code == 401
        headers = bearer(server, http)
        assert get_page(server, http, headers).status_code == 200
        time.sleep(1.1)
        response = get_page(server, http, headers)
        assert response.status_code == 401
        assert response.json() == {"error": "invalid_token"}


def test_a_token_reads_its_own_tenant_only(server, http):
    server.add_client("other-nl", "other-client", "other-secret")
    server.generate(TENANT, 5)
    server.generate("other-nl", 3)
    other = {
        "Authorization": f"Bearer {get_token(server, http, 'other-client', 'other-secret').json()['access_token']}"
    }
    events, _ = read_all(server, http, other)
    assert len(events) == 3
    assert {event["tenantId"] for event in events} == {"other-nl"}


# --- paging -----------------------------------------------------------------------------------------------------


def test_paging_with_cursors_reads_the_log_to_the_end_in_order(server, http):
    server.generate(TENANT, 2500)
    events, pages = read_all(server, http, bearer(server, http))
    assert pages == 3
    assert [event["id"] for event in events] == [event["id"] for event in server.events_of(TENANT)]
    assert [event["sequence"] for event in events] == list(range(1, 2501))


def test_the_end_of_the_log_answers_an_empty_page_with_the_same_cursor(server, http):
    server.generate(TENANT, 10)
    headers = bearer(server, http)
    last = get_page(server, http, headers, limit=10).json()
    assert last["has_more"] is False
    empty = get_page(server, http, headers, cursor=last["next_cursor"]).json()
    assert empty == {"data": [], "next_cursor": last["next_cursor"], "has_more": False}
    server.generate(TENANT, 4)  # new events appear behind the stored cursor
    assert len(get_page(server, http, headers, cursor=last["next_cursor"]).json()["data"]) == 4


def test_no_cursor_means_from_the_beginning(server, http):
    server.generate(TENANT, 30)
    headers = bearer(server, http)
    first = get_page(server, http, headers, limit=10).json()
    assert [event["sequence"] for event in first["data"]] == list(range(1, 11))
    assert first["has_more"] is True
    assert decode_cursor(first["next_cursor"]) == 10


@pytest.mark.parametrize("limit", ["0", "1001", "-5", "ten"])
def test_a_limit_outside_1_to_1000_is_refused(server, http, limit):
    response = http.get(f"{server.url}/v1/events", params={"limit": limit}, headers=bearer(server, http), timeout=5)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_limits_1_and_1000_are_served(server, http):
    server.generate(TENANT, 1200)
    headers = bearer(server, http)
    assert len(get_page(server, http, headers, limit=1).json()["data"]) == 1
    assert len(get_page(server, http, headers, limit=1000).json()["data"]) == 1000


def test_a_cursor_that_is_not_ours_is_refused(server, http):
    response = get_page(server, http, bearer(server, http), cursor="!!not-base64!!")
    assert response.status_code == 400
    assert decode_cursor(encode_cursor(1234)) == 1234


def test_keep_alive_serves_several_requests_on_one_connection(server):
    server.generate(TENANT, 3)
    connection = HTTPConnection(server.url.removeprefix("http://"), timeout=5)
    body = f"grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
    connection.request("POST", "/oauth/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    token = json.loads(response.read())["access_token"]
    assert response.getheader("Content-Length") is not None
    first_socket = connection.sock
    for _ in range(3):
        connection.request("GET", "/v1/events?limit=2", headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        assert response.status == 200
        assert int(response.getheader("Content-Length")) == len(response.read())
    assert connection.sock is first_socket
    connection.close()


# --- fault injection --------------------------------------------------------------------------------------------


def test_429_and_503_carry_retry_after_and_do_not_move_the_cursor(server, http):
    server.generate(TENANT, 5)
    headers = bearer(server, http)
    assert control(server, http, "faults", {"fail_next": [429, 503], "retry_after": 7}).status_code == 200
    for status in (429, 503):
        response = get_page(server, http, headers)
        assert response.status_code == status
        assert response.headers["Retry-After"] == "7"
    assert len(get_page(server, http, headers).json()["data"]) == 5


def test_500_then_a_good_page(server, http):
    server.generate(TENANT, 5)
    headers = bearer(server, http)
    control(server, http, "faults", {"fail_next": [500]})
    assert get_page(server, http, headers).status_code == 500
    assert get_page(server, http, headers).status_code == 200


def test_bad_json_returns_a_truncated_body(server, http):
    server.generate(TENANT, 20)
    headers = bearer(server, http)
    control(server, http, "faults", {"fail_next": ["bad_json"]})
    response = get_page(server, http, headers)
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert len(get_page(server, http, headers).json()["data"]) == 20


def test_timeout_holds_the_answer_back_longer_than_the_client_waits(server, http):
    server.generate(TENANT, 2)
    headers = bearer(server, http)
    control(server, http, "faults", {"fail_next": ["timeout"], "timeout_seconds": 1.5})
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        get_page(server, http, headers, timeout=0.5)
    assert time.monotonic() - started < 1.5
    with requests.Session() as fresh:
        assert len(get_page(server, fresh, headers).json()["data"]) == 2


def test_expire_token_fault_forces_a_new_token(server, http):
    server.generate(TENANT, 2)
    headers = bearer(server, http)
    control(server, http, "faults", {"fail_next": ["expire_token"]})
    assert get_page(server, http, headers).status_code == 401
    assert get_page(server, http, headers).status_code == 401  # that token is gone for good
    assert get_page(server, http, bearer(server, http)).status_code == 200


def test_unknown_fault_is_refused(server, http):
    response = control(server, http, "faults", {"fail_next": ["explode"]})
    assert response.status_code == 400
    assert control(server, http, "faults", {"duplicate_rate": 2}).status_code == 400


def test_duplicates_repeat_already_delivered_events_within_the_limit(server, http):
    server.generate(TENANT, 300)
    control(server, http, "faults", {"duplicate_rate": 1.0})
    headers = bearer(server, http)
    delivered: list[str] = []
    repeated = 0
    cursor = None
    while True:
        body = get_page(server, http, headers, cursor, limit=50).json()
        assert len(body["data"]) <= 50
        ids = [event["id"] for event in body["data"]]
        repeated += sum(1 for event_id in ids if event_id in delivered)
        delivered += ids
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert repeated > 0
    assert set(delivered) == {event["id"] for event in server.events_of(TENANT)}


def test_overlap_steps_the_cursor_back_so_events_come_again(server, http):
    server.generate(TENANT, 200)
    control(server, http, "faults", {"overlap": 1.0})
    headers = bearer(server, http)
    events, _ = read_all(server, http, headers, limit=40)
    counts = Counter(event["id"] for event in events)
    assert max(counts.values()) >= 2
    assert set(counts) == {event["id"] for event in server.events_of(TENANT)}


def test_out_of_order_moves_event_times_back(server, http):
    control(server, http, "faults", {"out_of_order": 0.5})
    server.generate(TENANT, 200)
    times = [event["eventTime"] for event in server.events_of(TENANT)]
    assert any(later < earlier for earlier, later in itertools.pairwise(times))


def test_malformed_rate_makes_generated_events_invalid(server, http):
    control(server, http, "faults", {"malformed_rate": 1.0})
    control(server, http, "generate", {"tenant": TENANT, "count": 60})
    events, _ = read_all(server, http, bearer(server, http))  # the page itself stays valid JSON
    assert len(events) == 60
    assert all(event_problems(event, tenant_id=TENANT) for event in events)


def test_every_malformation_breaks_the_event():
    event = EventGenerator(1, TENANT, START).events(1)[0]
    assert event_problems(event, tenant_id=TENANT) == []
    assert len(MALFORMATIONS) == 10
    for kind in MALFORMATIONS:
        assert event_problems(malform(event, None, kind), tenant_id=TENANT), kind
    assert event_problems(event, tenant_id=TENANT) == []  # the original is left alone


def test_raw_events_are_appended_verbatim(server, http):
    raw = [{"id": "raw-1", "eventType": "Something"}, 42, "not an event", None, {"nested": [1, 2]}]
    response = control(server, http, "events", {"tenant": TENANT, "events": raw})
    assert response.json() == {"appended": 5, "log_length": 5}
    events, _ = read_all(server, http, bearer(server, http))
    assert events == raw


# --- control endpoints ------------------------------------------------------------------------------------------


def test_clients_generate_scenario_and_stats_endpoints(server, http):
    assert (
        control(server, http, "clients", {"tenant": "t2", "client_id": "c2", "client_secret": "s2"}).status_code == 201
    )
    assert control(server, http, "generate", {"tenant": "t2", "count": 25}).json() == {"appended": 25, "log_length": 25}
    scenario = control(server, http, "scenario", {"tenant": "t2", "name": "TT_FI001b"}).json()
    assert scenario == {
        "appended": 3,
        "log_length": 28,
        "main_declaration_id": "TT_FI001b-1",
        "final_status": "CreditPending",
    }
    assert control(server, http, "scenario", {"tenant": "t2", "name": "TT_NOPE"}).status_code == 404
    assert control(server, http, "generate", {"count": 5}).status_code == 400

    token = get_token(server, http, "c2", "s2").json()["access_token"]
    events, _ = read_all(server, http, {"Authorization": f"Bearer {token}"})
    # Scenario events continue the tenant's sequence after the generated ones.
    assert [event["sequence"] for event in events] == list(range(1, 29))
    stats = http.get(f"{server.url}/_sim/stats", timeout=5).json()
    assert stats["tenants"]["t2"] == {"log_length": 28}
    assert stats["token_requests"] == 1
    assert stats["events_requests"] == 1
    assert stats["pages_served"] == 1
    assert stats["events_served"] == 28


def test_action_endpoint_accepts_with_202(server, http):
    url = f"{server.url}/v1/declarations/d-20261127-000001/actions/Amend"
    assert http.post(url, json={}, timeout=5).status_code == 401
    response = http.post(url, json={"reason": "x"}, headers=bearer(server, http), timeout=5)
    assert response.status_code == 202
    assert response.json() == {"status": "accepted"}


def test_live_mode_appends_events_stamped_now(http):
    with SimulatorServer(clients=[(TENANT, CLIENT_ID, CLIENT_SECRET)], rate=20) as server:
        time.sleep(1.5)
        events = server.events_of(TENANT)
    assert len(events) >= 20
    newest = datetime.fromisoformat(events[-1]["eventTime"])
    assert abs(datetime.now(UTC) - newest) < timedelta(seconds=5)


# --- pushing to a webhook ---------------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    """A webhook that records what it gets and answers 401 to bodies it is told to refuse."""

    received: list[tuple[str, bytes]]
    refuse: set[bytes]

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers["X-CAS-Signature"], body))
        status = 401 if body in self.refuse else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def webhook():
    handler = type("Receiver", (_Receiver,), {"received": [], "refuse": set()})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", handler
    httpd.shutdown()
    httpd.server_close()


def _verify(secret: str, header: str, body: bytes) -> int:
    """The receiving side of the signature, written from CAS_FEED.md §1.2; returns the signed timestamp."""
    match = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header)
    assert match, header
    expected = hmac.new(secret.encode(), f"{match[1]}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, match[2])
    return int(match[1])


def test_sign_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("s3cret", b"{}", 1700000000) == f"t=1700000000,v1={expected}"


def test_push_signs_each_event_so_the_receiver_can_verify_it(server, webhook):
    url, receiver = webhook
    events = EventGenerator(3, TENANT, START).events(3)
    statuses = server.push(url, "hook-secret", [*events, b"{not json"], timestamp=1_800_000_000)
    assert statuses == [200, 200, 200, 200]
    assert [json.loads(body)["id"] for _, body in receiver.received[:3]] == [event["id"] for event in events]
    for header, body in receiver.received:
        assert _verify("hook-secret", header, body) == 1_800_000_000
    assert receiver.received[3][1] == b"{not json"  # raw bodies go out as given
    with pytest.raises(AssertionError):
        _verify("other-secret", *receiver.received[0])


def test_push_endpoint_sends_the_log_with_clock_skew_and_reports_statuses(server, http, webhook):
    url, receiver = webhook
    server.generate(TENANT, 4)
    stored = server.events_of(TENANT)
    receiver.refuse.add(json.dumps(stored[2], separators=(",", ":"), ensure_ascii=False).encode())
    payload = {"tenant": TENANT, "url": url, "secret": "k", "from_offset": 1, "count": 2, "skew_seconds": -400}
    assert control(server, http, "push", payload).json() == {"results": [{"offset": 1, "status": 200}]} | {
        "results": [{"offset": 1, "status": 200}, {"offset": 2, "status": 401}]
    }
    assert [json.loads(body)["id"] for _, body in receiver.received] == [stored[1]["id"], stored[2]["id"]]
    signed_at = _verify("k", *receiver.received[0])
    assert abs(time.time() - 400 - signed_at) < 5


def test_push_to_nowhere_reports_no_status(server):
    assert server.push("http://127.0.0.1:9/hook", "k", [{"id": "x"}]) == [None]


# --- the generator ----------------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_events_and_another_seed_others():
    first = EventGenerator(42, TENANT, START).events(2000)
    assert EventGenerator(42, TENANT, START).events(2000) == first
    other = EventGenerator(43, TENANT, START).events(2000)
    assert [event["id"] for event in other] != [event["id"] for event in first]


def test_events_returns_exactly_count_and_continues_where_it_stopped():
    generator = EventGenerator(5, TENANT, START)
    assert len(generator.events(0)) == 0
    assert len(generator.events(1)) == 1
    more = generator.events(999)
    assert len(more) == 999
    assert more[0]["sequence"] == 2
    assert more[-1]["sequence"] == 1000


def test_every_generated_event_passes_the_strict_shape_check():
    events = EventGenerator(11, TENANT, START).events(20_000)
    problems = {event["id"]: event_problems(event, tenant_id=TENANT) for event in events}
    assert {event_id: found for event_id, found in problems.items() if found} == {}
    assert len({event["id"] for event in events}) == len(events)


def test_generated_flows_never_go_back_in_time_per_declaration():
    last: dict[str, str] = {}
    for event in EventGenerator(12, TENANT, START).events(10_000):
        declaration = event["data"].get("id")
        if declaration is None:  # a customs system status event
            continue
        assert event["eventTime"] >= last.get(declaration, "")
        last[declaration] = event["eventTime"]


def test_generated_mix_is_mostly_happy_with_each_kind_of_failure():
    events = EventGenerator(21, TENANT, START).events(30_000)
    declaration_events = [event for event in events if event["eventType"] != "CustomsSystemStatusChanged"]
    statuses = Counter(event["data"]["currentStatus"] for event in declaration_events)
    for status in (
        "Invalid",
        "ConfigurationError",
        "SendingError",
        "ProviderError",
        "CustomsError",
        "DocumentControl",
        "PhysicalControl",
        "CreditPending",
        "Received",
        "GoodsArrived",
        "Released",
        "Cleared",
        "ExitConfirmed",
    ):
        assert statuses[status] > 0, status
    failures = sum(
        statuses[s] for s in ("Invalid", "ConfigurationError", "SendingError", "ProviderError", "CustomsError")
    )
    assert 0.03 < failures / len(declaration_events) < 0.15
    assert {event["data"]["customsSystem"] for event in declaration_events} == {
        "CDS",
        "PLDA",
        "AES",
        "DMS",
        "ATLAS",
        "DELTA",
        "AIS",
        "NCTS",
    }
    sources = {
        (event["data"]["currentStatus"], error["source"])
        for event in declaration_events
        for error in event["data"]["errors"]
    }
    assert {
        ("Invalid", "Validation"),
        ("ConfigurationError", "Configuration"),
        ("SendingError", "Sending"),
        ("ProviderError", "Provider"),
        ("CustomsError", "Customs"),
    } <= sources


def test_generated_details_come_from_the_reference_data():
    events = EventGenerator(22, TENANT, START).events(20_000)
    data = [event["data"] for event in events if event["eventType"] != "CustomsSystemStatusChanged"]
    cds_codes = load_cds_error_codes()
    cds_errors = [
        error
        for item in data
        if item["customsSystem"] == "CDS" and item["currentStatus"] == "CustomsError"
        for error in item["errors"]
    ]
    assert cds_errors
    assert all(error["errorCode"] in cds_codes for error in cds_errors)
    assert all(re.fullmatch(r"42A(\.\w+)*", error["fieldReference"][0]["path"]) for error in cds_errors)
    validation = [error for item in data if item["currentStatus"] == "Invalid" for error in item["errors"]]
    assert any(error["errorCode"] == "V0010" for error in validation)
    assert all(error["fieldReference"] for error in validation)

    known_cpcs = {row["cpc"] for row in load_uk_import_cpcs()} | set(load_uk_export_cpcs())
    assert {item["procedureCode"] for item in data if item["procedureCode"]} <= known_cpcs
    accepted = [item for item in data if item["currentStatus"] in ("Accepted", "AcceptedForExport")]
    assert accepted
    assert all(item["mrn"] and MRN.match(item["mrn"]) and item["acceptanceDate"] for item in accepted)
    assert all(item["mrn"] is None for item in data if item["currentStatus"] in ("Validated", "Invalid"))
    document_controls = [
        item for item in data if item["customsSystem"] == "CDS" and item["currentStatus"] == "DocumentControl"
    ]
    assert any(
        item["customsNotification"] and item["customsNotification"]["limitDateTime"] for item in document_controls
    )


def test_live_events_are_stamped_with_the_given_now():
    now = datetime(2026, 12, 1, 9, 30, 15, 250000, tzinfo=UTC)
    events = EventGenerator(8, TENANT, START).live(50, now)
    assert {event["eventTime"] for event in events} == {"2026-12-01T09:30:15.250Z"}


def test_generating_100000_events_is_fast():
    started = time.perf_counter()
    events = EventGenerator(1, TENANT, START).events(100_000)
    assert len(events) == 100_000
    # The benchmark budget is "a few seconds"; the bound is loose so a busy CI machine does not flake.
    assert time.perf_counter() - started < 15
