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


@pytest.fixture
def api(tmp_path, redis_url, aws_env, s3_server):
    """The API over real HTTP with the storage backend a test picks; `api("s3")` or `api("local")`."""
    from tests.recordings.stack import ApiStack

    stacks = []

    def start(backend: str = "local", **overrides):
        stack = ApiStack(tmp_path, redis_url, s3_server, backend, **overrides)
        stacks.append(stack)
        return stack

    yield start
    for stack in stacks:
        stack.stop()
