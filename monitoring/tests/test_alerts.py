"""Alerts: classified by the rule table, deduplicated by fingerprint, resolved only on evidence,
escalated after the wait into incidents and tickets (issue 3)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings

from accounts.models import Organisation
from declarations.models import Declaration
from monitoring.escalation import alerts_escalate
from monitoring.ingest import RawItem, events_ingest
from monitoring.models import Alert, AlertEvidence, AlertRule, Incident
from monitoring.tests.factories import CasConnectionFactory, status_event
from tickets.models import Ticket, TicketActivity, TicketDeclaration

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
WAIT = timedelta(seconds=30)


def customs_error(code="CDS12016", message="Date error", **kwargs):
    return {
        "source": "Customs",
        "errorCode": code,
        "message": message,
        "description": "The acceptance date must not be in the future",
        "fieldReference": [{"fieldName": "AcceptanceDateTime", "path": "42A.23A"}],
        **kwargs,
    }


@pytest.fixture
def connection():
    return CasConnectionFactory()


def feed(connection, *events, at=T0):
    """Deliver a page as the poller would, at wall-clock time ``at``."""
    with time_machine.travel(at, tick=False):
        return events_ingest(connection=connection, items=[RawItem(value=e) for e in events], source="pull")


def event(connection, **kwargs):
    return status_event(tenant=connection.organisation.cas_tenant_id, **kwargs)


def rejected(connection, declaration_id="d-1", code="CDS12016", at=T0, **kwargs):
    return event(
        connection,
        declaration_id=declaration_id,
        status="CustomsError",
        previous="Submitted",
        at=at,
        errors=[customs_error(code, **kwargs)],
    )


def test_a_customs_rejection_raises_a_pending_customs_error_alert_with_its_evidence(connection):
    page = rejected(connection)
    feed(connection, page)

    alert = Alert.objects.get()
    assert (alert.kind, alert.reason_code, alert.state, alert.occurrences) == (
        "customs_error",
        "CDS12016",
        "pending",
        1,
    )
    assert alert.fingerprint == f"{connection.organisation_id}/customs_error/{alert.declaration_id}/CDS12016"
    assert (alert.field_name, alert.field_path) == ("AcceptanceDateTime", "42A.23A")
    assert alert.fires_at == T0 + WAIT
    assert alert.knowledge_entry.key == "CDS12016"
    assert list(alert.events.values_list("event_id", flat=True)) == [page["id"]]


def test_the_same_failure_with_other_words_repeats_the_alert_instead_of_opening_another(connection):
    feed(connection, rejected(connection, message="Date error"))
    feed(
        connection,
        event(connection, status="Submitted", previous="CustomsError", at=T0 + timedelta(seconds=5)),
        rejected(connection, message="Acceptance date wrong", at=T0 + timedelta(seconds=9)),
        at=T0 + timedelta(seconds=10),
    )

    alert = Alert.objects.get()
    assert alert.occurrences == 2
    assert "Acceptance date wrong" in alert.summary
    assert AlertEvidence.objects.filter(alert=alert).count() == 2


def test_a_repeated_event_changes_nothing(connection):
    page = rejected(connection)
    feed(connection, page)
    feed(connection, page, at=T0 + timedelta(seconds=1))

    assert Alert.objects.get().occurrences == 1


def test_ordinary_progress_raises_nothing(connection):
    feed(
        connection,
        event(connection, status="Submitted", previous="Validated", at=T0),
        event(connection, status="Accepted", previous="Submitted", at=T0 + timedelta(seconds=1)),
        event(connection, status="Cleared", previous="Accepted", at=T0 + timedelta(seconds=2)),
    )
    assert not Alert.objects.exists()


@pytest.mark.parametrize(
    ("status", "errors", "kind", "reason"),
    [
        (
            "Invalid",
            [{"source": "Validation", "errorCode": "V0010", "message": "bad type"}],
            "validation_violation",
            "V0010",
        ),
        ("ConfigurationError", [], "validation_violation", "ConfigurationError"),
        ("SendingError", [{"source": "Sending", "errorCode": "TIMEOUT"}], "sending_error", "TIMEOUT"),
        ("ProviderError", [{"source": "Provider", "errorCode": "XMLCNT"}], "provider_error", "XMLCNT"),
        ("DocumentControl", [], "documents_requested", "documents_requested"),
        ("CreditPending", [], "payment_pending", "payment_pending"),
        ("ExitConfirmationNotYetReceived", [], "exit_not_confirmed", "exit_not_confirmed"),
        ("Detained", [], "detained", "detained"),
        ("Alerted", [], "unknown_status", "Alerted"),
    ],
)
def test_the_rule_table_classifies_each_kind(connection, status, errors, kind, reason):
    feed(connection, event(connection, status=status, previous="Accepted", errors=errors))
    alert = Alert.objects.get()
    assert (alert.kind, alert.reason_code) == (kind, reason)
    assert alert.knowledge_entry is not None


def test_rules_are_data_a_disabled_rule_raises_nothing(connection):
    rule = AlertRule.objects.get(match_status="CustomsError")
    rule.is_enabled = False
    rule.save()  # as the admin does: the rule book in memory notices the change
    feed(connection, rejected(connection))
    assert not Alert.objects.exists()


def test_a_credibility_warning_on_acceptance_is_no_alert(connection):
    feed(connection, event(connection, status="Accepted", previous="Submitted", errors=[customs_error("CDS13000")]))
    assert not Alert.objects.exists()


def test_only_recovery_evidence_resolves_an_alert(connection):
    feed(connection, rejected(connection))
    feed(
        connection,
        event(connection, status="Submitted", previous="CustomsError", at=T0 + timedelta(minutes=1)),
        at=T0 + timedelta(minutes=1),
    )
    alert = Alert.objects.get()
    assert alert.is_open  # resubmitted is not recovered

    feed(
        connection,
        event(connection, status="Accepted", previous="Submitted", at=T0 + timedelta(minutes=2)),
        at=T0 + timedelta(minutes=2),
    )
    alert.refresh_from_db()
    assert (alert.state, alert.is_open) == ("resolved", False)
    assert alert.resolution == "declaration moved on to Accepted"


def test_a_late_older_rejection_is_recorded_but_resolved_at_once(connection):
    feed(connection, event(connection, status="Accepted", previous="Submitted", at=T0 + timedelta(minutes=5)))
    feed(connection, rejected(connection, at=T0), at=T0 + timedelta(minutes=6))

    alert = Alert.objects.get()
    assert alert.state == "resolved"
    assert Declaration.objects.get().status == "Accepted"


def test_after_the_wait_an_alert_fires_and_opens_one_ticket_with_the_suggestion(connection):
    feed(connection, rejected(connection))
    assert alerts_escalate(now=T0 + WAIT - timedelta(seconds=1)).fired == 0

    result = alerts_escalate(now=T0 + WAIT)

    assert (result.fired, result.tickets_opened) == (1, 1)
    alert = Alert.objects.get()
    ticket = Ticket.objects.get()
    assert alert.state == "firing"
    assert alert.ticket == ticket
    assert ticket.organisation == connection.organisation
    assert (ticket.alert_kind, ticket.ticket_type, ticket.channel) == (
        "customs_error",
        "declaration_error",
        "automation",
    )
    assert ticket.sla_started_at == T0 + WAIT
    assert "CDS12016" in ticket.suggested_resolution
    assert "Suggested resolution:" in ticket.suggested_resolution
    assert "AcceptanceDateTime" in ticket.suggested_resolution
    assert list(ticket.declarations.all()) == [alert.declaration]
    assert TicketActivity.objects.filter(ticket=ticket, action="opened").exists()
    # escalating again changes nothing
    assert alerts_escalate(now=T0 + WAIT + timedelta(minutes=1)).fired == 0
    assert Ticket.objects.count() == 1


def test_a_failure_resolved_within_the_wait_opens_no_ticket(connection):
    feed(connection, rejected(connection))
    feed(
        connection,
        event(connection, status="Accepted", previous="Submitted", at=T0 + timedelta(seconds=10)),
        at=T0 + timedelta(seconds=10),
    )

    alerts_escalate(now=T0 + WAIT + timedelta(seconds=5))

    assert Alert.objects.get().state == "resolved"
    assert not Ticket.objects.exists()


def test_a_standard_plan_records_the_alert_but_opens_no_ticket():
    connection = CasConnectionFactory(organisation__support_plan=Organisation.SupportPlan.STANDARD)
    feed(connection, rejected(connection))

    assert alerts_escalate(now=T0 + WAIT).fired == 1
    assert Alert.objects.get().state == "firing"
    assert not Ticket.objects.exists()


def test_a_second_alert_of_the_same_declaration_joins_its_open_ticket(connection):
    feed(connection, rejected(connection, code="CDS12016"))
    alerts_escalate(now=T0 + WAIT)
    feed(
        connection,
        event(connection, status="Submitted", previous="CustomsError", at=T0 + timedelta(minutes=1)),
        rejected(connection, code="CDS10001", at=T0 + timedelta(minutes=2)),
        at=T0 + timedelta(minutes=2),
    )
    alerts_escalate(now=T0 + timedelta(minutes=3))

    assert Alert.objects.filter(state="firing").count() == 2
    assert Ticket.objects.count() == 1
    assert TicketActivity.objects.filter(action="alert_added").count() == 1


def test_a_fingerprint_firing_again_within_24_hours_reopens_its_ticket(connection):
    feed(connection, rejected(connection))
    alerts_escalate(now=T0 + WAIT)
    ticket = Ticket.objects.get()
    feed(
        connection,
        event(connection, status="Accepted", previous="CustomsError", at=T0 + timedelta(hours=1)),
        at=T0 + timedelta(hours=1),
    )
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.RESOLVED)

    later = T0 + timedelta(hours=20)
    feed(connection, event(connection, status="Submitted", previous="Accepted", at=later), at=later)
    feed(connection, rejected(connection, at=later + timedelta(seconds=1)), at=later + timedelta(seconds=1))
    alerts_escalate(now=later + timedelta(minutes=1))

    assert Alert.objects.count() == 2
    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert TicketActivity.objects.filter(ticket=ticket, action="reopened").exists()


def test_after_24_hours_the_same_fingerprint_opens_a_new_ticket(connection):
    feed(connection, rejected(connection))
    alerts_escalate(now=T0 + WAIT)
    feed(
        connection,
        event(connection, status="Accepted", previous="CustomsError", at=T0 + timedelta(hours=1)),
        at=T0 + timedelta(hours=1),
    )

    later = T0 + timedelta(hours=26)
    feed(connection, event(connection, status="Submitted", previous="Accepted", at=later), at=later)
    feed(connection, rejected(connection, at=later + timedelta(seconds=1)), at=later + timedelta(seconds=1))
    alerts_escalate(now=later + timedelta(minutes=1))

    assert Ticket.objects.count() == 2


def test_resolution_is_noted_on_the_ticket(connection):
    feed(connection, rejected(connection))
    alerts_escalate(now=T0 + WAIT)
    feed(
        connection,
        event(connection, status="Accepted", previous="CustomsError", at=T0 + timedelta(minutes=2)),
        at=T0 + timedelta(minutes=2),
    )

    note = TicketActivity.objects.get(action="alerts_resolved")
    assert note.detail["resolution"] == "declaration moved on to Accepted"
    assert note.channel == "automation"


@override_settings(INCIDENT_MIN_DECLARATIONS=5)
def test_a_few_rejections_with_one_code_stay_separate_tickets(connection):
    feed(connection, *[rejected(connection, declaration_id=f"d-{i}") for i in range(4)])
    alerts_escalate(now=T0 + WAIT)
    assert not Incident.objects.exists()
    assert Ticket.objects.count() == 4


@override_settings(INCIDENT_MIN_DECLARATIONS=5)
def test_five_rejections_with_one_code_are_one_incident_with_one_ticket(connection):
    feed(connection, *[rejected(connection, declaration_id=f"d-{i}") for i in range(5)])
    feed(connection, rejected(connection, declaration_id="other", code="CDS10001"))
    alerts_escalate(now=T0 + WAIT)

    incident = Incident.objects.get()
    assert (incident.kind, incident.reason_code, incident.customs_system) == ("error_storm", "CDS12016", "PLDA")
    assert incident.alerts.count() == 5
    assert Ticket.objects.count() == 2  # the incident's, and the unrelated CDS10001 rejection's
    assert incident.ticket.declarations.count() == 5
    assert incident.ticket.priority == Ticket.Priority.URGENT

    # every declaration recovering closes the incident
    feed(
        connection,
        *[
            event(
                connection,
                declaration_id=f"d-{i}",
                status="Accepted",
                previous="CustomsError",
                at=T0 + timedelta(minutes=5),
            )
            for i in range(5)
        ],
        at=T0 + timedelta(minutes=5),
    )
    incident.refresh_from_db()
    assert not incident.is_open


def test_a_thousand_rejections_within_a_minute_are_one_incident_one_ticket_a_thousand_declarations(connection):
    # 1,000 declarations rejected with the same code over 60 s, delivered in pages every 10 s, with
    # the escalation running every 5 s as beat runs it.
    per_page = 1000 // 6 + 1
    numbers = iter(range(1000))
    for step in range(0, 125, 5):
        now = T0 + timedelta(seconds=step)
        if step % 10 == 0 and step <= 50:
            page = [
                rejected(connection, declaration_id=f"d-{n}", at=now)
                for n in [next(numbers, None) for _ in range(per_page)]
                if n is not None
            ]
            feed(connection, *page, at=now)
        alerts_escalate(now=now)

    assert Declaration.objects.count() == 1000
    assert Alert.objects.filter(state="firing").count() == 1000
    incident = Incident.objects.get()
    ticket = Ticket.objects.get()
    assert incident.ticket == ticket
    assert TicketDeclaration.objects.filter(ticket=ticket).count() == 1000
    assert incident.alerts.count() == 1000
