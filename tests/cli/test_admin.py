"""`cpaas db|accounts|numbers` from the shell, on a throw-away database."""
from click.testing import CliRunner
from sqlalchemy import select

from cpaas.cli import main
from cpaas.models import Database, PhoneNumber


def run(tmp_path, *args):
    env = {"DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/cpaas.db"}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_accounts_and_numbers(tmp_path):
    assert run(tmp_path, "db", "upgrade").exit_code == 0
    created = run(tmp_path, "accounts", "create", "--name", "NGO")
    assert created.exit_code == 0
    sid, token, name = created.output.split()
    assert sid.startswith("AC") and len(sid) == 34 and len(token) == 32 and name == "NGO"

    sub = run(tmp_path, "accounts", "create", "--name", "Field", "--parent", sid)
    sub_sid = sub.output.split()[0]
    listing = run(tmp_path, "accounts", "list").output
    assert sid in listing and f"{sub_sid} active    {sid}" in listing

    added = run(tmp_path, "numbers", "add", "+1 (555) 123-0000", "--account", sid,
                "--voice-url", "http://127.0.0.1:9/voice.xml")
    assert added.exit_code == 0 and "+15551230000" in added.output
    database = Database(f"sqlite:///{tmp_path}/cpaas.db")
    with database.session() as session:
        number = session.scalars(select(PhoneNumber)).one()
        assert (number.account_sid, number.voice_url) == (sid, "http://127.0.0.1:9/voice.xml")
    database.dispose()

    again = run(tmp_path, "numbers", "add", "+15551230000", "--account", sid)
    assert again.exit_code != 0 and "already assigned" in again.output
    bad = run(tmp_path, "numbers", "add", "12", "--account", sid)
    assert bad.exit_code != 0 and "not a valid phone number" in bad.output
    unknown = run(tmp_path, "numbers", "add", "+15551230001", "--account", "AC" + "0" * 32)
    assert unknown.exit_code != 0 and "no account" in unknown.output


def test_a_wrong_setting_stops_with_one_line(tmp_path):
    result = CliRunner().invoke(main, ["accounts", "list"], env={"API_PORT": "http"})
    assert result.exit_code == 2
    assert result.output.strip() == "cpaas: configuration error: API_PORT: 'http' is not a whole number"
