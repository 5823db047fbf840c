"""Organisations over the REST API: support staff only (a customer's credentials see none)."""

from rest_framework import serializers, viewsets

from activesupport.api import KeysetPagination

from .models import Organisation


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "cas_tenant_id", "support_plan", "created_at"]
        read_only_fields = fields


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrganisationSerializer
    queryset = Organisation.objects.none()  # for the schema; get_queryset decides
    lookup_value_regex = r"[0-9]+"
    pagination_class = KeysetPagination

    def get_queryset(self):
        # Staff-only resources answer a customer as if empty: a list without rows, a 404 for an object.
        return Organisation.objects.all() if self.request.user.is_support_staff else Organisation.objects.none()
