"""The portal's declaration, alert, download and user pages and the new-ticket form in a real browser
(Playwright driving Debian's Chromium, activesupport/tests/browser.py): no serious accessibility
violation, nothing spilling sideways on a tablet, and the new-ticket form asking each type's
questions with htmx and without JavaScript."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from accounts.tests.factories import OrganisationFactory, UserFactory
from activesupport.tests.browser import serious_violations, shot, sign_in
from declarations.models import Declaration, DeclarationEvent
from monitoring.models import Alert
from tickets.models import Ticket
from tickets.services import ticket_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portal(desk_defaults):
    """A customer admin whose organisation has a rejected declaration, an alert on it and a ticket."""
    organisation = OrganisationFactory(name="Acme Imports NV", support_plan="active")
    admin = UserFactory(username="boss", organisation=organisation, role=User.Role.CUSTOMER_ADMIN, email="b@acme.test")
    UserFactory(username="clerk", organisation=organisation, email="c@acme.test")
    now = timezone.now()
    declaration = Declaration.objects.create(
        organisation=organisation,
        cas_id="acme-1",
        lrn="LRNacme-1",
        mrn="26BE0000000000ACM1",
        customs_system="PLDA",
        declaration_type="IM",
        additional_declaration_type="A",
        procedure_code="4000",
        status="CustomsError",
        trader_reference="PO-4711",
        last_event_at=now,
        errors=[
            {
                "source": "Customs",
                "errorCode": "CDS12016",
                "message": "Date error",
                "fieldReference": [{"fieldName": "AcceptanceDateTime", "path": "42A.23A"}],
            }
        ],
    )
    DeclarationEvent.objects.create(
        organisation=organisation,
        declaration=declaration,
        event_id="e-1",
        event_type="DeclarationStatusChanged",
        event_time=now,
        received_at=now,
        status="CustomsError",
        source="pull",
        payload="{}",
    )
    Alert.objects.create(
        organisation=organisation,
        declaration=declaration,
        kind="customs_error",
        reason_code="CDS12016",
        fingerprint="acme/1/CDS12016",
        state=Alert.State.FIRING,
        field_name="AcceptanceDateTime",
        first_seen_at=now - timedelta(minutes=5),
        last_seen_at=now,
        fires_at=now,
    )
    ticket_open(
        organisation_id=organisation.pk,
        subject="Rejected on the date",
        channel="portal",
        ticket_type="declaration_error",
        requester=admin,
        declaration_ids=[declaration.pk],
    )
    return {"admin": admin, "declaration": declaration}


PAGES = [
    ("portal-declarations", False),
    ("portal-declaration", True),
    ("portal-alerts", False),
    ("portal-reports", False),
    ("portal-users", False),
    ("portal-user-new", False),
]


def url(live_server, portal, name: str, with_declaration: bool) -> str:
    return live_server.url + reverse(name, args=[portal["declaration"].pk] if with_declaration else [])


@pytest.mark.parametrize(("name", "with_declaration"), PAGES)
def test_the_portal_pages_have_no_serious_accessibility_violations(
    browser, live_server, portal, name, with_declaration
):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, "boss")
        page.goto(url(live_server, portal, name, with_declaration))
        page.wait_for_load_state("networkidle")
        shot(page, f"axe-{name}")
        assert serious_violations(page) == []
    finally:
        context.close()


def test_the_portal_pages_fit_a_tablet(browser, live_server, portal):
    """Nothing spills sideways; a table too wide scrolls inside its card and the keyboard reaches it."""
    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="en-GB", bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, "boss")
        for name, with_declaration in [*PAGES, ("portal-ticket-new", False)]:
            page.goto(url(live_server, portal, name, with_declaration))
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} is {overflow}px wider than a 768px tablet"
            assert serious_violations(page) == [], name
    finally:
        context.close()


def test_changing_the_type_asks_its_questions_and_keeps_what_was_typed(browser, live_server, portal):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, live_server, "boss")
        page.goto(live_server.url + reverse("portal-declaration", args=[portal["declaration"].pk]))
        page.get_by_role("link", name="Raise a ticket about this declaration").click()
        page.wait_for_load_state()  # htmx (a deferred script) listens from here on
        page.get_by_label("Subject").fill("Goods still at the port")
        page.get_by_label("What happened?").fill("Accepted on Monday, nothing since.")
        page.get_by_label("What do you need help with?").select_option("release_not_received")
        expect(page.get_by_label("Declaration reference (LRN or MRN)")).to_have_value("26BE0000000000ACM1")
        page.get_by_label("When was it lodged?").fill(timezone.localdate().isoformat())
        page.get_by_label("What do you need help with?").select_option("special_procedures_report")
        expect(page.get_by_label("Period")).to_be_visible()
        expect(page.get_by_label("When was it lodged?")).to_have_count(0)
        page.get_by_label("What do you need help with?").select_option("release_not_received")
        expect(page.get_by_label("When was it lodged?")).to_have_value(timezone.localdate().isoformat())
        expect(page.get_by_label("Subject")).to_have_value("Goods still at the port")
        page.get_by_role("button", name="Raise the ticket").click()
        page.wait_for_load_state("networkidle")
        shot(page, "portal-new-ticket-release")

        ticket = Ticket.objects.get(subject="Goods still at the port")
        assert ticket.ticket_type == "release_not_received"
        assert list(ticket.declarations.all()) == [portal["declaration"]]
    finally:
        context.close()


def test_without_javascript_the_form_still_asks_the_right_questions(browser, live_server, portal):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, "boss")
        page.goto(live_server.url + reverse("portal-ticket-new"))
        page.get_by_label("Subject").fill("Decision table derives the wrong origin")
        page.get_by_label("What do you need help with?").select_option("decision_table_change")
        page.get_by_role("button", name="Show the questions for this type").click()
        page.get_by_label("Which decision table?").fill("Country of origin by supplier")
        expect(page.get_by_label("Subject")).to_have_value("Decision table derives the wrong origin")
        page.get_by_label("What happened?").fill("Supplier 42 is in Vietnam, the table says China.")
        page.get_by_role("button", name="Raise the ticket").click()

        ticket = Ticket.objects.get(subject="Decision table derives the wrong origin")
        assert ticket.ticket_type == "decision_table_change"
        assert ticket.description.endswith("Decision table: Country of origin by supplier")
    finally:
        context.close()
