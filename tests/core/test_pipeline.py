"""core.pipeline.bake: stages, timing, determinism, progress, errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from talkrig.core.curves import Speech, n_frames_for
from talkrig.core.performance import Performance
from talkrig.core.errors import (AudioEmptyError, AudioNotFoundError, AudioTooLongError,
                                 AudioTooShortError, StyleError)
from talkrig.core.pipeline import bake as _bake
from talkrig.core.settings import BakeSettings, settings_from_options
from talkrig.core.style import Style


def bake(audio, *, text=None, progress=None, style=None, emotion="", **top):
    """The pipeline with settings built from a Style, an emotion string and top-level fields."""
    settings = settings_from_options({"emotion": emotion}, base=BakeSettings.from_style(style, **top))
    return _bake(audio, settings, text=text, progress=progress)
from talkrig.rigs.arkit import ARKIT_INDEX, FACE_CHANNELS
from synth import pulsed_tone as speechlike


# The loudness driver alone: no blinks, gaze or head moving the face.
LOUD = Style(mode="loudness", eyes=False, blinks=False, head=False)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "arctic"


@pytest.fixture
def wav(tmp_path):
    path = tmp_path / "speech.wav"
    sf.write(path, np.stack([speechlike()] * 2, axis=1), 22050)
    return path


@pytest.mark.parametrize("fps", [24.0, 29.97, 30.0, 60.0])
def test_bake_a_file(wav, fps):
    perf = bake(wav, fps=fps, style=LOUD)
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
    assert perf.report.speech_driver == "loudness" and perf.report.fps == fps


def test_bake_speech_object_at_another_rate(wav):
    from_file = bake(wav, fps=30, style=LOUD)
    from_speech = bake(Speech(speechlike(), 22050), fps=30, style=LOUD)
    assert np.allclose(from_file.face.values, from_speech.face.values, atol=1e-4)


def test_deterministic(wav):
    a, b = bake(wav, seed=7), bake(wav, seed=7)
    assert np.array_equal(a.face.values, b.face.values)


def test_style_reaches_the_mouth(wav):
    still = bake(wav, style=LOUD.replace(articulation=0.0))
    assert not still.face.values[:, :52].any()
    loud_only = bake(wav, style={"mode": "loudness"})
    assert loud_only.report.warnings == () and loud_only.report.speech_driver == "loudness"
    assert bake(wav).report.speech_driver == "phonemes"     # auto mode times phonemes


def _arctic():
    wav = EXAMPLES / "arctic_a0009.wav"
    if not wav.exists():
        pytest.skip("examples/arctic not fetched (make examples)")
    return wav, (EXAMPLES / "arctic_a0009.txt").read_text()


def test_phoneme_path_on_real_speech_closes_lips_on_bilabials():
    wav, text = _arctic()
    perf = bake(wav, text=text, fps=60)
    assert perf.report.speech_driver == "phonemes" and perf.report.phone_source == "align"
    assert perf.report.transcript == "accepted" and perf.report.recognizer == ""
    assert perf.visemes is not None and perf.visemes.values.shape[0] == perf.face.n_frames
    face, t = perf.face, perf.face.times
    gap = face.channel("jawOpen") - face.channel("mouthClose")
    bilabials = [(a, b) for p, a, b in zip(perf.phones.phones, perf.phones.starts,
                                           perf.phones.ends) if p in ("P", "B", "M")]
    assert len(bilabials) >= 2                               # "sharply", "table", ...
    for a, b in bilabials:
        mid = np.argmin(np.abs(t - (a + b) / 2))
        assert gap[mid] < 0.05, (a, b, gap[mid])
    vowels = [(a, b) for p, a, b in zip(perf.phones.phones, perf.phones.starts,
                                        perf.phones.ends) if p in ("AA", "AE", "AH", "EH")]
    assert np.median([gap[np.argmin(np.abs(t - (a + b) / 2))] for a, b in vowels]) > 0.1


def test_emotion_reaches_the_face_and_keeps_closures():
    wav, text = _arctic()
    neutral = bake(wav, text=text, fps=30)
    happy = bake(wav, text=text, fps=30, emotion="happiness=1.0")
    smile = lambda p: p.face.channel("mouthSmileLeft").mean()
    assert smile(happy) > smile(neutral) + 0.2
    assert happy.report.emotion == {"happiness": 1.0}
    for p in (neutral, happy):
        gap = p.face.channel("jawOpen") - p.face.channel("mouthClose")
        t = p.face.times
        for ph, a, b in zip(p.phones.phones, p.phones.starts, p.phones.ends):
            if ph in ("P", "B", "M"):
                assert gap[np.argmin(np.abs(t - (a + b) / 2))] < 0.05
    auto = bake(wav, text=text, fps=30, style={"auto_emotion": 1.0})
    assert auto.report.auto_emotion == 1.0
    assert not np.array_equal(auto.face.values, neutral.face.values)


def test_progress_is_monotone_from_zero_to_one(wav):
    calls = []
    bake(wav, style=LOUD, progress=lambda f, m: calls.append((f, m)))
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


def test_settings_must_be_bake_settings(wav):
    with pytest.raises(StyleError, match="settings must be a BakeSettings"):
        _bake(wav, {"fps": 30})


def test_loudness_mode_reports_an_unused_transcript(wav):
    perf = bake(wav, text="hello there", style=LOUD)
    assert perf.report.transcript == "unused"
    assert [w.code for w in perf.report.warnings] == ["transcript-unused"]


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


def test_result_does_not_depend_on_earlier_bakes_in_the_process(tmp_path):
    """pocketsphinx adapts noise/CMN estimates across utterances: each bake must start fresh."""
    wav, text = _arctic()
    first = bake(wav, fps=30)                                # recognition route
    bake(EXAMPLES / "arctic_a0007.wav", fps=30, text=(EXAMPLES / "arctic_a0007.txt").read_text())
    again = bake(wav, fps=30)
    np.testing.assert_array_equal(first.face.values, again.face.values)
    np.testing.assert_array_equal(first.phones.starts, again.phones.starts)
