"""core.pipeline.bake: stages, timing, determinism, progress, errors."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from talkrig.core.curves import Performance, Speech, n_frames_for
from talkrig.core.errors import (AudioEmptyError, AudioNotFoundError, AudioTooLongError,
                                 AudioTooShortError, StyleError)
from talkrig.core.pipeline import bake
from talkrig.core.style import Style
from talkrig.rigs.arkit import ARKIT_INDEX, FACE_CHANNELS


def speechlike(sr=22050, seconds=2.0):
    """Two voiced 'syllables' with a silent pause between them (the pause is 0.6-1.2 s)."""
    t = np.arange(int(sr * seconds)) / sr
    x = 0.3 * np.sin(2 * np.pi * 140 * t) + 0.1 * np.sin(2 * np.pi * 280 * t)
    x[(t > 0.6) & (t < 1.2)] = 0
    x[t < 0.1] = 0
    return x.astype(np.float32)


@pytest.fixture
def wav(tmp_path):
    path = tmp_path / "speech.wav"
    sf.write(path, np.stack([speechlike()] * 2, axis=1), 22050)
    return path


@pytest.mark.parametrize("fps", [24.0, 29.97, 30.0, 60.0])
def test_bake_a_file(wav, fps):
    perf = bake(wav, fps=fps)
    assert isinstance(perf, Performance)
    face = perf.face
    assert face.names == FACE_CHANNELS and face.fps == fps
    assert face.n_frames == n_frames_for(2.0, fps)
    assert face.values[:, :52].min() >= 0 and face.values[:, :52].max() <= 1
    assert len(perf.prosody.loudness) == face.n_frames
    t = face.times
    jaw = face.channel("jawOpen")
    assert jaw[(t > 0.3) & (t < 0.55)].min() > 0.2           # talking
    assert jaw[(t > 0.95) & (t < 1.15)].max() < 0.02         # pause: mouth closed
    assert perf.info["speech_driver"] == "loudness" and perf.info["fps"] == fps


def test_bake_speech_object_at_another_rate(wav):
    from_file = bake(wav, fps=30)
    from_speech = bake(Speech(speechlike(), 22050), fps=30)
    assert np.allclose(from_file.face.values, from_speech.face.values, atol=1e-4)


def test_deterministic(wav):
    a, b = bake(wav, seed=7), bake(wav, seed=7)
    assert np.array_equal(a.face.values, b.face.values)


def test_style_reaches_the_mouth(wav):
    still = bake(wav, style=Style(articulation=0.0))
    assert not still.face.values[:, :52].any()
    loud_only = bake(wav, style={"mode": "loudness"})
    assert loud_only.info["notes"] == []
    assert bake(wav).info["notes"]                           # auto mode: says what ran


def test_progress_is_monotone_from_zero_to_one(wav):
    calls = []
    bake(wav, progress=lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions) and all(isinstance(m, str) and m for _, m in calls)


def test_progress_exception_cancels(wav):
    def cancel(fraction, message):
        if fraction > 0.3:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        bake(wav, progress=cancel)


@pytest.mark.parametrize("kwargs,pattern", [
    ({"fps": 0}, r"fps=0 is out of range; use 1 to 240"),
    ({"fps": "fast"}, r"fps must be a number"),
    ({"seed": -1}, r"seed must be a non-negative integer"),
    ({"seed": 1.5}, r"seed must be a non-negative integer"),
    ({"style": {"articulation": 7}}, r"articulation=7 is out of range"),
    ({"progress": "yes"}, r"progress must be a callable"),
])
def test_bad_settings(wav, kwargs, pattern):
    with pytest.raises(StyleError, match=pattern):
        bake(wav, **kwargs)


def test_audio_errors_pass_through(tmp_path):
    with pytest.raises(AudioNotFoundError):
        bake(tmp_path / "missing.wav")
    blip = 0.3 * np.sin(np.arange(320) * 0.2)                 # 20 ms
    sf.write(tmp_path / "blip.wav", blip, 16000)
    with pytest.raises(AudioTooShortError, match="shorter than one animation frame"):
        bake(tmp_path / "blip.wav", fps=30)
    assert bake(tmp_path / "blip.wav", fps=60).face.n_frames == 2
    with pytest.raises(AudioTooLongError, match="over the limit of 1.0 s"):
        bake(Speech(speechlike(), 22050), max_duration_s=1.0)


def test_speech_object_checks():
    with pytest.raises(AudioTooShortError, match="shorter than one frame at 30 fps"):
        bake(Speech(speechlike(16000, 0.01) + 0.1, 16000))
    with pytest.raises(AudioEmptyError, match="is silent"):
        bake(Speech(np.zeros(16000, np.float32), 16000))
    with pytest.raises(AudioEmptyError, match="must be a file path or a Speech"):
        bake(12345)
