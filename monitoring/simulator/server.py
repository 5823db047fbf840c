"""The CAS simulator's HTTP server: CAS_FEED.md §1 over real HTTP, plus control endpoints to steer it.

Feed (what the desk's poller sees):
  POST /oauth/token                              form-encoded client_credentials -> bearer token
  GET  /v1/events?cursor=&limit=                 one page of the tenant's event log
  POST /v1/declarations/{id}/actions/{action}    stub for later: 202 {"status": "accepted"}
Control (tests and demos; no auth, answered only to loopback clients):
  POST /_sim/clients   {tenant, client_id, client_secret}
  POST /_sim/events    {tenant, events: [any JSON value ...]}         appended verbatim, even if invalid
  POST /_sim/generate  {tenant, count, seed?}
  POST /_sim/scenario  {tenant, name}
  POST /_sim/faults    {reset?, fail_next?, retry_after?, timeout_seconds?, duplicate_rate?, overlap?,
                        out_of_order?, malformed_rate?}
  GET  /_sim/stats
  POST /_sim/push      {tenant, url, secret, from_offset?, count?, skew_seconds?}

Each tenant's log is a list of events serialised once, when appended, so a 1000-event page is a byte join.
Misbehaviour is injected on request (``Faults``) from a seeded ``random.Random``, so a failing test repeats.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import random
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from monitoring.simulator import events as ev
from monitoring.simulator.generator import EventGenerator
from monitoring.simulator.scenarios import scenario_events, scenario_names, scenario_summary
from monitoring.webhooks import sign  # the one signing rule, shared with the desk's verifier

MAX_PAGE = 1000
DEFAULT_PAGE = 100
PUSH_TIMEOUT_SECONDS = 10.0
LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
FAIL_KINDS = frozenset({"timeout", "bad_json", "expire_token"})  # besides HTTP status codes 400..599
ACTION_PATH = re.compile(r"^/v1/declarations/([^/]+)/actions/([^/]+)$")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The log offset in a cursor; ValueError when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("bad cursor") from exc
    prefix, _, number = text.partition(":")
    if prefix != "o" or not number.isdigit():
        raise ValueError("bad cursor")
    return int(number)


def serialise(event: object) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Faults:
    """Misbehaviour on request. ``fail_next`` items are consumed one per authenticated events request."""

    fail_next: deque = field(default_factory=deque)  # 429, 503, 500, "timeout", "bad_json", "expire_token"
    retry_after: int = 1  # seconds, sent with 429 and 503
    timeout_seconds: float = 5.0  # how long a "timeout" answer is held back
    duplicate_rate: float = 0.0  # chance that a page also repeats already delivered events
    overlap: float = 0.0  # chance that next_cursor steps back into the page just served
    out_of_order: float = 0.0  # share of generated events whose eventTime is moved back
    malformed_rate: float = 0.0  # share of generated events made invalid


@dataclass
class TenantLog:
    events: list[bytes] = field(default_factory=list)
    next_sequence: int = 1
    generator: EventGenerator | None = None


class SimulatorServer:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: int = 0,
        clients: Iterable[tuple[str, str, str]] = (),
        token_ttl: int = 3600,
        rate: float = 0.0,
        start_time: datetime | None = None,
        verbose: bool = False,
    ) -> None:
        """``clients`` are (tenant, client_id, client_secret); ``rate`` is live events per second per tenant;
        ``start_time`` is where generated histories begin (default: one day ago)."""
        self.seed = seed
        self.token_ttl = token_ttl
        self.rate = rate
        self.start_time = start_time or datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
        self.verbose = verbose
        self.faults = Faults()
        self._lock = threading.Lock()  # guards the logs, tokens, faults and statistics
        self._generate_lock = threading.Lock()  # generators are not thread-safe; pages are served meanwhile
        self._rng = random.Random(seed)  # for page faults, under _lock
        self._generate_rng = random.Random(seed + 1)  # for generation faults, under _generate_lock
        self._clients: dict[str, tuple[str, str]] = {}  # client_id -> (secret, tenant)
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (tenant, monotonic expiry)
        self._logs: dict[str, TenantLog] = {}
        self._stats: Counter = Counter()
        self._fault_stats: Counter = Counter()
        self._stop = threading.Event()
        self._serving = False
        self._threads: list[threading.Thread] = []
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.simulator = self  # type: ignore[attr-defined]
        for tenant, client_id, client_secret in clients:
            self.add_client(tenant, client_id, client_secret)

    # --- running ----------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SimulatorServer:
        """Serve in background threads (tests); ``stop()`` ends them."""
        self._serving = True
        self._spawn(self._serve)
        if self.rate > 0:
            self._spawn(self._live_loop)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the management command)."""
        if self.rate > 0:
            self._spawn(self._live_loop)
        self._serving = True
        try:
            self._serve()
        finally:
            self.stop()

    def _serve(self) -> None:
        # A short poll interval makes stop() quick: shutdown() waits for the loop to notice it.
        self._httpd.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        if self._serving:  # shutdown() waits for serve_forever(), so it would hang if that never ran
            self._httpd.shutdown()
        self._httpd.server_close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _spawn(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=f"cas-simulator-{target.__name__}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _live_loop(self) -> None:
        """Append ``rate`` events a second, stamped now, to every tenant with a registered client."""
        owed = 0.0
        while not self._stop.wait(1.0):
            owed += self.rate
            count, owed = int(owed), owed - int(owed)
            with self._lock:
                tenants = sorted({tenant for _, tenant in self._clients.values()})
            for tenant in tenants:
                self.generate(tenant, count, live=True)

    # --- tenants, clients, tokens -----------------------------------------------------------------------------

    def add_client(self, tenant: str, client_id: str, client_secret: str) -> None:
        with self._lock:
            self._clients[client_id] = (client_secret, tenant)
            self._logs.setdefault(tenant, TenantLog())

    def issue_token(self, client_id: str, client_secret: str) -> dict | None:
        """The token response for valid credentials, else None."""
        with self._lock:
            self._stats["token_requests"] += 1
            known = self._clients.get(client_id)
            if known is None or not hmac.compare_digest(known[0], client_secret):
                return None
            token = secrets.token_urlsafe(24)
            self._tokens[token] = (known[1], time.monotonic() + self.token_ttl)
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}

    def tenant_for_token(self, token: str) -> str | None:
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None:
                return None
            if entry[1] <= time.monotonic():
                del self._tokens[token]
                return None
            return entry[0]

    def expire_token(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    # --- the event logs ---------------------------------------------------------------------------------------

    def append_events(self, tenant: str, events: Iterable[object]) -> int:
        """Append events exactly as given (tests append invalid ones on purpose); returns the log's length."""
        items = [serialise(event) for event in events]
        with self._lock:
            log = self._logs.setdefault(tenant, TenantLog())
            log.events.extend(items)
            return len(log.events)

    def generate(self, tenant: str, count: int, *, seed: int | None = None, live: bool = False) -> int:
        """Append ``count`` generated events (``live``: stamped now), with the configured misbehaviour."""
        with self._generate_lock:
            with self._lock:
                log = self._logs.setdefault(tenant, TenantLog())
            if log.generator is None or seed is not None:
                started = log.generator.declarations_started if log.generator else 0
                log.generator = EventGenerator(
                    self._tenant_seed(tenant) if seed is None else seed,
                    tenant,
                    self.start_time,
                    first_declaration=started + 1,
                )
            made = log.generator.live(count) if live else log.generator.events(count)
            return self._append_own(tenant, made, misbehave=True)

    def load_scenario(self, tenant: str, name: str) -> dict:
        """Append the CAS events of one HMRC trade-test scenario; KeyError for an unknown name."""
        if name not in scenario_names():
            raise KeyError(name)
        with self._generate_lock:
            with self._lock:
                start = self._logs.setdefault(tenant, TenantLog()).next_sequence
            made = scenario_events(name, tenant_id=tenant, start_sequence=start)
            length = self._append_own(tenant, made, misbehave=False)
        summary = scenario_summary(name)
        return {
            "appended": len(made),
            "log_length": length,
            "main_declaration_id": summary["main_declaration_id"],
            "final_status": summary["final_status"],
        }

    def _append_own(self, tenant: str, events: list[dict], *, misbehave: bool) -> int:
        """Number simulator-made events with the tenant's next ``sequence`` values, so scenarios and generated
        flows share one numbering, and append them. Callers hold ``_generate_lock``, which keeps the numbers in
        log order; serialising happens outside ``_lock`` so pages are served meanwhile."""
        with self._lock:
            log = self._logs.setdefault(tenant, TenantLog())
            first = log.next_sequence
            log.next_sequence += len(events)
        items = []
        for offset, event in enumerate(events):
            event["sequence"] = first + offset
            items.append(serialise(self._misbehave(event) if misbehave else event))
        with self._lock:
            log.events.extend(items)
            return len(log.events)

    def events_of(self, tenant: str) -> list:
        """The tenant's whole log, decoded (for tests)."""
        with self._lock:
            stored = list(self._logs.get(tenant, TenantLog()).events)
        return [json.loads(item) for item in stored]

    def page(self, tenant: str, offset: int, limit: int) -> tuple[bytes, int]:
        """One events page as JSON bytes, and how many events it holds."""
        faults = self.faults
        with self._lock:
            log = self._logs.setdefault(tenant, TenantLog()).events
            fresh = log[offset : offset + limit]
            repeated: list[bytes] = []
            if offset > 0 and self._rng.random() < faults.duplicate_rate:
                # Keep the page within ``limit``: the repeats take the place of the last fresh events.
                count = min(self._rng.randint(1, 3), offset, limit)
                repeated = [log[self._rng.randrange(offset)] for _ in range(count)]
                fresh = fresh[: limit - count]
                self._fault_stats["duplicates"] += 1
            next_offset = offset + len(fresh)
            if len(fresh) > 1 and self._rng.random() < faults.overlap:
                next_offset -= self._rng.randint(1, len(fresh) - 1)  # always some progress, never a loop
                self._fault_stats["overlaps"] += 1
            has_more = next_offset < len(log)
            items = fresh + repeated
            self._stats["pages_served"] += 1
            self._stats["events_served"] += len(items)
        body = b"".join(
            (
                b'{"data":[',
                b",".join(items),
                b'],"next_cursor":"',
                encode_cursor(next_offset).encode(),
                b'","has_more":',
                b"true" if has_more else b"false",
                b"}",
            )
        )
        return body, len(items)

    def next_fault(self) -> object | None:
        with self._lock:
            self._stats["events_requests"] += 1
            if not self.faults.fail_next:
                return None
            fault = self.faults.fail_next.popleft()
            self._fault_stats[str(fault)] += 1
            return fault

    def set_faults(self, settings: dict) -> dict:
        """Change the misbehaviour; ``reset`` first restores good behaviour. Returns the settings now in force."""
        with self._lock:
            if settings.get("reset"):
                self.faults = Faults()
            faults = self.faults
            if "fail_next" in settings:
                items = list(settings["fail_next"])
                for item in items:
                    if not (isinstance(item, int) and 400 <= item <= 599) and item not in FAIL_KINDS:
                        raise ValueError(f"unknown fault {item!r}")
                faults.fail_next = deque(items)
            if "retry_after" in settings:
                faults.retry_after = int(settings["retry_after"])
            if "timeout_seconds" in settings:
                faults.timeout_seconds = float(settings["timeout_seconds"])
            for name in ("duplicate_rate", "overlap", "out_of_order", "malformed_rate"):
                if name in settings:
                    value = float(settings[name])
                    if not 0.0 <= value <= 1.0:
                        raise ValueError(f"{name} must be between 0 and 1")
                    setattr(faults, name, value)
            return {
                "fail_next": list(faults.fail_next),
                "retry_after": faults.retry_after,
                "timeout_seconds": faults.timeout_seconds,
                "duplicate_rate": faults.duplicate_rate,
                "overlap": faults.overlap,
                "out_of_order": faults.out_of_order,
                "malformed_rate": faults.malformed_rate,
            }

    def count(self, name: str) -> None:
        with self._lock:
            self._stats[name] += 1

    def stats(self) -> dict:
        with self._lock:
            return {
                "token_requests": self._stats["token_requests"],
                "events_requests": self._stats["events_requests"],
                "pages_served": self._stats["pages_served"],
                "events_served": self._stats["events_served"],
                "action_requests": self._stats["action_requests"],
                "faults": dict(self._fault_stats),
                "tenants": {tenant: {"log_length": len(log.events)} for tenant, log in sorted(self._logs.items())},
            }

    def _tenant_seed(self, tenant: str) -> int:
        # Each tenant's history depends only on the server seed and the tenant, not on who asked first.
        return int.from_bytes(hashlib.sha256(f"{self.seed}/{tenant}".encode()).digest()[:8], "big")

    def _misbehave(self, event: dict) -> dict:
        """Apply ``out_of_order`` and ``malformed_rate`` to one generated event (under ``_generate_lock``)."""
        rng, faults = self._generate_rng, self.faults
        if faults.out_of_order and rng.random() < faults.out_of_order:
            moment = datetime.fromisoformat(event["eventTime"]) - timedelta(seconds=rng.uniform(1, 600))
            event["eventTime"] = ev.format_event_time(moment)
        if faults.malformed_rate and rng.random() < faults.malformed_rate:
            event = ev.malform(event, rng)
        return event

    # --- pushing to a webhook ---------------------------------------------------------------------------------

    def push(self, url: str, secret: str, events: Iterable[object], *, timestamp: int | None = None) -> list:
        """POST each event (a dict, or raw bytes sent as they are) to ``url``, signed as CAS signs.

        Returns each answer's status code, or None where no answer came."""
        results = []
        for event in events:
            body = event if isinstance(event, bytes) else serialise(event)
            signed_at = int(time.time()) if timestamp is None else timestamp
            request = urllib.request.Request(  # noqa: S310 - the URL is the caller's webhook, http(s) by contract
                url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "X-CAS-Signature": sign(secret, body, signed_at)},
            )
            try:
                with urllib.request.urlopen(request, timeout=PUSH_TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310  # the URL is the caller's http(s) webhook in the test simulator
                    results.append(response.status)
            except urllib.error.HTTPError as error:
                results.append(error.code)
            except (urllib.error.URLError, OSError):
                results.append(None)
        return results

    def push_log(
        self,
        tenant: str,
        url: str,
        secret: str,
        *,
        from_offset: int = 0,
        count: int | None = None,
        skew_seconds: int = 0,
    ) -> list[dict]:
        """Push part of a tenant's log, the stored bytes exactly as the poller would get them."""
        with self._lock:
            log = self._logs.get(tenant, TenantLog()).events
            chosen = log[from_offset : None if count is None else from_offset + count]
        results = []
        for offset, body in enumerate(chosen, start=from_offset):
            status = self.push(url, secret, [body], timestamp=int(time.time()) + skew_seconds)[0]
            results.append({"offset": offset, "status": status})
        return results


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer sets Content-Length
    timeout = 60  # an idle keep-alive connection is closed after this long
    server_version = "CASSimulator/1"

    @property
    def sim(self) -> SimulatorServer:
        return self.server.simulator  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:
        if self.sim.verbose:
            super().log_message(format, *args)

    # --- routing ----------------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        self._read_body()
        if path == "/v1/events":
            self._events(urllib.parse.parse_qs(query))
        elif path == "/_sim/stats":
            if self._is_local():
                self._json(HTTPStatus.OK, self.sim.stats())
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def do_POST(self) -> None:
        path = self.path.partition("?")[0]
        body = self._read_body()
        if path == "/oauth/token":
            self._token(body)
        elif action := ACTION_PATH.match(path):
            self._action(action.group(1), action.group(2))
        elif path.startswith("/_sim/"):
            if self._is_local():
                self._control(path, body)
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    # --- feed -------------------------------------------------------------------------------------------------

    def _token(self, body: bytes) -> None:
        form = {key: values[0] for key, values in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = self.headers.get("Authorization", "")
        if basic.startswith("Basic "):  # OAuth2 also allows the credentials in HTTP Basic
            decoded = base64.b64decode(basic[6:], validate=False).decode("utf-8", "replace")
            client_id, _, client_secret = decoded.partition(":")
        if form.get("grant_type") != "client_credentials":
            self._json(HTTPStatus.BAD_REQUEST, {"error": "unsupported_grant_type"})
            return
        token = self.sim.issue_token(client_id, client_secret)
        if token is None:
            self._json(HTTPStatus.UNAUTHORIZED, {"error": "invalid_client"})
            return
        self._json(HTTPStatus.OK, token)

    def _authenticated_tenant(self) -> tuple[str | None, str]:
        header = self.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        return (self.sim.tenant_for_token(token) if token else None), token

    def _events(self, query: dict[str, list[str]]) -> None:
        tenant, token = self._authenticated_tenant()
        if tenant is None:
            self._json(HTTPStatus.UNAUTHORIZED, {"error": "invalid_token"})
            return
        try:
            limit = int(query.get("limit", [str(DEFAULT_PAGE)])[0])
            cursor = query.get("cursor", [""])[0]
            offset = decode_cursor(cursor) if cursor else 0
        except ValueError:
            self._json(HTTPStatus.BAD_REQUEST, {"error": "invalid_request", "detail": "bad limit or cursor"})
            return
        if not 1 <= limit <= MAX_PAGE:
            self._json(HTTPStatus.BAD_REQUEST, {"error": "invalid_request", "detail": f"limit must be 1..{MAX_PAGE}"})
            return

        fault = self.sim.next_fault()
        faults = self.sim.faults
        if fault == "expire_token":
            self.sim.expire_token(token)
            self._json(HTTPStatus.UNAUTHORIZED, {"error": "invalid_token"})
            return
        if isinstance(fault, int):
            headers = {"Retry-After": str(faults.retry_after)} if fault in (429, 503) else {}
            self._json(fault, {"error": "simulated", "status": fault}, headers)
            return
        if fault == "timeout":
            time.sleep(faults.timeout_seconds)  # the poller has given up by now; answer anyway, as servers do
        body, _ = self.sim.page(tenant, offset, limit)
        if fault == "bad_json":
            body = body[: max(1, len(body) // 2)]
        self._send(HTTPStatus.OK, body)

    def _action(self, declaration_id: str, action: str) -> None:
        tenant, _ = self._authenticated_tenant()
        if tenant is None:
            self._json(HTTPStatus.UNAUTHORIZED, {"error": "invalid_token"})
            return
        self.sim.count("action_requests")
        self._json(HTTPStatus.ACCEPTED, {"status": "accepted"})

    # --- control ----------------------------------------------------------------------------------------------

    def _control(self, path: str, body: bytes) -> None:
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("the body must be a JSON object")
            status, answer = self._run_control(path, payload)
        except KeyError as exc:
            status, answer = HTTPStatus.NOT_FOUND, {"error": "not_found", "detail": str(exc)}
        except (ValueError, TypeError) as exc:
            status, answer = HTTPStatus.BAD_REQUEST, {"error": "invalid_request", "detail": str(exc)}
        self._json(status, answer)

    def _run_control(self, path: str, payload: dict) -> tuple[int, dict]:
        sim = self.sim
        if path == "/_sim/faults":
            return HTTPStatus.OK, sim.set_faults(payload)
        tenant = payload.get("tenant")
        if not isinstance(tenant, str) or not tenant:
            raise ValueError("tenant is required")
        if path == "/_sim/clients":
            sim.add_client(tenant, str(payload["client_id"]), str(payload["client_secret"]))
            return HTTPStatus.CREATED, {"tenant": tenant, "client_id": payload["client_id"]}
        if path == "/_sim/events":
            events = payload.get("events")
            if not isinstance(events, list):
                raise ValueError("events must be a list")
            return HTTPStatus.OK, {"appended": len(events), "log_length": sim.append_events(tenant, events)}
        if path == "/_sim/generate":
            count = int(payload.get("count", 0))
            if not 0 <= count <= 1_000_000:
                raise ValueError("count must be 0..1000000")
            seed = payload.get("seed")
            length = sim.generate(tenant, count, seed=None if seed is None else int(seed))
            return HTTPStatus.OK, {"appended": count, "log_length": length}
        if path == "/_sim/scenario":
            return HTTPStatus.OK, sim.load_scenario(tenant, str(payload.get("name")))
        if path == "/_sim/push":
            count = payload.get("count")
            results = sim.push_log(
                tenant,
                str(payload["url"]),
                str(payload["secret"]),
                from_offset=int(payload.get("from_offset", 0)),
                count=None if count is None else int(count),
                skew_seconds=int(payload.get("skew_seconds", 0)),
            )
            return HTTPStatus.OK, {"results": results}
        raise KeyError(path)

    # --- plumbing ---------------------------------------------------------------------------------------------

    def _is_local(self) -> bool:
        if self.client_address[0] in LOOPBACK:
            return True
        self._json(HTTPStatus.FORBIDDEN, {"error": "control endpoints answer loopback clients only"})
        return False

    def _read_body(self) -> bytes:
        # Read what the client sent even where it is ignored: an unread body would corrupt a keep-alive stream.
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a "timeout" fault does that on purpose)
