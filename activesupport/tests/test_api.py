"""The REST API: credentials that expire and can be revoked, read-only scopes, one error shape,
idempotent creation, the same history as the browser, constant queries per list page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.api_keys import api_client_create, api_client_revoke
from accounts.models import ApiClient, IdempotencyRecord
from activesupport.api import idempotency_records_forget
from activesupport.tests.api_world import api, build_world
from declarations.models import Declaration
from tickets.models import Ticket, TicketActivity

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def test_a_customer_key_lists_only_its_organisations_tickets(world):
    response = api(world.a.key).get("/api/v1/tickets/")
    assert response.status_code == 200
    assert {row["organisation"] for row in response.json()["results"]} == {world.a.organisation.pk}


def test_no_key_a_wrong_key_an_expired_key_and_a_revoked_key_get_401(world):
    assert api(None).get("/api/v1/tickets/").status_code in (401, 403)
    assert api("asd_nope_nope").get("/api/v1/tickets/").status_code == 401
    client = ApiClient.objects.get(user__organisation=world.a.organisation, can_write=True)
    ApiClient.objects.filter(pk=client.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = api(world.a.key).get("/api/v1/tickets/")
    assert expired.status_code == 401
    assert expired.json()["error"]["message"] == "this API key has expired"
    _, key = api_client_create(
        name="tmp", organisation=world.a.organisation, can_write=True, expires_in=timedelta(days=1), created_by=None
    )
    api_client_revoke(client=ApiClient.objects.get(name="tmp"))
    assert api(key).get("/api/v1/tickets/").status_code == 401


def test_a_read_only_key_reads_but_cannot_write(world):
    client = api(world.a.read_only_key)
    assert client.get("/api/v1/declarations/").status_code == 200
    refused = client.post("/api/v1/tickets/", {"subject": "x"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "status": 403,
        "code": "permission_denied",
        "message": "this API key is read-only",
    }


def test_an_invalid_request_gets_400_with_field_errors(world):
    response = api(world.a.key).post("/api/v1/tickets/", {"priority": "whenever"}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"subject", "priority"}


def test_a_write_through_the_api_lands_in_the_same_history_with_the_client(world):
    client = api(world.a.key)
    created = client.post(
        "/api/v1/tickets/",
        {
            "subject": "ERP: release stuck",
            "ticket_type": "release_not_received",
            "declaration_ids": [world.a.declaration.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    ticket = Ticket.objects.get(pk=created.json()["id"])
    client.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Any news?"}, format="json")
    history = list(TicketActivity.objects.filter(ticket=ticket).values_list("action", "channel", "actor__username"))
    erp = ApiClient.objects.get(user__organisation=world.a.organisation, can_write=True).user.username
    assert history[0] == ("opened", "api", erp)
    assert ("replied", "api", erp) in history
    assert list(ticket.declarations.all()) == [world.a.declaration]


def test_the_customer_decides_on_a_proposal_by_api(world):
    response = api(world.a.key).post(
        f"/api/v1/tickets/{world.a.ticket.pk}/proposals/{world.a.proposal.pk}/decision/",
        {"accept": False, "note": "we prefer an amendment"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"


def test_staff_key_sees_every_organisation_and_internal_notes(world):
    client = api(world.staff_key)
    rows = client.get("/api/v1/tickets/", {"page_size": 200}).json()["results"]
    assert {world.a.organisation.pk, world.b.organisation.pk} <= {row["organisation"] for row in rows}
    note = client.post(
        f"/api/v1/tickets/{world.a.ticket.pk}/messages/", {"body": "internal", "internal": True}, format="json"
    )
    assert note.status_code == 201
    customer_view = api(world.a.key).get(f"/api/v1/tickets/{world.a.ticket.pk}/messages/").json()
    assert "internal" not in [message["body"] for message in customer_view]


# --- Idempotency ---------------------------------------------------------------------------------


def create_ticket(client, key, subject="ERP ticket"):
    return client.post("/api/v1/tickets/", {"subject": subject}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_key_and_body_return_the_first_response_and_create_once(world):
    client = api(world.a.key)
    first = create_ticket(client, "order-7781")
    again = create_ticket(client, "order-7781")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replay"] == "true"
    assert Ticket.objects.filter(subject="ERP ticket").count() == 1


def test_the_same_key_with_another_body_gets_422(world):
    client = api(world.a.key)
    create_ticket(client, "order-7782")
    reused = create_ticket(client, "order-7782", subject="something else")
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"


def test_the_same_key_while_the_first_is_in_flight_gets_409(world):
    client = api(world.a.key)
    user = ApiClient.objects.get(user__organisation=world.a.organisation, can_write=True).user
    body = b'{"subject":"ERP ticket"}'
    import hashlib

    fingerprint = hashlib.sha256(b"\n".join([b"POST", b"/api/v1/tickets/", body])).hexdigest()
    IdempotencyRecord.objects.create(user=user, key="order-7783", request_sha256=fingerprint)  # still in flight
    response = client.post("/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="order-7783")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_flight"
    assert not Ticket.objects.filter(subject="ERP ticket").exists()


def test_a_malformed_key_gets_400(world):
    response = create_ticket(api(world.a.key), "x" * 201)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]


def test_keys_are_per_client_and_a_refused_request_is_replayed_too(world):
    first = create_ticket(api(world.a.key), "shared-key")
    other = create_ticket(api(world.b.key), "shared-key")
    assert first.status_code == other.status_code == 201
    assert first.json()["id"] != other.json()["id"]
    invalid = api(world.a.key).post("/api/v1/tickets/", {}, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")
    again = api(world.a.key).post("/api/v1/tickets/", {}, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")
    assert invalid.status_code == again.status_code == 400
    assert invalid.json() == again.json()


def test_keys_are_kept_at_least_24_hours(world):
    create_ticket(api(world.a.key), "old-key")
    IdempotencyRecord.objects.filter(key="old-key").update(created_at=timezone.now() - timedelta(hours=23))
    assert idempotency_records_forget(older_than_hours=1) == 0  # never fewer than 24 h
    IdempotencyRecord.objects.filter(key="old-key").update(created_at=timezone.now() - timedelta(hours=49))
    assert idempotency_records_forget() == 1


# --- Constant queries ----------------------------------------------------------------------------


def queries_for(client, url, page_size) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200
    return len(captured)


def test_the_ticket_and_declaration_lists_cost_the_same_queries_whatever_the_page_size(
    world, django_assert_max_num_queries
):
    organisation = world.a.organisation
    Declaration.objects.bulk_create(
        Declaration(organisation=organisation, cas_id=f"bulk-{n}", lrn=f"L{n}") for n in range(120)
    )
    for n in range(30):
        Ticket.objects.create(organisation=organisation, subject=f"t{n}", channel="api", sla_started_at=timezone.now())
    client = api(world.a.key)
    client.get("/api/v1/tickets/")  # the key's first use of the minute records it: not part of a page's cost
    for url in ("/api/v1/tickets/", "/api/v1/declarations/"):
        small, large = queries_for(client, url, 2), queries_for(client, url, 100)
        assert small == large, url
        with django_assert_max_num_queries(small):
            client.get(url, {"page_size": 200})


def test_a_url_no_route_matches_answers_in_the_error_shape(world):
    response = api(world.a.key).get("/api/v1/tickets/%C2%84/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("detail", ['{"note": "a\\u0000b"}', '{"note": "\\ud800"}', '{"\\ud800": 1}'])
def test_json_the_database_cannot_store_is_a_400_not_a_500(world, detail):
    # Sent as JSON text, as schemathesis did: escaped NUL and lone surrogates are valid JSON.
    response = api(world.staff_key).post(
        f"/api/v1/tickets/{world.a.ticket.pk}/proposals/",
        '{"summary": "x", "action_detail": ' + detail + "}",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "action_detail" in response.json()["error"]["fields"]


def test_a_date_filter_with_an_offset_postgresql_refuses_still_answers(world):
    response = api(world.a.key).get("/api/v1/declarations/", {"last_event_after": "0603-04-15T06:59:42.36-16:36"})
    assert response.status_code == 200


def test_a_request_django_refuses_to_read_answers_in_the_error_shape(world):
    form = {f"field{n}": "x" for n in range(1100)}  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    client = api(world.a.key)
    client.raise_request_exception = False
    response = client.post("/api/v1/tickets/", form, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_staff_acknowledge_and_resolve_an_incident_with_its_alerts(world):
    client = api(world.staff_key)
    incident = world.a.incident
    assert client.post(f"/api/v1/incidents/{incident.pk}/acknowledge/").json()["acknowledged_at"]
    resolved = client.post(f"/api/v1/incidents/{incident.pk}/resolve/", {"resolution": "CDS fixed"}, format="json")
    assert resolved.status_code == 200
    assert resolved.json()["is_open"] is False
    assert not incident.alerts.filter(is_open=True).exists()
    customer = api(world.a.key).post(f"/api/v1/incidents/{incident.pk}/acknowledge/")
    assert customer.status_code == 403


def test_a_ticket_names_its_customs_system_and_the_list_filters_on_it(world):
    client = api(world.a.key)
    named = client.post("/api/v1/tickets/", {"subject": "PLDA down?", "customs_system": "plda"}, format="json")
    assert named.status_code == 201 and named.json()["customs_system"] == "PLDA"
    bad = client.post("/api/v1/tickets/", {"subject": "x", "customs_system": "CDS; drop"}, format="json")
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"customs_system"}

    expected = set(
        Ticket.objects.filter(organisation=world.a.organisation, customs_system="PLDA").values_list("id", flat=True)
    )
    assert named.json()["id"] in expected
    found = {row["id"] for row in client.get("/api/v1/tickets/", {"customs_system": "plda"}).json()["results"]}
    assert found == expected
    # The wall holds for the filter too: organisation B's PLDA tickets never show.
    theirs = api(world.b.key).post("/api/v1/tickets/", {"subject": "B's", "customs_system": "PLDA"}, format="json")
    found = {row["id"] for row in client.get("/api/v1/tickets/", {"customs_system": "PLDA"}).json()["results"]}
    assert theirs.json()["id"] not in found and found == expected
