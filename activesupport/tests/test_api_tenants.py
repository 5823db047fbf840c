"""The tenant wall, for every operation of the OpenAPI schema (issue 5 acceptance).

For each operation in ``docs/openapi.yaml`` (which ``test_api_schema`` keeps equal to the code),
organisation A's API key is pointed at organisation B's objects: object routes answer 404, writes
that reference B's objects answer 400, and lists hold none of B's rows; afterwards B's objects are
unchanged. An operation without a rule here fails the test: a new endpoint needs its cross-tenant case.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from activesupport.tests.api_world import PDF, api, build_world
from monitoring.models import Alert, Incident
from monitoring.webhooks import sign
from tickets.models import ResolutionProposal, Ticket, TicketActivity

pytestmark = pytest.mark.django_db

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())
OPERATIONS = [
    (operation["operationId"], path, method)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method in {"get", "post", "put", "patch", "delete"}
]

# Which of B's objects a path's {id} names, by the resource the path starts with.
OBJECT_OF = {
    "alerts": lambda t: t.alert.pk,
    "declarations": lambda t: t.declaration.pk,
    "incidents": lambda t: t.incident.pk,
    "tickets": lambda t: t.ticket.pk,
    "quarantine": lambda t: t.quarantined.pk,
    "cas-connections": lambda t: t.connection.pk,
    "organisations": lambda t: t.organisation.pk,
}
# A valid body for each write on an object, so only the wall can refuse it.
BODIES = {
    "v1_alerts_acknowledge_create": {},
    "v1_alerts_resolve_create": {"resolution": "handled"},
    "v1_incidents_acknowledge_create": {},
    "v1_incidents_resolve_create": {"resolution": "handled"},
    "v1_quarantine_replay_create": {},
    "v1_tickets_assign_create": {"assignee": None},
    "v1_tickets_messages_create": {"body": "hello from another organisation"},
    "v1_tickets_priority_create": {"priority": "urgent"},
    "v1_tickets_proposals_create": {"summary": "do something"},
    "v1_tickets_proposals_decision_create": {"accept": True},
    "v1_tickets_transition_create": {"status": "closed"},
}
MULTIPART = {"v1_tickets_attachments_create"}
# The knowledge base is the same for everyone: not organisation data.
SHARED = {"v1_knowledge_list", "v1_knowledge_retrieve"}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            built = build_world()
            yield built
            transaction.set_rollback(True)


def snapshot(tenant) -> dict:
    """What A must not be able to change of B's."""
    ticket = Ticket.objects.get(pk=tenant.ticket.pk)
    return {
        "ticket": (ticket.status, ticket.priority, ticket.assignee_id),
        "history": TicketActivity.objects.filter(ticket=ticket).count(),
        "messages": ticket.messages.count(),
        "proposals": list(ResolutionProposal.objects.filter(ticket=ticket).values_list("status", flat=True)),
        "alert": Alert.objects.filter(pk=tenant.alert.pk).values_list("state", "acknowledged_at").get(),
        "incident": Incident.objects.filter(pk=tenant.incident.pk).values_list("is_open", "acknowledged_at").get(),
        "quarantine": tenant.quarantined.__class__.objects.get(pk=tenant.quarantined.pk).status,
    }


@pytest.mark.parametrize(("operation_id", "path", "method"), OPERATIONS, ids=[op[0] for op in OPERATIONS])
def test_organisation_a_never_reaches_organisation_b(world, operation_id, path, method):
    a, b = world.a, world.b
    before = snapshot(b)
    client = api(a.key)
    resource = path.removeprefix("/api/v1/").split("/")[0]

    if operation_id == "cas_webhook_receive":
        # Not API-key authenticated: A's webhook secret does not open B's connection.
        body = b'{"id": "x"}'
        response = client.post(
            path.format(connection_id=b.connection.pk),
            data=body,
            content_type="application/json",
            HTTP_X_CAS_SIGNATURE=sign(a.connection.webhook_secret, body, int(time.time())),
        )
        assert response.status_code == 401
    elif operation_id in SHARED:
        url = path.format(id=1) if "{id}" in path else path
        assert client.get(url).status_code in (200, 404)
    elif "{id}" not in path and method == "get":
        response = client.get(path, {"page_size": 200})
        assert response.status_code == 200, response.content
        rows = response.json()["results"]
        b_id = OBJECT_OF[resource](b)
        assert not [row for row in rows if row.get("organisation") == b.organisation.pk], operation_id
        assert b_id not in [row["id"] for row in rows], operation_id
    elif operation_id == "v1_tickets_create":
        referencing_b = client.post(path, {"subject": "x", "declaration_ids": [b.declaration.pk]}, format="json")
        assert referencing_b.status_code == 400
        assert "declaration_ids" in referencing_b.json()["error"]["fields"]
        for_b = client.post(path, {"subject": "x", "organisation": b.organisation.pk}, format="json")
        assert for_b.status_code == 400
        assert "organisation" in for_b.json()["error"]["fields"]
    else:
        assert "{id}" in path, f"no cross-tenant rule for {operation_id}: add one"
        url = path.format(id=OBJECT_OF[resource](b), proposal_id=b.proposal.pk)
        if method == "get":
            response = client.get(url)
        elif operation_id in MULTIPART:
            response = client.post(url, {"file": SimpleUploadedFile("a.pdf", PDF)}, format="multipart")
        else:
            assert operation_id in BODIES, f"no cross-tenant rule for {operation_id}: add one"
            response = client.post(url, BODIES[operation_id], format="json")
        assert response.status_code == 404, (operation_id, response.status_code, response.content)
        assert response.json()["error"]["status"] == 404

    assert snapshot(b) == before, operation_id


def test_every_operation_of_the_schema_is_covered():
    handled = set(BODIES) | MULTIPART | SHARED | {"cas_webhook_receive", "v1_tickets_create"}
    for operation_id, path, method in OPERATIONS:
        resource = path.removeprefix("/api/v1/").split("/")[0]
        assert operation_id in handled or (method == "get" and resource in OBJECT_OF), operation_id
