"""Test set-up shared by every app: real services, checked up front.

The suite runs on PostgreSQL and Redis (``make test`` points ``DATABASE_URL`` and
``CELERY_BROKER_URL`` at them). Under ``CI=true`` a service that does not answer fails the run;
a developer without one gets a clear skip of the tests that need it, never a silent pass.
"""

from __future__ import annotations

import os

import pytest

# Chromium, Playwright, axe-core and screenshots for the browser tests of every app.
pytest_plugins = ["activesupport.tests.browser"]

IS_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _redis_url() -> str:
    return os.environ.get("CELERY_BROKER_URL", "")


def redis_available() -> tuple[bool, str]:
    url = _redis_url()
    if not url.startswith("redis://"):
        return False, f"CELERY_BROKER_URL is {url!r}, not Redis"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as error:
        return False, f"Redis at {url} does not answer: {error}"
    return True, ""


@pytest.fixture(scope="session")
def require_redis() -> str:
    ok, why = redis_available()
    if not ok:
        if IS_CI:
            pytest.fail(f"CI=true and {why}")
        pytest.skip(why)
    return _redis_url()


@pytest.fixture(scope="session")
def require_postgresql(django_db_setup, django_db_blocker) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        why = f"the suite runs on {connection.vendor}, this test needs PostgreSQL"
        if IS_CI:
            pytest.fail(f"CI=true and {why}")
        pytest.skip(why)


def pytest_report_header(config) -> list[str]:
    from django.conf import settings

    database = settings.DATABASES["default"]
    return [
        f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database.get('NAME')}",
        f"broker: {settings.CELERY_BROKER_URL}",
        f"CI: {IS_CI}",
    ]


@pytest.fixture
def desk_defaults(transactional_db):
    """The configuration data migrations install (alert rules, windows, knowledge base, SLA calendar and
    policies, canned replies). A test that commits for real has the database flushed after it, and these
    go with it: transactional tests put them back with this fixture."""
    from django.apps import apps

    from monitoring.seed import alerting_defaults_install
    from tickets.seed import canned_replies_install, sla_defaults_install

    alerting_defaults_install(apps)
    sla_defaults_install(apps)
    canned_replies_install(apps)
