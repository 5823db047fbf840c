"""The customer portal over real requests: raise, follow, reply, decide; and the tenant wall around
tickets, attachments and history (issue 4 acceptance: cross-tenant tests)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import AgentFactory, OrganisationFactory, UserFactory
from declarations.models import Declaration
from tickets.models import ResolutionProposal, Ticket, TicketAttachment
from tickets.services import proposal_create, ticket_open, ticket_reply

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def org_a():
    return OrganisationFactory(name="Alpha Imports", support_plan="active")


@pytest.fixture
def org_b():
    return OrganisationFactory(name="Beta Exports", support_plan="active")


@pytest.fixture
def alice(org_a):
    return UserFactory(organisation=org_a)


@pytest.fixture
def bob(org_b):
    return UserFactory(organisation=org_b)


@pytest.fixture
def agent():
    return AgentFactory()


@pytest.fixture
def ticket_a(alice, agent):
    ticket = ticket_open(
        organisation_id=alice.organisation_id,
        subject="Alpha's rejection",
        description="CDS12016",
        channel="portal",
        ticket_type="declaration_error",
        requester=alice,
    )
    ticket_reply(
        ticket=ticket, author=alice, body="invoice", channel="portal", files=[SimpleUploadedFile("inv.pdf", PDF)]
    )
    ticket_reply(
        ticket=ticket,
        author=agent,
        body="secret internal",
        channel="dashboard",
        internal=True,
        files=[SimpleUploadedFile("note.pdf", PDF)],
    )
    proposal_create(ticket=ticket, agent=agent, summary="Amend 23A", action="amendment", channel="dashboard")
    return ticket


def test_a_customer_raises_a_ticket_about_their_declaration(client, alice):
    declaration = Declaration.objects.create(organisation=alice.organisation, cas_id="d-1", lrn="ALPHA001")
    client.force_login(alice)
    response = client.post(
        reverse("portal-ticket-new"),
        {
            "ticket_type": "declaration_error",
            "subject": "Rejected import",
            "declaration_reference": "ALPHA001",
            "customs_system": "CDS",
            "description": "Rejected with CDS12016 this morning.",
            "priority": "high",
            "files": [SimpleUploadedFile("invoice.pdf", PDF)],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("portal-ticket", args=[ticket.pk])
    assert (ticket.requester, ticket.channel, ticket.priority) == (alice, "portal", "high")
    assert list(ticket.declarations.all()) == [declaration]
    assert ticket.attachments.count() == 1
    page = client.get(reverse("portal-ticket", args=[ticket.pk])).content.decode()
    assert "First response: within" in page and "by " in page


def test_the_customer_accepts_the_proposed_resolution(client, alice, ticket_a):
    client.force_login(alice)
    page = client.get(reverse("portal-ticket", args=[ticket_a.pk])).content.decode()
    assert "Amend 23A" in page and "We are waiting for you." in page
    assert "secret internal" not in page and "note.pdf" not in page  # internal notes stay internal
    proposal = ResolutionProposal.objects.get()
    client.post(
        reverse("portal-proposal-decide", args=[ticket_a.pk, proposal.pk]), {"decision": "accept", "note": "ok"}
    )
    proposal.refresh_from_db()
    assert proposal.status == "accepted"
    assert Ticket.objects.get(pk=ticket_a.pk).status == Ticket.Status.OPEN


def test_a_customer_never_sees_or_changes_another_organisations_ticket(client, bob, ticket_a):
    client.force_login(bob)
    proposal = ResolutionProposal.objects.get()
    attachment = TicketAttachment.objects.get(is_internal=False)

    assert client.get(reverse("portal-ticket", args=[ticket_a.pk])).status_code == 404
    assert client.post(reverse("portal-ticket-reply", args=[ticket_a.pk]), {"body": "hi"}).status_code == 404
    decide = reverse("portal-proposal-decide", args=[ticket_a.pk, proposal.pk])
    assert client.post(decide, {"decision": "accept"}).status_code == 404
    assert client.get(reverse("attachment-download", args=[attachment.token])).status_code == 404
    listing = client.get(reverse("portal-home")).content.decode()
    assert "Alpha&#x27;s rejection" not in listing and "Alpha's rejection" not in listing

    proposal.refresh_from_db()
    assert proposal.status == ResolutionProposal.Status.PROPOSED
    assert not Ticket.objects.get(pk=ticket_a.pk).messages.filter(author=bob).exists()


def test_a_customer_downloads_their_own_attachment_but_never_an_internal_one(client, alice, ticket_a):
    client.force_login(alice)
    public = TicketAttachment.objects.get(is_internal=False)
    internal = TicketAttachment.objects.get(is_internal=True)
    response = client.get(reverse("attachment-download", args=[public.token]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF
    assert client.get(reverse("attachment-download", args=[internal.token])).status_code == 404


def test_the_history_a_customer_sees_leaves_out_internal_rows(client, alice, ticket_a):
    client.force_login(alice)
    page = client.get(reverse("portal-ticket", args=[ticket_a.pk])).content.decode()
    assert "resolution proposed" in page
    assert "note_added" not in page and "note added" not in page


def test_agent_pages_send_customers_to_the_portal(client, alice, ticket_a):
    client.force_login(alice)
    assert client.get(reverse("ticket-page", args=[ticket_a.pk]))["Location"] == reverse("portal-home")
    assert client.get(reverse("ticket-queue"))["Location"] == reverse("portal-home")
    assert client.post(reverse("ticket-act", args=[ticket_a.pk, "assign-me"]))["Location"] == reverse("portal-home")


def test_an_agent_works_a_ticket_from_the_queue(client, agent, alice):
    ticket = ticket_open(
        organisation_id=alice.organisation_id,
        subject="Stuck",
        description="No release",
        channel="portal",
        ticket_type="release_not_received",
        requester=alice,
    )
    client.force_login(agent)
    queue = client.get(reverse("ticket-queue")).content.decode()
    assert reverse("ticket-page", args=[ticket.pk]) in queue

    client.post(reverse("ticket-act", args=[ticket.pk, "assign-me"]))
    client.post(reverse("ticket-act", args=[ticket.pk, "reply"]), {"body": "We are chasing the NCH."})
    client.post(reverse("ticket-act", args=[ticket.pk, "propose"]), {"summary": "Send the enquiry", "action": ""})

    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.first_responded_at is not None
    assert ticket.status == Ticket.Status.PENDING_CUSTOMER
    page = client.get(reverse("ticket-page", args=[ticket.pk])).content.decode()
    assert "SLA timeline" in page and "Waiting for the customer" in page and "We are chasing the NCH." in page


def test_the_sla_promise_is_told_in_the_customers_own_time_zone(client, alice):
    ticket = ticket_open(organisation_id=alice.organisation_id, subject="New", channel="portal", requester=alice)
    alice.time_zone = "America/New_York"
    alice.save(update_fields=["time_zone"])
    client.force_login(alice)
    html = client.get(reverse("portal-ticket", args=[ticket.pk])).content.decode()
    assert "(America/New_York time)" in html
    assert "Business hours: Brussels business hours" in html
