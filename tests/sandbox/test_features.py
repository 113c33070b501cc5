"""More of the switch the product drives: transfer, session recording, conference flags, early
media, http prompts, per-call variables on hang-up."""
from __future__ import annotations

import http.server
import io
import threading
import time
import wave


def _originate(esl, url):
    reply = esl.api(f"originate {url} &park")
    assert reply.startswith("+OK "), reply
    uuid = reply.split()[1].strip()
    esl.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    return uuid


def test_uuid_transfer_runs_the_extension(esl):
    uuid = _originate(esl, "loopback/echo/default")
    assert esl.api(f"uuid_transfer {uuid} 9664") == "+OK\n"
    started = esl.wait_event("CHANNEL_EXECUTE", Unique_ID=uuid, Application="playback")
    assert started.event("Application-Data").startswith("tone_stream://")
    esl.wait_event("PLAYBACK_START", Unique_ID=uuid)
    esl.api(f"uuid_kill {uuid}")
    done = esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=uuid, Application="playback")
    assert done.event("Application-Response") == "PLAYBACK ERROR"


def test_uuid_record_writes_the_session_until_stopped(esl, tmp_path):
    uuid = _originate(esl, "loopback/tone/default")
    path = tmp_path / "session.wav"
    assert esl.api(f"uuid_record {uuid} start {path}") == "+OK Success\n"
    esl.wait_event("RECORD_START", Unique_ID=uuid)
    time.sleep(0.4)  # four simulated seconds
    assert esl.api(f"uuid_record {uuid} stop {path}") == "+OK Success\n"
    esl.wait_event("RECORD_STOP", Unique_ID=uuid)
    with wave.open(str(path)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert 3.0 <= seconds <= 6.0
    esl.api(f"uuid_kill {uuid}")


def test_conference_flags_and_kick(esl):
    first = _originate(esl, "loopback/echo/default")
    second = _originate(esl, "loopback/echo/default")
    for uuid, arg in ((first, "room9@default"), (second, "room9@default+flags{mute}")):
        esl.send(f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: conference\nexecute-app-arg: {arg}")
        esl.wait_event("CUSTOM", Unique_ID=uuid, Action="add-member")
    listing = esl.api("conference room9 list").splitlines()
    flags = {line.split(";")[2]: line.split(";")[5] for line in listing}
    assert "speak" in flags[first] and "speak" not in flags[second]
    assert esl.api("conference room9 unmute 2") == "+OK unmute 2\n"
    esl.wait_event("CUSTOM", Action="unmute-member", Member_ID="2")
    assert esl.api("conference room9 kick 1") == "+OK kicked 1\n"
    esl.wait_event("CUSTOM", Action="del-member", Member_ID="1")
    esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=first, Application="conference")
    assert esl.api(f"uuid_exists {first}") == "true"  # kicked from the room, not hung up
    esl.api(f"uuid_kill {second}")
    esl.wait_event("CUSTOM", Action="conference-destroy", Conference_Name="room9")
    assert esl.api("conference room9 list") == "-ERR Conference room9 not found\n"
    esl.api(f"uuid_kill {first}")


def test_early_media_completes_originate_unless_ignored(esl):
    started = time.monotonic()
    early = esl.api("originate {sandbox_answer_after=never}sofia/gateway/sandbox/+15550100183 &park")
    assert early.startswith("+OK ")  # on the 183 alone: this far end never answers
    assert time.monotonic() - started < 2.0
    started = time.monotonic()
    answered = esl.api("originate {ignore_early_media=true}sofia/gateway/sandbox/+15550100183 &park")
    assert answered.startswith("+OK ")
    assert time.monotonic() - started >= 0.28
    for reply in (early, answered):
        esl.api(f"uuid_kill {reply.split()[1]}")


class _WavHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if not self.path.endswith(".wav"):
            self.send_error(404)
            return
        buf = io.BytesIO()
        with wave.open(buf, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(16000)
            wav.writeframes(b"\x00\x01" * 16000 * 2)  # two seconds at 16 kHz
        data = buf.getvalue()
        self.send_response(200)
        self.send_header("Content-Type", "audio/wav")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_http_prompts_are_fetched_and_last_as_long_as_their_audio(esl):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WavHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        uuid = _originate(esl, "loopback/echo/default")
        url = f"http://127.0.0.1:{server.server_port}/hello.wav"
        done = esl.execute(uuid, "playback", url)
        assert done.event("Application-Response") == "FILE PLAYED"
        assert esl.api(f"uuid_getvar {uuid} playback_ms") == "2000"
        missing = esl.execute(uuid, "playback", f"http://127.0.0.1:{server.server_port}/missing.mp3")
        assert missing.event("Application-Response") == "FILE NOT FOUND"
        esl.api(f"uuid_kill {uuid}")
    finally:
        server.shutdown()


def test_hangup_complete_carries_every_variable_the_originate_set(esl):
    uuid = _originate(esl, "{cpaas_call_sid=CAabc,cpaas_account_sid=ACdef}loopback/echo/default")
    esl.execute(uuid, "set", "custom_flag=yes")
    esl.execute(uuid, "export", "exported_flag=1")
    esl.api(f"uuid_kill {uuid} USER_BUSY")
    done = esl.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=uuid)
    assert done.event("Hangup-Cause") == "USER_BUSY"
    assert done.event("variable_cpaas_call_sid") == "CAabc"
    assert done.event("variable_cpaas_account_sid") == "ACdef"
    assert done.event("variable_custom_flag") == "yes"
    assert done.event("variable_exported_flag") == "1"
    assert done.event("variable_hangup_cause_q850") == "17"
    for name in ("duration", "billsec", "answersec", "start_epoch", "end_epoch"):
        assert done.event(f"variable_{name}") is not None, name


def test_recording_a_talking_far_end_hears_speech_then_stops_on_silence(esl, tmp_path):
    # 8 s of talk: the recording may start a few simulated seconds (a few hundred ms) after answer.
    uuid = _originate(esl, "{sandbox_audio=speech:8s}sofia/gateway/sandbox/+15550100100")
    path = tmp_path / "voicemail.wav"
    esl.execute(uuid, "record", f"{path} 20 200 2")
    with wave.open(str(path)) as wav:
        rate = wav.getframerate()
        pcm = wav.readframes(wav.getnframes())
    seconds = len(pcm) / 2 / rate
    assert 6.0 <= seconds <= 14.0  # what is left of the talk, then 2 s of silence; not the 20 s limit
    loud = [abs(int.from_bytes(pcm[i:i + 2], "little", signed=True)) for i in range(0, len(pcm), 2)]
    assert max(loud[:rate]) > 1000 and max(loud[-rate:]) == 0
    assert esl.api(f"uuid_getvar {uuid} silence_hits_exhausted") == "true"
    esl.api(f"uuid_kill {uuid}")


def test_uuid_record_mask_writes_silence_until_unmask(esl, tmp_path):
    uuid = _originate(esl, "loopback/tone/default")
    path = tmp_path / "paused.wav"
    esl.api(f"uuid_record {uuid} start {path}")
    esl.wait_event("RECORD_START", Unique_ID=uuid)
    time.sleep(0.2)
    assert esl.api(f"uuid_record {uuid} mask {path}") == "+OK Success\n"
    time.sleep(0.6)
    assert esl.api(f"uuid_record {uuid} unmask {path}") == "+OK Success\n"
    time.sleep(0.2)
    esl.api(f"uuid_record {uuid} stop {path}")
    esl.wait_event("RECORD_STOP", Unique_ID=uuid)
    with wave.open(str(path)) as wav:
        rate = wav.getframerate()
        pcm = wav.readframes(wav.getnframes())
    samples = [abs(int.from_bytes(pcm[i:i + 2], "little", signed=True)) for i in range(0, len(pcm), 2)]
    second = rate  # ten times real time: the mask spans about 2 to 8 simulated seconds
    assert max(samples[:second]) > 1000                      # tone before the mask
    assert max(samples[4 * second:6 * second]) == 0           # silence while masked
    assert max(samples[-second // 2:]) > 1000                 # tone again after unmask
    assert esl.api(f"uuid_record {uuid} mask /no/such.wav").startswith("-ERR")
    esl.api(f"uuid_kill {uuid}")
