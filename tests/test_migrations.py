"""The Alembic migrations build exactly the schema the models declare."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from cpaas.models import Base
from cpaas.models.migrate import current, upgrade


def test_upgrade_creates_the_models_schema(database_url):
    upgrade(database_url)
    assert current(database_url) is not None
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree; add a migration: {diff}"
    assert {"accounts", "api_keys", "phone_numbers"} <= set(inspect(engine).get_table_names())
    upgrade(database_url)  # idempotent
