"""Gateway settings are read from the same sources as every other setting: the environment over .env."""
from cpaas.services.messages import gateway_environ


def test_dotenv_values_are_used_and_the_environment_wins(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text("SMS_GATEWAYS=kannel1\nSMS_GATEWAY_KANNEL1_URL=http://127.0.0.1:13013/cgi-bin/sendsms\n")
    monkeypatch.delenv("SMS_GATEWAYS", raising=False)
    monkeypatch.setenv("SMS_GATEWAY_KANNEL1_URL", "http://127.0.0.1:14013/cgi-bin/sendsms")
    environ = gateway_environ(str(dotenv))
    assert environ["SMS_GATEWAYS"] == "kannel1"
    assert environ["SMS_GATEWAY_KANNEL1_URL"] == "http://127.0.0.1:14013/cgi-bin/sendsms"
    assert "SMS_GATEWAYS" not in gateway_environ(str(tmp_path / "missing.env"))
