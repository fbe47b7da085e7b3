"""BakeSettings: one object built by the CLI, each manifest row and the panel."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from talkrig.app import batch, cli
from talkrig.core.errors import BodyOptionError, EmotionSpecError, StyleError, TalkrigError
from talkrig.core.settings import (OPTIONS, BakeSettings, EmotionSettings, option_key,
                                   settings_from_options)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "arctic"


def test_defaults_and_round_trip():
    s = settings_from_options({"emotion": "happiness=0.8", "emotion-regions": "brows:anger=0.5",
                               "vad": "0.2,0.1,0", "describe": "nervous", "auto-emotion": "0.4",
                               "emotion-strength": "upper=1.2", "articulation": "1.3",
                               "no-blinks": True, "body": True, "gesture-amount": "1.5",
                               "handedness": "left", "fbx-preset": "unreal", "seed": "4",
                               "fps": "29.97"})
    assert s.fps == 29.97 and s.seed == 4 and s.face.articulation == 1.3
    assert s.eyes_head.blinks is False and s.body.enabled and s.body.handedness == "left"
    assert s.emotion.mixture == (("happiness", 0.8),) and s.output.fbx_preset == "unreal"
    d = s.to_dict()
    json.dumps(d)                                       # JSON-friendly
    assert BakeSettings.from_dict(d) == s
    assert BakeSettings().style.auto_emotion == 0.0 and s.style.auto_emotion == 0.4


def test_timelines_round_trip():
    from talkrig.core.face.timeline import EmotionTimeline
    tl = EmotionTimeline.from_keys([{"time": 0.1, "emotion": "anger=0.5", "onset": 0.2}])
    e = EmotionSettings(timelines=(tl,), region_timelines=(("brows", tl),))
    assert EmotionSettings.from_dict(e.to_dict()) == e


@pytest.mark.parametrize("options,error,pattern", [
    ({"fps": "fast"}, StyleError, "--fps must be a number, got 'fast'"),
    ({"fps": "0"}, StyleError, "out of range; use 1 to 240"),
    ({"seed": "1.5"}, StyleError, "--seed must be a whole number"),
    ({"articulation": "9"}, StyleError, "articulation=9.0 is out of range"),
    ({"emotion": "glee=1"}, EmotionSpecError, "unknown emotion 'glee'"),
    ({"vad": "1,2"}, EmotionSpecError, "--vad needs three numbers"),
    ({"drive": "lips"}, StyleError, "unknown --drive 'lips'"),
    ({"gesture-amount": "5"}, BodyOptionError, "gesture-amount=5.0 is out of range"),
    ({"handedness": "middle"}, BodyOptionError, "unknown handedness 'middle'"),
    ({"colour": "red"}, StyleError, "unknown option 'colour'"),
])
def test_bad_options_name_the_option(options, error, pattern):
    with pytest.raises(error, match=pattern):
        settings_from_options(options)


def test_every_cli_bake_option_is_a_manifest_column():
    parser = cli.build_parser()
    bake = next(a for a in parser._subparsers._group_actions[0].choices.values()
                if a.prog.endswith("bake"))
    dests = {a.dest for a in bake._actions if a.dest != "help"}
    assert dests - set(OPTIONS) == set(cli._NOT_SETTINGS) - {"command", "func"}
    assert set(OPTIONS) - dests == {"pack_sound"}      # manifest-only: a column "pack-sound: no"


def test_manifest_and_cli_give_the_same_errors(tmp_path):
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"")
    for column, value in (("fps", "abc"), ("drive", "lips"), ("emotion", "glee"),
                          ("gesture-amount", "7")):
        manifest = tmp_path / "m.csv"
        manifest.write_text(f"audio,output,{column}\na.wav,out.json,{value}\n")
        row, = batch.load_manifest(manifest)
        with pytest.raises(TalkrigError) as exc:
            settings_from_options({column: value})
        assert row.error == str(exc.value)


def test_manifest_row_bakes_the_same_curves_as_the_cli(tmp_path):
    """--describe, region strengths and style options from a manifest row = the CLI call."""
    wav = EXAMPLES / "arctic_a0009.wav"
    if not wav.exists():
        pytest.fail("examples/arctic is missing: run `make examples`")
    text = (EXAMPLES / "arctic_a0009.txt").read_text().strip()
    options = {"describe": "nervous, half-smiling, brows raised",
               "emotion-strength": "upper=1.2,lower=0.8", "speech-strength": "mouth=1.1",
               "emotion-regions": "brows:anger=0.6", "articulation": "1.3",
               "loudness-scale": "0.8", "lead-ms": "-20", "head-amount": "0.5",
               "blink-rate": "1.5", "no-eyes": "yes", "seed": "5", "fps": "60"}
    manifest = tmp_path / "lines.csv"
    with open(manifest, "w", newline="") as fh:
        w = csv.DictWriter(fh, ["audio", "text", "output", *options])
        w.writeheader()
        w.writerow({"audio": str(wav), "text": text, "output": str(tmp_path / "row.npz"), **options})
    row, = batch.load_manifest(manifest)
    assert row.error == ""
    result, = batch.run_batch([row], show_progress=False)
    assert result.status == "ok", result.message
    argv = ["bake", str(wav), "-o", str(tmp_path / "cli.npz"), "--text", text, "-q"]
    for k, v in options.items():
        argv += [f"--{k}"] if v == "yes" else [f"--{k}", v]
    assert cli.main(argv) == 0
    a, b = np.load(tmp_path / "row.npz"), np.load(tmp_path / "cli.npz")
    assert a["values"].shape[0] == int(np.floor(3.1 * 60)) or a["values"].shape[0] > 100
    np.testing.assert_array_equal(a["values"], b["values"])
    plain = BakeSettings(fps=60, seed=5)
    assert row.settings != plain and row.settings.emotion.describe and row.settings.eyes_head.eyes is False


def test_option_keys_accept_cli_spellings():
    assert option_key("--emotion-regions") == option_key("Emotion_Regions") == "emotion_regions"
