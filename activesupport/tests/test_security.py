"""Abuse and hardening: the login lockout, the security headers and the production settings."""

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AgentFactory, UserFactory

MANAGE_PY = Path(settings.BASE_DIR) / "manage.py"
RIGHT_PASSWORD = "correct horse battery staple"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh interpreter: settings are read once, at start-up, from the environment."""
    base = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DJANGO_PRODUCTION", "DEBUG"}}
    return subprocess.run(
        [sys.executable, str(MANAGE_PY), *args],
        env={**base, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _deploy_check(**env: str) -> subprocess.CompletedProcess:
    return _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_PRODUCTION="true",
        ALLOWED_HOSTS="desk.example.com",
        **env,
    )


# --- Production settings -------------------------------------------------------------------------


def test_the_deploy_check_passes_with_the_production_environment():
    result = _deploy_check(SECRET_KEY=secrets.token_urlsafe(50))

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deploy_check_fails_in_production_on_the_development_secret_key():
    dev_key = _manage("shell", "-v", "0", "-c", "from django.conf import settings; print(settings.SECRET_KEY)").stdout
    dev_key = dev_key.strip()
    assert dev_key

    result = _deploy_check(SECRET_KEY=dev_key)

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _deploy_check()

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_production_redirects_pages_to_https_but_not_the_health_check(client):
    assert client.get(reverse("login")).status_code == 301
    assert client.get("/healthz").status_code in {200, 503}


# --- Security headers ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_page_carries_the_content_security_policy_and_security_headers(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    policy = [directive.strip() for directive in response["Content-Security-Policy"].split(";")]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert not any("unsafe" in directive for directive in policy)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_agent_home_page_carries_the_content_security_policy(client):
    client.force_login(AgentFactory())

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_swagger_ui_is_served_from_our_own_static_files_not_a_cdn(client):
    response = client.get(reverse("api-docs"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    assert "cdn.jsdelivr.net" not in body


@pytest.mark.django_db
def test_swagger_ui_page_has_no_inline_script_the_policy_would_block(client):
    response = client.get(reverse("api-docs"))

    assert response.status_code == 200
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())


# --- Login lockout -------------------------------------------------------------------------------


def _sign_in(client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_login_and_the_lock_lifts_after_the_cool_off(client):
    user = UserFactory()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _sign_in(client, user.username, "wrong password")

        locked = _sign_in(client, user.username, RIGHT_PASSWORD)

        assert locked.status_code == 429
        assert "_auth_user_id" not in client.session

        traveller.shift(settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
        assert _sign_in(client, user.username, RIGHT_PASSWORD).status_code == 429

        traveller.shift(timedelta(seconds=2))
        signed_in = _sign_in(client, user.username, RIGHT_PASSWORD)

    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_an_attacker_locking_a_username_does_not_lock_its_owner_out_from_elsewhere(client):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, user.username, "wrong password", address="203.0.113.7")
    assert _sign_in(client, user.username, RIGHT_PASSWORD, address="203.0.113.7").status_code == 429

    response = _sign_in(client, user.username, RIGHT_PASSWORD, address="198.51.100.20")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_a_successful_sign_in_forgets_earlier_failures(client):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, user.username, "wrong password")
    assert _sign_in(client, user.username, RIGHT_PASSWORD).status_code == 302
    client.logout()

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, user.username, "wrong password")

    assert _sign_in(client, user.username, RIGHT_PASSWORD).status_code == 302
