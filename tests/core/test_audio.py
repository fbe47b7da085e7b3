"""core.audio: decoding every format/rate/channel layout, block-wise resampling, errors."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from talkrig.core import audio
from talkrig.core.audio import load_audio, resample
from talkrig.core.errors import (AudioDecodeError, AudioEmptyError, AudioError, AudioNonFiniteError,
                                 AudioNotFoundError, AudioTooLongError, AudioTooShortError)

FORMATS = {"wav": {}, "flac": {}, "ogg": {}, "mp3": {}}


def tone(sr, seconds, freq=440.0, amp=0.5, channels=1):
    t = np.arange(int(round(sr * seconds))) / sr
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return x if channels == 1 else np.stack([x] * channels, axis=1)


def peak_freq(x, sr):
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.argmax(spec) * sr / len(x)


def test_bundled_libsndfile_decodes_mp3():
    major, minor = (int(v) for v in sf.__libsndfile_version__.split(".")[:2])
    assert (major, minor) >= (1, 1)
    assert "MP3" in sf.available_formats()


@pytest.mark.parametrize("ext", sorted(FORMATS))
@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000])
@pytest.mark.parametrize("channels", [1, 2])
def test_formats_rates_channels(tmp_path, ext, sr, channels):
    path = tmp_path / f"tone.{ext}"
    sf.write(path, tone(sr, 1.0, channels=channels), sr)
    sp = load_audio(path)
    assert sp.sr == 16000 and sp.samples.dtype == np.float32 and sp.samples.ndim == 1
    assert sp.source_sr == sr and sp.source_channels == channels and sp.source == str(path)
    # mp3 encoders add a little delay/padding; the others keep the exact length.
    tol = 0.08 if ext == "mp3" else 1.0 / sr + 1e-6
    assert abs(sp.duration - 1.0) <= tol
    mid = sp.samples[2000:14000]
    assert abs(peak_freq(mid, 16000) - 440.0) < 3.0
    assert 0.4 < np.max(np.abs(mid)) < 0.6


def test_stereo_is_averaged_to_mono(tmp_path):
    x = np.zeros((48000, 2), np.float32)
    x[:, 0] = tone(48000, 1.0, amp=0.8)
    sf.write(tmp_path / "left.wav", x, 48000, subtype="FLOAT")
    sp = load_audio(tmp_path / "left.wav")
    assert np.max(np.abs(sp.samples[1000:-1000])) == pytest.approx(0.4, abs=0.01)


def test_resample_keeps_frequency_and_length():
    x = tone(44100, 0.5, freq=1000.0)
    y = resample(x, sr_in=44100, sr_out=16000)
    assert y.dtype == np.float32 and len(y) == int(np.ceil(len(x) * 16000 / 44100))
    assert abs(peak_freq(y, 16000) - 1000.0) < 4.0
    same = resample(x, sr_in=16000, sr_out=16000)
    assert np.array_equal(same, x) and same is not x


def test_resample_rejects_bad_rates():
    with pytest.raises(ValueError, match="sample rates must be positive"):
        resample(np.zeros(10), sr_in=0, sr_out=16000)


@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000, 11025])
def test_block_decoding_equals_whole_signal(tmp_path, sr, monkeypatch):
    rng = np.random.default_rng(sr)
    x = (0.3 * rng.standard_normal(int(sr * 2.3))).astype(np.float32)
    sf.write(tmp_path / "n.wav", x, sr, subtype="FLOAT")
    monkeypatch.setattr(audio, "BLOCK_FRAMES", 777)          # many odd-sized blocks
    blocked = load_audio(tmp_path / "n.wav").samples
    whole = resample(x, sr_in=sr, sr_out=16000)
    assert blocked.shape == whole.shape
    assert np.max(np.abs(blocked - whole)) < 1e-5


def test_long_file_memory_stays_bounded(tmp_path):
    # 5 minutes of 48 kHz stereo: decoding it whole as float32 would need 115 MB.
    sr, seconds = 48000, 300
    x = (0.1 * np.sin(np.arange(sr * 10) * 0.05)).astype(np.float32)
    with sf.SoundFile(tmp_path / "long.wav", "w", sr, 2, subtype="PCM_16") as fh:
        for _ in range(seconds // 10):
            fh.write(np.stack([x, x], axis=1))
    tracemalloc.start()
    try:
        sp = load_audio(tmp_path / "long.wav")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    out_bytes = sp.samples.nbytes                               # 19.2 MB at 16 kHz
    assert sp.duration == pytest.approx(seconds, abs=1e-3)
    assert peak < out_bytes + 40e6, f"peak {peak / 1e6:.0f} MB"


# ----------------------------------------------------------------- errors


def test_missing_file(tmp_path):
    with pytest.raises(AudioNotFoundError, match="audio file not found: .*nope.wav.*check the path"):
        load_audio(tmp_path / "nope.wav")


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(AudioNotFoundError, match="is not a file"):
        load_audio(tmp_path)


def test_text_file_renamed_wav(tmp_path):
    p = tmp_path / "notes.wav"
    p.write_text("this is not audio\n" * 20)
    with pytest.raises(AudioDecodeError, match=r"cannot decode .*notes.wav.* as audio .*use a WAV"):
        load_audio(p)


def test_wav_cut_in_half(tmp_path):
    sf.write(tmp_path / "full.wav", tone(16000, 2.0), 16000, subtype="PCM_16")
    data = (tmp_path / "full.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[:len(data) // 2])
    with pytest.raises(AudioDecodeError, match=r"cut.wav.*truncated .*data chunk declares"):
        load_audio(tmp_path / "cut.wav")


@pytest.mark.parametrize("ext", ["flac", "mp3", "ogg"])
def test_compressed_file_cut_in_half(tmp_path, ext):
    sf.write(tmp_path / f"full.{ext}", tone(44100, 2.0), 44100)
    data = (tmp_path / f"full.{ext}").read_bytes()
    (tmp_path / f"cut.{ext}").write_bytes(data[:len(data) // 2])
    with pytest.raises(AudioDecodeError, match=r"cannot decode .*cut\." + ext):
        load_audio(tmp_path / f"cut.{ext}")


def test_zero_samples(tmp_path):
    sf.write(tmp_path / "empty.wav", np.zeros(0, np.float32), 16000)
    with pytest.raises(AudioEmptyError, match="holds no samples"):
        load_audio(tmp_path / "empty.wav")


def test_all_silent(tmp_path):
    sf.write(tmp_path / "quiet.flac", np.zeros((22050, 2), np.float32), 22050)
    with pytest.raises(AudioEmptyError, match=r"is silent .*check the recording level"):
        load_audio(tmp_path / "quiet.flac")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_float_wav(tmp_path, bad):
    x = tone(16000, 1.0)
    x[8000] = bad
    sf.write(tmp_path / "nan.wav", x, 16000, subtype="FLOAT")
    with pytest.raises(AudioNonFiniteError, match=r"NaN or infinite samples \(first at 0.500 s\)"):
        load_audio(tmp_path / "nan.wav")


def test_shorter_than_one_frame(tmp_path):
    sf.write(tmp_path / "blip.wav", tone(16000, 0.01), 16000)
    with pytest.raises(AudioTooShortError, match=r"10.0 ms long, shorter than one animation frame "
                                                 r"\(33.3 ms\)"):
        load_audio(tmp_path / "blip.wav", min_duration_s=1 / 30)
    assert load_audio(tmp_path / "blip.wav", min_duration_s=1 / 100).duration == pytest.approx(0.01)


@pytest.mark.parametrize("ext", ["wav", "mp3"])
def test_longer_than_limit(tmp_path, ext):
    sf.write(tmp_path / f"long.{ext}", tone(16000, 3.0), 16000)
    with pytest.raises(AudioTooLongError, match=r"over the limit of 2.0 s; split it"):
        load_audio(tmp_path / f"long.{ext}", max_duration_s=2.0)


def test_every_failure_is_an_audio_error(tmp_path):
    (tmp_path / "x.mp3").write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(AudioError):
        load_audio(tmp_path / "x.mp3")
