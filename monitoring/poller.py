"""Pulling a connection's feed (CAS_FEED.md §1.1): token, pages, backoff, one worker at a time.

``connection_poll`` is what the Celery task calls. It takes a lease on the connection (a conditional
UPDATE, so two workers never poll one connection at once), reads pages from the stored cursor and
hands each to ``events_ingest``, which commits the events and the next cursor together. Failures
never move the cursor: they set the next due time with exponential backoff and jitter, or as the
feed's ``Retry-After`` says, and leave the error on the connection for agents to see.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .feed import FeedEvent, Reason, Refusal, parse_event
from .ingest import CursorMoved, RawItem, events_ingest, quarantine_store
from .models import CasConnection

logger = logging.getLogger(__name__)

TOKEN_REFRESH_MARGIN = timedelta(seconds=60)
MAX_PAGE_LIMIT = 1000  # the contract's upper bound for ``limit``


class FeedError(Exception):
    """The feed did not give us a usable page; the cursor stays where it is."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FeedAuthError(FeedError):
    pass


@dataclass
class Page:
    events: list[Any]
    next_cursor: str
    has_more: bool
    raw_text: str
    validated: list[FeedEvent | Refusal] | None = None


@dataclass
class PollOutcome:
    status: str  # "ok", "busy", "failed", "disabled", "stale"
    pages: int = 0
    applied: int = 0
    duplicates: int = 0
    quarantined: int = 0
    error: str = ""


class FeedClient:
    """HTTP client for one connection's feed. Keeps one keep-alive session for a whole run."""

    def __init__(self, connection: CasConnection, session: requests.Session | None = None) -> None:
        self.connection = connection
        self.base_url = connection.base_url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = (5.0, settings.CAS_HTTP_TIMEOUT_SECONDS)

    def access_token(self, *, force_new: bool = False) -> str:
        """The cached token if it is good for another minute, else a new one (stored for every worker)."""
        conn = self.connection
        now = timezone.now()
        if (
            not force_new
            and conn.access_token
            and conn.access_token_expires_at
            and conn.access_token_expires_at - TOKEN_REFRESH_MARGIN > now
        ):
            return conn.access_token
        response = self._send(
            "POST",
            f"{self.base_url}/oauth/token",
            data={"grant_type": "client_credentials", "client_id": conn.client_id, "client_secret": conn.client_secret},
        )
        if response.status_code in (400, 401, 403):
            raise FeedAuthError(f"token refused: HTTP {response.status_code} {response.text[:200]}")
        self._raise_for_unavailable(response)
        try:
            body = response.json()
            token, expires_in = body["access_token"], int(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError) as error:
            raise FeedError(f"token response unreadable: {error}") from None
        conn.access_token = token
        conn.access_token_expires_at = now + timedelta(seconds=expires_in)
        CasConnection.objects.filter(pk=conn.pk).update(
            access_token=token, access_token_expires_at=conn.access_token_expires_at
        )
        return token

    def fetch_page(self, cursor: str, limit: int) -> Page:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = self._get_events(params, self.access_token())
        if response.status_code == 401:  # expired or revoked: one new token, then give up this run
            response = self._get_events(params, self.access_token(force_new=True))
            if response.status_code == 401:
                raise FeedAuthError("events refused with a fresh token: HTTP 401")
        self._raise_for_unavailable(response)
        if response.status_code != 200:
            raise FeedError(f"events: HTTP {response.status_code} {response.text[:200]}")
        text = response.text
        try:
            body = json.loads(text)
            events, next_cursor, has_more = body["data"], body["next_cursor"], body["has_more"]
        except (ValueError, KeyError, TypeError) as error:
            raise FeedError(f"events page unreadable: {type(error).__name__}: {str(error)[:200]}") from None
        if not isinstance(events, list) or not isinstance(next_cursor, str) or not isinstance(has_more, bool):
            raise FeedError("events page has the wrong shape (data, next_cursor, has_more)")
        return Page(events=events, next_cursor=next_cursor, has_more=has_more, raw_text=text)

    def _get_events(self, params: dict[str, Any], token: str) -> requests.Response:
        return self._send(
            "GET", f"{self.base_url}/v1/events", params=params, headers={"Authorization": f"Bearer {token}"}
        )

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise FeedError(f"{method} {url}: timed out") from None
        except requests.RequestException as error:
            raise FeedError(f"{method} {url}: {type(error).__name__}: {str(error)[:200]}") from None

    @staticmethod
    def _raise_for_unavailable(response: requests.Response) -> None:
        if response.status_code == 429 or response.status_code >= 500:
            raise FeedError(
                f"feed unavailable: HTTP {response.status_code}",
                retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
            )


