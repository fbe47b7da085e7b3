"""The panel's Bake takes transcripts with accented letters or other scripts (issue 14,
point 1): before, the bake stopped with "no pronunciation for the word 'é'"."""
from __future__ import annotations

import sys
from pathlib import Path

import bpy
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from speech_data import have_lj, lj_speech  # noqa: E402


@pytest.fixture(scope="module")
def lj_wav(tmp_path_factory):
    if not have_lj():
        pytest.skip("tests/data/ljspeech missing")
    import soundfile as sf

    sp = lj_speech("LJ001-0002")                 # "in being comparatively modern"
    path = tmp_path_factory.mktemp("lj") / "modern.wav"
    sf.write(str(path), sp.samples, sp.sr)
    return path


@pytest.mark.parametrize("text", ["in béing compàratively modérn", "café naïve résumé José à",
                                  "in being 比较 modern", "比较现代"])
def test_panel_bake_with_accents_or_other_scripts(demo_head, lj_wav, text):
    from talkrig.addon.keyframes import read_face_curves

    assert bpy.ops.talkrig.bake(filepath=str(lj_wav), text=text, add_sound=False) == {"FINISHED"}
    assert bpy.context.scene.talkrig.last_error == ""
    _, jaw = read_face_curves(demo_head)['key_blocks["jawOpen"].value']
    assert jaw.max() > 0.1                                 # the mouth moves
