"""Transcripts with accented letters or other scripts never abort a bake (issue 14, point 1).

Accented Latin letters fold to their base letters for the dictionary and g2p ("café" ->
"cafe"). Words with no Latin spelling (Chinese, Greek, Cyrillic, ...) are recognised for
their stretch of the audio; a transcript with no Latin word at all falls back to
recognition for the whole clip. Either way ``PhoneTrack.warnings`` holds a
``("transcript-unspelled", message)`` entry and ``note`` says the same in words.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from speech_data import have_lj, lj_speech  # noqa: E402

from talkrig.core.speech.g2p import g2p  # noqa: E402
from talkrig.core.speech.text import fold_latin, normalize_transcript  # noqa: E402

needs_lj = pytest.mark.skipif(not have_lj(), reason="tests/data/ljspeech missing")
CLIP = "LJ001-0002"        # "in being comparatively modern", 1.9 s


def _words(text):
    return normalize_transcript(text).words


def test_accented_latin_letters_fold_to_base_letters():
    assert _words("Café") == ("cafe",)
    assert _words("naïve résumé") == ("naive", "resume")
    assert _words("José à Zürich, São Paulo") == ("jose", "a", "zurich", "sao", "paulo")
    assert _words("Straße, Æsir, Øre, Łódź, ﬁne") == ("strasse", "aesir", "ore", "lodz", "fine")
    assert _words("*Crème brûlée* please") == ("creme", "brulee", "please")
    assert normalize_transcript("*Crème brûlée* please").emphasis == (0, 1)


def test_other_scripts_are_kept_as_words_with_no_latin_spelling():
    assert fold_latin("你好 Ωμέγα привет") == "你好 Ωμέγα привет"
    words = _words("hello 你好 world")
    assert words[0] == "hello" and words[-1] == "world" and len(words) >= 3


def test_g2p_folds_accents():
    assert g2p("café") == g2p("cafe") and g2p("cafe")
    assert g2p("ö") == g2p("o")


@needs_lj
def test_accented_transcript_aligns():
    from talkrig.core.speech.align import phone_track
    sp = lj_speech(CLIP)
    plain = phone_track(sp, text="in being comparatively modern")
    accented = phone_track(sp, text="in béing compàratively modérn")
    assert accented.source == "align", accented.note
    assert accented.phones == plain.phones
    assert np.allclose(accented.starts, plain.starts)
    assert "modern" in accented.words
    assert "transcript-unspelled" not in dict(accented.warnings)


@needs_lj
@pytest.mark.parametrize("text", ["你好", "Ωμέγα", "é", "à"])
def test_short_or_unspelled_transcripts_do_not_abort(text):
    from talkrig.core.speech.align import phone_track
    sp = lj_speech(CLIP)
    tr = phone_track(sp, text=text)
    assert sum(p != "sil" for p in tr.phones) >= 5          # the mouth still moves
    assert tr.ends[-1] == pytest.approx(sp.duration)


@needs_lj
def test_transcript_without_latin_words_is_recognised_with_a_warning():
    from talkrig.core.speech.align import phone_track
    sp = lj_speech(CLIP)
    tr = phone_track(sp, text="比较现代")
    assert tr.source.startswith("recognize") and tr.source != "recognize:mismatch"
    assert [c for c, _ in tr.warnings if c == "transcript-unspelled"] == ["transcript-unspelled"]
    assert "比较现代" in dict(tr.warnings)["transcript-unspelled"] and "recogni" in tr.note
    assert sum(p != "sil" for p in tr.phones) >= 10


@needs_lj
def test_unspelled_words_are_recognised_for_their_stretch():
    from talkrig.core.speech.align import phone_track
    sp = lj_speech(CLIP)
    ref = phone_track(sp, text="in being comparatively modern")
    t0 = ref.starts[list(ref.words).index("comparatively")]
    t1 = ref.ends[len(ref.words) - 1 - list(ref.words)[::-1].index("comparatively")]
    tr = phone_track(sp, text="in being 比较 modern")
    unspelled = [m for c, m in tr.warnings if c == "transcript-unspelled"]
    assert len(unspelled) == 1 and "比较" in unspelled[0] and unspelled[0] in tr.note
    words = [w for w in tr.words if w]
    assert not any(w.startswith("talkrig_") for w in words)   # no placeholder leaks out
    # the stretch of "comparatively" is spoken: phones there, not one long silence
    mid = (tr.starts < t1 - 0.05) & (tr.ends > t0 + 0.05)
    speech = [p for p, m in zip(tr.phones, mid) if m and p != "sil"]
    assert len(speech) >= 6, list(zip(tr.phones, tr.starts, tr.words))
    assert tr.source == "align", tr.note                        # the rest still aligns
    spoken = [w for i, w in enumerate(words) if i == 0 or words[i - 1] != w]   # per word
    assert spoken[:2] == ["in", "being"] and spoken[-1] == "modern"


@needs_lj
@pytest.mark.parametrize("text", ["in béing comparatively modérn", "café naïve résumé José à",
                                  "比较现代"])
def test_cli_bakes_such_transcripts(tmp_path, text, capsys):
    import soundfile as sf
    try:
        from talkrig.app import cli
    except ImportError:
        from talkrig.app import cli
    sp = lj_speech(CLIP)
    sf.write(tmp_path / "line.wav", sp.samples, sp.sr)
    out = tmp_path / "line.json"
    code = cli.main(["bake", str(tmp_path / "line.wav"), "-o", str(out), "--text", text,
                     "--fps", "30"])
    err = capsys.readouterr().err
    assert code == 0, err
    if text == "比较现代":                    # reported once, as a warning, not an error
        assert err.count("no word spelled in Latin letters") == 1, err
    data = json.loads(out.read_text())
    jaw = np.asarray(data["frames"])[:, data["names"].index("jawOpen")]
    assert jaw.max() > 0.1
