"""The benchmark's metric functions give known answers on constructed data."""
import numpy as np
import pytest

from bench import metrics as M
from bench.phonesets import (UnknownPhoneError, espeak_to_arpabet, festival_to_arpabet,
                             normalize_arpabet)

FPS = 60.0


def _aperture(n, closed_spans, fps=FPS, open_mm=8.0):
    ap = np.full(n, open_mm)
    t = np.arange(n) / fps
    for s, e in closed_spans:
        ap[(t >= s) & (t <= e)] = 0.3
    return ap


def test_closure_recall_counts_closed_bilabials():
    phones = ["sil", "b", "aa", "m", "iy", "p", "sil"]
    starts = [0.0, 0.2, 0.3, 0.5, 0.6, 0.8, 0.9]
    ends = starts[1:] + [1.2]
    # lips close in the b and p segments but not in the m segment
    ap = _aperture(int(1.2 * FPS) + 1, [(0.22, 0.28), (0.81, 0.88)])
    s = M.lip_scores(ap, fps=FPS, phones=phones, starts=starts, ends=ends)
    assert s["n_bilabial"] == 3
    assert s["closure_recall"] == pytest.approx(2 / 3)
    assert s["false_closure"] == 0.0


def test_false_and_stray_closure():
    phones = ["aa", "t", "ae", "s"]
    starts = [0.0, 0.2, 0.3, 0.5]
    ends = [0.2, 0.3, 0.5, 0.7]
    ap = _aperture(int(0.7 * FPS) + 1, [(0.05, 0.15), (0.58, 0.62)])
    s = M.lip_scores(ap, fps=FPS, phones=phones, starts=starts, ends=ends)
    assert s["false_closure"] == pytest.approx(0.5)
    assert s["stray_closure"] == pytest.approx(0.5)


def test_short_segment_still_judged():
    idx = M.segment_frames(0.101, 0.104, fps=30.0, n_frames=10)
    assert list(idx) == [3]


def test_boundary_error_recovers_known_offsets():
    ref_p = ["sil", "hh", "ah", "l", "ow", "sil"]
    ref_s = np.array([0.0, 0.10, 0.18, 0.26, 0.33, 0.50])
    ref_e = np.r_[ref_s[1:], 0.7]
    offsets = np.array([0.0, 0.010, -0.020, 0.030, 0.005, 0.0])
    hyp_s = ref_s + offsets
    hyp_e = np.r_[hyp_s[1:], 0.7]
    errs = M.boundary_errors(ref_p, ref_s, ref_e, ref_p, hyp_s, hyp_e)
    # 4 starts + end of "ow" (followed by silence, unshifted)
    np.testing.assert_allclose(np.sort(errs), np.sort([0.010, 0.020, 0.030, 0.005, 0.0]))
    summ = M.error_summary_ms(errs)
    assert summ["median_ms"] == pytest.approx(10.0)
    assert summ["n"] == 5


def test_boundary_error_survives_an_inserted_phone():
    ref_p, ref_s, ref_e = ["k", "ae", "t"], [0.0, 0.1, 0.2], [0.1, 0.2, 0.3]
    hyp_p, hyp_s, hyp_e = ["k", "ah", "ae", "t"], [0.0, 0.1, 0.12, 0.2], [0.1, 0.12, 0.2, 0.3]
    errs = M.boundary_errors(ref_p, ref_s, ref_e, hyp_p, hyp_s, hyp_e)
    assert len(errs) == 4          # k, ae, t starts + t end
    assert np.max(errs) == pytest.approx(0.02)


def test_lag_recovers_known_shift():
    rng = np.random.default_rng(0)
    y = np.convolve(rng.standard_normal(600), np.ones(5) / 5, mode="same")
    shift = 6                       # frames: x is 100 ms late
    x = np.r_[np.zeros(shift), y[:-shift]]
    r0, rb, lag = M.best_lag(x, y, fps=FPS, max_lag_s=0.25)
    assert lag == pytest.approx(shift / FPS)
    assert rb > 0.99 > r0
    _, _, lag2 = M.best_lag(y, x, fps=FPS)
    assert lag2 == pytest.approx(-shift / FPS)


