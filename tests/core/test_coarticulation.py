"""Speech layer (core/face/coarticulation.py): closures, contacts, rounding, rest, smoothness,
style controls, determinism, and lip-sync numbers on 32 real LJSpeech alignments.

Run ``python tests/core/test_coarticulation.py`` for the LJSpeech report (closure recall,
false / stray closures, rounding contrast, runtime per hour of speech).
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

from talkrig.core.curves import PhoneTrack, Prosody, n_frames_for
from talkrig.core.errors import AlignmentError
from talkrig.core.face.coarticulation import speech_layer
from talkrig.core.style import Style
from talkrig.rigs.arkit import ARKIT_INDEX as I
from talkrig.rigs.arkit import ARKIT_NAMES
from talkrig.rigs.visemes import normalize_phone

LJ = Path(os.environ.get("TALKRIG_LJSPEECH32",
                         Path(__file__).resolve().parents[1] / "data" / "ljspeech"))
BILABIAL = {"P", "B", "M"}
OPEN_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "OW", "OY", "EY", "ER"}
NON_LABIAL = {"T", "D", "K", "G", "S", "Z", "N", "NG", "L", "TH", "DH", "SH", "ZH", "CH",
              "JH", "R", "Y", "HH"}
ROUNDED = {"UW", "UH", "OW", "AO", "OY"}
SPREAD = {"IY", "IH", "EH", "AE", "EY"}


def track(spec, t0=0.0, **kw) -> PhoneTrack:
    """PhoneTrack from [(phone, duration_s), ...] laid end to end from ``t0``."""
    d = np.array([x[1] for x in spec], dtype=np.float64)
    ends = t0 + np.cumsum(d)
    return PhoneTrack(tuple(x[0] for x in spec), ends - d, ends, ("",) * len(spec), **kw)


def ch(w, name):
    return w[:, I[name]]


def lips_sealed(w) -> np.ndarray:
    """Per frame: lips closed by the ARKit convention (mouthClose matches jawOpen, nothing
    else parts the lips)."""
    parting = (ch(w, "mouthLowerDownLeft") + ch(w, "mouthUpperUpLeft")
               + ch(w, "mouthFunnel"))
    return (np.abs(ch(w, "jawOpen") - ch(w, "mouthClose")) < 1e-4) & (parting < 1e-4)


def aperture_proxy(w) -> np.ndarray:
    """Lip opening from ARKit weights alone (jaw not cancelled by mouthClose, lip raisers)."""
    return (np.maximum(ch(w, "jawOpen") - ch(w, "mouthClose"), 0.0)
            + 0.5 * (ch(w, "mouthLowerDownLeft") + ch(w, "mouthUpperUpLeft"))
            + 0.3 * ch(w, "mouthFunnel"))


def frames_of(s, e, fps, n):
    """Frames inside [s, e] plus the frame nearest the centre."""
    fr = np.arange(int(np.ceil(s * fps - 1e-9)), int(np.floor(e * fps + 1e-9)) + 1)
    return np.unique(np.append(fr, min(int(round(0.5 * (s + e) * fps)), n - 1)))


def layer(pt, fps=30.0, prosody=None, **kw):
    n = n_frames_for(float(pt.ends[-1]) + 0.2, fps)
    return speech_layer(pt, prosody, fps=fps, n_frames=n, **kw)


SENTENCE = [("sil", 0.3), ("B", 0.06), ("AA", 0.14), ("B", 0.05), ("M", 0.07), ("EY", 0.15),
            ("D", 0.05), ("AH", 0.05), ("M", 0.03), ("AE", 0.12), ("P", 0.08), ("F", 0.08),
            ("AO", 0.16), ("R", 0.06), ("S", 0.09), ("UW", 0.15), ("N", 0.07), ("sil", 0.4)]


# --- hard constraints -----------------------------------------------------------------------

@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0])
@pytest.mark.parametrize("offset_ms", [0, 7, 13, 21, 29])
def test_every_bilabial_closes_even_30ms(fps, offset_ms):
    pt = track([("sil", 0.2), ("AA", 0.15), ("P", 0.03), ("AA", 0.15), ("M", 0.03),
                ("IY", 0.12), ("B", 0.03), ("AO", 0.15), ("sil", 0.3)], t0=offset_ms / 1000)
    w = layer(pt, fps)
    sealed = lips_sealed(w)
    for p, s, e in zip(pt.phones, pt.starts, pt.ends):
        if p in BILABIAL:
            assert sealed[frames_of(s, e, fps, len(w))].any(), (p, s, fps)
    # and the vowels between them open
    for p, s, e in zip(pt.phones, pt.starts, pt.ends):
        if p in {"AA", "AO"}:
            assert aperture_proxy(w)[int(round(0.5 * (s + e) * fps))] > 0.3


def test_closure_ramps_meet_and_part_with_speed():
    """Bilabial 'contact' ramps: 10 ms from the closure the lips are well on their way
    (raised cosine: still 90 % closed), inside it fully closed; unknown shapes raise."""
    from talkrig.core.face.coarticulation import constraint_envelope, prepare_segments
    pt = track([("sil", 0.2), ("AA", 0.2), ("P", 0.08), ("AA", 0.2), ("sil", 0.2)])
    seg = prepare_segments(pt)
    mask = np.array([p == normalize_phone("P") for p in
                     [load_phones()[i] for i in seg.phone]])
    s, e = float(pt.starts[2]), float(pt.ends[2])
    t = np.array([s - 0.01, s + 0.04, e + 0.01])
    kw = dict(fps=60.0, ramp_before=0.06, ramp_after=0.05, share=0.45)
    cos = constraint_envelope(t, seg, mask, **kw)
    con = constraint_envelope(t, seg, mask, onset="contact", release="contact", **kw)
    assert cos[1] == con[1] == 1.0
    assert cos[0] > 0.9 and cos[2] > 0.85
    assert con[0] < 0.75 and con[2] < 0.7
    with pytest.raises(ValueError):
        constraint_envelope(t, seg, mask, release="snap", **kw)


def load_phones():
    from talkrig.rigs.visemes import load_viseme_tables
    return load_viseme_tables().phones


def test_labiodental_contact():
    pt = track([("sil", 0.2), ("AA", 0.15), ("F", 0.08), ("AA", 0.15), ("V", 0.06),
                ("IY", 0.15), ("sil", 0.3)])
    w = layer(pt)
    for p, s, e in zip(pt.phones, pt.starts, pt.ends):
        if p in {"F", "V"}:
            fr = frames_of(s, e, 30.0, len(w))
            assert ch(w, "mouthRollLower")[fr].max() >= 0.5
            assert ch(w, "mouthUpperUpLeft")[fr].max() >= 0.2
            i = fr[np.argmax(ch(w, "mouthRollLower")[fr])]
            assert ch(w, "mouthLowerDownLeft")[i] < 0.01 and ch(w, "jawOpen")[i] <= 0.08 + 1e-6


def test_rounding_contrast_and_anticipation():
    wu = layer(track([("sil", 0.3), ("S", 0.1), ("UW", 0.2), ("sil", 0.3)]))
    wi = layer(track([("sil", 0.3), ("S", 0.1), ("IY", 0.2), ("sil", 0.3)]))
    rnd = lambda w, t: ch(w, "mouthPucker")[int(t * 30)] + ch(w, "mouthFunnel")[int(t * 30)]
    assert rnd(wu, 0.5) > 0.6 and rnd(wi, 0.5) < 0.1
    # the s before "oo" already rounds (anticipatory coarticulation), the s before "ee" not
    assert rnd(wu, 0.37) > rnd(wi, 0.37) + 0.2


def test_rest_in_silence_and_jaw_follows_height():
    jaws = {}
    for v in ("AA", "EH", "IH", "IY"):
        w = layer(track([("sil", 1.0), (v, 0.2), ("sil", 1.0)]))
        assert np.abs(w[:10]).max() < 0.01 and np.abs(w[-10:]).max() < 0.01
        jaws[v] = ch(w, "jawOpen")[33]
    assert jaws["AA"] > jaws["EH"] > jaws["IH"] > jaws["IY"] > 0.05


def test_smoothness_bound_keeps_closures():
    pt = track(SENTENCE)
    w = layer(pt)
    jerk = np.abs(np.diff(w, 3, axis=0)).max()
    # a stop-motion hold of the same targets (Rhubarb-like) jumps by whole poses
    t = np.arange(len(w)) / 30.0
    k = np.clip(np.searchsorted(pt.starts, t, side="right") - 1, 0, len(pt) - 1)
    hold = np.array([layer(track([("sil", 0.5), (p, 0.5), ("sil", 0.5)]))[22]
                     for p in pt.phones])[k]
    assert jerk < 1.0 and jerk < 0.6 * np.abs(np.diff(hold, 3, axis=0)).max()
    sealed = lips_sealed(w)
    for p, s, e in zip(pt.phones, pt.starts, pt.ends):
        if p in BILABIAL:
            assert sealed[frames_of(s, e, 30.0, len(w))].any()


# --- style ------------------------------------------------------------------------------------

def _vowel_jaw(w, pt):
    idx = [int(round(0.5 * (s + e) * 30)) for p, s, e in zip(pt.phones, pt.starts, pt.ends)
           if p in {"AA", "AE", "AO", "EY"}]
    return float(ch(w, "jawOpen")[idx].mean())


def test_articulation_monotonic_and_closures_survive():
    pt = track(SENTENCE)
    jaws = []
    for a in (0.0, 0.5, 1.0, 1.5, 2.0):
        w = layer(pt, style=Style(articulation=a))
        jaws.append(_vowel_jaw(w, pt))
        sealed = lips_sealed(w)
        assert all(sealed[frames_of(s, e, 30.0, len(w))].any()
                   for p, s, e in zip(pt.phones, pt.starts, pt.ends) if p in BILABIAL)
    assert np.all(np.diff(jaws) > 0.01), jaws


def test_loudness_scale():
    pt = track(SENTENCE)
    n = n_frames_for(float(pt.ends[-1]) + 0.2, 30.0)

    def pros(level):
        z = np.zeros(n, np.float32)
        return Prosody(30.0, np.full(n, level, np.float32), z, z, np.zeros(0), np.zeros((0, 2)))

    def jaw(level, ls):
        return _vowel_jaw(layer(pt, prosody=pros(level), style=Style(loudness_scale=ls)), pt)

    assert jaw(1.0, 1.0) > jaw(0.5, 1.0) > jaw(0.1, 1.0)
    assert jaw(1.0, 2.0) - jaw(0.1, 2.0) > jaw(1.0, 1.0) - jaw(0.1, 1.0)
    assert jaw(1.0, 0.0) == jaw(0.1, 0.0) == _vowel_jaw(layer(pt), pt)


def test_emphasis_opens_wider_where_marked():
    spec = [("sil", 0.3), ("M", 0.06), ("AA", 0.2), ("sil", 0.5), ("M", 0.06), ("AA", 0.2),
            ("sil", 0.3)]
    emph = (0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0)
    plain, marked = layer(track(spec)), layer(track(spec, emphasis=emph))
    first, second = int(0.46 * 30), int(1.22 * 30)
    assert ch(marked, "jawOpen")[second] > ch(plain, "jawOpen")[second] + 0.05
    assert ch(marked, "jawOpen")[first] == pytest.approx(ch(plain, "jawOpen")[first], abs=1e-6)
    via_kw = layer(track(spec), emphasis=np.array(emph))
    np.testing.assert_array_equal(via_kw, marked)


@pytest.mark.parametrize("lead_ms,fps,shift", [(100.0, 30.0, 3), (-50.0, 60.0, -3),
                                                (125.0, 24.0, 3)])
def test_lead_shifts_by_frames(lead_ms, fps, shift):
    pt = track(SENTENCE)
    n = n_frames_for(float(pt.ends[-1]) + 0.2, fps)
    loud = (0.5 + 0.5 * np.sin(np.arange(n) / 7.0)).astype(np.float32)
    pros = Prosody(fps, loud, loud * 0, loud * 0, np.zeros(0), np.zeros((0, 2)))
    base = speech_layer(pt, pros, fps=fps, n_frames=n)
    led = speech_layer(pt, pros, fps=fps, n_frames=n, style=Style(lead_ms=lead_ms))
    a, b = (led[:n - shift], base[shift:]) if shift > 0 else (led[-shift:], base[:n + shift])
    np.testing.assert_allclose(a[10:-10], b[10:-10], atol=1e-4)


def test_deterministic_and_shapes():
    pt = track(SENTENCE)
    a, b = layer(pt), layer(pt)
    assert a.dtype == np.float32 and a.shape[1] == 52
    assert a.tobytes() == b.tobytes()
    assert a.min() >= 0.0 and a.max() <= 1.0
    assert speech_layer(pt, None, fps=30.0, n_frames=0).shape == (0, 52)
    # stress digits, MFA leftovers and lower case are accepted
    raw = track([("sil", 0.2), ("aa1", 0.1), ("sp", 0.1), ("spn", 0.1), ("", 0.2)])
    assert layer(raw).shape[1] == 52


def test_bad_input_raises():
    with pytest.raises(AlignmentError, match="unknown phone"):
        layer(track([("sil", 0.2), ("QQ", 0.1)]))
    bad = PhoneTrack(("AA", "B"), np.array([0.0, 0.1]), np.array([0.1]), ("", ""))
    with pytest.raises(AlignmentError, match="starts"):
        speech_layer(bad, None, fps=30.0, n_frames=10)


# --- real speech: 32 LJSpeech clips with MFA alignments ----------------------------------------

def read_textgrid(path: Path) -> tuple[PhoneTrack, float]:
    """Phone tier of an MFA TextGrid (long text format) as a PhoneTrack, with its duration."""
    text = path.read_text(encoding="utf-8")
    tiers = {}
    for tier in re.split(r"item \[\d+\]:", text)[1:]:
        name = re.search(r'name = "([^"]*)"', tier).group(1)
        tiers[name] = [(float(a), float(b), c) for a, b, c in re.findall(
            r'xmin = ([\d.]+)\s*xmax = ([\d.]+)\s*text = "([^"]*)"', tier)]
    ph = tiers["phones"]
    stress = tuple(int(c[-1]) if c[-1:].isdigit() else 0 for _, _, c in ph)
    return (PhoneTrack(tuple(c for _, _, c in ph), np.array([a for a, _, _ in ph]),
                       np.array([b for _, b, _ in ph]), ("",) * len(ph), "mfa", stress),
            float(re.search(r"xmax = ([\d.]+)", text).group(1)))


def hold_baseline(pt: PhoneTrack, fps: float, n: int, sigma_s: float = 0.0) -> np.ndarray:
    """Comparison drivers: each phone's target pose held for its duration (stop-motion, like
    Rhubarb's mouth holds; lips sealed on p/b/m), optionally Gaussian-smoothed at 240 Hz
    (``sigma_s`` > 0: smooth but imprecise, like regression-based drivers)."""
    from scipy.ndimage import gaussian_filter1d
    from talkrig.rigs.visemes import load_viseme_tables
    tab = load_viseme_tables()
    m = 8 if sigma_s > 0 else 1
    t = np.arange((n - 1) * m + 1) / (fps * m)
    k = np.clip(np.searchsorted(pt.starts, t, side="right") - 1, 0, len(pt) - 1)
    rows = np.array([tab.phone_index[normalize_phone(p)] for p in pt.phones])[k]
    inside = t <= pt.ends[k]
    w = np.where(inside[:, None], tab.phone_targets[rows], 0.0)
    shut = inside & tab.is_bilabial[rows]
    w[shut, I["mouthClose"]] = w[shut, I["jawOpen"]]
    w[shut, I["mouthLowerDownLeft"]:I["mouthUpperUpRight"] + 1] = 0.0
    if sigma_s > 0:
        w = gaussian_filter1d(w, sigma_s * fps * m, axis=0, mode="nearest")
    return w[::m].astype(np.float32)


def lj_report(fps: float = 30.0, style=None, head=None, driver=None) -> dict:
    """Closure recall, false / stray closure rates, rounding contrast and third differences
    (max and 99th percentile over frames of the largest channel) on LJSpeech.

    Without ``head`` closures are judged on the ARKit channels (:func:`lips_sealed`,
    :func:`aperture_proxy`); with a demo head (``rigs.demo_head``) on its geometry: lips
    closed where the inner-lip distance is below 1 mm. ``driver(pt, fps, n) -> [n, 52]``
    replaces the speech layer (for the comparison baselines).
    """
    c = dict(bil=0, bil_ok=0, open=0, open_shut=0, nonlab=0, nonlab_shut=0)
    rounded, spread, open_mm, jerks, r_mm, s_mm = [], [], [], [], [], []
    for path in sorted((LJ / "TextGrid").glob("*.TextGrid")):
        pt, dur = read_textgrid(path)
        n = n_frames_for(dur, fps)
        w = (speech_layer(pt, None, fps=fps, n_frames=n, style=style) if driver is None
             else driver(pt, fps, n))
        jerks.append(np.abs(np.diff(w, 3, axis=0)).max(1))
        if head is None:
            sealed, shut = lips_sealed(w), aperture_proxy(w) < 0.03
        else:
            from talkrig.rigs.demo_head import lip_aperture
            mm = lip_aperture(head, w) * 1000.0
            sealed = shut = mm < 1.0
            lips = np.flatnonzero(np.asarray(head.vertex_parts)
                                  == list(head.part_names).index("lips"))
            dy = np.array([head.shape_keys[n][lips, 1].mean() for n in ARKIT_NAMES])
            forward = -(w.astype(np.float64) @ dy) * 1000.0      # lip protrusion, mm
        for raw, s, e in zip(pt.phones, pt.starts, pt.ends):
            p, mid = normalize_phone(raw), min(int(round(0.5 * (s + e) * fps)), n - 1)
            if p in BILABIAL:
                c["bil"] += 1
                c["bil_ok"] += bool(sealed[frames_of(s, e, fps, n)].any())
            elif p in OPEN_VOWELS and e - s >= 0.05:
                c["open"] += 1
                c["open_shut"] += bool(shut[mid])
                if head is not None:
                    open_mm.append(mm[mid])
            elif p in NON_LABIAL:
                c["nonlab"] += 1
                c["nonlab_shut"] += bool(shut[mid])
            r = ch(w, "mouthPucker")[mid] + ch(w, "mouthFunnel")[mid]
            (rounded if p in ROUNDED else spread if p in SPREAD else []).append(r)
            if head is not None:
                (r_mm if p in ROUNDED else s_mm if p in SPREAD else []).append(forward[mid])
    return dict(counts=c, recall=c["bil_ok"] / c["bil"], false=c["open_shut"] / c["open"],
                stray=c["nonlab_shut"] / c["nonlab"],
                rounding=float(np.mean(rounded) - np.mean(spread)),
                open_vowel_median_mm=float(np.median(open_mm)) if open_mm else None,
                protrusion_mm=float(np.mean(r_mm) - np.mean(s_mm)) if r_mm else None,
                jerk_max=float(np.concatenate(jerks).max()),
                jerk_p99=float(np.percentile(np.concatenate(jerks), 99)))


@pytest.mark.skipif(not (LJ / "TextGrid").is_dir(), reason="tests/data/ljspeech missing")
@pytest.mark.parametrize("fps", [24.0, 30.0])
def test_ljspeech_lipsync_numbers(fps):
    r = lj_report(fps)
    assert r["counts"]["bil"] > 150
    assert r["recall"] == 1.0
    assert r["false"] < 0.05 and r["stray"] < 0.10
    assert r["rounding"] > 0.3


@pytest.mark.skipif(not (LJ / "TextGrid").is_dir(), reason="tests/data/ljspeech missing")
def test_ljspeech_geometry_on_demo_head():
    demo = pytest.importorskip("talkrig.rigs.demo_head")
    r = lj_report(30.0, head=demo.build_demo_head())
    assert r["recall"] == 1.0                      # < 1 mm on every p/b/m
    assert r["false"] < 0.05 and r["stray"] < 0.10
    assert r["open_vowel_median_mm"] > 5.0
    assert r["protrusion_mm"] > 2.0                # rounded vowels push the lips forward


if __name__ == "__main__":
    try:
        from talkrig.rigs.demo_head import build_demo_head
        demo_head = build_demo_head()
    except ImportError:
        demo_head = None
    for f in (24.0, 30.0, 60.0):
        print(f"{f:g} fps, ARKit channels:", lj_report(f))
        if demo_head is not None:
            print(f"{f:g} fps, demo head geometry:", lj_report(f, head=demo_head))
    if demo_head is not None:
        print("30 fps, hold baseline (stop-motion):",
              lj_report(30.0, head=demo_head, driver=hold_baseline))
        print("30 fps, smoothed hold (sigma 40 ms):", lj_report(
            30.0, head=demo_head, driver=lambda pt, f, n: hold_baseline(pt, f, n, 0.04)))
    tracks = [read_textgrid(p) for p in sorted((LJ / "TextGrid").glob("*.TextGrid"))]
    phones, starts, ends, off = [], [], [], 0.0
    while off < 3600.0:
        for pt, dur in tracks:
            phones += list(pt.phones)
            starts.append(pt.starts + off)
            ends.append(pt.ends + off)
            off += dur
    big = PhoneTrack(tuple(phones), np.concatenate(starts), np.concatenate(ends),
                     ("",) * len(phones))
    n = n_frames_for(off, 30.0)
    loud = np.random.default_rng(0).random(n).astype(np.float32)
    pros = Prosody(30.0, loud, loud * 0, loud * 0, np.zeros(0), np.zeros((0, 2)))
    t0 = time.perf_counter()
    speech_layer(big, pros, fps=30.0, n_frames=n)
    dt = time.perf_counter() - t0
    print(f"{off / 3600:.2f} h of speech ({len(phones)} phones) at 30 fps: {dt:.2f} s, "
          f"{off / dt:.0f}x real time")
