"""The overdue sweeper: releases, arrivals and exits that did not come, a stale feed, a BCP (issue 3)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from declarations.models import BcpActivation, Declaration
from monitoring.escalation import alerts_escalate
from monitoring.ingest import RawItem, events_ingest
from monitoring.models import Alert, Incident, OverdueWindow
from monitoring.overdue import overdue_sweep
from monitoring.tests.factories import CasConnectionFactory, status_event
from tickets.models import Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

# Friday 27 November 2026, 10:00 UTC (11:00 in Brussels)
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture
def connection():
    connection = CasConnectionFactory()
    type(connection).objects.filter(pk=connection.pk).update(created_at=T0 - timedelta(days=1))
    fresh(connection, T0 + timedelta(days=200))
    return connection


def fresh(connection, until):
    """The feed answered at ``until``: not stale for any sweep before it."""
    type(connection).objects.filter(pk=connection.pk).update(last_success_at=until)


def feed(connection, *events, at=T0):
    with time_machine.travel(at, tick=False):
        return events_ingest(connection=connection, items=[RawItem(value=e) for e in events], source="pull")


def accepted(connection, declaration_id="d-1", at=T0, **data):
    return status_event(
        tenant=connection.organisation.cas_tenant_id,
        declaration_id=declaration_id,
        status="Accepted",
        previous="Submitted",
        at=at,
        acceptanceDate=at.isoformat(),
        customsSystem=data.pop("customsSystem", "CDS"),
        **data,
    )


def kinds():
    return sorted(Alert.objects.values_list("declaration__cas_id", "kind"))


def test_no_release_within_the_window_raises_release_not_received(connection):
    feed(connection, accepted(connection))
    assert Declaration.objects.get().watch_due_at == T0 + timedelta(minutes=60)

    assert overdue_sweep(now=T0 + timedelta(minutes=59)).overdue == 0
    assert overdue_sweep(now=T0 + timedelta(minutes=60)).overdue == 1

    alert = Alert.objects.get()
    assert (alert.kind, alert.reason_code, alert.state) == ("release_not_received", "release_not_received", "pending")
    assert Declaration.objects.get().watch_due_at is None  # swept once, not every minute
    assert overdue_sweep(now=T0 + timedelta(minutes=61)).overdue == 0

    alerts_escalate(now=T0 + timedelta(minutes=61))
    assert Ticket.objects.get().ticket_type == Ticket.Type.RELEASE_NOT_RECEIVED


def test_a_release_in_time_stops_the_timer(connection):
    feed(connection, accepted(connection))
    feed(
        connection,
        status_event(
            tenant=connection.organisation.cas_tenant_id,
            status="Released",
            previous="Accepted",
            at=T0 + timedelta(minutes=20),
            releaseDate=(T0 + timedelta(minutes=20)).isoformat(),
        ),
        at=T0 + timedelta(minutes=20),
    )
    assert Declaration.objects.get().watch_due_at is None
    assert overdue_sweep(now=T0 + timedelta(hours=5)).overdue == 0


def test_a_late_release_resolves_the_alert(connection):
    feed(connection, accepted(connection))
    overdue_sweep(now=T0 + timedelta(minutes=61))
    feed(
        connection,
        status_event(
            tenant=connection.organisation.cas_tenant_id,
            status="Cleared",
            previous="Accepted",
            at=T0 + timedelta(minutes=70),
        ),
        at=T0 + timedelta(minutes=70),
    )
    assert Alert.objects.get().state == "resolved"


def test_a_physical_control_waits_four_business_hours_from_the_control(connection):
    # Friday 16:00 Brussels: one business hour left on Friday, three more on Monday morning.
    control_at = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    feed(
        connection,
        accepted(connection, at=control_at - timedelta(minutes=5)),
        status_event(
            tenant=connection.organisation.cas_tenant_id,
            status="PhysicalControl",
            previous="Accepted",
            at=control_at,
            customsSystem="CDS",
        ),
        at=control_at,
    )
    assert Declaration.objects.get().watch_due_at == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)  # Mon 12:00 local


def test_windows_are_configuration_the_most_specific_wins(connection):
    OverdueWindow.objects.create(watch="release", customs_system="CDS", route_of_examination="", minutes=15)
    OverdueWindow.objects.create(watch="release", organisation=connection.organisation, customs_system="CDS", minutes=5)
    feed(connection, accepted(connection), accepted(connection, declaration_id="plda", customsSystem="PLDA"))
    due = dict(Declaration.objects.values_list("cas_id", "watch_due_at"))
    assert due == {"d-1": T0 + timedelta(minutes=5), "plda": T0 + timedelta(minutes=60)}


def test_pre_lodged_goods_not_arrived_after_25_days(connection):
    feed(
        connection,
        status_event(tenant=connection.organisation.cas_tenant_id, status="Received", previous="Submitted", at=T0),
    )
    assert overdue_sweep(now=T0 + timedelta(days=24)).overdue == 0
    assert overdue_sweep(now=T0 + timedelta(days=25, seconds=1)).overdue == 1
    assert kinds() == [("d-1", "arrival_overdue")]


def test_an_export_without_exit_confirmation_after_80_days(connection):
    tenant = connection.organisation.cas_tenant_id
    feed(
        connection,
        status_event(
            tenant=tenant,
            status="Cleared",
            previous="Accepted",
            at=T0,
            declarationType="EX",
            customsFlow="Export - Standard",
        ),
    )
    overdue_sweep(now=T0 + timedelta(days=81))
    assert kinds() == [("d-1", "exit_not_confirmed")]
    feed(
        connection,
        status_event(
            tenant=tenant, status="ExitConfirmed", previous="Cleared", at=T0 + timedelta(days=82), declarationType="EX"
        ),
        at=T0 + timedelta(days=82),
    )
    assert Alert.objects.get().state == "resolved"


def test_a_stale_feed_raises_one_incident_instead_of_an_alert_per_declaration(connection):
    feed(connection, *[accepted(connection, declaration_id=f"d-{i}") for i in range(10)])
    fresh(connection, T0)  # heard from at T0, then silence

    result = overdue_sweep(now=T0 + timedelta(hours=2))

    assert (result.overdue, result.stale_connections, result.incidents_opened) == (0, 1, 1)
    incident = Incident.objects.get()
    assert (incident.kind, incident.connection_id, incident.is_open) == ("feed_stale", connection.pk, True)
    assert incident.ticket.ticket_type == Ticket.Type.CAS_ADMIN
    assert not Alert.objects.exists()
    assert overdue_sweep(now=T0 + timedelta(hours=2, minutes=1)).incidents_opened == 0  # still one

    # The feed answers again: the incident resolves and the declarations are judged again.
    fresh(connection, T0 + timedelta(hours=3))
    result = overdue_sweep(now=T0 + timedelta(hours=3))
    assert (result.incidents_resolved, result.overdue) == (1, 10)
    incident.refresh_from_db()
    assert not incident.is_open


def test_a_bcp_on_the_customs_system_holds_its_declarations_back(connection):
    tenant = connection.organisation.cas_tenant_id
    outage = {
        "id": str(uuid.uuid4()),
        "tenantId": tenant,
        "eventTime": (T0 + timedelta(minutes=10)).isoformat(),
        "eventType": "CustomsSystemStatusChanged",
        "data": {
            "jurisdiction": "GB",
            "customsSystem": "CDS",
            "status": "Outage",
            "callNumber": "N04737",
            "message": "CDS down",
        },
    }
    feed(connection, accepted(connection), accepted(connection, declaration_id="plda", customsSystem="PLDA"), outage)
    bcp = BcpActivation.objects.get()
    assert (bcp.customs_system, bcp.call_number, bcp.ended_at) == ("CDS", "N04737", None)

    overdue_sweep(now=T0 + timedelta(hours=2))
    assert kinds() == [("plda", "release_not_received")]

    back = {
        **outage,
        "id": str(uuid.uuid4()),
        "eventTime": (T0 + timedelta(hours=3)).isoformat(),
        "data": {**outage["data"], "status": "Operational"},
    }
    feed(connection, back, at=T0 + timedelta(hours=3))
    overdue_sweep(now=T0 + timedelta(hours=3))
    assert kinds() == [("d-1", "release_not_received"), ("plda", "release_not_received")]
