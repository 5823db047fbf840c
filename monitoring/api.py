"""HTTP endpoints of the monitoring app: the CAS webhook receiver."""

from __future__ import annotations

import time

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .feed import MAX_BODY_BYTES, Reason, Refusal
from .ingest import RawItem, decode_body, events_ingest, quarantine_store, raw_body_text
from .models import CasConnection, QuarantinedEvent
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
