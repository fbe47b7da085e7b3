"""The speech tests' LJ Speech clips are in the repository (issue 14, point 11).

A fresh clone must run every speech test: nothing may be read from outside the repository,
and no clip a test names may be missing.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import speech_data  # noqa: E402

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS / "data" / "ljspeech"


@pytest.mark.skipif("TALKRIG_LJSPEECH32" in os.environ,
                    reason="TALKRIG_LJSPEECH32 points the tests at another copy on purpose")
def test_speech_tests_read_the_copy_inside_the_repository():
    assert speech_data.LJ.resolve() == DATA.resolve()
    assert speech_data.have_lj()
    sys.path.insert(0, str(Path(__file__).parent))
    import test_coarticulation
    assert Path(test_coarticulation.LJ).resolve() == DATA.resolve()


def test_every_clip_the_tests_name_is_there():
    ids = [line.split("|")[0] for line in (DATA / "metadata.csv").read_text().splitlines()]
    assert ids == [f"LJ001-{i:04d}" for i in range(1, 21)]
    named = set()
    for path in (TESTS / "core").glob("test_*.py"):
        named |= set(re.findall(r"LJ\d{3}-\d{4}", path.read_text()))
    assert named and named <= set(ids), sorted(named - set(ids))
    for cid in ids:
        assert (DATA / "wavs" / f"{cid}.flac").is_file(), cid
        assert (DATA / "TextGrid" / f"{cid}.TextGrid").is_file(), cid
    assert len(list((DATA / "TextGrid").glob("*.TextGrid"))) == 32
    notice = " ".join((DATA / "README.md").read_text().replace("*", "").split())
    assert "placed in the public domain" in notice and "MIT licence" in notice


def test_clips_are_the_datasets_samples():
    sf = pytest.importorskip("soundfile")
    x, sr = sf.read(str(DATA / "wavs" / "LJ001-0002.flac"), dtype="int16")
    assert sr == 22050 and x.ndim == 1 and 1.5 < len(x) / sr < 2.5
    sp = speech_data.lj_speech("LJ001-0002")
    assert sp.sr == 16000 and sp.source_sr == 22050
