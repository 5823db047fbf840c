"""The CAS feed contract, version 1 (CAS_FEED.md §2 and §3): what a valid event is.

Pure Python, no Django: ``parse_event`` turns one decoded JSON value into a ``FeedEvent`` or a
``Refusal`` that says why, in words an agent can act on. Nothing here raises for bad input; every
refusal ends up in the quarantine with its reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

MAX_STRING_LENGTH = 4096  # §3 "a string field over 4 KiB ... is refused"
MAX_ERRORS = 200
MAX_EVENT_ID_LENGTH = 64
# Not in the contract: identifiers are indexed, and an index entry cannot hold 4 KiB. 256 characters
# is far beyond any real LRN (22), MRN (18) or CAS id, so only a broken sender hits it.
MAX_IDENTIFIER_LENGTH = 256
MAX_BODY_BYTES = 1024 * 1024

DECLARATION_EVENT_TYPES = frozenset({"DeclarationStatusChanged", "DeclarationActionFinished"})
CUSTOMS_SYSTEM_EVENT_TYPE = "CustomsSystemStatusChanged"


class Reason:
    """Stable reason codes for refused events (kept in the quarantine, shown to agents)."""

    INVALID_JSON = "invalid_json"
    NOT_AN_EVENT = "not_an_event"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    FIELD_TOO_LONG = "field_too_long"
    INVALID_CHARACTER = "invalid_character"
    TOO_MANY_ERRORS = "too_many_errors"
    WRONG_TENANT = "wrong_tenant"
    BODY_TOO_LARGE = "body_too_large"
    PAGE_OVER_LIMIT = "page_over_limit"


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class DeclarationSnapshot:
    """The declaration as an event reports it (``data`` of a declaration event)."""

    cas_id: str
    lrn: str
    mrn: str
    jurisdiction: str
    customs_system: str
    declaration_type: str
    additional_declaration_type: str
    procedure_code: str
    additional_procedure_codes: list[str]
    customs_flow: str
    customs_flow_step: str
    customs_shipment_reference: str
    trader_reference: str
    declarant_eori: str
    office_of_lodgement: str
    previous_status: str
    current_status: str
    acceptance_date: datetime | None
    release_date: datetime | None
    route_of_examination: str
    errors: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class FeedEvent:
    event_id: str
    sequence: int | None
    tenant_id: str
    event_type: str
    event_time: datetime
    raw: dict[str, Any]
    raw_json: str  # ``raw`` serialised once, compactly: stored as the payload, measured for the limits
    declaration: DeclarationSnapshot | None
    customs_function_code: str
    customs_reference_id: str | None

    @property
    def order_key(self) -> tuple[datetime, int]:
        """How events of one declaration are ordered: event time, then sequence (CAS_FEED.md §1.1)."""
        return (self.event_time, -1 if self.sequence is None else self.sequence)


class _Refused(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        self.refusal = Refusal(reason, detail)


def parse_event(value: Any, *, tenant_id: str) -> FeedEvent | Refusal:
    """Validate one event against the contract; ``tenant_id`` is the connection's CAS tenant."""
    try:
        return _parse(value, tenant_id)
    except _Refused as refused:
        return refused.refusal


