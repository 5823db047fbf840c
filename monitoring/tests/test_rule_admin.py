"""The rule table, the overdue windows and the knowledge base: agents read them, support admins change them."""

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import AgentFactory
from monitoring.models import AlertRule

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.mark.parametrize("model", ["alertrule", "overduewindow", "knowledgeentry"])
def test_an_agent_reads_but_cannot_change(client, model):
    client.force_login(AgentFactory(is_staff=True))
    assert client.get(reverse(f"admin:monitoring_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:monitoring_{model}_add")).status_code == 403


def test_a_support_admin_changes_a_rule(client):
    client.force_login(AgentFactory(is_staff=True, role=User.Role.SUPPORT_ADMIN))
    rule = AlertRule.objects.get(match_status="CustomsError")
    page = client.get(reverse("admin:monitoring_alertrule_change", args=[rule.pk]))
    assert page.status_code == 200
    assert b'name="severity"' in page.content
