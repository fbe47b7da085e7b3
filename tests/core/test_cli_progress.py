"""The CLI shows progress of a long bake on stderr, never with -q; --vad takes negative
numbers (issue 14 point 9)."""
from __future__ import annotations

import re

import pytest

from talkrig.app import cli, progress
from synth import syllable_wav


@pytest.fixture
def wav(tmp_path):
    return syllable_wav(tmp_path / "line.wav", seconds=1.5, seed=4) or tmp_path / "line.wav"


def _percent_lines(err):
    return [ln for ln in err.splitlines() if re.match(r"talkrig:\s+\d+% ", ln)]


def test_progress_lines_on_request_and_none_when_quiet(wav, tmp_path, capfd, monkeypatch):
    monkeypatch.setattr(progress, "SHOW_AFTER_S", 0.0)       # every bake counts as long here
    assert cli.main(["bake", str(wav), "-o", str(tmp_path / "a.json"), "--progress"]) == 0
    out, err = capfd.readouterr()
    lines = _percent_lines(err)
    assert len(lines) >= 3 and lines[-1].startswith("talkrig: 100%")
    fractions = [int(re.match(r"talkrig:\s+(\d+)%", ln).group(1)) for ln in lines]
    assert fractions == sorted(fractions)
    assert "talkrig: wrote " in err.split(lines[-1])[-1] and out == ""

    assert cli.main(["bake", str(wav), "-o", str(tmp_path / "b.json"), "--progress", "-q"]) == 0
    assert capfd.readouterr() == ("", "")

    assert cli.main(["bake", str(wav), "-o", str(tmp_path / "c.json")]) == 0   # not a TTY
    err = capfd.readouterr().err
    assert _percent_lines(err) == [] and err.startswith("talkrig: wrote ")


def test_a_short_bake_shows_no_progress_on_a_terminal(monkeypatch):
    shown = []
    bar = progress.TerminalProgress(tty=True)
    monkeypatch.setattr(bar, "stream", type("S", (), {"write": shown.append,
                                                      "flush": lambda self=None: None})())
    bar(0.5, "baking")                           # within the first seconds: nothing
    assert shown == []
    bar.start -= progress.SHOW_AFTER_S + 1
    bar(0.6, "baking")
    assert shown and shown[-1].startswith("\rtalkrig:  60% baking")


def test_vad_accepts_negative_values(wav, tmp_path):
    assert cli.main(["bake", str(wav), "-o", str(tmp_path / "v.json"), "--vad", "-0.5,0.2,0",
                     "-q"]) == 0
