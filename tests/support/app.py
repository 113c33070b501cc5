"""The product's API with a throw-away SQLite database and the test Redis."""
from __future__ import annotations

from dataclasses import dataclass

from cpaas.api import create_app
from cpaas.config import Settings, load_settings
from cpaas.models import Account, Database
from cpaas.models.migrate import upgrade
from cpaas.services.accounts import create_account


def settings_for_tests(tmp_path, redis_url: str, **overrides) -> Settings:
    environ = {"DATA_DIR": str(tmp_path), "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"}
    environ.update({key: str(value) for key, value in overrides.items()})
    return load_settings(environ, dotenv=None)


def make_app(settings: Settings):
    upgrade(settings.database_url)
    database = Database(settings.database_url)
    return create_app(settings, database=database), database


@dataclass
class Credentials:
    sid: str
    token: str

    @property
    def auth(self) -> tuple[str, str]:
        return self.sid, self.token


def new_account(database: Database, name: str = "Main", owner_sid: str | None = None) -> Credentials:
    with database.session() as session:
        owner = session.get(Account, owner_sid) if owner_sid else None
        account = create_account(session, name, owner=owner)
        return Credentials(account.sid, account.auth_token)
