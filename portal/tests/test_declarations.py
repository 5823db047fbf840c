"""The customer's declarations and alerts in the portal: the list with its exact search and status filter,
one declaration's facts, errors, timeline, alerts and tickets, the alerts page; and the tenant wall
around all of them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AgentFactory, OrganisationFactory, UserFactory
from declarations.models import Declaration, DeclarationEvent
from monitoring.models import Alert, KnowledgeEntry
from tickets.services import ticket_open

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

AT = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture
def org_a():
    return OrganisationFactory(name="Alpha Imports")


@pytest.fixture
def org_b():
    return OrganisationFactory(name="Beta Exports")


@pytest.fixture
def alice(org_a, client):
    user = UserFactory(organisation=org_a)
    client.force_login(user)
    return user


def declaration(organisation, cas_id: str, **fields) -> Declaration:
    fields.setdefault("lrn", f"LRN-{cas_id}")
    fields.setdefault("last_event_at", AT)
    return Declaration.objects.create(organisation=organisation, cas_id=cas_id, **fields)


def alert(target: Declaration, *, state: str = Alert.State.FIRING, reason: str = "CDS12016", **fields) -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        organisation=target.organisation,
        declaration=target,
        kind=fields.pop("kind", "customs_error"),
        reason_code=reason,
        fingerprint=f"{target.organisation_id}/{target.pk}/{reason}/{state}",
        state=state,
        is_open=state != Alert.State.RESOLVED,
        first_seen_at=now - timedelta(minutes=5),
        last_seen_at=now,
        fires_at=now,
        **fields,
    )


def page(client, name: str, *args, **params) -> str:
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200
    return response.content.decode()


# --- The list --------------------------------------------------------------------------------------


def test_the_list_shows_the_organisations_declarations_most_recent_event_first(client, alice, org_a, org_b):
    declaration(org_a, "old", last_event_at=AT - timedelta(days=2), mrn="26BE0000000000OLD1")
    declaration(
        org_a,
        "new",
        last_event_at=AT,
        customs_system="PLDA",
        declaration_type="IM",
        additional_declaration_type="A",
        status="Released",
        trader_reference="PO-77",
    )
    declaration(org_b, "beta", lrn="BETA-SECRET")

    html = page(client, "portal-declarations")

    assert html.index("LRN-new") < html.index("LRN-old")
    assert "26BE0000000000OLD1" in html and "PLDA" in html and "IMA" in html and "Released" in html
    assert "PO-77" in html
    assert "BETA-SECRET" not in html


def test_the_search_finds_an_exact_lrn_mrn_or_trader_reference_and_nothing_else(client, alice, org_a, org_b):
    declaration(org_a, "one", lrn="LRN-ONE", mrn="26BE00000000000001", trader_reference="PO-1")
    declaration(org_a, "two", lrn="LRN-TWO", trader_reference="PO-2")
    theirs = declaration(org_b, "theirs", lrn="LRN-THEIRS", trader_reference="PO-1")

    for query in ("LRN-ONE", "26BE00000000000001", "PO-1"):
        html = page(client, "portal-declarations", q=query)
        assert "LRN-ONE" in html and "LRN-TWO" not in html and "LRN-THEIRS" not in html
    # Exact only: a fragment finds nothing (and says what to do).
    html = page(client, "portal-declarations", q="LRN-")
    assert "LRN-ONE" not in html and "No declaration matches" in html
    # Another organisation's reference finds nothing either.
    html = page(client, "portal-declarations", q="LRN-THEIRS")
    assert "No declaration matches" in html and reverse("portal-declaration", args=[theirs.pk]) not in html


def test_the_status_filter_keeps_to_one_status_and_stays_in_the_url(client, alice, org_a):
    declaration(org_a, "released", status="Released")
    declaration(org_a, "rejected", status="CustomsError")

    html = page(client, "portal-declarations", status="CustomsError")

    assert "LRN-rejected" in html and "LRN-released" not in html
    assert '<option value="CustomsError" selected>' in html  # the form shows the filter it applied
    # A status the desk does not know is ignored, not passed to the database.
    html = page(client, "portal-declarations", status="'; drop table")
    assert "LRN-rejected" in html and "LRN-released" in html


def test_the_list_shows_at_most_100_and_says_there_are_more(client, alice, org_a):
    Declaration.objects.bulk_create(
        Declaration(organisation=org_a, cas_id=f"d-{n}", lrn=f"BULK-{n:03}", last_event_at=AT + timedelta(minutes=n))
        for n in range(101)
    )

    html = page(client, "portal-declarations")

    assert html.count(">BULK-") == 100
    assert "BULK-100" in html and ">BULK-000<" not in html  # the oldest is the one left out
    assert "100 most recent of more" in html


def test_an_empty_list_says_what_happens_next(client, alice):
    html = page(client, "portal-declarations")
    assert "No declaration yet" in html and reverse("portal-alerts") in html


# --- One declaration -------------------------------------------------------------------------------


def test_the_declaration_page_shows_facts_errors_timeline_alerts_and_tickets(client, alice, org_a):
    rejected = declaration(
        org_a,
        "acme-1",
        lrn="ACME-LRN-1",
        mrn="26BE000000000ACME1",
        customs_system="PLDA",
        status="CustomsError",
        procedure_code="4000",
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
        organisation=org_a,
        declaration=rejected,
        event_id="e-1",
        event_type="DeclarationStatusChanged",
        event_time=AT,
        received_at=AT,
        status="CustomsError",
        source="pull",
        payload='{"secret": "raw json stays with the agents"}',
    )
    entry = KnowledgeEntry.objects.create(
        level="code",
        key="CDS12016-test",
        title="Acceptance date out of range",
        resolution_steps=["Correct the acceptance date", "Resubmit with a new LRN"],
    )
    alert(rejected, reason="CDS12016", field_name="AcceptanceDateTime", knowledge_entry=entry)
    alert(rejected, reason="OLD1", state=Alert.State.RESOLVED)
    ticket = ticket_open(
        organisation_id=org_a.pk,
        subject="Rejected on the date",
        channel="portal",
        requester=alice,
        declaration_ids=[rejected.pk],
    )

    html = page(client, "portal-declaration", rejected.pk)

    assert "ACME-LRN-1" in html and "26BE000000000ACME1" in html and "PLDA" in html and "4000" in html
    assert "CDS12016" in html and "Date error" in html and "AcceptanceDateTime (42A.23A)" in html
    assert "Declaration status changed" in html and "raw json" not in html
    assert "Acceptance date out of range" in html and "1. Correct the acceptance date" in html
    assert "Needs attention" in html and "OLD1" not in html  # only open alerts
    assert reverse("portal-ticket", args=[ticket.pk]) in html and "Rejected on the date" in html
    assert f"{reverse('portal-ticket-new')}?reference=26BE000000000ACME1" in html


def test_the_raise_link_prefills_the_reference_on_the_new_ticket_form(client, alice, org_a):
    html = page(client, "portal-ticket-new", reference="ACME-LRN-1", ticket_type="declaration_error")
    assert 'value="ACME-LRN-1"' in html


def test_another_organisations_declaration_is_not_found(client, alice, org_b):
    theirs = declaration(org_b, "beta-1", lrn="BETA-1")
    assert client.get(reverse("portal-declaration", args=[theirs.pk])).status_code == 404


def test_a_declaration_page_never_lists_another_organisations_ticket(client, alice, org_a, org_b):
    ours = declaration(org_a, "ours")
    # An agent linked our declaration to a ticket of theirs by mistake: it must not show to us.
    theirs = ticket_open(organisation_id=org_b.pk, subject="Beta's ticket", channel="dashboard")
    theirs.declarations.add(ours, through_defaults={"linked_at": AT})

    html = page(client, "portal-declaration", ours.pk)

    assert "Beta" not in html and reverse("portal-ticket", args=[theirs.pk]) not in html


def test_support_staff_are_sent_to_their_own_pages(client, org_a):
    target = declaration(org_a, "x")
    client.force_login(AgentFactory())
    for name, args in (("portal-declarations", []), ("portal-declaration", [target.pk]), ("portal-alerts", [])):
        assert client.get(reverse(name, args=args))["Location"] == reverse("ticket-queue")


# --- Alerts ----------------------------------------------------------------------------------------


def test_the_alerts_page_shows_open_and_recently_resolved_alerts_in_plain_words(client, alice, org_a, org_b):
    ours = declaration(org_a, "ours", mrn="26BE00000000000OUR")
    alert(ours, reason="CDS12016", field_name="AcceptanceDateTime")
    alert(ours, reason="PENDING1", state=Alert.State.PENDING)
    alert(ours, reason="RECENT1", state=Alert.State.RESOLVED, resolved_at=timezone.now() - timedelta(days=3))
    alert(ours, reason="ANCIENT1", state=Alert.State.RESOLVED, resolved_at=timezone.now() - timedelta(days=31))
    alert(declaration(org_b, "theirs"), reason="THEIRS1")

    html = page(client, "portal-alerts")

    assert "CDS12016" in html and "AcceptanceDateTime" in html and "Customs error" in html
    assert "Needs attention" in html and "checking whether it clears by itself" in html
    assert "RECENT1" in html and "Resolved" in html
    assert "ANCIENT1" not in html and "THEIRS1" not in html
    assert reverse("portal-declaration", args=[ours.pk]) in html and "26BE00000000000OUR" in html


def test_no_open_alert_says_we_are_watching(client, alice):
    html = page(client, "portal-alerts")
    assert "No open alert: we watch every declaration you lodge" in html


# --- Pages that stay fast ----------------------------------------------------------------------------


def test_the_lists_take_a_fixed_number_of_queries(client, alice, org_a, django_assert_max_num_queries):
    Declaration.objects.bulk_create(
        Declaration(organisation=org_a, cas_id=f"d-{n}", lrn=f"BULK-{n:03}", last_event_at=AT) for n in range(30)
    )
    for target in Declaration.objects.all()[:10]:
        alert(target, reason=f"R{target.pk}")
        alert(target, reason=f"S{target.pk}", state=Alert.State.RESOLVED, resolved_at=timezone.now())
    # Session, user, and the page's own reads: none per row.
    with django_assert_max_num_queries(4):
        page(client, "portal-declarations")
    with django_assert_max_num_queries(5):
        page(client, "portal-alerts")
