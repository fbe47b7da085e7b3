"""Viseme tables (rigs/visemes.py + rigs/data/visemes.json) and the viseme track
(core/face/visemes.py): maps, poses, rig name matching, Rhubarb shapes, track behaviour."""
from __future__ import annotations

import json

import numpy as np
import pytest

from talkrig.core.curves import PhoneTrack, n_frames_for
from talkrig.core.errors import AlignmentError
from talkrig.core.face.visemes import (
    phone_visemes, rhubarb_cues, viseme_track, visemes_to_arkit)
from talkrig.core.style import Style
from talkrig.rigs.arkit import ARKIT_INDEX, ARKIT_NAMES
from talkrig.rigs.visemes import (
    DATA_PATH, VISEME_NAMES, load_viseme_tables, match_viseme_keys, normalize_phone,
    phone_to_rhubarb, phone_to_viseme)

ARPABET = ("AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T "
           "TH UH UW V W Y Z ZH").split()


def track(spec, t0=0.0) -> PhoneTrack:
    d = np.array([x[1] for x in spec], dtype=np.float64)
    ends = t0 + np.cumsum(d)
    return PhoneTrack(tuple(x[0] for x in spec), ends - d, ends, ("",) * len(spec))


def vtrack(pt, fps=30.0, **kw):
    return viseme_track(pt, fps=fps, n_frames=n_frames_for(float(pt.ends[-1]) + 0.2, fps), **kw)


# --- tables -----------------------------------------------------------------------------------

def test_tables_cover_arpabet_and_poses_are_valid():
    assert VISEME_NAMES == ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa",
                            "E", "ih", "oh", "ou")
    tab = load_viseme_tables()
    assert set(tab.phones) == set(ARPABET) | {"sil"}
    assert tab.phone_targets.shape == (40, 52) and tab.viseme_poses.shape == (15, 52)
    assert tab.phone_targets.min() >= 0 and tab.phone_targets.max() <= 1
    raw = json.loads(DATA_PATH.read_text())
    for pose in raw["viseme_poses"].values():
        assert set(pose) <= set(ARKIT_NAMES)
    assert (tab.dominance > 0).all()
    assert [p for p in ARPABET if tab.is_bilabial[tab.phone_index[p]]] == ["B", "M", "P"]
    assert [p for p in ARPABET if tab.is_labiodental[tab.phone_index[p]]] == ["F", "V"]


@pytest.mark.parametrize("phone,viseme", [
    ("P", "PP"), ("b", "PP"), ("M", "PP"), ("F", "FF"), ("V", "FF"), ("TH", "TH"),
    ("DH", "TH"), ("T", "DD"), ("K", "kk"), ("CH", "CH"), ("SH", "CH"), ("S", "SS"),
    ("N", "nn"), ("L", "nn"), ("R", "RR"), ("AA1", "aa"), ("EH0", "E"), ("IY2", "ih"),
    ("AO1", "oh"), ("UW1", "ou"), ("W", "ou"), ("sil", "sil"), ("sp", "sil")])
def test_phone_to_viseme(phone, viseme):
    assert phone_to_viseme(phone) == viseme


def test_features_jaw_height_and_rounding():
    tab = load_viseme_tables()
    jaw = tab.phone_targets[:, ARKIT_INDEX["jawOpen"]]
    j = {p: jaw[tab.phone_index[p]] for p in ("AA", "AE", "EH", "IH", "IY", "UW")}
    assert j["AA"] > j["AE"] > j["EH"] > j["IH"] > j["IY"]
    rnd = tab.phone_targets[:, ARKIT_INDEX["mouthPucker"]] + \
        tab.phone_targets[:, ARKIT_INDEX["mouthFunnel"]]
    r = {p: rnd[tab.phone_index[p]] for p in ("UW", "OW", "AO", "W", "R", "IY", "EH", "S")}
    assert min(r["UW"], r["W"], r["OW"], r["AO"]) > 0.6 > r["R"] > 0.2 > max(r["IY"], r["EH"],
                                                                              r["S"])


def test_normalize_phone_rejects_unknown():
    assert normalize_phone("ah0") == "AH" and normalize_phone("") == "sil"
    with pytest.raises(ValueError, match="unknown phone"):
        normalize_phone("XYZ")


# --- rig name matching ------------------------------------------------------------------------

def test_match_vrchat_keys_with_extras_and_missing():
    names = ["Basis", "vrc.blink_left", "vrc.v_sil", "vrc.v_pp", "vrc.v_ff", "vrc.v_th",
             "vrc.v_dd", "vrc.v_kk", "vrc.v_ch", "vrc.v_ss", "vrc.v_nn", "vrc.v_rr",
             "vrc.v_aa", "vrc.v_e", "vrc.v_ih", "vrc.v_oh", "vrc.v_ou", "Smile"]
    m = match_viseme_keys(names)
    assert m.missing == () and m.name_set == "vrchat"
    assert m.matched["PP"] == "vrc.v_pp" and m.matched["E"] == "vrc.v_e"
    assert list(m.matched) == list(VISEME_NAMES)
    assert set(m.extra) == {"Basis", "vrc.blink_left", "Smile"}
    partial = match_viseme_keys(["vrc.v_aa", "vrc.v_oh", "vrc.v_aa.001"])
    assert partial.matched == {"aa": "vrc.v_aa", "oh": "vrc.v_oh"}
    assert len(partial.missing) == 13 and partial.extra == ("vrc.v_aa.001",)


