"""The whole voice stack (API, controller, worker) on PostgreSQL instead of SQLite.

The tests are the SQLite suite's own, collected again here, where `stack` runs on a PostgreSQL
database: the SDK's calls, the controller's write-behind and the worker's callbacks all go through
psycopg, whose types, locking and transactions differ from SQLite's."""
import pytest

from tests.support.voice import VoiceStack
from tests.voice.test_call_recordings import test_start_pause_resume_stop_a_live_recording  # noqa: F401
from tests.voice.test_conference import (  # noqa: F401
    test_dial_a_new_participant_into_a_running_conference, test_three_callers_mute_kick_and_end_on_moderator_exit)
from tests.voice.test_inbound_flow import (  # noqa: F401
    test_say_gather_digits_then_action_document, test_unknown_number_is_rejected_with_a_failed_row)
from tests.voice.test_outbound_calls import (  # noqa: F401
    test_call_runs_its_document_and_reports_progress_in_order, test_cancel_a_ringing_call,
    test_create_validation_uses_twilio_codes, test_list_and_filter_calls,
    test_live_redirect_during_a_long_play_then_hang_up)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, redis_server, postgres_server):
    voice = VoiceStack(tmp_path_factory.mktemp("voice-pg"), redis_server.url,
                       DATABASE_URL=postgres_server.new_database())
    assert voice.database.engine.dialect.name == "postgresql"
    yield voice
    voice.stop()
    print("---- controller ----\n" + voice.controller.output()[-8000:])