def _parse(value: Any, expected_tenant: str) -> FeedEvent:
    if not isinstance(value, dict) or "id" not in value or "eventType" not in value:
        raise _Refused(Reason.NOT_AN_EVENT, "expected a JSON object with at least 'id' and 'eventType'")
    try:
        raw_json = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise _Refused(Reason.NOT_AN_EVENT, f"not serialisable as JSON: {error}") from None
    # No string can be longer than the whole event, and JSON writes a NUL as \u0000: only events that
    # could break a limit pay for the full walk that names the offending field.
    if len(raw_json) > MAX_STRING_LENGTH or "\\u0000" in raw_json:
        _check_strings(value, "")

    event_id = _required_str(value, "id", "")
    if len(event_id) > MAX_EVENT_ID_LENGTH:
        raise _Refused(Reason.INVALID_FIELD, f"id: longer than {MAX_EVENT_ID_LENGTH} characters")
    tenant = _required_str(value, "tenantId", "")
    if tenant != expected_tenant:
        raise _Refused(
            Reason.WRONG_TENANT, f"tenantId {tenant!r} does not belong to this connection ({expected_tenant!r})"
        )
    event_type = _required_str(value, "eventType", "")
    event_time = _datetime(value.get("eventTime"), "eventTime", required=True)
    sequence = value.get("sequence")
    if sequence is not None and (isinstance(sequence, bool) or not isinstance(sequence, int)):
        raise _Refused(Reason.INVALID_FIELD, "sequence: expected an integer")

    data = value.get("data")
    declaration = None
    function_code = ""
    customs_reference_id = None
    if event_type in DECLARATION_EVENT_TYPES:
        if not isinstance(data, dict):
            raise _Refused(Reason.MISSING_FIELD, "data: a declaration event needs a 'data' object")
        declaration = _declaration(data)
        notification = data.get("customsNotification")
        if notification is not None:
            if not isinstance(notification, dict):
                raise _Refused(Reason.INVALID_FIELD, "data.customsNotification: expected an object or null")
            function_code = _optional_str(notification, "functionCode", "data.customsNotification.")
            customs_reference_id = (
                _identifier(notification, "functionalReferenceId", "data.customsNotification.") or None
            )
    elif event_type == CUSTOMS_SYSTEM_EVENT_TYPE:
        if not isinstance(data, dict):
            raise _Refused(Reason.MISSING_FIELD, "data: a customs system event needs a 'data' object")
        _required_str(data, "customsSystem", "data.")
        _required_str(data, "status", "data.")
    # Any other event type is stored and ignored, not refused (CAS_FEED.md §2).

    return FeedEvent(
        event_id=event_id,
        sequence=sequence,
        tenant_id=tenant,
        event_type=event_type,
        event_time=event_time,
        raw=value,
        raw_json=raw_json,
        declaration=declaration,
        customs_function_code=function_code,
        customs_reference_id=customs_reference_id,
    )


def _declaration(data: dict[str, Any]) -> DeclarationSnapshot:
    errors = data.get("errors")
    if errors is None:
        errors = []
    if not isinstance(errors, list) or not all(isinstance(error, dict) for error in errors):
        raise _Refused(Reason.INVALID_FIELD, "data.errors: expected a list of objects")
    if len(errors) > MAX_ERRORS:
        raise _Refused(Reason.TOO_MANY_ERRORS, f"data.errors: {len(errors)} errors, at most {MAX_ERRORS} allowed")
    apcs = data.get("additionalProcedureCodes")
    if apcs is None:
        apcs = []
    if not isinstance(apcs, list) or not all(isinstance(code, str) for code in apcs):
        raise _Refused(Reason.INVALID_FIELD, "data.additionalProcedureCodes: expected a list of strings")
    route = data.get("routeOfExamination")
    if route is not None and (isinstance(route, bool) or not isinstance(route, str | int)):
        raise _Refused(Reason.INVALID_FIELD, "data.routeOfExamination: expected a string or a number")
    fields: dict[str, Any] = {}
    for key, attribute in _TEXT_FIELDS:
        text = data.get(key)
        if text is None:
            text = ""
        elif type(text) is not str:
            raise _Refused(Reason.INVALID_FIELD, f"data.{key}: expected a string or null")
        fields[attribute] = text
    for key, attribute in _IDENTIFIER_FIELDS:
        if len(fields[attribute]) > MAX_IDENTIFIER_LENGTH:
            raise _Refused(Reason.INVALID_FIELD, f"data.{key}: longer than {MAX_IDENTIFIER_LENGTH} characters")
    if not fields["cas_id"]:
        raise _Refused(Reason.MISSING_FIELD, "data.id: required")
    if not fields["current_status"]:
        raise _Refused(Reason.MISSING_FIELD, "data.currentStatus: required")
    return DeclarationSnapshot(
        **fields,
        additional_procedure_codes=apcs,
        acceptance_date=_datetime(data.get("acceptanceDate"), "data.acceptanceDate"),
        release_date=_datetime(data.get("releaseDate"), "data.releaseDate"),
        route_of_examination="" if route is None else str(route),
        errors=errors,
    )


