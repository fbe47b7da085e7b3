"""Live Link Face CSV: exactly the app's header and column order (issue 14, point 7).

The app writes ARKit's blend-shape order, in which ``JawRight`` precedes ``JawLeft`` and
``MouthRight`` precedes ``MouthLeft`` (FIELD_NOTES, "Live Link Face CSV order"). The header
below is the one public Live Link Face readers hard-code (e.g. the Blender Live Link Face
importer's ``LIVE_LINK_FACE_HEADER``); a reader that takes columns by position must get the
right channel in each.
"""
from __future__ import annotations

import io

import numpy as np

from talkrig.core.curves import FaceCurves
from talkrig.core.io.livelink import read_csv, write_csv
from talkrig.rigs.arkit import FACE_CHANNELS

APP_HEADER = (
    "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,"
    "EyeLookUpLeft,EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,"
    "EyeLookOutRight,EyeLookUpRight,EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,"
    "JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,MouthLeft,MouthSmileLeft,"
    "MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,"
    "MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,"
    "MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,"
    "MouthUpperUpLeft,MouthUpperUpRight,BrowDownLeft,BrowDownRight,BrowInnerUp,"
    "BrowOuterUpLeft,BrowOuterUpRight,CheekPuff,CheekSquintLeft,CheekSquintRight,"
    "NoseSneerLeft,NoseSneerRight,TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,"
    "LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll")


def _distinct_curves(n=40, fps=30.0) -> FaceCurves:
    # every channel its own constant, so a swapped column is visible
    values = np.tile((np.arange(len(FACE_CHANNELS), dtype=np.float32) + 1) / 100, (n, 1))
    return FaceCurves(FACE_CHANNELS, fps, values)


def test_written_header_is_the_apps_header():
    buf = io.StringIO()
    write_csv(buf, _distinct_curves())
    assert buf.getvalue().splitlines()[0] == APP_HEADER


def test_a_positional_reader_gets_each_channel_in_its_column():
    c = _distinct_curves()
    buf = io.StringIO()
    write_csv(buf, c)
    row = buf.getvalue().splitlines()[1].split(",")
    for j, col in enumerate(APP_HEADER.split(",")[2:]):
        want = c.values[0, [n.lower() for n in c.names].index(col.lower())]
        assert abs(float(row[j + 2]) - want) < 1e-6, col


def test_both_orders_read_back_by_name():
    c = _distinct_curves()
    buf = io.StringIO()
    write_csv(buf, c)
    lines = buf.getvalue().splitlines()
    assert np.allclose(read_csv("\n".join(lines), fps=30.0).values, c.values)
    # a file in the old talkrig order (JawLeft,JawRight / MouthLeft,MouthRight) reads by name too
    header = lines[0].split(",")
    swap = {"JawLeft": "JawRight", "JawRight": "JawLeft",
            "MouthLeft": "MouthRight", "MouthRight": "MouthLeft"}
    idx = list(range(len(header)))
    for name, other in swap.items():
        idx[header.index(name)] = header.index(other)
    old = [",".join(r.split(",")[k] for k in idx) for r in lines]
    assert old[0].split(",")[17:19] == ["JawLeft", "JawRight"]
    back = read_csv("\n".join(old), fps=30.0)
    assert np.allclose(back.values, c.values)
    jl = FACE_CHANNELS.index("jawLeft")
    assert np.allclose(back.values[:, jl], (jl + 1) / 100)
