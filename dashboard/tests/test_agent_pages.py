"""The agent pages over real requests: the queue's filters, countdowns and live partial; canned replies;
the customs systems panel; times in the agent's own zone; and a query count that does not grow with
the data (issue 6)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.templatetags.desk import countdown, duration_words
from accounts.tests.factories import AgentFactory, OrganisationFactory, UserFactory
from declarations.models import BcpActivation, Declaration, DeclarationEvent
from monitoring.models import Alert
from tickets.models import CannedReply, Ticket
from tickets.services import ticket_assign, ticket_open, ticket_reply

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def agent():
    return AgentFactory(first_name="Ann")


@pytest.fixture
def org():
    return OrganisationFactory(name="Alpha Imports")


def raise_ticket(org, subject: str, **kwargs) -> Ticket:
    return ticket_open(organisation_id=org.pk, subject=subject, channel="api", **kwargs)


def queue_subjects(client, **params) -> list[str]:
    response = client.get(reverse("ticket-queue"), params)
    assert response.status_code == 200
    return [ticket.subject for ticket in response.context["tickets"]]


# --- Queue filters ---------------------------------------------------------------------------------


def test_each_queue_filter_narrows_the_queue_and_stays_in_the_url(client, agent, org):
    other = OrganisationFactory(name="Beta Exports")
    declaration = Declaration.objects.create(organisation=org, cas_id="d-1", lrn="LRN1", customs_system="CDS")
    rejected = raise_ticket(org, "rejected", ticket_type="declaration_error", declaration_ids=[declaration.pk])
    raise_ticket(org, "bcp", ticket_type="bcp_assistance", customs_system="plda")
    alerted = ticket_open(organisation_id=other.pk, subject="alerted", channel="automation", alert_kind="customs_error")
    ticket_assign(ticket=alerted, assignee=agent, actor=agent, channel="dashboard")
    client.force_login(agent)

    assert sorted(queue_subjects(client)) == ["alerted", "bcp", "rejected"]
    assert sorted(queue_subjects(client, organisation=org.pk)) == ["bcp", "rejected"]
    assert queue_subjects(client, ticket_type="bcp_assistance") == ["bcp"]
    assert queue_subjects(client, alert_kind="customs_error") == ["alerted"]
    assert sorted(queue_subjects(client, alert_kind="none")) == ["bcp", "rejected"]
    # The system comes from the linked declaration, or from what the customer said (upper-cased).
    assert queue_subjects(client, customs_system="CDS") == ["rejected"]
    assert queue_subjects(client, customs_system="PLDA") == ["bcp"]
    assert queue_subjects(client, assignee="me") == ["alerted"]
    assert queue_subjects(client, assignee=str(agent.pk)) == ["alerted"]
    assert sorted(queue_subjects(client, assignee="none")) == ["bcp", "rejected"]
    assert queue_subjects(client, status="resolved") == []
    rejected.refresh_from_db()
    assert rejected.customs_system == "CDS"

    html = client.get(reverse("ticket-queue"), {"ticket_type": "bcp_assistance"}).content.decode()
    assert '<option value="bcp_assistance" selected>' in html
    assert "Clear filters" in html


def test_a_stale_or_forged_filter_value_is_dropped_not_an_error(client, agent, org):
    raise_ticket(org, "still here")
    client.force_login(agent)
    assert queue_subjects(client, status="nonsense", organisation="x", assignee="drop table") == ["still here"]


def test_htmx_gets_only_the_rows(client, agent, org):
    raise_ticket(org, "live")
    client.force_login(agent)
    response = client.get(reverse("ticket-queue"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="queue"' in html and "live" in html
    assert "<html" not in html


def test_the_queue_has_keyboard_shortcuts_and_says_what_to_do_when_empty(client, agent):
    client.force_login(agent)
    html = client.get(reverse("ticket-queue")).content.decode()
    assert "Keyboard shortcuts" in html and "<kbd>j</kbd>" in html
    assert "The queue is empty" in html
    assert (
        "No open ticket matches these filters"
        in client.get(reverse("ticket-queue"), {"status": "closed"}).content.decode()
    )


# --- Countdowns ------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("due", "breached", "state", "words"),
    [
        (NOW + timedelta(hours=3, minutes=5), False, "sla-ok", "in 3 h 05 min"),
        (NOW + timedelta(minutes=59), False, "sla-soon", "in 59 min"),
        (NOW - timedelta(minutes=20), False, "sla-breached", "20 min late"),
        (NOW + timedelta(days=2, hours=1), True, "sla-breached", "in 2 d 1 h"),
        (None, False, "sla-paused", "paused or met"),
        (None, True, "sla-breached", "breached"),
    ],
)
def test_countdown_colour_and_words(due, breached, state, words):
    html = countdown(due, breached, NOW)
    assert f'class="sla {state}"' in html
    assert f">{words}<" in html


def test_duration_words():
    assert duration_words(30) == "under a minute"
    assert duration_words(61 * 60) == "1 h 01 min"
    assert duration_words(26 * 3600) == "1 d 2 h"


def test_queue_rows_carry_the_deadline_for_the_live_countdown(client, agent, org):
    ticket = raise_ticket(org, "ticking")
    client.force_login(agent)
    html = client.get(reverse("ticket-queue")).content.decode()
    due = ticket.sla_due_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    assert f'data-due="{due}"' in html


# --- Canned replies --------------------------------------------------------------------------------


def test_a_canned_reply_is_filled_in_for_the_ticket(client, agent, org):
    customer = UserFactory(organisation=org, first_name="Bea")
    declaration = Declaration.objects.create(organisation=org, cas_id="d-1", lrn="LRN-42")
    ticket = ticket_open(
        organisation_id=org.pk,
        subject="release?",
        channel="portal",
        ticket_type="release_not_received",
        requester=customer,
        declaration_ids=[declaration.pk],
    )
    canned = CannedReply.objects.get(title="Release not received: chasing customs")
    client.force_login(agent)

    page = client.get(reverse("ticket-page", args=[ticket.pk]))
    # Replies meant for this type come first.
    assert page.context["canned_replies"][0] == canned

    html = client.get(reverse("ticket-page", args=[ticket.pk]), {"canned": canned.pk}).content.decode()
    assert "Hello Bea," in html and "The release of LRN-42" in html and "Ann" in html

    partial = client.get(
        reverse("ticket-page", args=[ticket.pk]),
        {"canned": canned.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="reply-box",
    ).content.decode()
    assert partial.startswith('<div id="reply-box">') and "Hello Bea," in partial


def test_an_unknown_placeholder_stays_for_the_agent_to_fill(client, agent, org):
    ticket = raise_ticket(org, "x")
    canned = CannedReply.objects.create(title="Odd", body="Dear {requester}, see {attachment_name} and {")
    client.force_login(agent)
    html = client.get(reverse("ticket-page", args=[ticket.pk]), {"canned": canned.pk}).content.decode()
    assert "Dear {requester}, see {attachment_name} and {" in html  # stray brace: shown as written


# --- Customs systems panel -------------------------------------------------------------------------


def test_the_systems_panel_shows_bcp_and_counts_per_system(client, agent, org):
    BcpActivation.objects.create(
        customs_system="PLDA", jurisdiction="BE", call_number="INC-7", started_at=timezone.now(), message="outage"
    )
    Declaration.objects.create(organisation=org, cas_id="q-1", customs_system="PLDA", bcp_mode="queue")
    declaration = Declaration.objects.create(organisation=org, cas_id="d-2", customs_system="CDS")
    now = timezone.now()
    Alert.objects.create(
        organisation=org,
        declaration=declaration,
        kind="customs_error",
        reason_code="CDS12016",
        fingerprint="f-1",
        customs_system="CDS",
        first_seen_at=now,
        last_seen_at=now,
        fires_at=now,
    )
    raise_ticket(org, "cds", declaration_ids=[declaration.pk])
    client.force_login(agent)

    systems = {system.code: system for system in client.get(reverse("feed-partial")).context["systems"]}
    assert systems["PLDA"].under_bcp and systems["PLDA"].bcp[0].call_number == "INC-7"
    assert systems["PLDA"].queued_declarations == 1
    assert not systems["CDS"].under_bcp
    assert (systems["CDS"].open_alerts, systems["CDS"].open_tickets) == (1, 1)
    html = client.get(reverse("feed-partial")).content.decode()
    assert "INC-7" in html and f"{reverse('ticket-queue')}?customs_system=CDS" in html


def test_customers_are_sent_to_the_portal_from_the_agent_pages(client, org):
    client.force_login(UserFactory(organisation=org))
    for name in ("home", "feed-partial", "ticket-queue"):
        assert client.get(reverse(name)).url == reverse("portal-home")


# --- Time zones ------------------------------------------------------------------------------------


def test_times_show_in_the_users_zone_with_utc_on_hover(client, org):
    agent = AgentFactory(time_zone="America/New_York")
    declaration = Declaration.objects.create(
        organisation=org, cas_id="d-1", acceptance_date=datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
    )
    client.force_login(agent)
    html = client.get(reverse("declaration-page", args=[declaration.pk])).content.decode()
    assert '<time datetime="2026-11-30T14:05:00Z" title="2026-11-30 14:05:00 UTC">Mon 30 Nov 2026 09:05</time>' in html


def test_a_user_chooses_their_time_zone(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("account-settings"), {"first_name": "Ann", "last_name": "", "time_zone": "Asia/Tokyo"}
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert str(agent.time_zone) == "Asia/Tokyo"
    assert client.post(reverse("account-settings"), {"time_zone": "Mars/Olympus"}).status_code == 200  # form error


# --- Constant queries ------------------------------------------------------------------------------


def page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queue_ticket_and_declaration_pages_run_the_same_queries_at_any_size(client, agent, org):
    """The acceptance asks for a constant number of queries: count them with a little data, add more
    (tickets, messages, linked declarations, alerts, events), count again."""
    declaration = Declaration.objects.create(organisation=org, cas_id="d-0", customs_system="CDS")
    ticket = raise_ticket(org, "big", declaration_ids=[declaration.pk])
    # One of each from the start: a prefetch runs only once there is something to prefetch for.
    ticket_reply(ticket=ticket, author=agent, body="first", channel="dashboard")
    client.force_login(agent)
    urls = [
        reverse("ticket-queue"),
        reverse("ticket-page", args=[ticket.pk]),
        reverse("declaration-page", args=[declaration.pk]),
        reverse("home"),
    ]
    page_queries(client, urls[0])  # warm the session and the content-type cache
    before = [page_queries(client, url) for url in urls]

    now = timezone.now()
    for i in range(1, 15):
        other = OrganisationFactory()
        more = Declaration.objects.create(organisation=other, cas_id=f"d-{i}", customs_system="PLDA")
        extra = raise_ticket(other, f"t-{i}", declaration_ids=[more.pk])
        ticket_assign(ticket=extra, assignee=AgentFactory(), actor=agent, channel="dashboard")
        ticket_reply(ticket=ticket, author=agent, body=f"reply {i}", channel="dashboard", internal=i % 2 == 0)
        DeclarationEvent.objects.create(
            organisation=org,
            declaration=declaration,
            event_id=f"e-{i}",
            event_type="DeclarationStatusChanged",
            event_time=now - timedelta(minutes=i),
            received_at=now,
            source="push",
            payload=f'{{"i": {i}}}',
        )
        Alert.objects.create(
            organisation=org,
            declaration=declaration,
            kind="customs_error",
            reason_code=f"C{i}",
            fingerprint=f"f-{i}",
            ticket=ticket,
            first_seen_at=now,
            last_seen_at=now,
            fires_at=now,
        )
    from tickets.services import ticket_link_declarations

    ticket_link_declarations(
        ticket=ticket,
        declaration_ids=[Declaration.objects.create(organisation=org, cas_id=f"x-{i}").pk for i in range(10)],
        channel="dashboard",
    )

    after = [page_queries(client, url) for url in urls]
    assert after == before
