"""Create, list and revoke API clients. The key is printed once, at creation, and never again.

python manage.py api_client create --name "ACME ERP" --organisation acme-be --write --days 90
python manage.py api_client create --name "Desk tooling" --staff --days 30
python manage.py api_client list
python manage.py api_client revoke <prefix>
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from accounts.api_keys import api_client_create, api_client_revoke
from accounts.models import ApiClient, Organisation


class Command(BaseCommand):
    help = "Create, list and revoke API clients (machine credentials of the REST API)."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create")
        create.add_argument("--name", required=True)
        scope = create.add_mutually_exclusive_group(required=True)
        scope.add_argument("--organisation", help="the organisation's CAS tenant id")
        scope.add_argument("--staff", action="store_true", help="staff-wide: every organisation")
        create.add_argument("--write", action="store_true", help="may write (read-only otherwise)")
        create.add_argument("--days", type=int, default=90, help="days until the key expires")
        commands.add_parser("list")
        revoke = commands.add_parser("revoke")
        revoke.add_argument("prefix")

    def handle(self, *args, command: str, **options):
        if command == "create":
            organisation = None
            if options["organisation"]:
                organisation = Organisation.objects.filter(cas_tenant_id=options["organisation"]).first()
                if organisation is None:
                    raise CommandError(f"no organisation with CAS tenant id {options['organisation']!r}")
            client, key = api_client_create(
                name=options["name"],
                organisation=organisation,
                can_write=options["write"],
                expires_in=timedelta(days=options["days"]),
                created_by=None,
            )
            self.stdout.write(key)
            self.stderr.write(f"API client {client} created; keep the key above, it is not shown again.")
        elif command == "list":
            for client in ApiClient.objects.select_related("user__organisation").order_by("created_at"):
                scope = client.user.organisation or "staff-wide"
                state = "revoked" if client.revoked_at else f"expires {client.expires_at:%Y-%m-%d}"
                mode = "read-write" if client.can_write else "read-only"
                self.stdout.write(f"{client.key_prefix}  {client.name}  {scope}  {mode}  {state}")
        else:
            client = ApiClient.objects.filter(key_prefix=options["prefix"]).first()
            if client is None:
                raise CommandError(f"no API client with prefix {options['prefix']!r}")
            api_client_revoke(client=client)
            self.stderr.write(f"API client {client} revoked.")
