"""The product's API with a throw-away SQLite database and the test Redis."""
from __future__ import annotations

from dataclasses import dataclass

from cpaas.api import create_app
from cpaas.config import Settings, load_settings
from cpaas.models import Account, Database
from cpaas.models.migrate import upgrade
from cpaas.services.accounts import create_account


def environ_for_tests(tmp_path, redis_url: str, **overrides) -> dict[str, str]:
    """The environment every process of one test shares (api in-process, worker/controller as children)."""
    environ = {"DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/cpaas.db", "REDIS_URL": redis_url,
               "LOG_LEVEL": "INFO", "WEBHOOK_TIMEOUT": "2", "WEBHOOK_RETRY_INTERVALS": "1 1"}
    environ.update({key: str(value) for key, value in overrides.items()})
    return environ


def settings_for_tests(tmp_path, redis_url: str, **overrides) -> Settings:
    return load_settings(environ_for_tests(tmp_path, redis_url, **overrides), dotenv=None)


def make_app(settings: Settings):
    upgrade(settings.database_url)
    database = Database.from_settings(settings)
    return create_app(settings, database=database), database


@dataclass
class Credentials:
    sid: str
    token: str
    number: str | None = None  # a phone number the account owns, when a fixture gave it one

    @property
    def auth(self) -> tuple[str, str]:
        return self.sid, self.token


def new_account(database: Database, name: str = "Main", owner_sid: str | None = None) -> Credentials:
    with database.session() as session:
        owner = session.get(Account, owner_sid) if owner_sid else None
        account = create_account(session, name, owner=owner)
        return Credentials(account.sid, account.auth_token)
