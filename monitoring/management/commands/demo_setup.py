"""Create (or refresh) the demo organisation, its people and a CAS connection to the simulator.

Run by ``make run`` before it starts the processes; safe to run again.
"""

import os

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Organisation, User
from monitoring.models import CasConnection

DEMO_TENANT = "demo-be"
DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"  # noqa: S105 - the simulator's demo client, not a real credential
DEMO_WEBHOOK_SECRET = "demo-webhook-secret"  # noqa: S105


class Command(BaseCommand):
    help = "Create the demo organisation, an agent and a customer login, and a CAS connection to the simulator."

    def add_arguments(self, parser):
        parser.add_argument("--simulator-url", default="http://127.0.0.1:8765")
        parser.add_argument("--web-url", default="http://127.0.0.1:8000")

    @transaction.atomic
    def handle(self, *args, simulator_url: str, web_url: str, **options):
        password = os.environ.get("DEMO_PASSWORD", "activesupport-demo")
        organisation, _ = Organisation.objects.update_or_create(
            cas_tenant_id=DEMO_TENANT,
            defaults={"name": "Demo Importer BV", "support_plan": Organisation.SupportPlan.ACTIVE},
        )
        people = [
            ("agent", User.Role.AGENT, None, True),
            ("customer", User.Role.CUSTOMER_ADMIN, organisation, False),
        ]
        for username, role, member_of, is_staff in people:
            # Created with its role and organisation: the defaults (a customer without one) break the
            # customer_user_has_organisation constraint on insert.
            user, _ = User.objects.get_or_create(username=username, defaults={"role": role, "organisation": member_of})
            user.role, user.organisation, user.is_staff, user.is_superuser = role, member_of, is_staff, is_staff
            user.set_password(password)
            user.save()
        CasConnection.objects.update_or_create(
            organisation=organisation,
            name="Demo CAS (simulator)",
            defaults={
                "base_url": simulator_url,
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "webhook_secret": DEMO_WEBHOOK_SECRET,
                "poll_interval_seconds": 5,
                "is_enabled": True,
                "next_poll_at": None,
                # A run killed when `make run` last stopped may still hold the lease: start afresh.
                "lease_token": "",
                "lease_expires_at": None,
            },
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Active Support desk: {web_url}/\n"
                f"  Agent login:    agent / {password}   (also the admin at {web_url}/admin/)\n"
                f"  Customer login: customer / {password}\n"
                f"  CAS simulator:  {simulator_url}  (tenant {DEMO_TENANT})\n"
            )
        )
