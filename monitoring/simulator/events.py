"""Building CAS events exactly in the shape of CAS_FEED.md §2, and spoiling them on purpose.

Everything here is plain dicts with the contract's camelCase keys, because that is what goes over the wire.
Random parts (event ids) come from a caller's ``random.Random`` so that a seeded run is repeatable.
"""

from __future__ import annotations

import copy
import random
from datetime import datetime

from monitoring.reference import load_cds_error_codes

# The keys of an event's ``data`` for declaration events, in the order of the contract's example.
DECLARATION_FIELDS: tuple[str, ...] = (
    "id",
    "lrn",
    "mrn",
    "jurisdiction",
    "customsSystem",
    "declarationType",
    "additionalDeclarationType",
    "procedureCode",
    "additionalProcedureCodes",
    "customsFlow",
    "customsFlowStep",
    "customsShipmentReference",
    "traderReference",
    "declarantEori",
    "officeOfLodgement",
    "previousStatus",
    "currentStatus",
    "acceptanceDate",
    "releaseDate",
    "routeOfExamination",
    "customsNotification",
    "errors",
)

STATUS_CHANGED = "DeclarationStatusChanged"
ACTION_FINISHED = "DeclarationActionFinished"
SYSTEM_STATUS_CHANGED = "CustomsSystemStatusChanged"

# Limits of CAS_FEED.md §3 that a malformed event is meant to break.
MAX_STRING_LENGTH = 4096
MAX_ERRORS = 200


# Version and variant bits of a version-4 UUID (RFC 9562), set by hand: uuid.UUID() costs more than the rest of
# an event, and the generator makes 100,000 of them in a benchmark.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_event_id(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng``, so a seeded generator repeats its ids."""
    h = f"{(rng.getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def format_event_time(moment: datetime) -> str:
    """``2026-11-27T10:15:03.120Z``: UTC with milliseconds, as ``eventTime`` is written. ``moment`` is in UTC."""
    return moment.isoformat(timespec="milliseconds")[:23] + "Z"  # [:23] drops "+00:00"


def format_time(moment: datetime | None) -> str | None:
    """``2026-11-27T10:15:02Z``: UTC to the second, as customs times are written. ``moment`` is in UTC."""
    return None if moment is None else moment.isoformat(timespec="seconds")[:19] + "Z"


def make_event(*, event_id: str, sequence: int, tenant_id: str, event_time: str, event_type: str, data: dict) -> dict:
    return {
        "id": event_id,
        "sequence": sequence,
        "tenantId": tenant_id,
        "eventTime": event_time,
        "eventType": event_type,
        "data": data,
    }


def declaration_data(**fields: object) -> dict:
    """A declaration snapshot with every key of the contract; keys not given are null (``errors`` empty)."""
    unknown = set(fields) - set(DECLARATION_FIELDS) - {"action", "result"}
    if unknown:
        raise TypeError(f"not a declaration field: {sorted(unknown)}")
    data = {key: fields.get(key) for key in DECLARATION_FIELDS}
    if data["errors"] is None:
        data["errors"] = []
    if data["additionalProcedureCodes"] is None:
        data["additionalProcedureCodes"] = []
    for key in ("action", "result"):  # only DeclarationActionFinished carries these
        if key in fields:
            data[key] = fields[key]
    return data


def customs_notification(
    *,
    function_code: str,
    name: str,
    issued_at: str,
    functional_reference_id: str,
    limit_date_time: str | None = None,
) -> dict:
    return {
        "functionCode": function_code,
        "name": name,
        "issuedAt": issued_at,
        "functionalReferenceId": functional_reference_id,
        "limitDateTime": limit_date_time,
    }


def make_error(
    *, source: str, error_code: str, message: str, description: str, field_reference: list[dict] | None = None
) -> dict:
    return {
        "source": source,
        "errorCode": error_code,
        "message": message,
        "description": description,
        "fieldReference": field_reference or [],
    }


def field_reference(field_name: str, path: str) -> dict:
    return {"fieldName": field_name, "path": path}


def customs_error(code: str, field_references: list[dict] | None = None, detail: str | None = None) -> dict:
    """A CDS error as CAS forwards it. The reference text "Date Error: The acceptance date ..." is split into the
    short ``message`` and the longer ``description``, as in the contract's example; a ``detail`` that customs
    wrote into the notification itself ("Weight appears too high per item") replaces the description."""
    text = load_cds_error_codes().get(code, code)
    head, separator, tail = text.partition(": ")
    if separator and len(head) <= 40:
        message, description = head, tail
    else:
        message = description = text
    return make_error(
        source="Customs",
        error_code=code,
        message=message,
        description=detail or description,
        field_reference=field_references,
    )


# Ways to spoil an event, each breaking one rule of CAS_FEED.md §2/§3 that the desk must quarantine.
MALFORMATIONS: tuple[str, ...] = (
    "missing_id",
    "missing_tenant",
    "missing_data",
    "missing_declaration_id",
    "wrong_tenant",
    "long_string",
    "too_many_errors",
    "sequence_not_int",
    "data_not_object",
    "event_time_not_time",
)
GENERIC_MALFORMATIONS: tuple[str, ...] = tuple(
    kind for kind in MALFORMATIONS if kind not in ("missing_declaration_id", "too_many_errors")
)


def malform(event: dict, rng: random.Random, kind: str | None = None) -> dict:
    """A deep copy of ``event`` with one defect (``kind``, or one drawn from ``MALFORMATIONS``).

    The result is still JSON, so an events page stays parseable: it is the event that is invalid."""
    if kind is None:
        # Errors and the declaration id are checked on declaration events only; elsewhere they break nothing.
        is_declaration = event.get("eventType") in (STATUS_CHANGED, ACTION_FINISHED)
        kind = rng.choice(MALFORMATIONS if is_declaration else GENERIC_MALFORMATIONS)
    bad = copy.deepcopy(event)
    data = bad.get("data") if isinstance(bad.get("data"), dict) else {}
    if kind == "missing_id":
        bad.pop("id", None)
    elif kind == "missing_tenant":
        bad.pop("tenantId", None)
    elif kind == "missing_data":
        bad.pop("data", None)
    elif kind == "missing_declaration_id":
        data.pop("id", None)
    elif kind == "wrong_tenant":
        bad["tenantId"] = f"{bad.get('tenantId', 'tenant')}-other"
    elif kind == "long_string":
        data["traderReference"] = "X" * (MAX_STRING_LENGTH + 1)
    elif kind == "too_many_errors":
        error = make_error(source="Customs", error_code="CDS19999", message="Additional errors found", description="")
        data["errors"] = [error] * (MAX_ERRORS + 1)
    elif kind == "sequence_not_int":
        bad["sequence"] = str(bad.get("sequence"))
    elif kind == "data_not_object":
        bad["data"] = [data]
    elif kind == "event_time_not_time":
        bad["eventTime"] = "yesterday afternoon"
    else:
        raise ValueError(f"unknown malformation {kind!r}")
    return bad
