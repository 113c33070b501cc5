"""`cpaas api`'s gunicorn settings."""
from cpaas.commands.api import ApiServer
from tests.support.app import settings_for_tests


def test_the_access_log_follows_the_log_level(tmp_path):
    def access_log(level):
        settings = settings_for_tests(tmp_path, "redis://127.0.0.1:9/0", LOG_LEVEL=level)
        return ApiServer(settings, workers=1).cfg.accesslog

    assert access_log("INFO") == "-" and access_log("DEBUG") == "-"
    assert access_log("WARNING") is None and access_log("ERROR") is None
