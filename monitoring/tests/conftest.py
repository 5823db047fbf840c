import pytest

from monitoring.simulator.server import SimulatorServer
from monitoring.tests.factories import CasConnectionFactory


@pytest.fixture
def simulator():
    """The project's own CAS simulator, serving over real HTTP on a free port."""
    with SimulatorServer(seed=7) as server:
        yield server


@pytest.fixture
def feed_connection(simulator):
    """A connection whose feed is the simulator, with credentials the simulator knows."""
    connection = CasConnectionFactory(base_url=simulator.url, client_id="desk", client_secret="s3cret", page_size=100)
    simulator.add_client(connection.organisation.cas_tenant_id, "desk", "s3cret")
    return connection
