"""What every endpoint of the REST API shares: keyset pagination, one shape for errors, idempotent
creation, and the error responses the OpenAPI schema documents for every operation.

Endpoints live in their apps (``declarations/api.py``, ``monitoring/api.py``, ``tickets/api.py``,
``accounts/api.py``); ``activesupport/api_urls.py`` routes them under ``/api/v1/``.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from accounts.models import IdempotencyRecord


class KeysetPagination(pagination.CursorPagination):
    """Cursor (keyset) pagination: stable under inserts and as fast on page 1,000 as on page 1."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"


# --- Errors --------------------------------------------------------------------------------------


class ErrorBody(serializers.Serializer):
    """``{"error": {"status", "code", "message", "fields"}}``: every 4xx answer has this shape."""

    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


class ErrorResponse(serializers.Serializer):
    error = ErrorBody()


def api_exception_handler(exc, context):
    """DRF's handler, then one shape: the field errors under ``fields``, a message for people."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    body: dict = {"status": response.status_code, "code": _code(exc), "message": ""}
    if isinstance(detail, dict) and "detail" not in detail:
        body["fields"] = {field: _messages(errors) for field, errors in detail.items()}
        body["message"] = "Some fields are not valid."
    elif isinstance(detail, list):
        body["fields"] = {"non_field_errors": _messages(detail)}
        body["message"] = "; ".join(_messages(detail))
    else:
        body["message"] = str(detail.get("detail", detail) if isinstance(detail, dict) else detail)
    response.data = {"error": body}
    return response


def _code(exc) -> str:
    codes = getattr(exc, "get_codes", lambda: None)()
    return codes if isinstance(codes, str) else getattr(exc, "default_code", "error")


def _messages(errors) -> list[str]:
    if isinstance(errors, dict):
        return [f"{key}: {message}" for key, value in errors.items() for message in _messages(value)]
    if isinstance(errors, list):
        return [message for item in errors for message in _messages(item)]
    return [str(errors)]


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "a request with this Idempotency-Key is still being processed"
    default_code = "idempotency_in_flight"


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "this Idempotency-Key was used with a different request"
    default_code = "idempotency_key_reused"


# --- Idempotency ---------------------------------------------------------------------------------

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Send the same key with the same request to get the first answer again, once, within 24 h.",
)
MAX_KEY_LENGTH = 200


def idempotent(view_method):
    """For POSTs that create something: the same ``Idempotency-Key`` with the same body returns the
    stored first response; with a different body 422; while the first is still in flight 409.

    The record is claimed in its own committed transaction before the work starts, so a concurrent
    retry sees it; a server error releases it so the client may retry.
    """

    @wraps(view_method)
    def wrapped(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None or request.method != "POST":
            return view_method(self, request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise exceptions.ValidationError({"Idempotency-Key": [f"1 to {MAX_KEY_LENGTH} printable characters"]})
        fingerprint = hashlib.sha256(
            b"\n".join([request.method.encode(), request.path.encode(), request._request.body])
        ).hexdigest()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(user=request.user, key=key, request_sha256=fingerprint)
        except IntegrityError:
            record = IdempotencyRecord.objects.get(user=request.user, key=key)
            if record.request_sha256 != fingerprint:
                raise KeyReused() from None
            if record.state == IdempotencyRecord.State.IN_FLIGHT:
                raise Conflict() from None
            return Response(record.response_body, status=record.status_code, headers={"Idempotent-Replay": "true"})
        try:
            response = view_method(self, request, *args, **kwargs)
        except Exception as error:
            handled = api_exception_handler(error, {"request": request, "view": self})
            if handled is None or handled.status_code >= 500:
                record.delete()
                raise
            response = handled
        if response.status_code >= 500:
            record.delete()
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            state=IdempotencyRecord.State.DONE, status_code=response.status_code, response_body=response.data
        )
        return response

    return wrapped


def idempotency_records_forget(*, older_than_hours: int | None = None) -> int:
    """Forget keys older than ``IDEMPOTENCY_KEEP_HOURS`` (at least 24 h)."""
    from datetime import timedelta

    from django.utils import timezone

    hours = max(24, older_than_hours or settings.IDEMPOTENCY_KEEP_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - timedelta(hours=hours)).delete()
    return deleted


# --- OpenAPI ---------------------------------------------------------------------------------------

_ERRORS = {
    "400": "The request is not valid: see error.fields.",
    "401": "No valid credentials.",
    "403": "Not allowed for these credentials.",
    "404": "No such object (or not visible to these credentials).",
    "409": "A request with this Idempotency-Key is still in flight.",
    "422": "This Idempotency-Key was used with a different request.",
    "429": "Too many requests: slow down.",
}


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the error answers it can give,
    in the one error shape, so a client (and the schema fuzzing) knows them."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "ErrorResponse",
        {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["status", "code", "message"],
                    "properties": {
                        "status": {"type": "integer"},
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                }
            },
        },
    )
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            # The HTTP server in front answers an over-long URL itself, before the API sees it.
            responses.setdefault("414", {"description": "The URL is too long (answered by the HTTP server)."})
            codes = ["400", "401", "403", "404", "429"] + (["409", "422"] if method == "post" else [])
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": _ERRORS[code],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
                    },
                )
    return result
