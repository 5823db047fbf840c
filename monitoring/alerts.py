"""From applied events to alerts: classify, deduplicate, resolve on recovery.

``alerts_from_events`` runs inside the ingest transaction, after a page of events is applied: it
matches every new declaration event against the rule table, raises or repeats one alert per
fingerprint, links the events as evidence, and resolves the open alerts whose declaration moved on.
A handful of statements per page, however many events; nothing at all for a page without trouble.

The overdue sweeper raises its alerts through the same ``alerts_raise``, from synthetic ``Overdue``
signals, so the rule table decides those too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection as db

from activesupport.bulk import json_rows, json_timestamp
from declarations.lifecycle import KNOWN_STATUSES
from declarations.models import Declaration

from .feed import FeedEvent
from .knowledge import KnowledgeBook
from .models import Alert, AlertEvidence, AlertKind, AlertRule, Incident, KnowledgeEntry

OVERDUE_EVENT_TYPE = "Overdue"
_KIND_LABELS = dict(AlertKind.choices)


@dataclass(frozen=True)
class Signal:
    """What a rule is matched against: one declaration event, or one overdue timer."""

    organisation_id: int
    declaration_id: int
    event_type: str
    status: str
    previous_status: str
    event_time: datetime
    customs_system: str = ""
    procedure_code: str = ""
    function_code: str = ""
    errors: Sequence[dict[str, Any]] = ()
    event_pk: int | None = None


@dataclass
class Raised:
    """One alert to raise or repeat, with everything its row needs."""

    fingerprint: str
    organisation_id: int
    declaration_id: int
    kind: str
    reason_code: str
    severity: str
    rule_id: int
    summary: str
    error_codes: list[str]
    field_name: str
    field_path: str
    customs_system: str
    procedure_code: str
    recovery_statuses: list[str]
    knowledge_entry_id: int | None
    evidence_time: datetime
    occurrences: int = 1
    event_pks: list[int] = field(default_factory=list)


def fingerprint(organisation_id: int, kind: str, declaration_id: int, reason_code: str) -> str:
    """The identity of an alert: never its message, severity or time."""
    return f"{organisation_id}/{kind}/{declaration_id}/{reason_code}"


class RuleBook:
    """The enabled rules, in order, and the matching that reads them.

    Rules with a status condition are filed under their status, so an event is only tried against
    its status's rules and the rules without one, in table order. ``current`` keeps the book between
    pages and reloads it when a support admin changes the table.
    """

    def __init__(self, rules: Iterable[AlertRule]) -> None:
        self.rules = list(rules)
        self._by_status: dict[str, list[AlertRule]] = {}
        self._any_status = [rule for rule in self.rules if not rule.match_status and not rule.match_unknown_status]
        self._unknown_status = [rule for rule in self.rules if rule.match_unknown_status and not rule.match_status]
        self._statuses = {rule.match_status for rule in self.rules if rule.match_status}
        self._event_types = {rule.match_event_type for rule in self.rules if rule.match_event_type} - {
            OVERDUE_EVENT_TYPE
        }

    @classmethod
    def load(cls) -> RuleBook:
        return cls(AlertRule.objects.filter(is_enabled=True).order_by("position", "id"))

    @classmethod
    def current(cls) -> RuleBook:
        return current_book(cls, AlertRule)

    def may_match(self, event: FeedEvent) -> bool:
        """A cheap first look, so a page of ordinary progress is not matched rule by rule: only an
        event with errors, a customs message, an event type or a status some rule names can match."""
        d = event.declaration
        return bool(
            d.errors
            or event.customs_function_code
            or event.event_type in self._event_types
            or (d.current_status in self._statuses and d.current_status != d.previous_status)
            or (self._unknown_status and d.current_status not in KNOWN_STATUSES)
        )

    def for_status(self, status: str) -> list[AlertRule]:
        rules = self._by_status.get(status)
        if rules is None:
            own = [rule for rule in self.rules if rule.match_status == status]
            extra = self._unknown_status if status not in KNOWN_STATUSES else []
            rules = sorted([*self._any_status, *own, *extra], key=self.rules.index)
            self._by_status[status] = rules
        return rules

    def matches(self, signal: Signal) -> list[AlertRule]:
        matched = []
        for rule in self.for_status(signal.status):
            if _rule_matches(rule, signal):
                matched.append(rule)
                if not rule.continue_matching:
                    break
        return matched


_books: dict[type, tuple[tuple, object]] = {}


def current_book(book_class, model):
    """A book kept between pages, reloaded when its table changed (one small query to tell)."""
    from django.db.models import Count, Max

    version = tuple(model.objects.aggregate(Max("updated_at"), Count("id")).values())
    cached = _books.get(book_class)
    if cached is None or cached[0] != version:
        cached = (version, book_class.load())
        _books[book_class] = cached
    return cached[1]


def _rule_matches(rule: AlertRule, signal: Signal) -> bool:
    if rule.match_event_type and rule.match_event_type != signal.event_type:
        return False
    if rule.match_event_type != OVERDUE_EVENT_TYPE and signal.event_type == OVERDUE_EVENT_TYPE:
        return False  # timers are only for the rules written for them
    if rule.match_function_code and rule.match_function_code != signal.function_code:
        return False
    if rule.match_customs_system and rule.match_customs_system != signal.customs_system:
        return False
    if rule.match_status or rule.match_unknown_status:
        if rule.match_status and rule.match_status != signal.status:
            return False
        if rule.match_unknown_status and signal.status in KNOWN_STATUSES:
            return False
        # A status condition matches the event that moved the declaration into the status, not every
        # later message that leaves it there (a DMSTAX after a DMSDOC is not a second request).
        if signal.event_type != OVERDUE_EVENT_TYPE and signal.previous_status == signal.status:
            return False
    return not rule.match_error_source or any(error.get("source") == rule.match_error_source for error in signal.errors)


def classify(signal: Signal, rules: RuleBook, knowledge: KnowledgeBook) -> list[Raised]:
    raised = []
    for rule in rules.matches(signal):
        errors = [
            error
            for error in signal.errors
            if not rule.match_error_source or error.get("source") == rule.match_error_source
        ]
        codes = [str(error["errorCode"]) for error in errors if error.get("errorCode")]
        reason = _reason(rule, signal, codes)
        field_name, field_path = _pointer(errors)
        entry = knowledge.lookup(
            code=codes[0] if codes else "",
            source=str(errors[0].get("source") or "") if errors else "",
            category=rule.kind,
            customs_system=signal.customs_system,
            procedure_code=signal.procedure_code,
        )
        message = next((str(error.get("message") or "") for error in errors if error.get("message")), "")
        label = _KIND_LABELS.get(rule.kind, rule.kind)
        raised.append(
            Raised(
                fingerprint=fingerprint(signal.organisation_id, rule.kind, signal.declaration_id, reason),
                organisation_id=signal.organisation_id,
                declaration_id=signal.declaration_id,
                kind=rule.kind,
                reason_code=reason,
                severity=rule.severity,
                rule_id=rule.pk,
                summary=f"{label}: {reason}" + (f" ({message})" if message else ""),
                error_codes=codes[:20],
                field_name=field_name,
                field_path=field_path,
                customs_system=signal.customs_system,
                procedure_code=signal.procedure_code,
                recovery_statuses=list(rule.recovery_statuses),
                knowledge_entry_id=entry.pk if entry is not None else None,
                evidence_time=signal.event_time,
                event_pks=[signal.event_pk] if signal.event_pk is not None else [],
            )
        )
    return raised


def _reason(rule: AlertRule, signal: Signal, codes: list[str]) -> str:
    if rule.reason_from == AlertRule.ReasonFrom.ERROR_CODE and codes:
        return codes[0][:64]
    if rule.reason_from == AlertRule.ReasonFrom.STATUS:
        return signal.status[:64] or rule.reason_code
    if rule.reason_from == AlertRule.ReasonFrom.FUNCTION_CODE and signal.function_code:
        return f"DMS{signal.function_code}"
    return rule.reason_code or signal.status[:64] or rule.kind


def _pointer(errors: list[dict[str, Any]]) -> tuple[str, str]:
    """The field the first error points at (CAS ``fieldReference``: a name and a WCO path)."""
    for error in errors:
        references = error.get("fieldReference")
        if isinstance(references, list):
            for reference in references:
                if isinstance(reference, dict):
                    return str(reference.get("fieldName") or ""), str(reference.get("path") or "")
    return "", ""


# --- From a page of applied events ------------------------------------------------------------------


@dataclass
class AlertingResult:
    raised: int = 0  # alerts created or repeated
    resolved: int = 0


def alerts_from_events(
    *,
    organisation_id: int,
    events: Sequence[FeedEvent],
    event_pks: dict[str, int],
    declaration_ids: dict[str, int],
    now: datetime,
) -> AlertingResult:
    """Classify the page's new events and resolve what they prove recovered. Call inside the ingest's
    transaction, after the events are applied, with only the events that were new."""
    result = AlertingResult()
    declaration_events = [event for event in events if event.declaration is not None]
    if not declaration_events:
        return result
    rules = RuleBook.current()
    signals = [
        Signal(
            organisation_id=organisation_id,
            declaration_id=declaration_ids[event.declaration.cas_id],
            event_type=event.event_type,
            status=event.declaration.current_status,
            previous_status=event.declaration.previous_status,
            event_time=event.event_time,
            customs_system=event.declaration.customs_system,
            procedure_code=event.declaration.procedure_code,
            function_code=event.customs_function_code,
            errors=event.declaration.errors,
            event_pk=event_pks.get(event.event_id),
        )
        for event in declaration_events
        if rules.may_match(event)
    ]
    if signals:
        knowledge = current_book(KnowledgeBook, KnowledgeEntry)
        raised = [alert for signal in signals for alert in classify(signal, rules, knowledge)]
        result.raised = len(alerts_raise(raised, now=now))
    result.resolved = alerts_recover(
        declaration_ids={declaration_ids[event.declaration.cas_id] for event in declaration_events}, now=now
    )
    return result


_ALERT_COLUMNS = (
    ("fingerprint", "text"),
    ("organisation_id", "bigint"),
    ("declaration_id", "bigint"),
    ("kind", "text"),
    ("reason_code", "text"),
    ("severity", "text"),
    ("rule_id", "bigint"),
    ("summary", "text"),
    ("error_codes", "jsonb"),
    ("field_name", "text"),
    ("field_path", "text"),
    ("customs_system", "text"),
    ("procedure_code", "text"),
    ("recovery_statuses", "jsonb"),
    ("knowledge_entry_id", "bigint"),
    ("evidence_time", "timestamptz"),
    ("occurrences", "bigint"),
)


def alerts_raise(raised: Sequence[Raised], *, now: datetime) -> dict[str, int]:
    """Create each alert, or add occurrences to the open one with its fingerprint. Returns
    fingerprint -> alert id. One statement for the alerts and one for their evidence.

    The insert and the repeat are one ``INSERT ... ON CONFLICT`` against the partial unique index
    on open fingerprints, so concurrent pages can never open the same alert twice.
    """
    merged: dict[str, Raised] = {}
    for alert in raised:
        kept = merged.get(alert.fingerprint)
        if kept is None:
            merged[alert.fingerprint] = alert
            continue
        kept.occurrences += alert.occurrences
        kept.event_pks.extend(alert.event_pks)
        if alert.evidence_time >= kept.evidence_time:
            kept.summary, kept.error_codes, kept.evidence_time = alert.summary, alert.error_codes, alert.evidence_time
    if not merged:
        return {}
    fires_at = now + timedelta(seconds=settings.ALERT_WAIT_SECONDS)
    rows = [
        {
            name: (json_timestamp(getattr(alert, name)) if name == "evidence_time" else getattr(alert, name))
            for name, _ in _ALERT_COLUMNS
        }
        for alert in merged.values()
    ]
    table = Alert._meta.db_table
    names = ", ".join(name for name, _ in _ALERT_COLUMNS)
    latest = "GREATEST" if db.vendor == "postgresql" else "MAX"
    with db.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}, state, is_open, resolution, first_seen_at, last_seen_at, fires_at)"  # noqa: S608  # nosec B608  # names come from model metadata and code constants; values are bound parameters
            f" SELECT {names}, 'pending', true, '', %s, %s, %s FROM ({json_rows(_ALERT_COLUMNS)}) AS raised"
            " WHERE true ON CONFLICT (fingerprint) WHERE is_open DO UPDATE SET"
            f" occurrences = {table}.occurrences + excluded.occurrences,"
            " last_seen_at = excluded.last_seen_at,"
            f" evidence_time = {latest}({table}.evidence_time, excluded.evidence_time),"
            f" summary = CASE WHEN excluded.evidence_time >= {table}.evidence_time"
            f" THEN excluded.summary ELSE {table}.summary END"
            " RETURNING fingerprint, id",
            [
                json_timestamp(now),
                json_timestamp(now),
                json_timestamp(fires_at),
                json.dumps(rows, ensure_ascii=False),
            ],
        )
        ids = dict(cursor.fetchall())
    evidence = [
        {"alert_id": ids[alert.fingerprint], "event_id": event_pk}
        for alert in merged.values()
        for event_pk in alert.event_pks
    ]
    if evidence:
        columns = (("alert_id", "bigint"), ("event_id", "bigint"))
        with db.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {AlertEvidence._meta.db_table} (alert_id, event_id)"  # noqa: S608  # nosec B608  # names come from model metadata and code constants; values are bound parameters
                f" SELECT alert_id, event_id FROM ({json_rows(columns)}) AS evidence"
                " WHERE true ON CONFLICT DO NOTHING",
                [json.dumps(evidence)],
            )
    return ids


def alerts_recover(*, declaration_ids: Iterable[int], now: datetime) -> int:
    """Resolve the open alerts of these declarations whose current status proves recovery.

    Only evidence resolves an alert: the declaration's status after this page, as the ingest folded
    it (so a late, older event never resolves or reopens anything by itself). One statement decides
    and resolves, through the partial index on open alerts; incidents and tickets are told after.
    """
    ids = sorted(set(declaration_ids))
    if not ids:
        return 0
    alert_table, declaration_table = Alert._meta.db_table, Declaration._meta.db_table
    if db.vendor == "postgresql":
        touched, recovered = "a.declaration_id = ANY(%s)", "a.recovery_statuses ? d.status"
        returning = "a.id, a.incident_id, a.ticket_id, a.resolution"
        ids_param: object = ids
    else:
        touched = "a.declaration_id IN (SELECT value FROM json_each(%s))"
        recovered = "EXISTS (SELECT 1 FROM json_each(a.recovery_statuses) WHERE value = d.status)"
        returning = "id, incident_id, ticket_id, resolution"  # SQLite's RETURNING sees the target table only
        ids_param = json.dumps(ids)
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE {alert_table} AS a SET state = 'resolved', is_open = false, resolved_at = %s,"  # noqa: S608  # nosec B608  # names come from model metadata and code constants; values are bound parameters
            " resolution = 'declaration moved on to ' || d.status"
            f" FROM {declaration_table} AS d"
            f" WHERE a.is_open AND {touched} AND d.id = a.declaration_id AND {recovered}"
            f" RETURNING {returning}",
            [json_timestamp(now) if db.vendor != "postgresql" else now, ids_param],
        )
        resolved = [
            {"id": id_, "incident_id": incident_id, "ticket_id": ticket_id, "resolution": resolution}
            for id_, incident_id, ticket_id, resolution in cursor.fetchall()
        ]
    _after_resolving(resolved, now)
    return len(resolved)


def _after_resolving(resolved: list[dict], now: datetime) -> None:
    """Close the incidents left without an open alert, and note the recovery on the alerts' tickets."""
    from .escalation import tickets_note_resolution  # escalation imports this module

    incident_ids = {alert["incident_id"] for alert in resolved if alert["incident_id"]}
    if incident_ids:
        still_open = set(
            Alert.objects.filter(incident_id__in=incident_ids, is_open=True).values_list("incident_id", flat=True)
        )
        Incident.objects.filter(id__in=incident_ids - still_open, is_open=True).update(
            is_open=False, resolved_at=now, resolution="every declaration in it recovered"
        )
    with_ticket = [alert for alert in resolved if alert["ticket_id"]]
    for resolution in sorted({alert["resolution"] for alert in with_ticket}):
        tickets_note_resolution(
            alerts=[alert for alert in with_ticket if alert["resolution"] == resolution], resolution=resolution, now=now
        )


