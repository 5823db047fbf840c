"""SLAs on real tickets: clocks started, paused, resumed and fulfilled by what happens to the ticket,
deadlines recomputed from the clock rows (issue 4 acceptance)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from accounts.tests.factories import AgentFactory, OrganisationFactory, UserFactory
from tickets.clocks import Metric, sla_check, ticket_clocks
from tickets.models import SlaClockEvent, SlaPolicy, Ticket
from tickets.services import proposal_create, proposal_decide, ticket_open, ticket_reply, ticket_set_priority

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=BRUSSELS)


@pytest.fixture
def one_hour_policy():
    """Urgent tickets of active plans: first response within 1 business hour."""
    SlaPolicy.objects.filter(match_plan="active", match_priority="urgent").update(first_response_minutes=60)
    return SlaPolicy.objects.get(match_plan="active", match_priority="urgent")


@pytest.fixture
def customer():
    return UserFactory(organisation=OrganisationFactory(support_plan="active"), email="buyer@example.com")


@pytest.fixture
def agent():
    return AgentFactory(email="agent@example.com")


def raise_ticket(customer, at, priority="urgent"):
    with time_machine.travel(at, tick=False):
        return ticket_open(
            organisation_id=customer.organisation_id,
            subject="Declaration rejected, CDS12016",
            description="Our import was rejected with CDS12016.",
            channel="portal",
            ticket_type="declaration_error",
            priority=priority,
            requester=customer,
        )


def first_response(ticket, now):
    return ticket_clocks(Ticket.objects.get(pk=ticket.pk), now=now)[Metric.FIRST_RESPONSE].state


def test_friday_1630_with_one_business_hour_is_due_monday_0930(customer, one_hour_policy):
    ticket = raise_ticket(customer, local(2026, 11, 27, 16, 30))
    assert first_response(ticket, local(2026, 11, 27, 16, 31)).due_at == local(2026, 11, 30, 9, 30)
    ticket.refresh_from_db()
    assert ticket.sla_due_at == local(2026, 11, 30, 9, 30)  # kept on the ticket for the queue


def test_the_friday_before_a_holiday_is_due_on_the_next_working_day(customer, one_hour_policy):
    # Thursday 24 December 2026, 16:30; 25 December is a holiday, then the weekend.
    ticket = raise_ticket(customer, local(2026, 12, 24, 16, 30))
    assert first_response(ticket, local(2026, 12, 24, 16, 31)).due_at == local(2026, 12, 28, 9, 30)


def test_an_agents_public_reply_is_the_first_response_an_internal_note_is_not(customer, agent, one_hour_policy):
    ticket = raise_ticket(customer, local(2026, 11, 25, 10, 0))
    with time_machine.travel(local(2026, 11, 25, 10, 20), tick=False):
        ticket_reply(ticket=ticket, author=agent, body="Looking into it (internal)", channel="dashboard", internal=True)
    assert first_response(ticket, local(2026, 11, 25, 10, 21)).fulfilled_at is None
    with time_machine.travel(local(2026, 11, 25, 10, 40), tick=False):
        ticket_reply(ticket=ticket, author=agent, body="We are on it.", channel="dashboard")
    state = first_response(ticket, local(2026, 11, 25, 12, 0))
    assert state.fulfilled_at == local(2026, 11, 25, 10, 40)
    assert not state.is_breached
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_a_ticket_paused_for_two_days_keeps_its_remaining_time(customer, agent):
    # Normal priority: resolution within 2,400 business minutes (five business days).
    ticket = raise_ticket(customer, local(2026, 11, 23, 9, 0), priority="normal")  # Monday
    with time_machine.travel(local(2026, 11, 23, 11, 0), tick=False):
        proposal = proposal_create(ticket=ticket, agent=agent, summary="Amend box 23A", channel="dashboard")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING_CUSTOMER
    paused = ticket_clocks(ticket, now=local(2026, 11, 24, 12, 0))[Metric.RESOLUTION].state
    assert paused.paused and paused.due_at is None
    assert paused.remaining == timedelta(minutes=2400) - timedelta(hours=2)

    # The customer decides two days later: the clock resumes with the same remaining time.
    with time_machine.travel(local(2026, 11, 25, 11, 0), tick=False):
        proposal_decide(proposal=proposal, customer=customer, accept=True, channel="portal")
    resumed = ticket_clocks(Ticket.objects.get(pk=ticket.pk), now=local(2026, 11, 25, 11, 1))[Metric.RESOLUTION].state
    assert resumed.is_running
    assert resumed.due_at == local(2026, 12, 1, 17, 0)  # 38 business hours after Wednesday 11:00
    assert [pause.reason for pause in resumed.pauses] == ["Waiting for the customer"]


def test_changing_the_policy_recomputes_the_deadlines_from_the_clock_rows(customer, agent, one_hour_policy):
    ticket = raise_ticket(customer, local(2026, 11, 25, 10, 0), priority="normal")
    assert first_response(ticket, local(2026, 11, 25, 10, 1)).due_at == local(2026, 11, 25, 14, 0)  # 240 min
    rows_before = SlaClockEvent.objects.filter(ticket=ticket).count()

    with time_machine.travel(local(2026, 11, 25, 10, 30), tick=False):
        ticket_set_priority(ticket=ticket, priority="urgent", actor=agent, channel="dashboard")

    # Same start row, new target: due one business hour after the ticket was raised.
    assert first_response(ticket, local(2026, 11, 25, 10, 31)).due_at == local(2026, 11, 25, 11, 0)
    assert SlaClockEvent.objects.filter(ticket=ticket).count() == rows_before + 1
    assert (
        SlaClockEvent.objects.filter(ticket=ticket, kind="policy").last().reason.startswith("priority normal -> urgent")
    )

    # An admin changes the policy itself: the deadline follows, nothing is rewritten.
    one_hour_policy.first_response_minutes = 30
    one_hour_policy.save()
    assert first_response(ticket, local(2026, 11, 25, 10, 31)).due_at == local(2026, 11, 25, 10, 30)
    assert SlaClockEvent.objects.filter(ticket=ticket).count() == rows_before + 1


def test_a_customer_reply_starts_the_next_update_clock(customer, agent):
    ticket = raise_ticket(customer, local(2026, 11, 25, 10, 0), priority="high")
    with time_machine.travel(local(2026, 11, 25, 10, 30), tick=False):
        ticket_reply(ticket=ticket, author=agent, body="What is the LRN?", channel="dashboard")
    with time_machine.travel(local(2026, 11, 25, 11, 0), tick=False):
        ticket_reply(ticket=ticket, author=customer, body="LRN ACME123", channel="portal")
    update = ticket_clocks(Ticket.objects.get(pk=ticket.pk), now=local(2026, 11, 25, 11, 1))[Metric.NEXT_UPDATE]
    assert update.state.is_running
    assert update.state.due_at == local(2026, 11, 25, 15, 0)  # 240 business minutes
    with time_machine.travel(local(2026, 11, 25, 12, 0), tick=False):
        ticket_reply(ticket=ticket, author=agent, body="Fixed.", channel="dashboard")
    update = ticket_clocks(Ticket.objects.get(pk=ticket.pk), now=local(2026, 11, 25, 12, 1))[Metric.NEXT_UPDATE]
    assert update.state.fulfilled_at == local(2026, 11, 25, 12, 0)


def test_warnings_and_breaches_are_recorded_once_and_mailed_only_inside_business_hours(
    customer, agent, one_hour_policy, settings
):
    settings.SLA_TEAM_LEAD_EMAILS = ["lead@example.com"]
    ticket = raise_ticket(customer, local(2026, 11, 27, 16, 0))
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)

    sla_check(now=local(2026, 11, 27, 16, 50))  # 50 of 60 minutes used: a warning, inside hours
    assert SlaClockEvent.objects.filter(ticket=ticket, kind="warning").count() == 1
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {"agent@example.com", "lead@example.com"}
    assert "75 %" in mail.outbox[0].subject

    # Saturday: the breach (due Friday 17:00, one business hour after 16:00) is recorded, but nobody is
    # mailed at the weekend.
    sla_check(now=local(2026, 11, 28, 12, 0))
    breach = SlaClockEvent.objects.get(ticket=ticket, kind="breach")
    assert breach.at == local(2026, 11, 27, 17, 0)
    assert breach.notified_at is None
    assert len(mail.outbox) == 1

    sla_check(now=local(2026, 11, 30, 9, 5))  # Monday morning: the breach mail goes out, once
    sla_check(now=local(2026, 11, 30, 9, 10))
    assert SlaClockEvent.objects.filter(ticket=ticket, kind="breach").count() == 1
    assert len(mail.outbox) == 2
    assert "breached" in mail.outbox[1].subject
    ticket.refresh_from_db()
    assert ticket.sla_breached
