"""Framing and parsing, fed the real FreeSWITCH bytes of every trace over loopback TCP."""
import gevent
import gevent.socket
import pytest

from cpaas.switch.wire import FrameReader, encode_command, parse_event
from tests.support.traces import event_name, load_trace, trace_names


def _stream(frames):
    """A connected gevent socket pair; the far end writes `frames` then closes."""
    listener = gevent.socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def writer():
        sock, _ = listener.accept()
        for frame in frames:
            # Small, uneven writes: frames must be reassembled across reads.
            for i in range(0, len(frame.raw), 700):
                sock.sendall(frame.raw[i:i + 700])
        sock.close()
        listener.close()

    greenlet = gevent.spawn(writer)
    return gevent.socket.create_connection(("127.0.0.1", port)), greenlet


@pytest.mark.parametrize("name", trace_names())
def test_every_received_frame_of_every_trace_parses(name):
    frames = [f for f in load_trace(name) if f.direction == "recv"]
    sock, writer = _stream(frames)
    reader = FrameReader(sock)
    for frame in frames:
        headers, body = reader.read()
        assert headers.get("Content-Type") == frame.header("Content-Type")
        assert body == frame.body
        if frame.header("Content-Type") == "text/event-plain":
            assert parse_event(body).name == event_name(frame)
    writer.join(5)
    sock.close()


def test_connect_reply_values_are_decoded_one_by_one():
    frame = load_trace("08-outbound-socket-linger")[1]
    sock, writer = _stream([frame])
    headers, _ = FrameReader(sock).read()
    writer.join(5)
    sock.close()
    assert headers["Reply-Text"] == "+OK\n"  # %2BOK%0A, not split into two lines
    assert headers["variable_current_application_data"] == "127.0.0.1:8084 async full"
    assert headers["Caller-Destination-Number"] == "esl-out"


def test_custom_event_inner_body_and_subclass():
    frame = load_trace("11-misc-filter-nixevent-log-exit")[72]
    event = parse_event(frame.body)
    assert event.name == "CUSTOM"
    assert event.subclass == "lab::test"
    assert event["Lab-Header"] == "hello world"
    assert event.body == "hello body\n"


def test_background_job_body_is_cut_to_its_inner_length():
    frames = load_trace("01-auth-api-bgapi")
    job = next(f for f in frames if event_name(f) == "BACKGROUND_JOB" and b"USER_BUSY" in f.body)
    event = parse_event(job.body)
    assert event.body == "-ERR USER_BUSY\n"
    assert event["Job-Command-Arg"] == "error/user_busy &park"


def test_commands_refuse_line_breaks_that_would_inject_a_second_command():
    with pytest.raises(ValueError):
        encode_command("api status\n\napi fsctl shutdown")
    with pytest.raises(ValueError):
        encode_command("sendmsg", {"execute-app-arg": "x\nexecute-app-name: hangup"})
    raw = encode_command("sendmsg", {"call-command": "execute", "execute-app-name": "playback"}, body="a\nb")
    assert raw == (b"sendmsg\ncall-command: execute\nexecute-app-name: playback\n"
                   b"content-type: text/plain\ncontent-length: 3\n\na\nb")


@pytest.mark.parametrize("name", ["03-execute-playback-speak-sleep", "07-conference", "11-misc-filter-nixevent-log-exit"])
def test_single_header_reads_agree_with_the_full_decode(name):
    for frame in load_trace(name):
        if frame.header("Content-Type") != "text/event-plain":
            continue
        full = parse_event(frame.body).headers
        lazy = parse_event(frame.body)
        for key, value in full.items():
            assert lazy.get(key) == value, (key, frame.raw[:80])
        assert lazy.get("No-Such-Header") is None
        assert lazy.body == parse_event(frame.body).body