def _retry_after_seconds(header: str | None) -> float | None:
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:  # the HTTP-date form
        from email.utils import parsedate_to_datetime

        return max(0.0, (parsedate_to_datetime(header) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return None


def backoff_delay(failures: int, *, retry_after: float | None = None) -> float:
    """Seconds until the next try: the feed's Retry-After (bounded), else capped exponential with jitter.

    "Equal jitter": half the exponential step is fixed, half random, so many connections failing
    together (a CAS outage) spread out instead of returning in lockstep.
    """
    if retry_after is not None:
        return min(retry_after, settings.CAS_RETRY_AFTER_MAX_SECONDS)
    step = min(settings.CAS_BACKOFF_MAX_SECONDS, settings.CAS_BACKOFF_BASE_SECONDS * 2 ** max(0, failures - 1))
    return step / 2 + random.uniform(0, step / 2)


def connection_poll(*, connection_id: int, session: requests.Session | None = None) -> PollOutcome:
    """Read everything new from one connection's feed, within one run's time budget."""
    lease = _lease_take(connection_id)
    if lease is None:
        return PollOutcome(status="busy")
    outcome = PollOutcome(status="ok")
    started = time.monotonic()
    try:
        connection = CasConnection.objects.select_related("organisation").get(pk=connection_id)
        if not connection.is_enabled:
            return PollOutcome(status="disabled")
        client = FeedClient(connection, session)
        limit = max(1, min(connection.page_size, settings.CAS_PAGE_LIMIT, MAX_PAGE_LIMIT))
        tenant_id = connection.organisation.cas_tenant_id
        # While one page is applied (the database works), the next is fetched and validated (the
        # network and Python work): one page ahead, never more, and only on the cursor it will need.
        client.access_token()  # here, not in the prefetch thread: it is stored for the other workers
        prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"cas-{connection_id}")
        pending = prefetch.submit(_fetch_validated, client, connection.cursor, limit, tenant_id)
        try:
            while pending is not None:
                cursor = connection.cursor
                page = pending.result()
                has_more = page.has_more
                within_budget = time.monotonic() - started < settings.CAS_POLL_RUN_BUDGET_SECONDS
                pending = None
                if has_more and within_budget:
                    pending = prefetch.submit(_fetch_validated, client, page.next_cursor, limit, tenant_id)
                if settings.CAS_FAULT_PAUSE_AFTER_FETCH_SECONDS:
                    time.sleep(settings.CAS_FAULT_PAUSE_AFTER_FETCH_SECONDS)
                _apply_page(connection, page, cursor, limit, outcome)
                connection.cursor = page.next_cursor
                outcome.pages += 1
        finally:
            prefetch.shutdown(wait=False, cancel_futures=True)
    except CursorMoved as error:
        outcome.status, outcome.error = "stale", str(error)
        _record_success(connection_id, has_more=True)
    except FeedError as error:
        outcome.status, outcome.error = "failed", str(error)
        _record_failure(connection_id, str(error), retry_after=error.retry_after)
    except Exception as error:
        # A bug or a database failure: record it where agents look, then let Celery log it.
        _record_failure(connection_id, f"{type(error).__name__}: {error}", retry_after=None)
        raise
    else:
        _record_success(connection_id, has_more=has_more)
    finally:
        _lease_release(connection_id, lease)
    return outcome


def _fetch_validated(client: FeedClient, cursor: str, limit: int, tenant_id: str) -> Page:
    """Fetch a page and validate its events (runs in the prefetch thread)."""
    try:
        page = client.fetch_page(cursor, limit)
        if len(page.events) <= limit:
            page.validated = [parse_event(event, tenant_id=tenant_id) for event in page.events]
        return page
    finally:
        db.close()  # this thread may have opened a connection to cache a token


def _apply_page(connection: CasConnection, page: Page, cursor: str, limit: int, outcome: PollOutcome) -> None:
    if len(page.events) > limit:
        # Bounded work (CAS_FEED.md §3): keep the whole page for an agent, and move past it.
        with transaction.atomic():
            locked = CasConnection.objects.select_for_update().only("cursor").get(pk=connection.pk)
            if locked.cursor != cursor:
                raise CursorMoved("cursor moved while a page over the limit was being kept")
            refusal = Refusal(Reason.PAGE_OVER_LIMIT, f"page of {len(page.events)} events, limit {limit}")
            quarantine_store(
                connection=connection,
                refused=[(RawItem(value=None, raw_text=page.raw_text), refusal)],
                source="pull",
                now=timezone.now(),
            )
            CasConnection.objects.filter(pk=connection.pk).update(cursor=page.next_cursor)
        outcome.quarantined += 1
        return
    result = events_ingest(
        connection=connection,
        items=[
            RawItem(value=event, parsed=parsed)
            for event, parsed in zip(page.events, page.validated or [None] * len(page.events), strict=True)
        ],
        source="pull",
        cursor_from=cursor,
        cursor_to=page.next_cursor,
    )
    outcome.applied += result.applied
    outcome.duplicates += result.duplicates
    outcome.quarantined += result.quarantined


def _lease_take(connection_id: int) -> str | None:
    now = timezone.now()
    token = str(uuid.uuid4())
    taken = CasConnection.objects.filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now), pk=connection_id
    ).update(
        lease_token=token,
        lease_expires_at=now + timedelta(seconds=settings.CAS_POLL_LEASE_SECONDS),
        last_poll_at=now,
    )
    return token if taken else None