def test_openness_and_rounding():
    phones, starts, ends = ["aa", "m", "uw", "iy"], [0.0, 0.2, 0.3, 0.5], [0.2, 0.3, 0.5, 0.7]
    o = M.openness_track(phones, starts, ends, fps=FPS, n_frames=43, smooth_ms=0)
    assert o[5] == 1.0 and o[15] == 0.0
    protr = np.zeros(43)
    protr[18:30] = 0.8
    c = M.rounding_contrast(protr, fps=FPS, phones=phones, starts=starts, ends=ends)
    assert c == pytest.approx(0.8)


def test_rms_jaw_follows_loudness():
    sr = 16000
    x = np.zeros(sr)
    x[sr // 2:] = np.sin(np.arange(sr // 2) * 0.1)
    jaw = M.rms_jaw(x, sr=sr, fps=30.0, n_frames=31)
    assert jaw[3] == 0.0 and jaw[25] == pytest.approx(0.6, abs=0.01)


def test_blink_stats():
    b = np.zeros(600)               # 10 s at 60 fps
    for start in (60, 240, 420):
        b[start:start + 12] = 1.0   # 200 ms blinks
    s = M.blink_stats(b, fps=FPS)
    assert s["n"] == 3 and s["per_min"] == pytest.approx(18.0)
    assert s["mean_dur_ms"] == pytest.approx(200.0)


@pytest.mark.parametrize("mn,arpa", [
    ("b", "b"), ("'aI", "ay"), (",U", "uh"), ("I#", "ih"), ("_:", "sil"), ("tS", "ch"),
    ("dZ", "jh"), ("S", "sh"), ("T", "th"), ("D", "dh"), ("N", "ng"), ("'u:", "uw"),
    ("o@", "ao"), ("oU", "ow"), ("@2", "ah"), ("3:", "er"), ("j", "y"), ("t#", "t"),
    ("'0", "aa"), ("eI", "ey"), ("'a", "ae"), ("%i", "iy")])
def test_espeak_mapping(mn, arpa):
    assert espeak_to_arpabet(mn) == arpa


def test_espeak_modifier_is_not_a_phone():
    assert espeak_to_arpabet(";") is None


def test_unknown_phones_raise():
    with pytest.raises(UnknownPhoneError):
        espeak_to_arpabet("Q!")
    with pytest.raises(UnknownPhoneError):
        festival_to_arpabet("xyz")


def test_festival_and_mfa_labels():
    assert festival_to_arpabet("pau") == "sil"
    assert festival_to_arpabet("ax") == "ah"
    assert normalize_arpabet("AH0") == "ah"
    assert normalize_arpabet("") == "sil"
    assert normalize_arpabet("spn") == "sil"


def test_espeak_stop_starts_at_its_closure():
    """libespeak-ng emits a stop's event at the release; the silent closure before it
    belongs to the stop, not to the vowel before (measured on en-us and en-us+f3)."""
    from bench.corpora import events_to_segments
    sr = 1000
    rng = np.random.default_rng(0)
    loud = lambda n: 0.3 * rng.standard_normal(n)
    # vowel 0-200 ms (loud 0-150, closure zeros 150-200), p burst 200-230, vowel 230-400
    x = np.r_[loud(150), np.zeros(50), 0.05 * rng.standard_normal(30), loud(170)]
    events = [("'a", 0), ("p", 200), ("i", 230), ("_", 400)]
    ph, st, en = events_to_segments(events, len(x), sr)            # raw events
    assert ph == ["ae", "p", "iy", "sil"] and st[1] == pytest.approx(0.2)
    ph, st, en = events_to_segments(events, len(x), sr, x)         # closure measured
    assert st[1] == pytest.approx(0.15, abs=0.006) and en[0] == st[1]
    assert st[2] == pytest.approx(0.23)
    # a voiced closure (loud before the event) and a stop after silence stay put
    y = np.r_[loud(200), 0.05 * rng.standard_normal(30), loud(170)]
    assert events_to_segments(events, len(y), sr, y)[1][1] == pytest.approx(0.2)
    ev2 = [("_", 0), ("p", 200), ("i", 230)]
    assert events_to_segments(ev2, len(x), sr, x)[1][1] == pytest.approx(0.2)
    # the previous phone keeps at least 20 ms
    ev3 = [("'a", 140), ("p", 200), ("i", 230)]
    assert events_to_segments(ev3, len(x), sr, x)[1][2] == pytest.approx(0.16, abs=0.006)
