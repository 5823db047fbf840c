import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import factory

from accounts.tests.factories import OrganisationFactory
from monitoring.models import CasConnection

_sequence = itertools.count(1)


class CasConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CasConnection

    organisation = factory.SubFactory(OrganisationFactory)
    base_url = "http://127.0.0.1:9/"  # nothing listens there; tests that poll pass the simulator's URL
    client_id = factory.Sequence(lambda n: f"client-{n}")
    client_secret = "client-secret"
    webhook_secret = factory.Sequence(lambda n: f"whsec-{n}")  # each connection its own secret
    poll_interval_seconds = 30


def status_event(
    *,
    tenant: str,
    declaration_id: str = "d-1",
    status: str = "Submitted",
    previous: str = "Validated",
    at: datetime | None = None,
    sequence: int | None = None,
    event_id: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    **data: Any,
) -> dict[str, Any]:
    """A valid ``DeclarationStatusChanged`` event in the CAS_FEED.md §2 shape."""
    at = at or datetime(2026, 11, 27, 10, 0, tzinfo=UTC) + timedelta(seconds=next(_sequence))
    return {
        "id": event_id or str(uuid.uuid4()),
        "sequence": sequence if sequence is not None else next(_sequence),
        "tenantId": tenant,
        "eventTime": at.isoformat().replace("+00:00", "Z"),
        "eventType": "DeclarationStatusChanged",
        "data": {
            "id": declaration_id,
            "lrn": f"LRN{declaration_id}",
            "mrn": data.pop("mrn", None),
            "jurisdiction": "BE",
            "customsSystem": "PLDA",
            "declarationType": "IM",
            "additionalDeclarationType": "A",
            "procedureCode": "4000",
            "additionalProcedureCodes": ["000"],
            "customsFlow": "Import - Standard",
            "customsFlowStep": "Send",
            "customsShipmentReference": "SHP-1",
            "traderReference": "PO-1",
            "declarantEori": "BE0123456789",
            "officeOfLodgement": "BE101000",
            "previousStatus": previous,
            "currentStatus": status,
            "acceptanceDate": None,
            "releaseDate": None,
            "routeOfExamination": None,
            "customsNotification": data.pop("customs_notification", None),
            "errors": errors or [],
            **data,
        },
    }