def alert_resolve_many(*, alert_ids: Sequence[int], resolution: str, now: datetime) -> int:
    """Resolve alerts by hand (an agent recorded the outcome), with the same follow-ups."""
    alerts = list(Alert.objects.filter(id__in=alert_ids, is_open=True).values("id", "incident_id", "ticket_id"))
    count = Alert.objects.filter(id__in=[alert["id"] for alert in alerts], is_open=True).update(
        state=Alert.State.RESOLVED, is_open=False, resolved_at=now, resolution=resolution
    )
    _after_resolving([{**alert, "resolution": resolution} for alert in alerts], now)
    return count


def incident_resolve(*, incident: Incident, resolution: str, by) -> None:
    """Resolve an incident by hand with every open alert in it (an agent recorded the outcome)."""
    now = datetime.now(tz=UTC)
    text = f"resolved by {by}: {resolution}"
    open_ids = list(Alert.objects.filter(incident=incident, is_open=True).values_list("id", flat=True))
    alert_resolve_many(alert_ids=open_ids, resolution=text, now=now)
    Incident.objects.filter(pk=incident.pk, is_open=True).update(is_open=False, resolved_at=now, resolution=text)


def acknowledge(item: Alert | Incident, *, by) -> None:
    """Someone is on it. The first acknowledgement stands; a second changes nothing."""
    type(item).objects.filter(pk=item.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=datetime.now(tz=UTC), acknowledged_by=by
    )
    item.refresh_from_db()
