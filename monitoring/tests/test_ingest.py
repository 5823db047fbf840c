"""The ingest service: exactly once, never backwards, nothing lost (CAS_FEED.md §3)."""

from datetime import UTC, datetime, timedelta

import pytest

from declarations.models import Declaration, DeclarationEvent
from monitoring.feed import Reason
from monitoring.ingest import CursorMoved, RawItem, events_ingest, quarantine_replay
from monitoring.models import CasConnection, QuarantinedEvent
from monitoring.tests.factories import CasConnectionFactory, status_event

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def ingest(connection, events, **kwargs):
    return events_ingest(connection=connection, items=[RawItem(value=e) for e in events], source="pull", **kwargs)


@pytest.fixture
def connection():
    return CasConnectionFactory()


def tenant(connection) -> str:
    return connection.organisation.cas_tenant_id


def test_a_page_creates_declarations_and_history_and_moves_the_cursor(connection):
    events = [
        status_event(tenant=tenant(connection), declaration_id="d-1", status="Submitted", at=T0),
        status_event(
            tenant=tenant(connection),
            declaration_id="d-1",
            status="Accepted",
            at=T0 + timedelta(seconds=5),
            mrn="26BE00001234567891",
            acceptanceDate="2026-11-27T10:00:05Z",
        ),
        status_event(tenant=tenant(connection), declaration_id="d-2", status="Invalid", at=T0),
    ]

    result = ingest(connection, events, cursor_from=None, cursor_to="c-3")

    assert (result.applied, result.duplicates, result.quarantined) == (3, 0, 0)
    first = Declaration.objects.get(organisation=connection.organisation, cas_id="d-1")
    assert first.status == "Accepted"
    assert first.mrn == "26BE00001234567891"
    assert first.acceptance_date == T0 + timedelta(seconds=5)
    assert first.events.count() == 2
    assert Declaration.objects.get(cas_id="d-2").status == "Invalid"
    connection.refresh_from_db()
    assert connection.cursor == "c-3"
    assert connection.events_applied == 3


def test_a_page_delivered_twice_applies_once(connection):
    events = [status_event(tenant=tenant(connection), declaration_id=f"d-{i}") for i in range(20)]
    ingest(connection, events, cursor_from=None, cursor_to="c-1")
    before = list(Declaration.objects.order_by("id").values())

    again = ingest(connection, events, cursor_from="c-1", cursor_to="c-2")

    assert (again.applied, again.duplicates) == (0, 20)
    assert DeclarationEvent.objects.count() == 20
    assert list(Declaration.objects.order_by("id").values()) == before


def test_an_older_event_never_moves_the_status_back(connection):
    newer = status_event(
        tenant=tenant(connection), status="Released", previous="Accepted", at=T0 + timedelta(minutes=5)
    )
    older = status_event(tenant=tenant(connection), status="Accepted", previous="Submitted", at=T0)
    ingest(connection, [newer])

    result = ingest(connection, [older])

    assert result.applied == 1  # kept in the history...
    declaration = Declaration.objects.get(cas_id="d-1")
    assert declaration.status == "Released"  # ...but the status stays
    assert declaration.events.count() == 2


def test_same_event_time_is_ordered_by_sequence(connection):
    later = status_event(tenant=tenant(connection), status="Cleared", at=T0, sequence=11)
    earlier = status_event(tenant=tenant(connection), status="Accepted", at=T0, sequence=10)

    ingest(connection, [later, earlier])

    assert Declaration.objects.get(cas_id="d-1").status == "Cleared"


def test_a_repeated_customs_message_under_a_new_event_id_changes_nothing(connection):
    notification = {"functionCode": "01", "name": "DMSACC", "functionalReferenceId": "abc123", "issuedAt": None}
    accepted = status_event(tenant=tenant(connection), status="Accepted", at=T0, customs_notification=notification)
    cleared = status_event(tenant=tenant(connection), status="Cleared", at=T0 + timedelta(seconds=2))
    repeat = status_event(
        tenant=tenant(connection), status="Accepted", at=T0 + timedelta(seconds=3), customs_notification=notification
    )

    result = ingest(connection, [accepted, cleared, repeat])

    assert (result.applied, result.duplicates) == (2, 1)
    assert Declaration.objects.get(cas_id="d-1").status == "Cleared"


