import pytest

from tests.messaging.recorder import RecordingServer


@pytest.fixture
def recorder():
    server = RecordingServer()
    yield server
    server.stop()
