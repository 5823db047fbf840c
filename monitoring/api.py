"""HTTP endpoints of the monitoring app: the CAS webhook receiver, and the REST API for alerts,
incidents, the quarantine, CAS connections and the knowledge base."""

from __future__ import annotations

import time

import django_filters
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from activesupport.api import KeysetPagination

from .alerts import acknowledge, alert_resolve_many, incident_resolve
from .feed import MAX_BODY_BYTES, Reason, Refusal
from .ingest import RawItem, decode_body, events_ingest, quarantine_replay, quarantine_store, raw_body_text
from .knowledge import suggestion_text
from .models import Alert, CasConnection, Incident, KnowledgeEntry, QuarantinedEvent
from .selectors import alert_queryset_for_user
from .webhooks import SignatureError, verify_signature

# Bodies over the contract's 1 MiB but under this are kept in quarantine (when signed); larger ones
# are refused unread, so nobody can make the desk store arbitrary amounts of data.
KEEP_OVERSIZED_BODY_BYTES = 8 * 1024 * 1024


class WebhookResult(serializers.Serializer):
    status = serializers.ChoiceField(choices=["applied", "duplicate", "quarantined"])
    reason = serializers.CharField(required=False)
    detail = serializers.CharField(required=False)


class CasWebhookApi(APIView):
    """Receive one CAS event pushed by webhook (CAS_FEED.md §1.2).

    The HMAC signature is checked before anything is stored. A repeated event answers as the first
    delivery did (2xx) and changes nothing.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes: list = []  # we read the raw body ourselves: the signature covers its exact bytes
    throttle_classes: list = []

    @extend_schema(
        operation_id="cas_webhook_receive",
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[OpenApiParameter("X-CAS-Signature", str, OpenApiParameter.HEADER, required=True)],
        responses={
            200: WebhookResult,
            400: WebhookResult,
            401: OpenApiResponse(description="missing, wrong or stale signature"),
            404: OpenApiResponse(description="no such connection"),
            413: OpenApiResponse(description="body over 1 MiB"),
        },
        auth=[],
    )
    def post(self, request, connection_id: int):
        connection = (
            CasConnection.objects.select_related("organisation").filter(pk=connection_id, is_enabled=True).first()
        )
        if connection is None:
            return Response({"detail": "no such connection"}, status=status.HTTP_404_NOT_FOUND)
        try:
            declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared_length = 0
        if declared_length > KEEP_OVERSIZED_BODY_BYTES:
            return Response({"detail": "body over 1 MiB"}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        body = request._request.read(KEEP_OVERSIZED_BODY_BYTES + 1)

        try:
            verify_signature(
                secret=connection.webhook_secret,
                header=request.headers.get("X-CAS-Signature"),
                body=body,
                now=time.time(),
            )
        except SignatureError as error:
            return Response({"detail": str(error)}, status=status.HTTP_401_UNAUTHORIZED)

        if len(body) > MAX_BODY_BYTES:
            refusal = Refusal(Reason.BODY_TOO_LARGE, f"body of {len(body)} bytes, at most {MAX_BODY_BYTES}")
            quarantine_store(
                connection=connection,
                refused=[(RawItem(value=None, raw_text=raw_body_text(body)), refusal)],
                source=QuarantinedEvent.Source.PUSH,
                now=timezone.now(),
            )
            return Response(
                {"status": "quarantined", "reason": refusal.reason, "detail": refusal.detail},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )

        result = events_ingest(connection=connection, items=[decode_body(body)], source=QuarantinedEvent.Source.PUSH)
        if result.quarantined:
            refusal = result.first_refusal
            return Response(
                {"status": "quarantined", "reason": refusal.reason, "detail": refusal.detail},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"status": "applied" if result.applied else "duplicate"}, status=status.HTTP_200_OK)


# --- The REST API: alerts, incidents, quarantine, connections, knowledge base ---------------------


class AlertSerializer(serializers.ModelSerializer):
    suggestion = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "organisation",
            "declaration",
            "kind",
            "reason_code",
            "fingerprint",
            "state",
            "severity",
            "summary",
            "error_codes",
            "field_name",
            "field_path",
            "customs_system",
            "procedure_code",
            "occurrences",
            "first_seen_at",
            "last_seen_at",
            "fires_at",
            "fired_at",
            "resolved_at",
            "resolution",
            "acknowledged_at",
            "acknowledged_by",
            "incident",
            "ticket",
            "knowledge_entry",
            "suggestion",
        ]
        read_only_fields = fields

    def get_suggestion(self, alert: Alert) -> str:
        return suggestion_text(alert.knowledge_entry, field_name=alert.field_name, field_path=alert.field_path)


class AlertResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=2000)


class AlertFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Alert.State.choices)
    kind = django_filters.CharFilter()
    customs_system = django_filters.CharFilter()
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    declaration = django_filters.NumberFilter(field_name="declaration_id")
    incident = django_filters.NumberFilter(field_name="incident_id")
    is_open = django_filters.BooleanFilter()

    class Meta:
        model = Alert
        fields = []


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AlertSerializer
    queryset = Alert.objects.none()  # for the schema; get_queryset decides
    lookup_value_regex = r"[0-9]+"
    pagination_class = KeysetPagination
    filterset_class = AlertFilter

    def get_queryset(self):
        return alert_queryset_for_user(user=self.request.user).select_related("knowledge_entry")

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def acknowledge(self, request, pk=None):
        """Say someone is on it (support staff). Acknowledging twice changes nothing."""
        alert = self.get_object()
        _require_staff(request)
        acknowledge(alert, by=request.user)
        return Response(AlertSerializer(alert).data)

    @extend_schema(request=AlertResolveSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def resolve(self, request, pk=None):
        """Resolve by hand, saying why (support staff): for what no event will ever prove."""
        alert = self.get_object()
        _require_staff(request)
        form = AlertResolveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        alert_resolve_many(
            alert_ids=[alert.pk],
            resolution=f"resolved by {request.user}: {form.validated_data['resolution']}",
            now=timezone.now(),
        )
        alert.refresh_from_db()
        return Response(AlertSerializer(alert).data)


def _require_staff(request) -> None:
    if not request.user.is_support_staff:
        raise PermissionDenied("only support staff may do this")


class IncidentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Incident
        fields = [
            "id",
            "organisation",
            "kind",
            "group_key",
            "alert_kind",
            "reason_code",
            "customs_system",
            "connection",
            "is_open",
            "summary",
            "opened_at",
            "resolved_at",
            "resolution",
            "acknowledged_at",
            "acknowledged_by",
            "ticket",
        ]
        read_only_fields = fields


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = IncidentSerializer
    queryset = Incident.objects.none()  # for the schema; get_queryset decides
    lookup_value_regex = r"[0-9]+"
    pagination_class = KeysetPagination
    filterset_fields = ["kind", "is_open"]

    def get_queryset(self):
        queryset = Incident.objects.all()
        user = self.request.user
        return queryset if user.is_support_staff else queryset.filter(organisation_id=user.organisation_id)

    @extend_schema(request=None, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], filterset_fields=None)
    def acknowledge(self, request, pk=None):
        """Say someone is on it (support staff). Acknowledging twice changes nothing."""
        incident = self.get_object()
        _require_staff(request)
        acknowledge(incident, by=request.user)
        return Response(IncidentSerializer(incident).data)

    @extend_schema(request=AlertResolveSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], filterset_fields=None)
    def resolve(self, request, pk=None):
        """Resolve by hand with its open alerts, saying why (support staff)."""
        incident = self.get_object()
        _require_staff(request)
        form = AlertResolveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        incident_resolve(incident=incident, resolution=form.validated_data["resolution"], by=request.user)
        incident.refresh_from_db()
        return Response(IncidentSerializer(incident).data)


class QuarantinedEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuarantinedEvent
        fields = [
            "id",
            "connection",
            "organisation",
            "source",
            "raw_body",
            "event_id",
            "reason",
            "detail",
            "status",
            "occurrences",
            "first_seen_at",
            "last_seen_at",
            "corrected_body",
            "resolved_at",
            "replay_detail",
        ]
        read_only_fields = fields


class ReplaySerializer(serializers.Serializer):
    corrected_body = serializers.CharField(required=False, allow_blank=False, max_length=MAX_BODY_BYTES)


class ReplayResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["applied", "duplicate", "refused"])
    detail = serializers.CharField()
    entry = QuarantinedEventSerializer()


class QuarantineViewSet(viewsets.ReadOnlyModelViewSet):
    """Refused feed input, kept whole with its reason (support staff; a customer's credentials see none)."""

    serializer_class = QuarantinedEventSerializer
    queryset = QuarantinedEvent.objects.none()  # for the schema; get_queryset decides
    lookup_value_regex = r"[0-9]+"
    pagination_class = KeysetPagination
    filterset_class = None
    filterset_fields = ["status", "reason", "connection"]

    def get_queryset(self):
        if not self.request.user.is_support_staff:
            return QuarantinedEvent.objects.none()
        return QuarantinedEvent.objects.all()

    @extend_schema(request=ReplaySerializer, responses=ReplayResultSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def replay(self, request, pk=None):
        """Run it through the ingest again after the cause was fixed, optionally with a corrected body."""
        entry = self.get_object()
        form = ReplaySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        result = quarantine_replay(
            entry_id=entry.pk, by=request.user, corrected_body=form.validated_data.get("corrected_body")
        )
        return Response(
            {"outcome": result.outcome, "detail": result.detail, "entry": QuarantinedEventSerializer(result.entry).data}
        )


class CasConnectionSerializer(serializers.ModelSerializer):
    """Never the secrets: client secret, webhook secret and token stay in the database."""

    class Meta:
        model = CasConnection
        fields = [
            "id",
            "organisation",
            "name",
            "base_url",
            "client_id",
            "poll_interval_seconds",
            "page_size",
            "is_enabled",
            "next_poll_at",
            "last_poll_at",
            "last_success_at",
            "last_error",
            "last_error_at",
            "consecutive_failures",
            "last_push_at",
            "events_applied",
            "events_duplicate",
            "events_quarantined",
            "unknown_statuses",
        ]
        read_only_fields = fields


class CasConnectionViewSet(viewsets.ReadOnlyModelViewSet):
    """Feed connections and their health (support staff; a customer's credentials see none)."""

    serializer_class = CasConnectionSerializer
    queryset = CasConnection.objects.none()  # for the schema; get_queryset decides
    lookup_value_regex = r"[0-9]+"
    pagination_class = KeysetPagination

    def get_queryset(self):
        if not self.request.user.is_support_staff:
            return CasConnection.objects.none()
        return CasConnection.objects.all()


class KnowledgeEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = KnowledgeEntry
        fields = [
            "id",
            "level",
            "key",
            "customs_system",
            "procedure_code",
            "family",
            "category",
            "title",
            "official_text",
            "explanation",
            "likely_cause",
            "resolution_steps",
            "customer_decides",
            "updated_at",
        ]
        read_only_fields = fields


class KnowledgeEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """What each error means and what to do: the same for every organisation."""

    serializer_class = KnowledgeEntrySerializer
    pagination_class = KeysetPagination
    lookup_value_regex = r"[0-9]+"
    queryset = KnowledgeEntry.objects.all()
    filterset_fields = ["level", "key", "family", "category", "customs_system"]