@pytest.mark.parametrize("names,set_name", [
    (["viseme_sil", "viseme_PP", "viseme_aa", "viseme_E", "viseme_ih", "viseme_oh"], "oculus"),
    (["viseme_sil", "viseme_PP", "viseme_aa", "viseme_I", "viseme_O", "viseme_U"],
     "readyplayerme"),
    (["sil", "PP", "FF", "aa", "E", "ih", "oh", "ou"], "oculus_bare")])
def test_match_other_viseme_sets(names, set_name):
    m = match_viseme_keys(names)
    assert m.name_set == set_name and len(m.matched) == len(names) and m.extra == ()


def test_rhubarb_shapes():
    assert [phone_to_rhubarb(p) for p in ("M", "S", "EH", "AA", "ER", "UW", "F", "L", "sil")] \
        == list("ABCDEFGHX")
    cues = rhubarb_cues(track([("sil", 0.2), ("M", 0.1), ("AA", 0.2), ("P", 0.08),
                               ("sil", 0.3)]))
    assert [c[1] for c in cues] == ["X", "A", "D", "A", "X"]
    assert cues[1][0] == pytest.approx(0.2) and cues[-1][0] == pytest.approx(0.58)


# --- viseme track -----------------------------------------------------------------------------

SENT = [("sil", 0.3), ("HH", 0.06), ("AH", 0.08), ("M", 0.03), ("F", 0.08), ("AY", 0.2),
        ("V", 0.06), ("S", 0.1), ("UW", 0.15), ("P", 0.07), ("sil", 0.4)]


def test_track_rows_sum_to_one_and_follow_phones():
    pt = track(SENT)
    v = vtrack(pt)
    assert v.names == VISEME_NAMES and v.values.dtype == np.float32
    np.testing.assert_allclose(v.values.sum(1), 1.0, atol=1e-5)
    assert v.values.min() >= 0
    idx = {n: i for i, n in enumerate(VISEME_NAMES)}
    assert v.values[3, idx["sil"]] > 0.99                       # rest before speech
    uw = pt.phones.index("UW")
    mid_uw = int(round(0.5 * (pt.starts[uw] + pt.ends[uw]) * 30))
    assert v.values[mid_uw, idx["ou"]] > 0.6                    # middle of UW
    # the diphthong AY moves from aa to ih
    s = int(np.ceil(pt.starts[pt.phones.index("AY")] * 30)) + 1
    assert v.values[s, idx["aa"]] > v.values[s, idx["ih"]]
    assert v.values[s + 4, idx["ih"]] > v.values[s + 4, idx["aa"]]


@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0])
def test_pp_and_ff_hard_in_track(fps):
    for offset in (0.0, 0.011, 0.023):
        pt = track(SENT, t0=offset)
        v = vtrack(pt, fps)
        for p, s, e in zip(pt.phones, pt.starts, pt.ends):
            if p in ("M", "P", "F", "V"):
                col = VISEME_NAMES.index("PP" if p in "MP" else "FF")
                fr = np.arange(int(np.ceil(s * fps)), int(np.floor(e * fps)) + 1)
                fr = np.append(fr, int(round(0.5 * (s + e) * fps)))
                assert v.values[fr, col].max() > 0.999, (p, fps, offset)


def test_track_style_lead_articulation_deterministic():
    pt = track(SENT)
    base = vtrack(pt)
    assert base.values.tobytes() == vtrack(pt).values.tobytes()
    led = vtrack(pt, style=Style(lead_ms=100.0))
    np.testing.assert_allclose(led.values[:-3][5:-5], base.values[3:][5:-5], atol=1e-5)
    sil = VISEME_NAMES.index("sil")
    speech = [1.0 - vtrack(pt, style=Style(articulation=a)).values[:, sil].mean()
              for a in (0.0, 1.0, 2.0)]
    assert speech[0] < speech[1] < speech[2]
    mumbled = vtrack(pt, style=Style(articulation=0.0))
    assert mumbled.values[:, VISEME_NAMES.index("PP")].max() > 0.999


def test_visemes_to_arkit_and_phone_visemes():
    pt = track(SENT)
    v = vtrack(pt)
    a = visemes_to_arkit(v)
    assert a.shape == (len(v.values), 52) and a.dtype == np.float32
    uw = pt.phones.index("UW")
    assert a[int(round(0.5 * (pt.starts[uw] + pt.ends[uw]) * 30)), ARKIT_INDEX["mouthPucker"]] \
        > 0.4
    assert phone_visemes(pt)[:4] == ("sil", "kk", "aa", "PP")
    with pytest.raises(AlignmentError):
        vtrack(track([("sil", 0.1), ("XX", 0.1)]))
