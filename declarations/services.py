"""Applying validated feed events to declarations, set-based.

``declaration_events_apply`` is the hot path of the ingest: a page of up to 1,000 events costs a
handful of statements, never a query per event. It runs inside the caller's transaction, so a page
is applied whole or not at all, together with the cursor that covers it.

Each statement receives its rows as one JSON array parameter (``activesupport.bulk``) or, on
PostgreSQL, through ``COPY`` into a staging table. Both databases speak
``INSERT ... ON CONFLICT`` with ``RETURNING``, which is what makes a repeated event a no-op even when
two workers race.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection as db

from activesupport.bulk import json_rows, json_timestamp
from monitoring.feed import FeedEvent

from .lifecycle import KNOWN_STATUSES
from .models import Declaration, DeclarationEvent

# What the desk waits for after an event, and until when: ("release", due) or ("", None). The
# monitoring decides (its windows are configuration); the ingest stores it with the declaration.
WatchPolicy = Callable[[FeedEvent], tuple[str, datetime | None]]


@dataclass
class ApplyResult:
    new_event_ids: list[str] = field(default_factory=list)
    duplicates: int = 0
    declarations_updated: int = 0
    unknown_statuses: int = 0
    # Database ids of the new events and of every declaration they concern (for the alerting).
    new_event_pks: dict[str, int] = field(default_factory=dict)
    declaration_ids: dict[str, int] = field(default_factory=dict)


def declaration_events_apply(
    *,
    organisation_id: int,
    events: Sequence[FeedEvent],
    source: str,
    received_at: datetime,
    watch_policy: WatchPolicy | None = None,
) -> ApplyResult:
    """Store new events, drop repeats, and move each declaration to its newest reported state.

    A repeated event id, or a repeated customs message (same ``functionalReferenceId`` on the same
    declaration), changes nothing and counts as a duplicate. A declaration only takes the data of an
    event newer than the one it last took (event time, then sequence), so a late, older event lands
    in the history without moving the status back.
    """
    result = ApplyResult()
    unique: dict[str, FeedEvent] = {}
    customs_messages: set[tuple[str, str]] = set()
    for event in events:  # in feed order: the first copy of a repeated customs message is the original
        message = (
            (event.declaration.cas_id, event.customs_reference_id)
            if event.declaration is not None and event.customs_reference_id
            else None
        )
        if event.event_id in unique or message in customs_messages:
            result.duplicates += 1
            continue
        unique[event.event_id] = event
        if message is not None:
            customs_messages.add(message)
    if not unique:
        return result

    declaration_ids = _ensure_declarations(organisation_id, unique.values(), received_at)
    result.declaration_ids = declaration_ids
    result.new_event_pks = _insert_events(organisation_id, unique.values(), declaration_ids, source, received_at)
    new_ids = result.new_event_pks.keys()
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
    result.declarations_updated = _update_declarations(organisation_id, newest, received_at, watch_policy)
    result.unknown_statuses = sum(
        1
        for event_id in new_ids
        if (snapshot := unique[event_id].declaration) is not None and snapshot.current_status not in KNOWN_STATUSES
    )
    return result


_EMPTY_DECLARATION = (
    "lrn, mrn, jurisdiction, customs_system, declaration_type, additional_declaration_type, procedure_code,"
    " additional_procedure_codes, customs_flow, customs_flow_step, trader_reference, customs_shipment_reference,"
    " declarant_eori, office_of_lodgement, status, previous_status, is_status_known, route_of_examination, errors,"
    " bcp_mode, last_sequence, watch"
)
_EMPTY_VALUES = "'', '', '', '', '', '', '', '[]', '', '', '', '', '', '', '', '', true, '', '[]', '', -1, ''"


def _ensure_declarations(organisation_id: int, events: Iterable[FeedEvent], received_at: datetime) -> dict[str, int]:
    """Map every CAS declaration id in the batch to our primary key, creating empty rows as needed.

    The rows are filled by ``_update_declarations`` from the newest new event; creating them first
    gives the events their foreign key before we know which events are new.
    """
    cas_ids = sorted({event.declaration.cas_id for event in events if event.declaration is not None})
    if not cas_ids:
        return {}
    table = Declaration._meta.db_table
    if db.vendor == "postgresql":
        found = _ensure_declarations_postgresql(table, organisation_id, cas_ids, received_at)
    else:
        found = dict(
            Declaration.objects.filter(organisation_id=organisation_id, cas_id__in=cas_ids).values_list("cas_id", "id")
        )
    missing = [cas_id for cas_id in cas_ids if cas_id not in found]
    if not missing:
        return found
    now = json_timestamp(received_at)
    rows = [{"cas_id": cas_id} for cas_id in missing]
    with db.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organisation_id, cas_id, created_at, updated_at, {_EMPTY_DECLARATION})"  # noqa: S608  # nosec B608  # names come from model metadata and code constants; values are bound parameters
            f" SELECT %s, cas_id, %s, %s, {_EMPTY_VALUES} FROM ({json_rows([('cas_id', 'text')])}) AS missing"
            " WHERE true ON CONFLICT (organisation_id, cas_id) DO NOTHING",
            [organisation_id, now, now, json.dumps(rows)],
        )
    # Rows another transaction created meanwhile are not returned by the insert: read them all back.
    found.update(
        Declaration.objects.filter(organisation_id=organisation_id, cas_id__in=missing).values_list("cas_id", "id")
    )
    return found


def _ensure_declarations_postgresql(
    table: str, organisation_id: int, cas_ids: list[str], received_at: datetime
) -> dict[str, int]:
    """One round trip: create the missing rows and read back the existing ones.

    The SELECT sees the rows that existed when the statement began, RETURNING the ones it created;
    a row another transaction created meanwhile is in neither, and the caller reads it back.
    """
    db.ensure_connection()
    with db.connection.cursor() as cursor:
        cursor.execute(
            f"WITH created AS (INSERT INTO {table} (organisation_id, cas_id, created_at, updated_at,"  # noqa: S608  # nosec B608  # names come from model metadata and code constants; values are bound parameters
            f" {_EMPTY_DECLARATION}) SELECT %(org)s, cas_id, %(now)s, %(now)s, {_EMPTY_VALUES}"
            " FROM unnest(%(ids)s::text[]) AS cas_id"
            " ON CONFLICT (organisation_id, cas_id) DO NOTHING RETURNING cas_id, id)"
            f" SELECT cas_id, id FROM created UNION ALL SELECT cas_id, id FROM {table}"
            " WHERE organisation_id = %(org)s AND cas_id = ANY(%(ids)s::text[])",
            {"org": organisation_id, "now": received_at, "ids": cas_ids},
        )
        return dict(cursor.fetchall())


_EVENT_COLUMNS = (
    ("declaration_id", "bigint"),
    ("event_id", "text"),
    ("sequence", "bigint"),
    ("event_type", "text"),
    ("event_time", "timestamptz"),
    ("status", "text"),
    ("customs_function_code", "text"),
    ("customs_reference_id", "text"),
    ("payload", "text"),
)


def _insert_events(
    organisation_id: int,
    events: Iterable[FeedEvent],
    declaration_ids: dict[str, int],
    source: str,
    received_at: datetime,
) -> dict[str, int]:
    """Insert the events; the database's unique constraints decide which ones are new.

    Returns the new ones: CAS event id -> our primary key."""
    rows = [
        (
            declaration_ids[event.declaration.cas_id] if event.declaration is not None else None,
            event.event_id,
            event.sequence,
            event.event_type,
            event.event_time,
            event.declaration.current_status if event.declaration is not None else "",
            event.customs_function_code,
            event.customs_reference_id,
            event.raw_json,
        )
        for event in events
    ]
    if db.vendor == "postgresql":
        return _insert_events_postgresql(organisation_id, rows, source, received_at)
    table = DeclarationEvent._meta.db_table
    names = ", ".join(name for name, _ in _EVENT_COLUMNS)
    as_json = [
        dict(zip((name for name, _ in _EVENT_COLUMNS), (*row[:4], json_timestamp(row[4]), *row[5:]), strict=True))
        for row in rows
    ]
    with db.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organisation_id, received_at, source, {names})"  # noqa: S608  # nosec B608  # names come from model metadata and code constants; values are bound parameters
            f" SELECT %s, %s, %s, * FROM ({json_rows(_EVENT_COLUMNS)}) AS batch"
            " WHERE true ON CONFLICT DO NOTHING RETURNING event_id, id",
            [organisation_id, json_timestamp(received_at), source, json.dumps(as_json, ensure_ascii=False)],
        )
        return dict(cursor.fetchall())


def _insert_events_postgresql(
    organisation_id: int, rows: list[tuple], source: str, received_at: datetime
) -> dict[str, int]:
    table = DeclarationEvent._meta.db_table
    names = ", ".join(name for name, _ in _EVENT_COLUMNS)
    with _staged("ingest_event_batch", _EVENT_COLUMNS, rows) as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organisation_id, received_at, source, {names})"  # noqa: S608  # nosec B608  # names come from model metadata and code constants; values are bound parameters
            f" SELECT %s, %s, %s, {names} FROM ingest_event_batch"
            " ON CONFLICT DO NOTHING RETURNING event_id, id",
            [organisation_id, received_at, source],
        )
        return dict(cursor.fetchall())


@contextmanager
def _staged(name: str, columns: Sequence[tuple[str, str]], rows: Iterable[tuple]):
    """PostgreSQL's fastest way in: ``COPY`` the rows into a session-local staging table, for one
    ``INSERT ... SELECT ... ON CONFLICT`` to move into the real table.

    About twice as fast as sending the page as one JSON parameter (bench/ingest.py). The table lives
    in this database session only, so workers never share it, and it is emptied before each use.
    """
    names = ", ".join(column for column, _ in columns)
    definition = ", ".join(f"{column} {pg_type}" for column, pg_type in columns)
    db.ensure_connection()
    with db.connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({definition})")
        # TRUNCATE, not DELETE: autovacuum never visits temporary tables, so deleted rows would pile up.
        cursor.execute(f"TRUNCATE {name}")
        with cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        yield cursor


_DECLARATION_COLUMNS = (
    ("cas_id", "text"),
    ("lrn", "text"),
    ("mrn", "text"),
    ("jurisdiction", "text"),
    ("customs_system", "text"),
    ("declaration_type", "text"),
    ("additional_declaration_type", "text"),
    ("procedure_code", "text"),
    ("additional_procedure_codes", "jsonb"),
    ("customs_flow", "text"),
    ("customs_flow_step", "text"),
    ("trader_reference", "text"),
    ("customs_shipment_reference", "text"),
    ("declarant_eori", "text"),
    ("office_of_lodgement", "text"),
    ("status", "text"),
    ("previous_status", "text"),
    ("is_status_known", "boolean"),
    ("acceptance_date", "timestamptz"),
    ("release_date", "timestamptz"),
    ("route_of_examination", "text"),
    ("errors", "jsonb"),
    ("last_event_at", "timestamptz"),
    ("last_sequence", "bigint"),
    ("watch", "text"),
    ("watch_due_at", "timestamptz"),
)


def _update_declarations(
    organisation_id: int, newest: dict[str, FeedEvent], received_at: datetime, watch_policy: WatchPolicy | None
) -> int:
    """Give each declaration the data of its newest event, unless it already holds a newer one.

    The "newer" test runs inside the database (``ON CONFLICT ... DO UPDATE ... WHERE``), so it holds
    against a concurrent transaction that applied a newer event a moment ago. Identity, BCP mode
    (ours, not CAS's) and ``created_at`` never come from an event.
    """
    if not newest:
        return 0
    rows = []
    for cas_id, event in sorted(newest.items()):
        d = event.declaration
        watch, watch_due_at = watch_policy(event) if watch_policy is not None else ("", None)
        rows.append(
            (
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
                d.acceptance_date,
                d.release_date,
                d.route_of_examination,
                json.dumps(d.errors, ensure_ascii=False),
                event.event_time,
                -1 if event.sequence is None else event.sequence,
                watch,
                watch_due_at,
            )
        )
    table = Declaration._meta.db_table
    names = [name for name, _ in _DECLARATION_COLUMNS]
    assignments = ", ".join(f"{name} = excluded.{name}" for name in names if name != "cas_id")
    newer = (
        f"{table}.last_event_at IS NULL OR excluded.last_event_at > {table}.last_event_at"
        f" OR (excluded.last_event_at = {table}.last_event_at AND excluded.last_sequence >= {table}.last_sequence)"
    )
    upsert = (
        f"INSERT INTO {table} (organisation_id, bcp_mode, created_at, updated_at, {', '.join(names)})"  # noqa: S608  # nosec B608  # names come from model metadata and code constants; values are bound parameters
        f" SELECT %s, '', %s, %s, * FROM ({{source}}) AS newest"
        f" WHERE true ON CONFLICT (organisation_id, cas_id) DO UPDATE SET {assignments},"
        f" updated_at = excluded.updated_at WHERE {newer}"
    )
    if db.vendor == "postgresql":
        with _staged("ingest_declaration_batch", _DECLARATION_COLUMNS, rows) as cursor:
            cursor.execute(
                upsert.format(source=f"SELECT {', '.join(names)} FROM ingest_declaration_batch"),  # noqa: S608  # nosec B608  # names come from model metadata and code constants; values are bound parameters
                [organisation_id, received_at, received_at],
            )
            return cursor.rowcount
    as_json = [
        {
            **dict(zip(names, row, strict=True)),
            "additional_procedure_codes": json.loads(row[8]),
            "errors": json.loads(row[21]),
            "acceptance_date": json_timestamp(row[18]),
            "release_date": json_timestamp(row[19]),
            "last_event_at": json_timestamp(row[22]),
            "watch_due_at": json_timestamp(row[25]),
        }
        for row in rows
    ]
    now = json_timestamp(received_at)
    with db.cursor() as cursor:
        cursor.execute(
            upsert.format(source=json_rows(_DECLARATION_COLUMNS)),
            [organisation_id, now, now, json.dumps(as_json, ensure_ascii=False)],
        )
        return cursor.rowcount
