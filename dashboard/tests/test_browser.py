"""The agent dashboard and the customer portal in a real browser (Playwright driving Debian's Chromium).

Scenarios of issue 6: an agent signs in, takes a ticket from the queue, replies and proposes a
resolution; a customer signs in, raises a ticket and accepts the proposal; a customer cannot open
another organisation's ticket by URL. axe-core (vendored, injected into the page) checks the main pages
for serious or critical accessibility violations. Screenshots go to build/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.tests.factories import AgentFactory, OrganisationFactory, UserFactory
from activesupport.tests.browser import serious_violations, shot, sign_in
from monitoring.ingest import RawItem, events_ingest
from monitoring.tests.factories import CasConnectionFactory, status_event
from tickets.models import ResolutionProposal, Ticket
from tickets.services import proposal_create, ticket_open, ticket_reply

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(desk_defaults):
    """An Active Support customer with a rejected declaration and a ticket about it, an agent, a stranger."""
    organisation = OrganisationFactory(name="Acme Imports NV", support_plan="active")
    connection = CasConnectionFactory(organisation=organisation)
    rejection = status_event(
        tenant=organisation.cas_tenant_id,
        declaration_id="acme-1",
        status="CustomsError",
        previous="Submitted",
        errors=[
            {
                "source": "Customs",
                "errorCode": "CDS12016",
                "message": "Date error",
                "fieldReference": [{"fieldName": "AcceptanceDateTime", "path": "42A.23A"}],
            }
        ],
    )
    events_ingest(connection=connection, items=[RawItem(value=rejection)], source="pull")
    customer = UserFactory(username="buyer", organisation=organisation)
    agent = AgentFactory(username="agent", first_name="Ann")
    ticket = ticket_open(
        organisation_id=organisation.pk,
        subject="Release stuck at the port",
        description="Accepted yesterday, no release since.",
        channel="portal",
        ticket_type="release_not_received",
        requester=customer,
        declaration_ids=[organisation.declarations.get().pk],
    )
    stranger_org = OrganisationFactory(name="Beta Exports BV")
    stranger = UserFactory(username="stranger", organisation=stranger_org)
    return {"customer": customer, "agent": agent, "ticket": ticket, "stranger": stranger, "organisation": organisation}


def test_an_agent_takes_a_ticket_from_the_queue_replies_and_proposes(page, live_server, desk):
    sign_in(page, live_server, "agent")
    page.goto(live_server.url + reverse("ticket-queue"))
    shot(page, "agent-queue")
    # A filter applies at once (htmx) and the URL follows, so the filtered queue is a link to share.
    page.get_by_label("Type").select_option("release_not_received")
    page.wait_for_url("**ticket_type=release_not_received**")
    expect(page.locator("#queue")).to_contain_text("Release stuck at the port")
    # The keyboard: j selects the first (most urgent) ticket, o opens it.
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url("**" + reverse("ticket-page", args=[desk["ticket"].pk]))
    page.get_by_role("button", name="Assign to me").click()
    # A canned reply arrives filled in for this ticket; the agent then writes their own words over it.
    page.get_by_label("Start from a canned reply").select_option(
        label="Release not received: chasing customs (for this type)"
    )
    page.get_by_role("button", name="Insert").click()
    filled_in = re.compile(r"^Hello .*The release of ", re.DOTALL)
    expect(page.get_by_role("textbox", name="Message")).to_have_value(filled_in)
    page.get_by_role("textbox", name="Message").fill("We are chasing the National Clearance Hub with the MRN.")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("textbox", name="Proposed resolution").fill(
        "Send an enquiry to the NCH and re-present the documents."
    )
    page.get_by_role("button", name="Propose to the customer").click()
    page.wait_for_load_state("networkidle")
    shot(page, "agent-ticket")

    ticket = Ticket.objects.get(pk=desk["ticket"].pk)
    assert ticket.assignee == desk["agent"]
    assert ticket.first_responded_at is not None
    assert ticket.status == Ticket.Status.PENDING_CUSTOMER
    assert ResolutionProposal.objects.get(ticket=ticket).status == ResolutionProposal.Status.PROPOSED
    assert ticket.sla_policy is not None and ticket.first_responded_at >= ticket.sla_started_at
    assert page.get_by_text("We are chasing the National Clearance Hub").is_visible()


def test_a_customer_raises_a_ticket_and_accepts_the_proposal(page, live_server, desk):
    sign_in(page, live_server, "buyer")
    assert page.url.endswith(reverse("portal-home"))
    page.get_by_role("link", name="Raise a ticket").click()
    page.wait_for_load_state()  # htmx (a deferred script) listens from here on
    # Choosing the type brings its questions (htmx); the reference field appears once they are in.
    page.get_by_label("What do you need help with?").select_option("declaration_error")
    page.get_by_label("Subject").fill("Rejected import this morning")
    page.get_by_label("Declaration reference (LRN or MRN)").fill("LRNacme-1")
    page.get_by_label("What happened?").fill("CDS rejected it with CDS12016.")
    page.get_by_role("button", name="Raise the ticket").click()
    page.wait_for_load_state("networkidle")
    shot(page, "portal-new-ticket-raised")
    raised = Ticket.objects.get(subject="Rejected import this morning")
    assert list(raised.declarations.values_list("cas_id", flat=True)) == ["acme-1"]

    proposal_create(
        ticket=raised, agent=desk["agent"], summary="Correct the acceptance date and resubmit.", channel="dashboard"
    )
    page.goto(live_server.url + reverse("portal-ticket", args=[raised.pk]))
    assert page.get_by_text("We are waiting for you.").is_visible()
    page.get_by_role("combobox", name="Decision").select_option("accept")
    page.get_by_role("button", name="Send my decision").click()
    page.wait_for_load_state("networkidle")
    shot(page, "portal-ticket-accepted")

    assert ResolutionProposal.objects.get(ticket=raised).status == ResolutionProposal.Status.ACCEPTED
    assert Ticket.objects.get(pk=raised.pk).status == Ticket.Status.OPEN


def test_new_messages_appear_on_an_open_ticket_page_without_a_reload(browser, live_server, desk):
    """The agent and the customer each have the ticket open; what the other writes appears (htmx)."""
    agent_context = browser.new_context(viewport={"width": 1280, "height": 900})
    customer_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        agent_page, customer_page = agent_context.new_page(), customer_context.new_page()
        sign_in(agent_page, live_server, "agent")
        agent_page.goto(live_server.url + reverse("ticket-page", args=[desk["ticket"].pk]))
        sign_in(customer_page, live_server, "buyer")
        customer_page.goto(live_server.url + reverse("portal-ticket", args=[desk["ticket"].pk]))
        agent_page.get_by_role("textbox", name="Message").fill("half-typed, must survive the refresh")

        ticket_reply(ticket=desk["ticket"], author=desk["customer"], body="The truck is waiting.", channel="portal")
        ticket_reply(ticket=desk["ticket"], author=desk["agent"], body="We are on it.", channel="dashboard")

        expect(agent_page.locator("#messages")).to_contain_text("The truck is waiting.", timeout=15_000)
        expect(customer_page.locator("#messages")).to_contain_text("We are on it.", timeout=15_000)
        expect(agent_page.get_by_role("textbox", name="Message")).to_have_value("half-typed, must survive the refresh")
    finally:
        agent_context.close()
        customer_context.close()


def test_a_customer_cannot_open_another_organisations_ticket_by_url(page, live_server, desk):
    sign_in(page, live_server, "stranger")
    response = page.goto(live_server.url + reverse("portal-ticket", args=[desk["ticket"].pk]))
    assert response.status == 404
    assert "Release stuck at the port" not in page.content()
    page.goto(live_server.url + reverse("ticket-page", args=[desk["ticket"].pk]))
    assert page.url.endswith(reverse("portal-home"))  # agent pages send a customer to the portal
    assert "Release stuck at the port" not in page.content()


@pytest.mark.parametrize(
    ("who", "page_name"),
    [
        ("agent", "ticket-queue"),
        ("agent", "ticket-page"),
        ("agent", "declaration-page"),
        ("agent", "home"),
        ("agent", "insights"),
        ("buyer", "portal-home"),
        ("buyer", "portal-ticket-new"),
    ],
)
def test_the_main_pages_have_no_serious_accessibility_violations(audited_page, live_server, desk, who, page_name):
    page = audited_page
    arguments = {
        "ticket-page": [desk["ticket"].pk],
        "declaration-page": [desk["organisation"].declarations.get().pk],
    }.get(page_name, [])
    sign_in(page, live_server, who)
    page.goto(live_server.url + reverse(page_name, args=arguments))
    page.wait_for_load_state("networkidle")
    shot(page, f"axe-{page_name}")
    assert serious_violations(page) == []


AGENT_PAGES = ["home", "ticket-queue", "ticket-page", "declaration-page", "insights"]


def page_url(live_server, desk, name: str) -> str:
    arguments = {
        "ticket-page": [desk["ticket"].pk],
        "declaration-page": [desk["organisation"].declarations.get().pk],
    }.get(name, [])
    return live_server.url + reverse(name, args=arguments)


@pytest.mark.parametrize(("width", "height", "label"), [(1280, 800, "laptop"), (768, 1024, "tablet")])
def test_the_agent_pages_fit_a_laptop_and_a_tablet(browser, live_server, desk, width, height, label):
    """Nothing spills sideways: a wide table scrolls inside its card, the page itself never does."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, live_server, "agent")
        for name in AGENT_PAGES:
            page.goto(page_url(live_server, desk, name))
            page.wait_for_load_state("networkidle")
            shot(page, f"{label}-{name}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px {label}"
    finally:
        context.close()