def test_malformed_events_are_quarantined_with_their_reason_and_the_rest_applies(connection):
    good = status_event(tenant=tenant(connection), declaration_id="d-ok")
    no_status = status_event(tenant=tenant(connection), declaration_id="d-bad")
    del no_status["data"]["currentStatus"]
    other_tenant = status_event(tenant="someone-else", declaration_id="d-other")
    too_long = status_event(tenant=tenant(connection), declaration_id="d-long", traderReference="x" * 5000)
    too_many_errors = status_event(tenant=tenant(connection), errors=[{"source": "Customs"}] * 201)

    result = ingest(
        connection,
        [good, no_status, other_tenant, too_long, too_many_errors, "not an event"],
        cursor_from=None,
        cursor_to="c-1",
    )

    assert (result.applied, result.quarantined) == (1, 5)
    reasons = dict(QuarantinedEvent.objects.values_list("event_id", "reason"))
    assert reasons[no_status["id"]] == Reason.MISSING_FIELD
    assert reasons[other_tenant["id"]] == Reason.WRONG_TENANT
    assert reasons[too_long["id"]] == Reason.FIELD_TOO_LONG
    assert reasons[too_many_errors["id"]] == Reason.TOO_MANY_ERRORS
    assert reasons[""] == Reason.NOT_AN_EVENT
    assert "currentStatus" in QuarantinedEvent.objects.get(event_id=no_status["id"]).detail
    assert list(Declaration.objects.values_list("cas_id", flat=True)) == ["d-ok"]
    connection.refresh_from_db()
    assert connection.cursor == "c-1"
    assert connection.events_quarantined == 5


def test_the_same_malformed_event_delivered_again_adds_an_occurrence_not_a_row(connection):
    bad = status_event(tenant="someone-else")
    ingest(connection, [bad])
    ingest(connection, [bad])

    entry = QuarantinedEvent.objects.get()
    assert entry.occurrences == 2


def test_a_quarantined_event_replays_after_the_connection_is_fixed(connection, django_user_model):
    agent = django_user_model.objects.create(username="agent", role="agent")
    event = status_event(tenant="acme-renamed", declaration_id="d-9", status="Accepted")
    ingest(connection, [event])
    entry = QuarantinedEvent.objects.get()
    assert quarantine_replay(entry_id=entry.pk, by=agent).outcome == "refused"  # cause not fixed yet

    connection.organisation.cas_tenant_id = "acme-renamed"
    connection.organisation.save()
    result = quarantine_replay(entry_id=entry.pk, by=agent)

    assert result.outcome == "applied"
    assert Declaration.objects.get(cas_id="d-9").status == "Accepted"
    entry.refresh_from_db()
    assert (entry.status, entry.resolved_by) == (QuarantinedEvent.Status.REPLAYED, agent)
    assert DeclarationEvent.objects.get(event_id=event["id"]).source == "replay"


def test_a_quarantined_event_replays_with_a_corrected_body(connection, django_user_model):
    agent = django_user_model.objects.create(username="agent", role="agent")
    event = status_event(tenant=tenant(connection), declaration_id="d-7", status="Accepted")
    event["eventTime"] = "yesterday"
    ingest(connection, [event])
    entry = QuarantinedEvent.objects.get()
    assert entry.reason == Reason.INVALID_FIELD

    event["eventTime"] = "2026-11-27T10:00:00Z"
    import json

    result = quarantine_replay(entry_id=entry.pk, by=agent, corrected_body=json.dumps(event))

    assert result.outcome == "applied"
    entry.refresh_from_db()
    assert '"yesterday"' in entry.raw_body  # the original is kept as evidence
    assert Declaration.objects.get(cas_id="d-7").status == "Accepted"


def test_a_page_fetched_from_a_cursor_that_has_since_moved_is_refused_whole(connection):
    CasConnection.objects.filter(pk=connection.pk).update(cursor="c-5")
    events = [status_event(tenant=tenant(connection))]

    with pytest.raises(CursorMoved):
        ingest(connection, events, cursor_from="c-4", cursor_to="c-6")

    assert DeclarationEvent.objects.count() == 0
    connection.refresh_from_db()
    assert connection.cursor == "c-5"


def test_unknown_status_is_stored_and_counted_not_refused(connection):
    result = ingest(connection, [status_event(tenant=tenant(connection), status="ChangingDestination")])

    assert result.applied == 1
    declaration = Declaration.objects.get()
    assert (declaration.status, declaration.is_status_known) == ("ChangingDestination", False)
    connection.refresh_from_db()
    assert connection.unknown_statuses == 1
