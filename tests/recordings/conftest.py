import pytest

from tests.recordings.s3 import AWS_ENV, S3Server


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def aws_env(monkeypatch):
    """boto3's standard credential chain finds these in the environment, in this process and its children."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    return dict(AWS_ENV)
