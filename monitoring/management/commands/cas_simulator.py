"""Run the CAS simulator in the foreground (``make run`` starts it from Procfile.dev).

    python manage.py cas_simulator --port 8765 --client demo-be:demo-client:demo-secret --seed 42 --rate 2 \
        --preload 300 [--scenario TT_IM017a | --scenario all]

The simulator is the customs application's side of the feed, a separate program: this command only wires its
options to ``SimulatorServer`` and touches no database.
"""

from django.core.management.base import BaseCommand, CommandError

from monitoring.simulator.scenarios import scenario_names
from monitoring.simulator.server import SimulatorServer


class Command(BaseCommand):
    help = "Serve the CAS feed contract (tokens, event pages, webhook pushes) from a seeded simulator."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--client",
            action="append",
            default=[],
            metavar="TENANT:CLIENT_ID:SECRET",
            help="a registered OAuth client and the CAS tenant it reads (repeatable)",
        )
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--rate", type=float, default=0.0, help="live events per second per tenant")
        parser.add_argument("--preload", type=int, default=0, help="generated events per tenant before serving")
        parser.add_argument(
            "--scenario",
            action="append",
            default=[],
            help="an HMRC trade-test scenario to load for every tenant, or 'all' (repeatable)",
        )
        parser.add_argument("--token-ttl", type=int, default=3600, help="token lifetime in seconds")
        parser.add_argument("--verbose", action="store_true", help="log every request")

    def handle(self, *args, **options):
        clients = [self._client(value) for value in options["client"]]
        scenarios = self._scenarios(options["scenario"])
        server = SimulatorServer(
            options["host"],
            options["port"],
            seed=options["seed"],
            clients=clients,
            token_ttl=options["token_ttl"],
            rate=options["rate"],
            verbose=options["verbose"],
        )
        for tenant in sorted({tenant for tenant, _, _ in clients}):
            if options["preload"]:
                server.generate(tenant, options["preload"])
            for name in scenarios:
                server.load_scenario(tenant, name)
        self.stdout.write(f"CAS simulator serving at {server.url}")
        logs = server.stats()["tenants"]
        for tenant, client_id, _ in clients:
            self.stdout.write(f"  tenant {tenant}: client {client_id}, {logs[tenant]['log_length']} events")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("CAS simulator stopped")

    @staticmethod
    def _client(value: str) -> tuple[str, str, str]:
        parts = value.split(":", 2)
        if len(parts) != 3 or not all(parts):
            raise CommandError(f"--client {value!r}: expected TENANT:CLIENT_ID:SECRET")
        return parts[0], parts[1], parts[2]

    @staticmethod
    def _scenarios(values: list[str]) -> list[str]:
        known = scenario_names()
        if "all" in values:
            return known
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise CommandError(f"unknown scenario(s): {', '.join(unknown)}")
        return values
