"""The one way events get in: validate, quarantine what is refused, apply the rest, raise the alerts
they show, move the cursor.

Both ways in call ``events_ingest``: the poller with a page and the cursors around it, the webhook
with one event and no cursor. Everything happens in one transaction, so a crash anywhere leaves
either the whole page applied with its cursor, or nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import OperationalError, transaction
from django.db import connection as db
from django.db.models import F
from django.utils import timezone

from declarations.services import declaration_events_apply

from .alerts import alerts_from_events
from .feed import FeedEvent, Reason, Refusal, parse_event
from .models import CasConnection, QuarantinedEvent
from .overdue import WatchPolicy, bcp_from_events

logger = logging.getLogger(__name__)


class CursorMoved(Exception):
    """Another run moved the connection's cursor since this page was fetched: the page is stale."""


@dataclass
class IngestResult:
    received: int = 0
    applied: int = 0
    duplicates: int = 0
    quarantined: int = 0
    unknown_statuses: int = 0
    alerts_raised: int = 0
    alerts_resolved: int = 0
    quarantine_ids: tuple[int, ...] = ()
    first_refusal: Refusal | None = None


@dataclass(frozen=True)
class RawItem:
    """Something received that should be an event: its decoded value (if any) and its raw text."""

    value: Any
    raw_text: str | None = None
    refusal: Refusal | None = None  # set when it could not even be decoded
    parsed: FeedEvent | Refusal | None = None  # already validated (the poller does it while a page applies)


