"""core.io: JSON / Live Link Face CSV / npz round trips, timing, malformed files."""
from __future__ import annotations

import json

import numpy as np
import pytest

from talkrig.core.curves import FaceCurves
from talkrig.core.performance import Performance
from talkrig.core.errors import CurveFormatError, ExportError
from talkrig.core.io import read_curves, write_curves
from talkrig.core.io.livelink import COLUMNS, format_timecode
from talkrig.rigs.arkit import ARKIT_NAMES, FACE_CHANNELS

RATES = [24.0, 25.0, 30.0, 60.0, 29.97]


def curves(fps, seconds=3.5, names=FACE_CHANNELS, seed=0):
    rng = np.random.default_rng(seed)
    n = int(fps * seconds)
    values = rng.random((n, len(names))).astype(np.float32)
    if len(names) > 52:
        values[:, 52:] = rng.uniform(-0.5, 0.5, (n, len(names) - 52))    # rotations, radians
    return FaceCurves(names, fps, values)


@pytest.mark.parametrize("fps", RATES)
@pytest.mark.parametrize("ext", ["json", "csv", "npz"])
def test_round_trip(tmp_path, fps, ext):
    c = curves(fps)
    path = write_curves(tmp_path / f"c.{ext}", c)
    r = read_curves(path)
    assert r.names == FACE_CHANNELS and r.values.shape == c.values.shape
    assert np.allclose(r.values, c.values, atol=1e-6 if ext != "npz" else 0)
    assert r.fps == pytest.approx(fps, rel=1e-5)
    # Frame times agree to well under a millisecond over the whole take.
    assert np.max(np.abs(r.times - c.times)) < 1e-4


@pytest.mark.parametrize("fps", RATES)
def test_csv_with_explicit_fps(tmp_path, fps):
    c = curves(fps, seconds=0.5)                     # too short to infer the rate
    write_curves(tmp_path / "c.csv", c)
    with pytest.raises(CurveFormatError, match="do not cross a second boundary; pass fps"):
        read_curves(tmp_path / "c.csv")
    r = read_curves(tmp_path / "c.csv", fps=fps)
    assert r.fps == fps and np.allclose(r.values, c.values, atol=1e-6)


def test_timecodes():
    assert format_timecode(0, 30) == "00:00:00:00.000"
    assert format_timecode(59, 60) == "00:00:00:59.000"
    assert format_timecode(25 * 3661 + 7, 25) == "01:01:01:07.000"
    # 29.97: nominal 30 frames a second, sub-frames in thousandths of a frame.
    assert format_timecode(1, 29.97) == "00:00:00:01.001"
    assert format_timecode(30, 29.97) == "00:00:01:00.030"
    assert format_timecode(30, 30000 / 1001) == "00:00:01:00.030"


