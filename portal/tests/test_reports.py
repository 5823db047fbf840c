"""CSV downloads of the organisation's tickets and declarations: the content, UTC timestamps, a dated
attachment name, and never a row of another organisation."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import AgentFactory, OrganisationFactory, UserFactory
from declarations.models import Declaration
from tickets.models import Ticket
from tickets.services import ticket_open

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

NOW = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # already the 28th in Brussels


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


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


def download(client, slug: str) -> tuple[object, list[list[str]]]:
    response = client.get(reverse("portal-report-download", args=[slug]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    return response, list(csv.reader(io.StringIO(body)))


def test_the_reports_page_lists_the_downloads(client, alice):
    html = client.get(reverse("portal-reports")).content.decode()
    assert reverse("portal-report-download", args=["tickets"]) in html
    assert reverse("portal-report-download", args=["declarations"]) in html


def test_the_tickets_csv_has_the_organisations_tickets_with_utc_times(client, alice, org_a, org_b):
    ticket = ticket_open(
        organisation_id=org_a.pk,
        subject='=HYPERLINK("http://evil")',
        channel="portal",
        ticket_type="release_not_received",
        priority="high",
        customs_system="plda",
        requester=alice,
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        first_responded_at=NOW - timedelta(hours=1), resolved_at=NOW, sla_breached=True
    )
    ticket_open(organisation_id=org_b.pk, subject="Beta's secret", channel="portal")

    response, rows = download(client, "tickets")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="activesupport-tickets-2026-11-28.csv"'
    assert rows[0][:3] == ["id", "subject", "type"]
    assert rows[1:] == [
        [
            str(ticket.pk),
            '\'=HYPERLINK("http://evil")',  # a spreadsheet shows it as text instead of running it
            "Release not received",
            "New",
            "High",
            "PLDA",
            "2026-11-27T23:30:00Z",
            "2026-11-27T22:30:00Z",
            "2026-11-27T23:30:00Z",
            "yes",
        ]
    ]


def test_the_declarations_csv_has_the_last_90_days_with_error_counts(client, alice, org_a, org_b):
    Declaration.objects.create(
        organisation=org_a,
        cas_id="a-1",
        lrn="ALPHA-1",
        mrn="26BE0000000ALPHA1",
        customs_system="PLDA",
        declaration_type="IM",
        additional_declaration_type="A",
        procedure_code="4000",
        status="CustomsError",
        trader_reference="PO-1",
        last_event_at=NOW - timedelta(days=1),
        errors=[{"errorCode": "CDS12016"}, {"errorCode": "CDS10001"}],
    )
    too_old = NOW - timedelta(days=91)
    Declaration.objects.create(organisation=org_a, cas_id="a-old", lrn="ALPHA-OLD", last_event_at=too_old)
    Declaration.objects.create(organisation=org_b, cas_id="b-1", lrn="BETA-1", last_event_at=NOW)

    response, rows = download(client, "declarations")

    assert response["Content-Disposition"] == 'attachment; filename="activesupport-declarations-2026-11-28.csv"'
    assert rows[0] == [
        "LRN",
        "MRN",
        "customs system",
        "type",
        "procedure code",
        "status",
        "trader reference",
        "last event (UTC)",
        "errors",
    ]
    assert rows[1:] == [
        ["ALPHA-1", "26BE0000000ALPHA1", "PLDA", "IMA", "4000", "CustomsError", "PO-1", "2026-11-26T23:30:00Z", "2"]
    ]


def test_another_organisations_rows_never_appear_in_a_download(client, org_a, org_b):
    bob = UserFactory(organisation=org_b)
    ticket_open(organisation_id=org_a.pk, subject="Alpha only", channel="portal")
    Declaration.objects.create(organisation=org_a, cas_id="a-1", lrn="ALPHA-1", last_event_at=NOW)
    client.force_login(bob)

    for slug in ("tickets", "declarations"):
        _, rows = download(client, slug)
        assert rows[1:] == []


def test_an_unknown_report_is_not_found(client, alice):
    assert client.get(reverse("portal-report-download", args=["users"])).status_code == 404


def test_support_staff_are_sent_to_their_own_pages(client):
    client.force_login(AgentFactory())
    response = client.get(reverse("portal-report-download", args=["tickets"]))
    assert response["Location"] == reverse("ticket-queue")
