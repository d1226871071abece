"""The store's tests again, against a real PostgreSQL server that this module starts (Debian's binaries).

Several machines share the store through PostgreSQL; the same SQLAlchemy code runs on both, so the same
tests must pass on both. Skipped, with the reason, where PostgreSQL is not installed.
"""
import pytest

from tests.postgres_server import fresh_database, running_postgres, unavailable
from tests.test_store import *  # noqa: F401,F403 - every store test, rerun with the store_url below

pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(unavailable()), reason=unavailable() or "-")]


@pytest.fixture(scope="module")
def postgres_server():
    with running_postgres() as url:
        yield url


@pytest.fixture
def store_url(postgres_server):  # noqa: F811 - overrides test_store's SQLite file
    with fresh_database(postgres_server) as url:
        yield url


def test_the_tests_above_ran_on_postgresql(store):
    assert store.engine.dialect.name == "postgresql" and store.engine.dialect.driver == "psycopg"
