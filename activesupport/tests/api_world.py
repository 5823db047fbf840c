"""Two organisations with one of everything, and API keys to ask with: the world the API tests use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.api_keys import api_client_create
from accounts.models import Organisation
from accounts.tests.factories import AgentFactory, OrganisationFactory, UserFactory
from declarations.models import Declaration
from monitoring.escalation import alerts_escalate
from monitoring.ingest import RawItem, events_ingest
from monitoring.models import Alert, CasConnection, Incident, QuarantinedEvent
from monitoring.tests.factories import CasConnectionFactory, status_event
from tickets.models import ResolutionProposal, Ticket
from tickets.services import proposal_create, ticket_open, ticket_reply

PDF = b"%PDF-1.4\n%%EOF\n"


@dataclass
class Tenant:
    organisation: Organisation
    connection: CasConnection
    declaration: Declaration
    alert: Alert
    incident: Incident
    ticket: Ticket
    proposal: ResolutionProposal
    quarantined: QuarantinedEvent
    key: str  # a customer's read-write API key
    read_only_key: str


def build_tenant(name: str, agent) -> Tenant:
    organisation = OrganisationFactory(name=name, support_plan="active")
    connection = CasConnectionFactory(organisation=organisation)
    tenant = organisation.cas_tenant_id
    at = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    rejections = [
        status_event(
            tenant=tenant,
            declaration_id=f"{name}-{n}",
            status="CustomsError",
            previous="Submitted",
            at=at,
            errors=[{"source": "Customs", "errorCode": "CDS12016", "message": "Date error"}],
        )
        for n in range(5)
    ]
    events_ingest(
        connection=connection,
        items=[*(RawItem(value=e) for e in rejections), RawItem(value={"not": "an event"})],
        source="pull",
    )
    alerts_escalate(now=datetime.now(UTC) + timedelta(minutes=5))
    declaration = Declaration.objects.filter(organisation=organisation).order_by("id").first()
    customer = UserFactory(organisation=organisation)
    ticket = ticket_open(
        organisation_id=organisation.pk,
        subject=f"{name} release stuck",
        description="No release after two hours",
        channel="portal",
        ticket_type="release_not_received",
        requester=customer,
        declaration_ids=[declaration.pk],
    )
    ticket_reply(
        ticket=ticket, author=customer, body="invoice", channel="portal", files=[SimpleUploadedFile("i.pdf", PDF)]
    )
    proposal = proposal_create(ticket=ticket, agent=agent, summary="Chase the NCH", channel="dashboard")
    _, key = api_client_create(
        name=f"{name} ERP", organisation=organisation, can_write=True, expires_in=timedelta(days=30), created_by=agent
    )
    _, read_only = api_client_create(
        name=f"{name} BI", organisation=organisation, can_write=False, expires_in=timedelta(days=30), created_by=agent
    )
    return Tenant(
        organisation=organisation,
        connection=connection,
        declaration=declaration,
        alert=Alert.objects.filter(organisation=organisation).order_by("id").first(),
        incident=Incident.objects.get(organisation=organisation),
        ticket=ticket,
        proposal=proposal,
        quarantined=QuarantinedEvent.objects.get(organisation=organisation),
        key=key,
        read_only_key=read_only,
    )


@dataclass
class World:
    a: Tenant
    b: Tenant
    agent: object
    staff_key: str


def build_world() -> World:
    agent = AgentFactory()
    a, b = build_tenant("alpha", agent), build_tenant("beta", agent)
    _, staff_key = api_client_create(
        name="desk tooling", organisation=None, can_write=True, expires_in=timedelta(days=30), created_by=agent
    )
    return World(a=a, b=b, agent=agent, staff_key=staff_key)


def api(key: str | None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client
