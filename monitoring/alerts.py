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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection as db

from activesupport.bulk import json_rows, json_timestamp
from declarations.lifecycle import KNOWN_STATUSES
from declarations.models import Declaration

from .feed import FeedEvent
from .knowledge import KnowledgeBook
from .models import Alert, AlertEvidence, AlertKind, AlertRule, Incident

OVERDUE_EVENT_TYPE = "Overdue"


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
    """The enabled rules, in order, and the matching that reads them."""

    def __init__(self, rules: Iterable[AlertRule]) -> None:
        self.rules = list(rules)

    @classmethod
    def load(cls) -> RuleBook:
        return cls(AlertRule.objects.filter(is_enabled=True).order_by("position", "id"))

    def matches(self, signal: Signal) -> list[AlertRule]:
        matched = []
        for rule in self.rules:
            if _rule_matches(rule, signal):
                matched.append(rule)
                if not rule.continue_matching:
                    break
        return matched


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
        label = AlertKind(rule.kind).label if rule.kind in AlertKind.values else rule.kind
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
        for event in events
        if event.declaration is not None
    ]
    if not signals:
        return result
    candidates = [signal for signal in signals if _may_alert(signal)]
    if candidates:
        rules = RuleBook.load()
        knowledge = KnowledgeBook.load()
        raised = [alert for signal in candidates for alert in classify(signal, rules, knowledge)]
        result.raised = len(alerts_raise(raised, now=now))
    result.resolved = alerts_recover(declaration_ids={signal.declaration_id for signal in signals}, now=now)
    return result


def _may_alert(signal: Signal) -> bool:
    """A cheap first look, so a page of ordinary progress never loads the rules: an event can only
    raise an alert if it changed the status, carries errors, or brings a customs message."""
    return signal.status != signal.previous_status or bool(signal.errors) or bool(signal.function_code)


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
            f"INSERT INTO {table} ({names}, state, is_open, resolution, first_seen_at, last_seen_at, fires_at)"  # noqa: S608
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
    AlertEvidence.objects.bulk_create(
        [
            AlertEvidence(alert_id=ids[alert.fingerprint], event_id=event_pk)
            for alert in merged.values()
            for event_pk in alert.event_pks
        ],
        ignore_conflicts=True,
    )
    return ids


def alerts_recover(*, declaration_ids: Iterable[int], now: datetime) -> int:
    """Resolve the open alerts of these declarations whose current status proves recovery.

    Only evidence resolves an alert: the declaration's status after this page, as the ingest folded
    it (so a late, older event never resolves or reopens anything by itself).
    """
    ids = sorted(set(declaration_ids))
    if not ids:
        return 0
    open_alerts = list(
        Alert.objects.filter(is_open=True, declaration_id__in=ids).values(
            "id", "declaration_id", "recovery_statuses", "incident_id", "ticket_id"
        )
    )
    if not open_alerts:
        return 0
    statuses = dict(
        Declaration.objects.filter(id__in={alert["declaration_id"] for alert in open_alerts}).values_list(
            "id", "status"
        )
    )
    by_status: dict[str, list[dict]] = defaultdict(list)
    for alert in open_alerts:
        status = statuses.get(alert["declaration_id"], "")
        if status in alert["recovery_statuses"]:
            by_status[status].append(alert)
    resolved = 0
    for status, alerts in by_status.items():
        resolved += alert_resolve_many(
            alert_ids=[alert["id"] for alert in alerts], resolution=f"declaration moved on to {status}", now=now
        )
    return resolved


def alert_resolve_many(*, alert_ids: Sequence[int], resolution: str, now: datetime) -> int:
    """Resolve alerts, close the incidents left without an open alert, and note it on their tickets."""
    from .escalation import tickets_note_resolution  # escalation imports this module

    alerts = list(
        Alert.objects.filter(id__in=alert_ids, is_open=True).values("id", "incident_id", "ticket_id", "summary")
    )
    if not alerts:
        return 0
    count = Alert.objects.filter(id__in=[alert["id"] for alert in alerts], is_open=True).update(
        state=Alert.State.RESOLVED, is_open=False, resolved_at=now, resolution=resolution
    )
    incident_ids = {alert["incident_id"] for alert in alerts if alert["incident_id"]}
    if incident_ids:
        still_open = set(
            Alert.objects.filter(incident_id__in=incident_ids, is_open=True).values_list("incident_id", flat=True)
        )
        Incident.objects.filter(id__in=incident_ids - still_open, is_open=True).update(
            is_open=False, resolved_at=now, resolution="every declaration in it recovered"
        )
    tickets_note_resolution(alerts=[alert for alert in alerts if alert["ticket_id"]], resolution=resolution, now=now)
    return count
