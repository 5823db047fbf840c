"""Alerts on the agent pages: each shows its suggestion and the field its error points at; a customer
sees only their organisation's."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.tests.factories import AgentFactory, UserFactory
from monitoring.ingest import RawItem, events_ingest
from monitoring.models import Alert
from monitoring.tests.factories import CasConnectionFactory, status_event

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def rejected_alert(connection) -> Alert:
    event = status_event(
        tenant=connection.organisation.cas_tenant_id,
        status="CustomsError",
        previous="Submitted",
        at=datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
        errors=[
            {
                "source": "Customs",
                "errorCode": "CDS12016",
                "message": "Date error",
                "fieldReference": [{"fieldName": "AcceptanceDateTime", "path": "42A.23A"}],
            }
        ],
    )
    events_ingest(connection=connection, items=[RawItem(value=event)], source="push")
    return Alert.objects.get(organisation=connection.organisation)


def test_the_alert_page_shows_the_suggestion_and_the_field(client):
    alert = rejected_alert(CasConnectionFactory())
    client.force_login(AgentFactory())

    page = client.get(reverse("alert-detail", args=[alert.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "CDS12016" in html
    assert "AcceptanceDateTime" in html and "42A.23A" in html
    assert "Suggested resolution" in html
    for step in alert.knowledge_entry.resolution_steps:
        assert step.replace("'", "&#x27;") in html


def test_the_home_page_lists_open_alerts(client):
    alert = rejected_alert(CasConnectionFactory())
    client.force_login(AgentFactory())
    html = client.get(reverse("feed-partial")).content.decode()
    assert reverse("alert-detail", args=[alert.pk]) in html


def test_a_customer_never_sees_another_organisations_alert(client):
    mine = rejected_alert(CasConnectionFactory())
    theirs = rejected_alert(CasConnectionFactory())
    customer = UserFactory(organisation=mine.organisation)
    client.force_login(customer)

    assert client.get(reverse("alert-detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("alert-detail", args=[mine.pk])).status_code == 200
    # The feed with every organisation's systems is the agents'; customers follow theirs in the portal.
    assert client.get(reverse("feed-partial")).url == reverse("portal-home")