# (key in the event, attribute of DeclarationSnapshot) for every plain text field of ``data``.
_TEXT_FIELDS = (
    ("id", "cas_id"),
    ("lrn", "lrn"),
    ("mrn", "mrn"),
    ("jurisdiction", "jurisdiction"),
    ("customsSystem", "customs_system"),
    ("declarationType", "declaration_type"),
    ("additionalDeclarationType", "additional_declaration_type"),
    ("procedureCode", "procedure_code"),
    ("customsFlow", "customs_flow"),
    ("customsFlowStep", "customs_flow_step"),
    ("customsShipmentReference", "customs_shipment_reference"),
    ("traderReference", "trader_reference"),
    ("declarantEori", "declarant_eori"),
    ("officeOfLodgement", "office_of_lodgement"),
    ("previousStatus", "previous_status"),
    ("currentStatus", "current_status"),
)
_IDENTIFIER_FIELDS = (("id", "cas_id"), ("lrn", "lrn"), ("mrn", "mrn"))


def _check_strings(value: Any, path: str) -> None:
    """Refuse any string over 4 KiB or holding a NUL (PostgreSQL cannot store one), at any depth."""
    if isinstance(value, str):
        if len(value) > MAX_STRING_LENGTH:
            raise _Refused(Reason.FIELD_TOO_LONG, f"{path or 'value'}: longer than {MAX_STRING_LENGTH} characters")
        if "\x00" in value:
            raise _Refused(Reason.INVALID_CHARACTER, f"{path or 'value'}: contains a NUL character")
    elif isinstance(value, dict):
        for key, item in value.items():
            if len(key) > MAX_STRING_LENGTH or "\x00" in key:
                raise _Refused(Reason.INVALID_FIELD, f"{path}: a key is too long or holds a NUL character")
            _check_strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{path}[{index}]")


def _required_str(obj: dict[str, Any], key: str, prefix: str) -> str:
    value = obj.get(key)
    if value is None or value == "":
        raise _Refused(Reason.MISSING_FIELD, f"{prefix}{key}: required")
    if not isinstance(value, str):
        raise _Refused(Reason.INVALID_FIELD, f"{prefix}{key}: expected a string")
    return value


def _optional_str(obj: dict[str, Any], key: str, prefix: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Refused(Reason.INVALID_FIELD, f"{prefix}{key}: expected a string or null")
    return value


def _identifier(obj: dict[str, Any], key: str, prefix: str, *, required: bool = False) -> str:
    value = _required_str(obj, key, prefix) if required else _optional_str(obj, key, prefix)
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise _Refused(Reason.INVALID_FIELD, f"{prefix}{key}: longer than {MAX_IDENTIFIER_LENGTH} characters")
    return value


def _datetime(value: Any, path: str, *, required: bool = False) -> datetime | None:
    if value is None or value == "":
        if required:
            raise _Refused(Reason.MISSING_FIELD, f"{path}: required")
        return None
    if not isinstance(value, str):
        raise _Refused(Reason.INVALID_FIELD, f"{path}: expected an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Refused(Reason.INVALID_FIELD, f"{path}: {value[:40]!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        if len(value) == 10:  # a bare date, e.g. an acceptance date: midnight UTC
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        raise _Refused(Reason.INVALID_FIELD, f"{path}: date-time without a time zone")
    return parsed.astimezone(UTC)