def _lease_release(connection_id: int, token: str) -> None:
    CasConnection.objects.filter(pk=connection_id, lease_token=token).update(lease_token="", lease_expires_at=None)


def _record_success(connection_id: int, *, has_more: bool) -> None:
    now = timezone.now()
    connection = CasConnection.objects.only("poll_interval_seconds").get(pk=connection_id)
    next_poll_at = now if has_more else now + timedelta(seconds=connection.poll_interval_seconds)
    CasConnection.objects.filter(pk=connection_id).update(
        last_success_at=now, last_error="", consecutive_failures=0, next_poll_at=next_poll_at
    )


def _record_failure(connection_id: int, message: str, *, retry_after: float | None) -> None:
    now = timezone.now()
    failures = CasConnection.objects.only("consecutive_failures").get(pk=connection_id).consecutive_failures + 1
    delay = backoff_delay(failures, retry_after=retry_after)
    logger.warning("CAS connection %s poll failed (%s in a row): %s", connection_id, failures, message)
    CasConnection.objects.filter(pk=connection_id).update(
        last_error=message[:2000],
        last_error_at=now,
        consecutive_failures=F("consecutive_failures") + 1,
        next_poll_at=now + timedelta(seconds=delay),
    )


def connections_claim_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Claim the connections whose next poll is due, pushing their due time out by one lease.

    The claim (not the poll) is what stops the dispatcher from queueing the same connection again
    every few seconds while a slow run is still going; the run sets the real next due time.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            CasConnection.objects.select_for_update(skip_locked=True)
            .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now), is_enabled=True)
            .order_by(F("next_poll_at").asc(nulls_first=True))
            .values_list("pk", flat=True)[:limit]
        )
        CasConnection.objects.filter(pk__in=due).update(
            next_poll_at=now + timedelta(seconds=settings.CAS_POLL_LEASE_SECONDS)
        )
    return due
