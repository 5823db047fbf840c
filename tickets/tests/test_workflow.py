"""Replies, notes, attachments, scope and customer alignment, each written to the ticket's history."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AgentFactory, OrganisationFactory, UserFactory
from tickets.models import ResolutionProposal, Ticket, TicketActivity, TicketAttachment
from tickets.scope import scope_assess
from tickets.services import (
    TicketError,
    proposal_carry_out,
    proposal_create,
    proposal_decide,
    ticket_open,
    ticket_reply,
    ticket_scope_confirm,
    ticket_transition,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def customer():
    return UserFactory(organisation=OrganisationFactory(support_plan="active"))


@pytest.fixture
def agent():
    return AgentFactory()


@pytest.fixture
def ticket(customer):
    return ticket_open(
        organisation_id=customer.organisation_id,
        subject="Release not received for MRN 26GB0000000000001",
        description="Accepted two hours ago, still no release.",
        channel="portal",
        ticket_type="release_not_received",
        requester=customer,
    )


def actions(ticket):
    return list(TicketActivity.objects.filter(ticket=ticket).values_list("action", "channel"))


def test_every_change_lands_in_the_history_with_its_channel(ticket, customer, agent):
    ticket_reply(ticket=ticket, author=agent, body="Checking with customs.", channel="dashboard")
    ticket_reply(ticket=ticket, author=customer, body="Thanks", channel="api")
    ticket_transition(ticket=ticket, status="resolved", actor=agent, channel="dashboard", reason="released")
    assert actions(ticket) == [
        ("opened", "portal"),
        ("replied", "dashboard"),
        ("status_changed", "dashboard"),  # new -> open on the first reply
        ("replied", "api"),
        ("status_changed", "dashboard"),
    ]


def test_a_customer_cannot_write_internal_notes_or_move_the_ticket(ticket, customer):
    with pytest.raises(TicketError):
        ticket_reply(ticket=ticket, author=customer, body="psst", channel="portal", internal=True)
    with pytest.raises(TicketError):
        ticket_transition(ticket=ticket, status="resolved", actor=customer, channel="portal")


def test_another_organisations_customer_cannot_touch_the_ticket(ticket):
    stranger = UserFactory(organisation=OrganisationFactory())
    with pytest.raises(TicketError, match="no such ticket"):
        ticket_reply(ticket=ticket, author=stranger, body="hello", channel="portal")


def test_attachments_are_checked_by_content_and_stored_under_a_random_name(ticket, customer, settings, tmp_path):
    settings.ATTACHMENT_MAX_BYTES = 1024
    message = ticket_reply(
        ticket=ticket,
        author=customer,
        body="The invoice",
        channel="portal",
        files=[SimpleUploadedFile("../../invoice.pdf", PDF, content_type="text/html")],
    )
    attachment = TicketAttachment.objects.get(message=message)
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "invoice.pdf",
        "application/pdf",
        len(PDF),
    )
    assert "invoice" not in attachment.file.name and attachment.token in attachment.file.name
    assert attachment.file.read() == PDF

    with pytest.raises(TicketError, match="not a type we accept"):
        ticket_reply(
            ticket=ticket,
            author=customer,
            body="x",
            channel="portal",
            files=[SimpleUploadedFile("tool.pdf", b"MZ\x90\x00\x03\x00\x00\x00", content_type="application/pdf")],
        )
    with pytest.raises(TicketError, match="larger than"):
        ticket_reply(
            ticket=ticket,
            author=customer,
            body="x",
            channel="portal",
            files=[SimpleUploadedFile("big.pdf", PDF + b"0" * 2000)],
        )
    settings.ATTACHMENT_MAX_PER_MESSAGE = 1
    with pytest.raises(TicketError, match="at most 1"):
        ticket_reply(
            ticket=ticket,
            author=customer,
            body="x",
            channel="portal",
            files=[SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", PDF)],
        )
    assert TicketAttachment.objects.count() == 1  # nothing of a refused message was kept


def test_only_an_accepted_proposal_can_be_carried_out(ticket, customer, agent):
    proposal = proposal_create(
        ticket=ticket, agent=agent, summary="Amend the acceptance date", action="amendment", channel="dashboard"
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING_CUSTOMER
    with pytest.raises(TicketError, match="only a resolution the customer accepted"):
        proposal_carry_out(proposal=proposal, agent=agent, channel="dashboard")
    with pytest.raises(TicketError, match="only the customer decides"):
        proposal_decide(proposal=proposal, customer=agent, accept=True, channel="dashboard")
    with pytest.raises(TicketError, match="no such ticket"):
        proposal_decide(proposal=proposal, customer=UserFactory(), accept=True, channel="portal")

    proposal_decide(proposal=proposal, customer=customer, accept=True, channel="portal", note="Go ahead")
    proposal_carry_out(proposal=proposal, agent=agent, channel="dashboard")

    proposal.refresh_from_db()
    ticket.refresh_from_db()
    assert proposal.status == ResolutionProposal.Status.CARRIED_OUT
    assert proposal.decided_by == customer
    assert ticket.status == Ticket.Status.OPEN
    history = [action for action, _ in actions(ticket)]
    assert history[-5:] == [
        "resolution_proposed",
        "status_changed",  # waiting for the customer: the clocks pause
        "proposal_accepted",
        "status_changed",  # back with the agent: the clocks resume
        "resolution_carried_out",
    ]


def test_a_rejected_proposal_goes_back_to_the_agent(ticket, customer, agent):
    proposal = proposal_create(ticket=ticket, agent=agent, summary="Invalidate and re-lodge", channel="dashboard")
    proposal_decide(proposal=proposal, customer=customer, accept=False, channel="portal", note="Rather amend")
    proposal.refresh_from_db()
    assert proposal.status == ResolutionProposal.Status.REJECTED
    with pytest.raises(TicketError):
        proposal_carry_out(proposal=proposal, agent=agent, channel="dashboard")
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN


@pytest.mark.parametrize(
    ("ticket_type", "subject", "description", "category"),
    [
        ("other", "TRACES certificate", "Can you create the CHED-P in TRACES for our shipment?", "document_services"),
        (
            "other",
            "Commodity code",
            "Which commodity code should we use for these bicycle parts?",
            "tariff_classification",
        ),
        ("other", "AEO", "Please help us with our AEO application.", "authorisation_management"),
        (
            "other",
            "IP check",
            "Could you audit our inward processing compliance for 2026?",
            "special_procedures_compliance",
        ),
        ("other", "Question", "We would like your advice on how to declare samples.", "consulting"),
    ],
)
def test_out_of_scope_requests_are_recognised(ticket_type, subject, description, category):
    verdict = scope_assess(ticket_type=ticket_type, subject=subject, description=description, plan="active")
    assert (verdict.scope, verdict.category) == ("out_of_scope", category)
    assert "not part of the Active Support service" in verdict.reply


def test_a_rejection_that_mentions_a_code_is_our_work():
    verdict = scope_assess(
        ticket_type="declaration_error",
        subject="CDS40066 on our import",
        description="Customs rejected it: tariff condition not fulfilled. Which commodity code should we use?",
        plan="active",
    )
    assert verdict.scope == "in_scope"


def test_a_standard_plan_gets_standard_support_only():
    assert scope_assess(ticket_type="release_not_received", subject="x", description="y", plan="standard").scope == (
        "not_in_plan"
    )
    assert scope_assess(ticket_type="cas_admin", subject="Password", description="reset", plan="standard").scope == (
        "in_scope"
    )


def test_an_out_of_scope_ticket_is_flagged_and_declined_once_an_agent_confirms(customer, agent):
    ticket = ticket_open(
        organisation_id=customer.organisation_id,
        subject="IPAFFS",
        description="Please file the IPAFFS pre-notification for our plants.",
        channel="portal",
        requester=customer,
    )
    assert ticket.scope == Ticket.Scope.OUT_OF_SCOPE
    assert not ticket.messages.exists()  # nothing is sent before an agent confirms

    ticket_scope_confirm(ticket=ticket, agent=agent, channel="dashboard")
    ticket.refresh_from_db()
    assert ticket.scope == Ticket.Scope.DECLINED
    assert ticket.status == Ticket.Status.RESOLVED
    reply = ticket.messages.get()
    assert not reply.is_internal and "not part of the Active Support service" in reply.body


def test_agents_read_the_sla_policies_and_support_admins_change_them(client):
    from django.urls import reverse

    from accounts.models import User
    from tickets.models import SlaPolicy

    policy = SlaPolicy.objects.first()
    client.force_login(AgentFactory(is_staff=True))
    assert client.get(reverse("admin:tickets_slapolicy_changelist")).status_code == 200
    assert client.post(reverse("admin:tickets_slapolicy_change", args=[policy.pk]), {}).status_code == 403
    client.force_login(AgentFactory(is_staff=True, role=User.Role.SUPPORT_ADMIN))
    assert (
        b'name="first_response_minutes"'
        in client.get(reverse("admin:tickets_slapolicy_change", args=[policy.pk])).content
    )


def test_closing_a_resolved_ticket_keeps_when_it_was_resolved(ticket, agent):
    with time_machine.travel(datetime(2026, 11, 30, 10, 0, tzinfo=UTC), tick=False):
        ticket_transition(ticket=ticket, status="resolved", actor=agent, channel="dashboard")
    with time_machine.travel(datetime(2026, 12, 7, 10, 0, tzinfo=UTC), tick=False):
        ticket_transition(ticket=ticket, status="closed", actor=agent, channel="dashboard")
    ticket.refresh_from_db()
    assert ticket.resolved_at == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    # Closed straight from open, the closing is the resolution.
    other = ticket_open(organisation_id=ticket.organisation_id, subject="x", channel="api")
    with time_machine.travel(datetime(2026, 12, 8, 10, 0, tzinfo=UTC), tick=False):
        ticket_transition(ticket=other, status="closed", actor=agent, channel="dashboard")
    other.refresh_from_db()
    assert other.resolved_at == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
