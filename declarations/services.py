"""Applying validated feed events to declarations, set-based.

``declaration_events_apply`` is the hot path of the ingest: a page of up to 1,000 events costs a
handful of statements, never a query per event. It must run inside the caller's transaction, so a
page is applied whole or not at all together with the cursor that covers it.

The SQL is written once for PostgreSQL and SQLite: both speak ``INSERT ... ON CONFLICT`` with
``RETURNING``, which is what makes a repeated event a no-op even when two workers race.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection as db

from monitoring.feed import FeedEvent

from .lifecycle import KNOWN_STATUSES
from .models import Declaration, DeclarationEvent

# Stay under SQLite's 32,766 bound parameters per statement (PostgreSQL allows 65,535).
_ROWS_PER_STATEMENT = 500


@dataclass
class ApplyResult:
    new_event_ids: list[str] = field(default_factory=list)
    duplicates: int = 0
    declarations_updated: int = 0
    unknown_statuses: int = 0


def declaration_events_apply(
    *, organisation_id: int, events: Sequence[FeedEvent], source: str, received_at: datetime
) -> ApplyResult:
    """Store new events, drop repeats, and move each declaration to its newest reported state.

    A repeated event id, or a repeated customs message (same ``functionalReferenceId`` on the same
    declaration), changes nothing and counts as a duplicate. A declaration only takes the data of an
    event newer than the one it last took (event time, then sequence), so a late, older event lands
    in the history without moving the status back.
    """
    result = ApplyResult()
    unique: dict[str, FeedEvent] = {}
    for event in events:
        if event.event_id in unique:
            result.duplicates += 1
        else:
            unique[event.event_id] = event
    if not unique:
        return result

    declaration_ids = _ensure_declarations(organisation_id, unique.values(), received_at)
    new_ids = _insert_events(organisation_id, unique.values(), declaration_ids, source, received_at)
    result.new_event_ids = sorted(new_ids)
    result.duplicates += len(unique) - len(new_ids)

    newest: dict[str, FeedEvent] = {}
    for event in unique.values():
        if event.event_id not in new_ids or event.declaration is None:
            continue
        current = newest.get(event.declaration.cas_id)
        # ">=" keeps the later of two events with the same time and no sequence: cursor order decides.
        if current is None or event.order_key >= current.order_key:
            newest[event.declaration.cas_id] = event
    result.declarations_updated = _update_declarations(organisation_id, newest, received_at)
    result.unknown_statuses = sum(
        1
        for event_id in new_ids
        if (declaration := unique[event_id].declaration) is not None
        and declaration.current_status not in KNOWN_STATUSES
    )
    return result


def _ensure_declarations(organisation_id: int, events, received_at: datetime) -> dict[str, int]:
    """Map every CAS declaration id in the batch to our primary key, creating empty rows as needed.

    The rows are filled by ``_update_declarations`` from the newest new event; creating them first
    gives the events their foreign key before we know which events are new.
    """
    cas_ids = sorted({event.declaration.cas_id for event in events if event.declaration is not None})
    found: dict[str, int] = {}
    for chunk in _chunks(cas_ids, _ROWS_PER_STATEMENT):
        found.update(
            Declaration.objects.filter(organisation_id=organisation_id, cas_id__in=chunk).values_list("cas_id", "id")
        )
    missing = [cas_id for cas_id in cas_ids if cas_id not in found]
    if not missing:
        return found

    table = Declaration._meta.db_table
    now = db.ops.adapt_datetimefield_value(received_at)
    columns = (
        "organisation_id, cas_id, lrn, mrn, jurisdiction, customs_system, declaration_type,"
        " additional_declaration_type, procedure_code, additional_procedure_codes, customs_flow,"
        " customs_flow_step, trader_reference, customs_shipment_reference, declarant_eori,"
        " office_of_lodgement, status, previous_status, is_status_known, route_of_examination, errors,"
        " bcp_mode, last_sequence, created_at, updated_at"
    )
    row = "(%s, %s, '', '', '', '', '', '', '', '[]', '', '', '', '', '', '', '', '', %s, '', '[]', '', -1, %s, %s)"
    with db.cursor() as cursor:
        for chunk in _chunks(missing, _ROWS_PER_STATEMENT):
            params: list = []
            for cas_id in chunk:
                params += [organisation_id, cas_id, True, now, now]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(chunk))}"  # noqa: S608
                " ON CONFLICT (organisation_id, cas_id) DO NOTHING",
                params,
            )
    # Rows another transaction created meanwhile are not returned by the insert: read them all back.
    for chunk in _chunks(missing, _ROWS_PER_STATEMENT):
        found.update(
            Declaration.objects.filter(organisation_id=organisation_id, cas_id__in=chunk).values_list("cas_id", "id")
        )
    return found


def _insert_events(
    organisation_id: int, events, declaration_ids: dict[str, int], source: str, received_at: datetime
) -> set[str]:
    """Insert the events; the database's unique constraints decide which ones are new."""
    table = DeclarationEvent._meta.db_table
    ops = db.ops
    received = ops.adapt_datetimefield_value(received_at)
    columns = (
        "organisation_id, declaration_id, event_id, sequence, event_type, event_time, received_at, status,"
        " customs_function_code, customs_reference_id, source, payload"
    )
    payload_placeholder = "%s::jsonb" if db.vendor == "postgresql" else "%s"
    row = f"(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, {payload_placeholder})"
    ordered = sorted(events, key=lambda event: event.event_id)  # one lock order for every worker
    new_ids: set[str] = set()
    with db.cursor() as cursor:
        for chunk in _chunks(ordered, _ROWS_PER_STATEMENT):
            params: list = []
            for event in chunk:
                snapshot = event.declaration
                params += [
                    organisation_id,
                    declaration_ids[snapshot.cas_id] if snapshot is not None else None,
                    event.event_id,
                    event.sequence,
                    event.event_type,
                    ops.adapt_datetimefield_value(event.event_time),
                    received,
                    snapshot.current_status if snapshot is not None else "",
                    event.customs_function_code,
                    event.customs_reference_id,
                    source,
                    json.dumps(event.raw, separators=(",", ":"), ensure_ascii=False),
                ]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(chunk))}"  # noqa: S608
                " ON CONFLICT DO NOTHING RETURNING event_id",
                params,
            )
            new_ids.update(event_id for (event_id,) in cursor.fetchall())
    return new_ids


