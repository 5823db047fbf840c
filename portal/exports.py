"""The customer's own data as CSV downloads: their tickets with the SLA outcome, and their recent
declarations. Rows are read in chunks and written as they are made, so a large organisation's export
streams instead of building in memory. Times are ISO 8601 UTC; a cell a spreadsheet would run as a
formula is written as text."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain

from django.utils import timezone

from accounts.models import User
from declarations.selectors import declaration_queryset_for_user
from tickets.models import Ticket
from tickets.selectors import ticket_queryset_for_user


@dataclass(frozen=True)
class Report:
    title: str
    description: str
    header: tuple[str, ...]
    rows: Callable[[User], Iterator[tuple]]


def _ticket_rows(user: User) -> Iterator[tuple]:
    types, statuses, priorities = dict(Ticket.Type.choices), dict(Ticket.Status.choices), dict(Ticket.Priority.choices)
    tickets = (
        ticket_queryset_for_user(user=user)
        .order_by("-created_at", "-id")
        .values_list(
            "id",
            "subject",
            "ticket_type",
            "status",
            "priority",
            "customs_system",
            "created_at",
            "first_responded_at",
            "resolved_at",
            "sla_breached",
        )
    )
    for pk, subject, kind, status, priority, system, created, responded, resolved, breached in tickets.iterator(
        chunk_size=2000
    ):
        yield (
            pk,
            subject,
            types.get(kind, kind),
            statuses.get(status, status),
            priorities.get(priority, priority),
            system,
            _utc(created),
            _utc(responded),
            _utc(resolved),
            "yes" if breached else "no",
        )


def _declaration_rows(user: User) -> Iterator[tuple]:
    since = timezone.now() - timedelta(days=90)
    declarations = (
        declaration_queryset_for_user(user=user)
        .filter(last_event_at__gte=since)  # the (organisation, last event) index
        .order_by("-last_event_at", "-id")
        .values_list(
            "lrn",
            "mrn",
            "customs_system",
            "declaration_type",
            "additional_declaration_type",
            "procedure_code",
            "status",
            "trader_reference",
            "last_event_at",
            "errors",
        )
    )
    for lrn, mrn, system, kind, additional, procedure, status, trader, last_event, errors in declarations.iterator(
        chunk_size=2000
    ):
        yield (
            lrn,
            mrn,
            system,
            f"{kind}{additional}",
            procedure,
            status,
            trader,
            _utc(last_event),
            len(errors) if isinstance(errors, list) else 0,
        )


REPORTS = {
    "tickets": Report(
        title="Tickets",
        description="Every ticket of your organisation: type, status, priority, when it was raised, answered and"
        " resolved, and whether we missed a deadline.",
        header=(
            "id",
            "subject",
            "type",
            "status",
            "priority",
            "customs system",
            "created (UTC)",
            "first response (UTC)",
            "resolved (UTC)",
            "SLA breached",
        ),
        rows=_ticket_rows,
    ),
    "declarations": Report(
        title="Declarations, last 90 days",
        description="Every declaration with an event in the last 90 days: references, system, type, procedure"
        " code, status and how many errors its latest event carried.",
        header=(
            "LRN",
            "MRN",
            "customs system",
            "type",
            "procedure code",
            "status",
            "trader reference",
            "last event (UTC)",
            "errors",
        ),
        rows=_declaration_rows,
    ),
}


def _utc(instant: datetime | None) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if instant else ""


def _cell(value: object) -> object:
    """A cell a spreadsheet shows as text: one starting with = + - @ would otherwise run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class _Echo:
    """The csv writer writes into this and gets the line back, so each row streams as it is made."""

    def write(self, value: str) -> str:
        return value


def csv_lines(report: Report, user: User) -> Iterator[str]:
    """The report as CSV lines, the header first, for a streaming response."""
    writer = csv.writer(_Echo())
    return chain(
        [writer.writerow(report.header)],
        (writer.writerow([_cell(value) for value in row]) for row in report.rows(user)),
    )
