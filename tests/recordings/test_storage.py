"""The storage backends on real parts: a folder, and an S3-protocol server over HTTP."""
import pytest
import requests

from cpaas.config import SettingsError
from cpaas.storage import LocalStorage, ObjectNotFound, S3Storage, StorageError, storage_options
from cpaas.storage.audio import InvalidAudio, mp3_chunks, wav_info, write_mp3
from tests.recordings.audio import assert_mp3_lasts, write_wav
from tests.support.servers import free_port


def test_local_save_moves_the_file_under_its_key(tmp_path):
    storage = LocalStorage(tmp_path / "recordings")
    source = write_wav(tmp_path / "recordings" / "RE1.wav", 1.0)
    data = source.read_bytes()
    storage.save("AC1/RE1.wav", source, "audio/x-wav")
    assert not source.exists()
    assert storage.exists("AC1/RE1.wav")
    assert storage.local_file("AC1/RE1.wav") == tmp_path / "recordings" / "AC1" / "RE1.wav"
    stored = storage.open("AC1/RE1.wav")
    assert b"".join(stored.chunks) == data and stored.length == len(data)
    storage.delete("AC1/RE1.wav")
    assert not storage.exists("AC1/RE1.wav")
    storage.delete("AC1/RE1.wav")  # already gone is fine
    with pytest.raises(ObjectNotFound):
        storage.open("AC1/RE1.wav")


def test_local_refuses_keys_that_escape_its_folder(tmp_path):
    storage = LocalStorage(tmp_path)
    for key in ("../outside.wav", "/etc/passwd", "a/../../b", ""):
        with pytest.raises(ValueError):
            storage.path(key)


def test_local_save_failure_keeps_the_source(tmp_path):
    root = tmp_path / "root"
    root.write_text("a file where the folder should be")
    source = write_wav(tmp_path / "RE2.wav", 0.5)
    with pytest.raises(StorageError):
        LocalStorage(root).save("AC1/RE2.wav", source, "audio/x-wav")
    assert source.exists()


def test_s3_round_trip_over_http(s3_server, aws_env, tmp_path):
    bucket = s3_server.new_bucket()
    storage = S3Storage(bucket, "recs/", endpoint_url=s3_server.url, region="us-east-1")
    source = write_wav(tmp_path / "RE3.wav", 2.0)
    data = source.read_bytes()
    storage.save("AC1/RE3.wav", source, "audio/x-wav")
    assert not source.exists(), "the local file goes once the object is confirmed"
    assert s3_server.keys(bucket) == ["recs/AC1/RE3.wav"]
    assert s3_server.read(bucket, "recs/AC1/RE3.wav") == data
    head = s3_server.client().head_object(Bucket=bucket, Key="recs/AC1/RE3.wav")
    assert head["ContentType"] == "audio/x-wav"
    assert storage.exists("AC1/RE3.wav") and not storage.exists("AC1/nothing.wav")
    assert storage.local_file("AC1/RE3.wav") is None
    stored = storage.open("AC1/RE3.wav")
    assert b"".join(stored.chunks) == data and stored.length == len(data)

    url = storage.presigned_url("AC1/RE3.wav", 60)
    assert "Signature" in url or "X-Amz-Signature" in url
    assert requests.get(url, timeout=10).content == data

    storage.delete("AC1/RE3.wav")
    assert s3_server.keys(bucket) == []
    with pytest.raises(ObjectNotFound):
        storage.open("AC1/RE3.wav")


def test_s3_unreachable_raises_and_keeps_the_source(aws_env, tmp_path):
    storage = S3Storage("bucket", "", endpoint_url=f"http://127.0.0.1:{free_port()}", region="us-east-1")
    source = write_wav(tmp_path / "RE4.wav", 0.5)
    with pytest.raises(StorageError):
        storage.save("AC1/RE4.wav", source, "audio/x-wav")
    assert source.exists()


def test_s3_missing_bucket_is_a_storage_error(s3_server, aws_env, tmp_path):
    storage = S3Storage("no-such-bucket", "", endpoint_url=s3_server.url, region="us-east-1")
    source = write_wav(tmp_path / "RE5.wav", 0.5)
    with pytest.raises(StorageError):
        storage.save("AC1/RE5.wav", source, "audio/x-wav")
    assert source.exists()


@pytest.mark.parametrize("seconds", [0.5, 3.0, 7.25])
def test_mp3_rendition_lasts_as_long_as_the_wav(tmp_path, seconds):
    wav = write_wav(tmp_path / "in.wav", seconds)
    assert wav_info(wav).seconds == seconds
    mp3 = tmp_path / "out.mp3"
    write_mp3(wav, mp3)
    assert_mp3_lasts(mp3.read_bytes(), seconds)
    assert b"".join(mp3_chunks(wav)) == mp3.read_bytes()


def test_mp3_refuses_what_is_not_pcm16(tmp_path):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF....not a wave")
    with pytest.raises(InvalidAudio):
        mp3_chunks(junk)


def test_storage_options_from_the_environment():
    assert storage_options({}).media_redirect is False
    options = storage_options({"RECORDING_MEDIA_REDIRECT": "true", "RECORDING_URL_EXPIRES": "120",
                               "RECORDING_UPLOAD_RETRY_INTERVALS": "1, 2 3"})
    assert (options.media_redirect, options.url_expires, options.upload_retry_intervals) == (True, 120, (1, 2, 3))
    for env, name in (({"RECORDING_MEDIA_REDIRECT": "maybe"}, "RECORDING_MEDIA_REDIRECT"),
                      ({"RECORDING_URL_EXPIRES": "0"}, "RECORDING_URL_EXPIRES"),
                      ({"RECORDING_UPLOAD_RETRY_INTERVALS": "1 x"}, "RECORDING_UPLOAD_RETRY_INTERVALS")):
        with pytest.raises(SettingsError, match=f"^{name}: "):
            storage_options(env)


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_a_byte_range_reads_only_that_part(backend, s3_server, aws_env, tmp_path):
    if backend == "s3":
        storage = S3Storage(s3_server.new_bucket(), "", endpoint_url=s3_server.url, region="us-east-1")
    else:
        storage = LocalStorage(tmp_path / "store")
    source = write_wav(tmp_path / "RE6.wav", 1.0)
    data = source.read_bytes()
    storage.save("AC1/RE6.wav", source, "audio/x-wav")
    size = len(data)
    for header, part, content_range in (("bytes=0-99", data[:100], f"bytes 0-99/{size}"),
                                        ("bytes=100-", data[100:], f"bytes 100-{size - 1}/{size}"),
                                        ("bytes=-44", data[-44:], f"bytes {size - 44}-{size - 1}/{size}")):
        stored = storage.open("AC1/RE6.wav", header)
        assert (b"".join(stored.chunks), stored.length, stored.content_range) == (part, len(part), content_range)
    whole = storage.open("AC1/RE6.wav", f"bytes={size + 10}-")  # unsatisfiable: the whole object instead
    assert (b"".join(whole.chunks), whole.content_range) == (data, None)
