"""Set-based SQL helpers shared by the hot paths (the ingest and the alerting).

A statement that receives its rows as one JSON array parameter, unpacked by the database
(``jsonb_to_recordset`` on PostgreSQL, ``json_each`` on SQLite), is parsed once however many rows
it carries; thousands of placeholders would cost more to parse than to run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection as db


def json_rows(columns: Sequence[tuple[str, str]]) -> str:
    """A ``SELECT`` that turns the JSON array parameter into rows with ``columns`` (name, PostgreSQL type).

    Callers end their ``INSERT ... SELECT`` with ``WHERE true``: it lets SQLite tell the SELECT from the
    ``ON CONFLICT`` that follows.
    """
    if db.vendor == "postgresql":
        definition = ", ".join(f"{name} {pg_type}" for name, pg_type in columns)
        names = ", ".join(name for name, _ in columns)
        return f"SELECT {names} FROM jsonb_to_recordset(%s::jsonb) AS r({definition})"  # noqa: S608  # nosec B608  # names come from model metadata and code constants; values are bound parameters
    extracts = ", ".join(
        (f"json_extract(value, '$.{name}')" if pg_type != "jsonb" else f"json(json_extract(value, '$.{name}'))")
        + f" AS {name}"
        for name, pg_type in columns
    )
    return f"SELECT {extracts} FROM json_each(%s)"  # noqa: S608  # nosec B608  # names come from model metadata and code constants; values are bound parameters


def json_timestamp(value: datetime | None) -> str | None:
    """A datetime as the JSON rows carry it: ISO 8601 for PostgreSQL, Django's own text form for SQLite."""
    if value is None:
        return None
    if db.vendor == "postgresql":
        return value.isoformat()
    return db.ops.adapt_datetimefield_value(value)
