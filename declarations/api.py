"""Declarations over the REST API: list with filters and search, detail with the event history."""

from __future__ import annotations

import json
from datetime import UTC

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action

from activesupport.api import KeysetPagination

from .models import Declaration, DeclarationEvent
from .selectors import declaration_queryset_for_user


class DeclarationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Declaration
        fields = [
            "id",
            "organisation",
            "cas_id",
            "lrn",
            "mrn",
            "jurisdiction",
            "customs_system",
            "declaration_type",
            "additional_declaration_type",
            "procedure_code",
            "additional_procedure_codes",
            "customs_flow",
            "customs_flow_step",
            "trader_reference",
            "customs_shipment_reference",
            "declarant_eori",
            "office_of_lodgement",
            "status",
            "previous_status",
            "is_status_known",
            "acceptance_date",
            "release_date",
            "route_of_examination",
            "errors",
            "bcp_mode",
            "last_event_at",
            "watch",
            "watch_due_at",
        ]
        read_only_fields = fields


class DeclarationEventSerializer(serializers.ModelSerializer):
    payload = serializers.SerializerMethodField()

    class Meta:
        model = DeclarationEvent
        fields = [
            "id",
            "event_id",
            "sequence",
            "event_type",
            "event_time",
            "received_at",
            "status",
            "customs_function_code",
            "customs_reference_id",
            "source",
            "payload",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, event: DeclarationEvent):
        return json.loads(event.payload)


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 instant, compared in UTC: PostgreSQL refuses UTC offsets beyond ±15:59, which ISO
    8601 (and Python) allow, so the offset never reaches the database."""

    def filter(self, qs, value):
        return super().filter(qs, value.astimezone(UTC) if value is not None else value)


class DeclarationFilter(django_filters.FilterSet):
    status = django_filters.CharFilter()
    customs_system = django_filters.CharFilter()
    procedure_code = django_filters.CharFilter()
    declaration_type = django_filters.CharFilter()
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    last_event_after = UtcDateTimeFilter(field_name="last_event_at", lookup_expr="gte")
    last_event_before = UtcDateTimeFilter(field_name="last_event_at", lookup_expr="lt")
    accepted_after = UtcDateTimeFilter(field_name="acceptance_date", lookup_expr="gte")
    accepted_before = UtcDateTimeFilter(field_name="acceptance_date", lookup_expr="lt")
    reference = django_filters.CharFilter(method="by_reference", help_text="An LRN or an MRN, exactly.")

    class Meta:
        model = Declaration
        fields = []

    def by_reference(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(lrn=value) | Q(mrn=value))


class DeclarationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DeclarationSerializer
    queryset = Declaration.objects.none()  # for the schema; get_queryset decides
    lookup_value_regex = r"[0-9]+"
    pagination_class = KeysetPagination
    filterset_class = DeclarationFilter

    def get_queryset(self):
        return declaration_queryset_for_user(user=self.request.user)

    @extend_schema(responses=DeclarationEventSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=DeclarationEventSerializer, filterset_class=None)
    def events(self, request, pk=None):
        """The declaration's event history, newest first, each event with its raw JSON."""
        declaration = self.get_object()
        events = DeclarationEvent.objects.filter(declaration=declaration)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(DeclarationEventSerializer(page, many=True).data)