def test_csv_layout_and_zero_rotations_for_52_channels(tmp_path):
    c = curves(30.0, seconds=2, names=ARKIT_NAMES)
    write_curves(tmp_path / "a.csv", Performance(face=c))
    lines = (tmp_path / "a.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert header[:4] == ["Timecode", "BlendShapeCount", "EyeBlinkLeft", "EyeLookDownLeft"]
    assert header[-9:] == ["HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch",
                           "LeftEyeRoll", "RightEyeYaw", "RightEyePitch", "RightEyeRoll"]
    assert "JawOpen" in header and "TongueOut" in header and len(header) == 63
    row = lines[31].split(",")
    assert row[0] == "00:00:01:00.000" and row[1] == "61"
    assert all(float(v) == 0.0 for v in row[-9:])
    r = read_curves(tmp_path / "a.csv")
    assert np.allclose(r.values[:, :52], c.values, atol=1e-6) and not r.values[:, 52:].any()


def test_csv_reads_a_live_link_face_recording(tmp_path):
    # Timecode of day, not starting at zero, 60 fps: only differences matter.
    n = 150
    rows = [",".join(("Timecode", "BlendShapeCount") + COLUMNS)]
    for i in range(n):
        sec, ff = divmod(i + 45, 60)
        rows.append(f"14:03:{sec + 10:02d}:{ff:02d}.000,61," + ",".join(["0.25"] * 61))
    (tmp_path / "take.csv").write_text("\n".join(rows) + "\n")
    r = read_curves(tmp_path / "take.csv")
    assert r.fps == 60.0 and r.n_frames == n and np.allclose(r.values, 0.25)


def test_json_layout(tmp_path):
    c = curves(25.0, seconds=1, names=("jawOpen", "HeadYaw"))
    write_curves(tmp_path / "a.json", c)
    data = json.loads((tmp_path / "a.json").read_text())
    assert set(data) == {"fps", "names", "frames"}
    assert data["fps"] == 25.0 and data["names"] == ["jawOpen", "HeadYaw"]
    assert len(data["frames"]) == 25 and len(data["frames"][0]) == 2


def test_npz_layout(tmp_path):
    c = curves(30.0, seconds=1)
    write_curves(tmp_path / "a.npz", c)
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:
        assert tuple(z["names"]) == FACE_CHANNELS and float(z["fps"]) == 30.0
        assert z["values"].dtype == np.float32


def test_unknown_extension(tmp_path):
    with pytest.raises(CurveFormatError, match=r"unknown curve file extension '.txt'.*use .json, "
                                               r"\.csv \(Live Link Face\) or .npz"):
        write_curves(tmp_path / "a.txt", curves(30, 1))
    with pytest.raises(CurveFormatError, match="unknown curve file extension '\\(none\\)'"):
        read_curves(tmp_path / "noext")


def test_csv_cannot_hold_foreign_channels(tmp_path):
    c = FaceCurves(("jawOpen", "tailWag"), 30.0, np.zeros((3, 2)))
    with pytest.raises(CurveFormatError, match="tailWag have no column; write .json or .npz"):
        write_curves(tmp_path / "a.csv", c)
    assert not list(tmp_path.iterdir())                  # no half-written file left


def test_write_to_missing_folder(tmp_path):
    with pytest.raises(ExportError, match="does not exist; create it first"):
        write_curves(tmp_path / "nope" / "a.json", curves(30, 1))


def test_write_rejects_other_objects(tmp_path):
    with pytest.raises(CurveFormatError, match="expected FaceCurves or a Performance"):
        write_curves(tmp_path / "a.json", {"fps": 30})


def test_fps_mismatch_for_formats_that_store_it(tmp_path):
    write_curves(tmp_path / "a.npz", curves(30, 1))
    with pytest.raises(CurveFormatError, match="stored at 30 fps, not 24"):
        read_curves(tmp_path / "a.npz", fps=24)
    assert read_curves(tmp_path / "a.npz", fps=30).fps == 30


MALFORMED = [
    ("cut.json", '{"fps": 30, "names": ["jawOpen"], "frames": [[0.1], [0.', "not valid JSON"),
    ("keys.json", '{"fps": 30, "frames": []}', "keys fps, names and frames"),
    ("rows.json", '{"fps": 30, "names": ["a", "b"], "frames": [[1, 2], [3]]}', "rows of 2 numbers"),
    ("text.json", '{"fps": 30, "names": ["a"], "frames": [["x"]]}', "must be numbers"),
    ("fps.json", '{"fps": -1, "names": ["a"], "frames": [[0]]}', "fps must be a positive"),
    ("dup.json", '{"fps": 30, "names": ["a", "a"], "frames": [[0, 0]]}', "names repeat"),
    ("nan.json", '{"fps": 30, "names": ["a"], "frames": [[NaN]]}', "NaN or infinite"),
    ("head.csv", "Time,Count,JawOpen\n0,1,0.5\n", "must start with 'Timecode,BlendShapeCount'"),
    ("col.csv", "Timecode,BlendShapeCount,TailWag\n00:00:00:00.000,61,0\n", "unknown column 'TailWag'"),
    ("short.csv", "Timecode,BlendShapeCount,JawOpen,MouthClose\n00:00:00:00.000,61,0.5\n",
     "row 2 has 3 fields, the header has 4"),
    ("val.csv", "Timecode,BlendShapeCount,JawOpen\n00:00:00:00.000,61,abc\n", "not a number"),
    ("tc.csv", "Timecode,BlendShapeCount,JawOpen\nnoon,61,0.5\n", "is not HH:MM:SS:FF.mmm"),
    ("empty.csv", "", "is empty"),
    ("noframes.csv", "Timecode,BlendShapeCount,JawOpen\n", "no frames"),
]


@pytest.mark.parametrize("name,text,pattern", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_text_files(tmp_path, name, text, pattern):
    (tmp_path / name).write_text(text)
    with pytest.raises(CurveFormatError, match=pattern):
        read_curves(tmp_path / name, fps=30 if name.endswith(".csv") else None)


def test_malformed_npz(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip at all")
    with pytest.raises(CurveFormatError, match="not a readable npz curve file"):
        read_curves(tmp_path / "junk.npz")
    np.savez(tmp_path / "part.npz", names=np.array(["a"]), values=np.zeros((2, 1), np.float32))
    with pytest.raises(CurveFormatError, match="lacks array\\(s\\) fps"):
        read_curves(tmp_path / "part.npz")
    np.savez(tmp_path / "shape.npz", names=np.array(["a", "b"]), fps=30.0, values=np.zeros((2, 3)))
    with pytest.raises(CurveFormatError, match="values have shape \\(2, 3\\)"):
        read_curves(tmp_path / "shape.npz")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81binary")
    with pytest.raises(CurveFormatError, match="not a UTF-8 text file"):
        read_curves(tmp_path / "bin.csv")


def test_missing_file(tmp_path):
    with pytest.raises(CurveFormatError, match="curve file not found"):
        read_curves(tmp_path / "gone.json")


# ------------------------------------------------------------------ viseme tracks

from talkrig.core.curves import VisemeTrack  # noqa: E402
from talkrig.core.io import read_visemes, write_visemes  # noqa: E402

VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou")


@pytest.mark.parametrize("fps", RATES)
@pytest.mark.parametrize("ext", ["json", "csv"])
def test_viseme_round_trip(tmp_path, fps, ext):
    rng = np.random.default_rng(1)
    track = VisemeTrack(VISEMES, fps, rng.random((int(fps * 2), 15)).astype(np.float32))
    write_visemes(tmp_path / f"v.{ext}", Performance(face=curves(fps, 2), visemes=track))
    back = read_visemes(tmp_path / f"v.{ext}")
    assert back.names == VISEMES and back.fps == pytest.approx(fps, rel=1e-7)
    assert np.allclose(back.values, track.values, atol=1e-6)


def test_viseme_errors(tmp_path):
    with pytest.raises(CurveFormatError, match="has no viseme track"):
        write_visemes(tmp_path / "v.json", Performance(face=curves(30, 1)))
    with pytest.raises(CurveFormatError, match="unknown viseme file extension '.npz'"):
        write_visemes(tmp_path / "v.npz", VisemeTrack(VISEMES, 30.0, np.zeros((2, 15))))
    (tmp_path / "bad.csv").write_text("t,sil\n0,1\n")
    with pytest.raises(CurveFormatError, match="header must start with 'time'"):
        read_visemes(tmp_path / "bad.csv")
    (tmp_path / "bad.json").write_text('{"fps": 30}')
    with pytest.raises(CurveFormatError, match="is not a viseme json file"):
        read_visemes(tmp_path / "bad.json")


def test_written_files_get_normal_permissions(tmp_path):
    import os
    mask = os.umask(0o022)
    try:
        write_curves(tmp_path / "p.json", curves(30, 1))
    finally:
        os.umask(mask)
    assert (tmp_path / "p.json").stat().st_mode & 0o777 == 0o644
