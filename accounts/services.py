"""Customer admins manage their organisation's people: add a user, change a role, deactivate.

Every function takes the acting admin (``by``) and works inside that admin's organisation only. The
organisation always keeps an active admin: nobody demotes or deactivates themselves, and changes
take a lock on the organisation row and check the acting admin is still one, so two admins demoting
each other at the same moment cannot both succeed.
"""

from __future__ import annotations

from datetime import tzinfo

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Organisation, User

CUSTOMER_ROLES = (User.Role.CUSTOMER_USER, User.Role.CUSTOMER_ADMIN)


class AccountError(Exception):
    """A change that is refused; the message says why, ``field`` which answer it is about (if any)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _require_customer_admin(by: User) -> None:
    if by.role != User.Role.CUSTOMER_ADMIN or by.organisation_id is None:
        raise AccountError("only a customer admin manages their organisation's users")


def organisation_user_queryset(*, by: User) -> QuerySet[User]:
    """The organisation's customer users. Staff accounts never show here, even one attached to it."""
    _require_customer_admin(by)
    return User.objects.filter(organisation_id=by.organisation_id, role__in=CUSTOMER_ROLES)


def organisation_user_get(*, by: User, user_id: int) -> User | None:
    """One of the admin's organisation's users; ``None`` for anyone else's (answered as not found)."""
    return organisation_user_queryset(by=by).filter(pk=user_id).first()


def _check_role(role: str) -> None:
    if role not in CUSTOMER_ROLES:
        raise AccountError("a customer admin gives the customer user or customer admin role only", field="role")


@transaction.atomic
def organisation_user_add(
    *,
    by: User,
    username: str,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    time_zone: tzinfo | str = "Europe/Brussels",
    site_url: str,
) -> User:
    """Add a user to the admin's organisation and email them a link to choose their password.

    The user has no usable password until they follow the link, so nobody (the admin included) ever
    knows it. ``site_url`` (scheme and host) makes the link absolute.
    """
    _require_customer_admin(by)
    _check_role(role)
    if not email:
        raise AccountError("an email address is needed to send the set-password link", field="email")
    # Usernames are unique across organisations, and people type them in any case.
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError("This username is taken: choose another one.", field="username")
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        time_zone=time_zone,
        organisation_id=by.organisation_id,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:  # the same username added a moment ago by someone else
        raise AccountError("This username is taken: choose another one.", field="username") from error
    organisation_user_send_password_link(by=by, user=user, site_url=site_url)
    return user


def organisation_user_send_password_link(*, by: User, user: User, site_url: str) -> None:
    """Email the user a link to set (or reset) their password, once the current transaction commits."""
    _require_customer_admin(by)
    if user.organisation_id != by.organisation_id:
        raise AccountError("no such user")
    if not user.email:
        raise AccountError("this user has no email address", field="email")
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "organisation": by.organisation,
        "invited_by": by.get_full_name() or by.username,
        "link": site_url.rstrip("/") + path,
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    subject = render_to_string("registration/set_password_subject.txt", context).strip()
    body = render_to_string("registration/set_password_email.txt", context)
    # Never an email about a user whose creation is then rolled back.
    transaction.on_commit(
        lambda: send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email])
    )


@transaction.atomic
def organisation_user_update(
    *,
    by: User,
    user: User,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    is_active: bool,
    time_zone: tzinfo | str,
) -> User:
    """Change a user of the admin's organisation. An admin cannot demote or deactivate themselves, so
    the organisation is never left without an active admin."""
    _require_customer_admin(by)
    _check_role(role)
    if not email:
        raise AccountError("an email address is needed", field="email")
    # One user change at a time per organisation, and `by` read again under that lock: a request that
    # began just before this admin was demoted must not still act as one. Since `by` stays an active
    # admin (they cannot demote or deactivate themselves), the organisation always keeps one.
    Organisation.objects.select_for_update().filter(pk=by.organisation_id).first()
    if not organisation_user_queryset(by=by).filter(pk=by.pk, role=User.Role.CUSTOMER_ADMIN, is_active=True).exists():
        raise AccountError("only a customer admin manages their organisation's users")
    user = organisation_user_queryset(by=by).filter(pk=user.pk).first()
    if user is None:
        raise AccountError("no such user")
    if user.pk == by.pk and not (role == User.Role.CUSTOMER_ADMIN and is_active):
        raise AccountError(
            "You cannot remove your own admin rights or deactivate yourself: ask another admin of your"
            " organisation, so that it always keeps one.",
            field="role" if is_active else "is_active",
        )
    user.email = email
    user.first_name = first_name
    user.last_name = last_name
    user.role = role
    user.is_active = is_active
    user.time_zone = time_zone
    user.save(update_fields=["email", "first_name", "last_name", "role", "is_active", "time_zone"])
    return user
