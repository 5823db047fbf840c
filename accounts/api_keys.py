"""Machine credentials for the REST API: created with their key shown once, checked, revoked.

A key reads ``asd_<prefix>_<secret>``: the prefix finds the client, the secret is compared by its
SHA-256 in constant time. Keys are random 32-byte secrets, so a fast hash is enough (no password to
guess); expiry and revocation are checked on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from .models import ApiClient, Organisation, User

KEY_PREFIX = "asd"
LAST_USED_EVERY = timedelta(minutes=1)  # how often a busy client's last use is written


@transaction.atomic
def api_client_create(
    *, name: str, organisation: Organisation | None, can_write: bool, expires_in: timedelta, created_by: User | None
) -> tuple[ApiClient, str]:
    """Create a client and its own user; returns the client and the key, which is never stored."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    user = User.objects.create(
        username=f"api-{prefix}",
        first_name=name[:150],
        organisation=organisation,
        role=User.Role.CUSTOMER_USER if organisation else User.Role.AGENT,
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    client = ApiClient.objects.create(
        name=name,
        user=user,
        can_write=can_write,
        key_prefix=prefix,
        key_sha256=hashlib.sha256(secret.encode()).hexdigest(),
        created_by=created_by,
        expires_at=timezone.now() + expires_in,
    )
    return client, f"{KEY_PREFIX}_{prefix}_{secret}"


def api_client_revoke(*, client: ApiClient) -> None:
    ApiClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    User.objects.filter(pk=client.user_id).update(is_active=False)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer asd_<prefix>_<secret>``."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, key = header.partition(" ")
        if scheme != self.keyword or not key.startswith(f"{KEY_PREFIX}_"):
            return None  # not ours: the session may still authenticate the request
        _, _, rest = key.partition("_")
        prefix, _, secret = rest.partition("_")
        client = ApiClient.objects.select_related("user").filter(key_prefix=prefix).first()
        expected = client.key_sha256 if client else hashlib.sha256(b"no such client").hexdigest()
        if client is None or not hmac.compare_digest(hashlib.sha256(secret.encode()).hexdigest(), expected):
            raise exceptions.AuthenticationFailed("invalid API key")
        now = timezone.now()
        if client.revoked_at is not None:
            raise exceptions.AuthenticationFailed("this API key was revoked")
        if client.expires_at <= now:
            raise exceptions.AuthenticationFailed("this API key has expired")
        if not client.user.is_active:
            raise exceptions.AuthenticationFailed("this API client is disabled")
        if client.last_used_at is None or now - client.last_used_at > LAST_USED_EVERY:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        return client.user, client

    def authenticate_header(self, request) -> str:
        return self.keyword


class ClientScope(permissions.BasePermission):
    """A read-only API client may only read."""

    message = "this API key is read-only"

    def has_permission(self, request, view) -> bool:
        client = request.auth if isinstance(request.auth, ApiClient) else None
        return client is None or request.method in permissions.SAFE_METHODS or client.can_write


class SupportStaffOnly(permissions.BasePermission):
    message = "only support staff may use this endpoint"

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_support_staff)
