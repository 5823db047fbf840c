import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_when_database_and_broker_answer(client, require_redis):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
def test_healthz_answers_503_when_the_broker_does_not(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
    assert response.json()["database"]["ok"] is True