_DECLARATION_COLUMNS = (
    "organisation_id",
    "cas_id",
    "lrn",
    "mrn",
    "jurisdiction",
    "customs_system",
    "declaration_type",
    "additional_declaration_type",
    "procedure_code",
    "additional_procedure_codes",
    "customs_flow",
    "customs_flow_step",
    "trader_reference",
    "customs_shipment_reference",
    "declarant_eori",
    "office_of_lodgement",
    "status",
    "previous_status",
    "is_status_known",
    "acceptance_date",
    "release_date",
    "route_of_examination",
    "errors",
    "bcp_mode",
    "last_event_at",
    "last_sequence",
    "created_at",
    "updated_at",
)
# What an event may change; identity, BCP mode (ours, not CAS's) and created_at never come from it.
_UPDATED_COLUMNS = [
    column for column in _DECLARATION_COLUMNS if column not in {"organisation_id", "cas_id", "bcp_mode", "created_at"}
]


def _update_declarations(organisation_id: int, newest: dict[str, FeedEvent], received_at: datetime) -> int:
    """Give each declaration the data of its newest event, unless it already holds a newer one.

    The "newer" test runs inside the database (``ON CONFLICT ... DO UPDATE ... WHERE``), so it holds
    against a concurrent transaction that applied a newer event a moment ago.
    """
    if not newest:
        return 0
    table = Declaration._meta.db_table
    ops = db.ops
    now = ops.adapt_datetimefield_value(received_at)
    json_cast = "::jsonb" if db.vendor == "postgresql" else ""
    placeholders = ["%s"] * len(_DECLARATION_COLUMNS)
    for json_column in ("additional_procedure_codes", "errors"):
        placeholders[_DECLARATION_COLUMNS.index(json_column)] = f"%s{json_cast}"
    row = f"({', '.join(placeholders)})"
    assignments = ", ".join(f"{column} = excluded.{column}" for column in _UPDATED_COLUMNS)
    newer = (
        f"{table}.last_event_at IS NULL OR excluded.last_event_at > {table}.last_event_at"
        f" OR (excluded.last_event_at = {table}.last_event_at AND excluded.last_sequence >= {table}.last_sequence)"
    )
    updated = 0
    with db.cursor() as cursor:
        for chunk in _chunks(sorted(newest.items()), _ROWS_PER_STATEMENT):
            params: list = []
            for cas_id, event in chunk:
                d = event.declaration
                params += [
                    organisation_id,
                    cas_id,
                    d.lrn,
                    d.mrn,
                    d.jurisdiction,
                    d.customs_system,
                    d.declaration_type,
                    d.additional_declaration_type,
                    d.procedure_code,
                    json.dumps(d.additional_procedure_codes),
                    d.customs_flow,
                    d.customs_flow_step,
                    d.trader_reference,
                    d.customs_shipment_reference,
                    d.declarant_eori,
                    d.office_of_lodgement,
                    d.current_status,
                    d.previous_status,
                    d.current_status in KNOWN_STATUSES,
                    ops.adapt_datetimefield_value(d.acceptance_date),
                    ops.adapt_datetimefield_value(d.release_date),
                    d.route_of_examination,
                    json.dumps(d.errors, ensure_ascii=False),
                    "",
                    ops.adapt_datetimefield_value(event.event_time),
                    -1 if event.sequence is None else event.sequence,
                    now,
                    now,
                ]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(_DECLARATION_COLUMNS)}) VALUES {', '.join([row] * len(chunk))}"  # noqa: S608
                f" ON CONFLICT (organisation_id, cas_id) DO UPDATE SET {assignments} WHERE {newer}",
                params,
            )
            updated += cursor.rowcount
    return updated


def _chunks(items: Sequence, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
