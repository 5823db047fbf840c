"""The CAS webhook receiver (CAS_FEED.md §1.2): signed, idempotent, and losing nothing."""

import json
import time

import pytest
from django.urls import reverse

from declarations.models import Declaration, DeclarationEvent
from monitoring.feed import Reason
from monitoring.ingest import RawItem, events_ingest
from monitoring.models import QuarantinedEvent
from monitoring.tests.factories import CasConnectionFactory, status_event
from monitoring.webhooks import sign

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def connection():
    return CasConnectionFactory(webhook_secret="whsec-1")


def push(client, connection, body: bytes, *, secret: str = "whsec-1", timestamp: int | None = None, header=None):
    signature = header if header is not None else sign(secret, body, timestamp or int(time.time()))
    return client.post(
        reverse("cas-webhook", args=[connection.pk]),
        data=body,
        content_type="application/json",
        headers={"X-CAS-Signature": signature} if signature else {},
    )


def body_of(event) -> bytes:
    return json.dumps(event).encode()


def test_a_signed_event_is_applied(client, connection):
    event = status_event(tenant=connection.organisation.cas_tenant_id, status="Accepted")

    response = push(client, connection, body_of(event))

    assert response.status_code == 200
    assert response.json() == {"status": "applied"}
    assert Declaration.objects.get(cas_id="d-1").status == "Accepted"
    assert DeclarationEvent.objects.get().source == "push"


def test_a_replayed_webhook_answers_as_the_first_and_changes_nothing(client, connection):
    body = body_of(status_event(tenant=connection.organisation.cas_tenant_id, status="Accepted"))
    push(client, connection, body)
    before = list(Declaration.objects.values())

    response = push(client, connection, body)

    assert response.status_code == 200
    assert response.json() == {"status": "duplicate"}
    assert DeclarationEvent.objects.count() == 1
    assert list(Declaration.objects.values()) == before


def test_pushed_and_pulled_copies_of_one_event_apply_once(client, connection):
    event = status_event(tenant=connection.organisation.cas_tenant_id, status="Accepted")
    push(client, connection, body_of(event))

    result = events_ingest(connection=connection, items=[RawItem(value=event)], source="pull")

    assert (result.applied, result.duplicates) == (0, 1)


@pytest.mark.parametrize(
    "header",
    [
        "",  # missing
        "t=1700000000",  # no v1
        "t=abc,v1=00",  # not a number
        "garbage",
    ],
)
def test_a_missing_or_broken_signature_gets_401_and_changes_nothing(client, connection, header):
    body = body_of(status_event(tenant=connection.organisation.cas_tenant_id))

    response = push(client, connection, body, header=header)

    assert response.status_code == 401
    assert DeclarationEvent.objects.count() == 0
    assert QuarantinedEvent.objects.count() == 0


def test_a_signature_made_with_another_secret_gets_401(client, connection):
    body = body_of(status_event(tenant=connection.organisation.cas_tenant_id))

    response = push(client, connection, body, secret="not-the-secret")

    assert response.status_code == 401
    assert DeclarationEvent.objects.count() == 0


def test_a_body_changed_after_signing_gets_401(client, connection):
    event = status_event(tenant=connection.organisation.cas_tenant_id)
    header = sign("whsec-1", body_of(event), int(time.time()))
    event["data"]["currentStatus"] = "Released"

    response = push(client, connection, body_of(event), header=header)

    assert response.status_code == 401
    assert Declaration.objects.count() == 0


@pytest.mark.parametrize(("skew", "expected"), [(-301, 401), (301, 401), (-299, 200), (299, 200)])
def test_the_signature_timestamp_must_be_within_300_seconds(client, connection, skew, expected):
    body = body_of(status_event(tenant=connection.organisation.cas_tenant_id))

    response = push(client, connection, body, timestamp=int(time.time()) + skew)

    assert response.status_code == expected
    assert DeclarationEvent.objects.count() == (1 if expected == 200 else 0)


def test_a_body_that_is_not_json_gets_400_and_is_kept_in_quarantine(client, connection):
    response = push(client, connection, b"{not json")

    assert response.status_code == 400
    assert response.json()["reason"] == Reason.INVALID_JSON
    entry = QuarantinedEvent.objects.get()
    assert (entry.raw_body, entry.source) == ("{not json", "push")


def test_an_event_for_another_tenant_gets_400_and_is_kept_in_quarantine(client, connection):
    response = push(client, connection, body_of(status_event(tenant="not-ours")))

    assert response.status_code == 400
    assert QuarantinedEvent.objects.get().reason == Reason.WRONG_TENANT
    assert Declaration.objects.count() == 0


def test_a_signed_body_over_one_mebibyte_gets_413_and_is_kept_in_quarantine(client, connection):
    event = status_event(tenant=connection.organisation.cas_tenant_id)
    event["padding"] = ["x" * 4000] * 300  # 1.2 MB, every string within the 4 KiB field limit
    body = body_of(event)
    assert len(body) > 1024 * 1024

    response = push(client, connection, body)

    assert response.status_code == 413
    assert QuarantinedEvent.objects.get().reason == Reason.BODY_TOO_LARGE
    assert DeclarationEvent.objects.count() == 0


def test_an_unknown_connection_gets_404(client, connection):
    body = body_of(status_event(tenant=connection.organisation.cas_tenant_id))
    response = client.post(
        reverse("cas-webhook", args=[connection.pk + 1000]),
        data=body,
        content_type="application/json",
        headers={"X-CAS-Signature": sign("whsec-1", body, int(time.time()))},
    )

    assert response.status_code == 404