def events_ingest(
    *,
    connection: CasConnection,
    items: list[RawItem],
    source: str,
    cursor_from: str | None = None,
    cursor_to: str | None = None,
) -> IngestResult:
    """Apply a batch of received items for ``connection`` in one transaction.

    With ``cursor_to`` (the poller), the connection row is locked and the batch is refused with
    ``CursorMoved`` unless the stored cursor still equals ``cursor_from``: two runs that fetched the
    same page can never both commit it. Deadlocks between concurrent batches are retried.
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _ingest(connection, items, source, cursor_from, cursor_to)
        except OperationalError as error:
            if attempt == 2 or not _is_transient(error):
                raise
            logger.warning("ingest for connection %s retried after %s", connection.pk, error)
    raise AssertionError("unreachable")


def _is_transient(error: OperationalError) -> bool:
    """A deadlock between two batches (PostgreSQL) or a busy database file (SQLite): worth a retry."""
    text = str(error).lower()
    return "deadlock detected" in text or "database is locked" in text


def _ingest(
    connection: CasConnection,
    items: list[RawItem],
    source: str,
    cursor_from: str | None,
    cursor_to: str | None,
) -> IngestResult:
    now = timezone.now()
    if cursor_to is not None:
        if db.vendor == "postgresql":
            # A pulled page need not wait for its commit to reach the disk: if the database loses the
            # last moments before a crash, it loses the events and the cursor together, and the feed
            # serves them again. (A pushed event is acknowledged to CAS, so it keeps the default.)
            with db.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        locked = CasConnection.objects.select_for_update().only("cursor").get(pk=connection.pk)
        if locked.cursor != (cursor_from or ""):
            raise CursorMoved(f"cursor is {locked.cursor!r}, page was fetched from {cursor_from!r}")

    tenant_id = connection.organisation.cas_tenant_id
    valid: list[FeedEvent] = []
    refused: list[tuple[RawItem, Refusal]] = []
    for item in items:
        parsed = item.refusal or item.parsed or parse_event(item.value, tenant_id=tenant_id)
        if isinstance(parsed, Refusal):
            refused.append((item, parsed))
        else:
            valid.append(parsed)

    result = IngestResult(received=len(items))
    if refused:
        result.quarantine_ids = quarantine_store(connection=connection, refused=refused, source=source, now=now)
        result.quarantined = len(refused)
        result.first_refusal = refused[0][1]
    if valid:
        organisation_id = connection.organisation_id
        applied = declaration_events_apply(
            organisation_id=organisation_id,
            events=valid,
            source=source,
            received_at=now,
            watch_policy=WatchPolicy.load(organisation_id),
        )
        result.applied = len(applied.new_event_ids)
        result.duplicates = applied.duplicates
        result.unknown_statuses = applied.unknown_statuses
        # Only new events alert: a repeat (same id, or the same customs message) changes nothing.
        new = [event for event in valid if event.event_id in applied.new_event_pks]
        alerting = alerts_from_events(
            organisation_id=organisation_id,
            events=new,
            event_pks=applied.new_event_pks,
            declaration_ids=applied.declaration_ids,
            now=now,
        )
        result.alerts_raised, result.alerts_resolved = alerting.raised, alerting.resolved
        bcp_from_events(organisation_id=organisation_id, events=new, now=now)

    changes: dict[str, Any] = {
        "events_applied": F("events_applied") + result.applied,
        "events_duplicate": F("events_duplicate") + result.duplicates,
        "unknown_statuses": F("unknown_statuses") + result.unknown_statuses,
        "updated_at": now,
    }
    if cursor_to is not None:
        changes["cursor"] = cursor_to
    if source == QuarantinedEvent.Source.PUSH:
        changes["last_push_at"] = now
    CasConnection.objects.filter(pk=connection.pk).update(**changes)
    return result


def quarantine_store(
    *, connection: CasConnection, refused: list[tuple[RawItem, Refusal]], source: str, now: datetime
) -> tuple[int, ...]:
    """Keep refused items with their reason. A body seen before adds an occurrence, not a row."""
    ids = []
    for item, refusal in refused:
        raw_text = item.raw_text if item.raw_text is not None else _dump(item.value)
        digest = hashlib.sha256(raw_text.encode("utf-8", "surrogateescape")).hexdigest()
        event_id = item.value.get("id") if isinstance(item.value, dict) else None
        entry, created = QuarantinedEvent.objects.get_or_create(
            connection=connection,
            body_sha256=digest,
            defaults={
                "organisation_id": connection.organisation_id,
                "source": source,
                "raw_body": raw_text,
                "event_id": event_id if isinstance(event_id, str) else "",
                "reason": refusal.reason,
                "detail": refusal.detail,
                "first_seen_at": now,
                "last_seen_at": now,
            },
        )
        if not created:
            QuarantinedEvent.objects.filter(pk=entry.pk).update(occurrences=F("occurrences") + 1, last_seen_at=now)
        ids.append(entry.pk)
    CasConnection.objects.filter(pk=connection.pk).update(events_quarantined=F("events_quarantined") + len(ids))
    return tuple(ids)


def raw_body_text(body: bytes) -> str:
    """The body as text we can store: UTF-8 as is, anything else (or a NUL) base64 with a marker."""
    try:
        text = body.decode("utf-8")
        if "\x00" not in text:
            return text
    except UnicodeDecodeError:
        pass
    return "base64:" + base64.b64encode(body).decode("ascii")


def decode_body(body: bytes) -> RawItem:
    """Decode one pushed body (or a quarantined one being replayed) into a ``RawItem``."""
    raw_text = raw_body_text(body)
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        return RawItem(value=None, raw_text=raw_text, refusal=Refusal(Reason.INVALID_JSON, f"not JSON: {error}"))
    return RawItem(value=value, raw_text=raw_text)


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


@dataclass
class ReplayResult:
    entry: QuarantinedEvent
    outcome: str  # "applied", "duplicate" or "refused"
    detail: str


def quarantine_replay(*, entry_id: int, by, corrected_body: str | None = None) -> ReplayResult:
    """Run a quarantined item through the ingest again, after the agent fixed the cause.

    The cause is fixed either in the connection's set-up (say, the tenant id) or in the body: pass
    ``corrected_body`` and it is kept beside the original, which is never overwritten. A page that
    was over the limit is replayed event by event.
    """
    entry = QuarantinedEvent.objects.select_related("connection__organisation").get(pk=entry_id)
    if entry.status != QuarantinedEvent.Status.QUARANTINED:
        return ReplayResult(entry, "refused", f"already {entry.status}")
    body_text = corrected_body if corrected_body is not None else (entry.corrected_body or entry.raw_body)
    if body_text.startswith("base64:"):
        body = base64.b64decode(body_text.removeprefix("base64:"))
    else:
        body = body_text.encode("utf-8")
    item = decode_body(body)
    items = [item]
    if entry.reason == Reason.PAGE_OVER_LIMIT and isinstance(item.value, dict):
        items = [RawItem(value=value) for value in item.value.get("data") or []]

    with transaction.atomic():
        entry = QuarantinedEvent.objects.select_for_update().get(pk=entry_id)
        if entry.status != QuarantinedEvent.Status.QUARANTINED:
            return ReplayResult(entry, "refused", f"already {entry.status}")
        refusals = [
            parsed
            for item in items
            if isinstance(parsed := item.refusal or parse_event(item.value, tenant_id=_tenant(entry)), Refusal)
        ]
        if corrected_body is not None:
            entry.corrected_body = corrected_body
        if refusals:
            entry.replay_detail = f"{refusals[0].reason}: {refusals[0].detail}"
            entry.save(update_fields=["corrected_body", "replay_detail"])
            return ReplayResult(entry, "refused", entry.replay_detail)
        result = events_ingest(connection=entry.connection, items=items, source=QuarantinedEvent.Source.REPLAY)
        entry.status = QuarantinedEvent.Status.REPLAYED
        entry.resolved_at = timezone.now()
        entry.resolved_by = by
        outcome = "applied" if result.applied else "duplicate"
        entry.replay_detail = f"{result.applied} applied, {result.duplicates} duplicate"
        entry.save(update_fields=["corrected_body", "status", "resolved_at", "resolved_by", "replay_detail"])
    return ReplayResult(entry, outcome, entry.replay_detail)


def quarantine_discard(*, entry_id: int, by, note: str = "") -> QuarantinedEvent:
    """Close a quarantined item without applying it (a test message, a known bad export)."""
    with transaction.atomic():
        entry = QuarantinedEvent.objects.select_for_update().get(pk=entry_id)
        entry.status = QuarantinedEvent.Status.DISCARDED
        entry.resolved_at = timezone.now()
        entry.resolved_by = by
        entry.replay_detail = note
        entry.save(update_fields=["status", "resolved_at", "resolved_by", "replay_detail"])
    return entry


def _tenant(entry: QuarantinedEvent) -> str:
    return entry.connection.organisation.cas_tenant_id
