import pytest

from cpaas.config import SettingsError, load_settings


def test_defaults_run_on_one_machine(tmp_path):
    settings = load_settings({"DATA_DIR": str(tmp_path)}, dotenv=None)
    assert settings.database_url == f"sqlite:///{tmp_path}/cpaas.db" and settings.database_pool_size == 16
    assert settings.recordings_dir == tmp_path / "recordings"
    assert settings.uses_sandbox
    assert [(n.host, n.port, n.password) for n in settings.esl_nodes] == [("127.0.0.1", 8021, "ClueCon")]
    assert settings.redis_url is None and settings.effective_redis_url.startswith("redis://127.0.0.1:")
    assert settings.public_base_url == "http://127.0.0.1:8080"
    assert (settings.api_rate_limit, settings.api_rate_window) == (1000, 3600)


def test_freeswitch_nodes_replace_the_sandbox():
    settings = load_settings({"FREESWITCH_NODES": "esl://:secret@10.0.0.5:8021#fs1 esl://fs2.example"}, dotenv=None)
    assert not settings.uses_sandbox
    assert [(n.name, n.host, n.port, n.password) for n in settings.esl_nodes] == [
        ("fs1", "10.0.0.5", 8021, "secret"), ("fs2.example:8021", "fs2.example", 8021, "ClueCon")]


@pytest.mark.parametrize("variable,value", [
    ("API_PORT", "eighty"), ("API_PORT", "70000"), ("FREESWITCH_NODES", "http://fs1"),
    ("STORAGE_BACKEND", "ftp"), ("API_RATE_LIMIT", "10/fortnight"), ("REDIS_URL", "localhost:6379"),
    ("PUBLIC_BASE_URL", "example.com"), ("WEBHOOK_TIMEOUT", "-1"), ("DATABASE_URL", "cpaas.db"),
    ("DATABASE_POOL_SIZE", "0"),
])
def test_a_wrong_setting_names_its_variable(variable, value):
    with pytest.raises(SettingsError) as excinfo:
        load_settings({variable: value}, dotenv=None)
    assert str(excinfo.value).startswith(f"{variable}: ")
    assert "\n" not in str(excinfo.value)


def test_s3_needs_a_bucket():
    with pytest.raises(SettingsError, match="^S3_BUCKET: "):
        load_settings({"STORAGE_BACKEND": "s3"}, dotenv=None)


def test_dotenv_is_read_under_the_environment(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("API_PORT=9000\nPUBLIC_BASE_URL=https://voice.example.org\n")
    settings = load_settings({"API_PORT": "9100"}, dotenv=str(dotenv))
    assert settings.api_port == 9100
    assert settings.public_base_url == "https://voice.example.org"
