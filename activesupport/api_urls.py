"""The REST API under /api/v1/ (OpenAPI at /api/schema/, browsable docs at /api/docs/)."""

from rest_framework.routers import DefaultRouter

from accounts.api import OrganisationViewSet
from declarations.api import DeclarationViewSet
from monitoring.api import (
    AlertViewSet,
    CasConnectionViewSet,
    IncidentViewSet,
    KnowledgeEntryViewSet,
    QuarantineViewSet,
)
from tickets.api import TicketViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("declarations", DeclarationViewSet, basename="declaration")
router.register("alerts", AlertViewSet, basename="alert")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("quarantine", QuarantineViewSet, basename="quarantine")
router.register("cas-connections", CasConnectionViewSet, basename="cas-connection")
router.register("knowledge", KnowledgeEntryViewSet, basename="knowledge")

urlpatterns = router.urls
