"""Speech layer: timed phones + prosody -> ARKit-52 jaw, lip and tongue curves.

What it does
------------
1. **Segments.** Phones are normalised (stress digits dropped, MFA ``sp``/``spn`` mapped),
   diphthongs split into their two targets (AY = AA -> IH ...), gaps and the time before and
   after the track filled with silence, and every time shifted by ``style.lead_ms`` (positive:
   the mouth moves earlier). Each segment gets its phone's ARKit target pose from
   ``rigs/data/visemes.json``; jaw and lip-opening targets are scaled by lexical stress
   (reduced vowels open less) and by per-phone emphasis (emphasised words open wider).
2. **Coarticulation** (Cohen & Massaro 1993 dominance functions, one set per articulatory
   parameter: jaw, lip opening, rounding, spreading, labial, tongue). Segment ``s`` exerts
   ``D_s(t) = alpha_s * exp(-d_s(t) / reach)`` with ``d_s`` the distance from the segment's
   interval (0 inside) and a longer reach *before* a segment than after it, so upcoming
   rounding and closures are anticipated. A parameter is the dominance-weighted mean of the
   targets of the 2K+1 segments around ``t``. Low alpha makes a parameter free: rounding is
   free during t, s, k, so "stew" rounds its s; jaw is weak during h, which takes its vowel.
3. **Prosody and style.** Jaw and lip opening scale with smoothed loudness (``loudness_scale``
   0 disables it), all weights scale with ``articulation`` (0 mumbled .. 2 over-articulated,
   which also shortens the reach: crisper transitions), then a Gaussian low-pass (12 ms)
   at 120 Hz removes jitter (bounded third difference).
4. **Hard constraints, applied last so they always win.** Every p/b/m closes the lips:
   ``mouthClose`` equals ``jawOpen`` (the ARKit way to seal the lips), the jaw is capped, lip
   opening and funnel vanish, press is added; the lips meet and part with speed (``contact``
   ramps, ``(1 - x)^2``), not lingering nearly shut into the neighbouring vowel; f/v put the lower lip to the upper teeth
   (``mouthRollLower`` + ``mouthShrugLower`` + ``mouthUpperUp``). The envelopes are raised
   cosines whose ramps are shortened to a share of the neighbouring phone, so a short vowel
   between two closures still opens, and an interval too short to contain an output frame is
   widened to its nearest frame, so even a 20 ms closure shows up at 24 fps.

Why: Rhubarb-style holds snap between shapes and Audio2Face-style regression blurs closures;
dominance blending gives speech-like transitions while the constraints keep the lip events
that viewers check first. Everything is vectorised numpy (searchsorted windows, no Python loop
over phones or frames), about 1000x faster than real time.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ...rigs.arkit import ARKIT_INDEX, N_ARKIT
from ...rigs.visemes import VisemeTables, load_viseme_tables, normalize_phone
from ..curves import PhoneTrack, Prosody
from ..errors import AlignmentError
from ..style import Style
from .kernels import gaussian_filter1d
from ..timebase import check_fps

_FAR = 1.0e6          # sentinel silence reaches this far before / after the track
_CHUNK = 32768        # internal samples blended at once (bounds memory)
_CH = ARKIT_INDEX


@dataclass(frozen=True)
class Segments:
    """Phones prepared for blending (times already shifted by the lead).

    phone : int64 [n_seg] row in the viseme tables; start, end : float64 [n_seg] seconds;
    gain : float64 [n_seg] jaw / lip-opening gain from stress and emphasis.
    """

    phone: np.ndarray
    start: np.ndarray
    end: np.ndarray
    gain: np.ndarray


def style_values(style: Optional[Style]) -> tuple[float, float, float]:
    """``(articulation, loudness_scale, lead_s)`` of a style (defaults when ``None``)."""
    st = style if style is not None else Style()
    return (float(st.articulation), float(st.loudness_scale), float(st.lead_ms) / 1000.0)


def prepare_segments(phones: PhoneTrack, *, lead_s: float = 0.0,
                     emphasis: Optional[np.ndarray] = None) -> Segments:
    """Normalise, split diphthongs, fill gaps with silence and shift by ``lead_s``.

    The speech layer and the viseme track both need the segments of the same phones, so the
    last few results are kept (keyed on the phones' content, not their identity) and their
    arrays are read-only.

    Parameters
    ----------
    phones : PhoneTrack
        Timed ARPAbet phones (seconds).
    lead_s : float
        Seconds to move everything earlier.
    emphasis : np.ndarray [shape=(len(phones),)], optional
        Per-phone emphasis in [0, 1]; defaults to ``phones.emphasis`` when that exists.

    Returns
    -------
    Segments
        Contiguous, time-ordered segments covering (-inf, inf) with silence sentinels.
    """
    n = len(phones)
    starts = np.asarray(phones.starts, dtype=np.float64).reshape(-1)
    ends = np.asarray(phones.ends, dtype=np.float64).reshape(-1)
    if starts.shape != (n,) or ends.shape != (n,):
        raise AlignmentError(f"PhoneTrack has {n} phones but {starts.size} starts and "
                             f"{ends.size} ends: rebuild it with one start/end per phone")
    if emphasis is None:
        emphasis = getattr(phones, "emphasis", None)
    emph = np.zeros(n) if emphasis is None or len(emphasis) != n else \
        np.clip(np.asarray(emphasis, dtype=np.float64), 0.0, 1.0)
    stress = tuple(getattr(phones, "stress", ()) or ())
    key = (tuple(phones.phones), starts.tobytes(), ends.tobytes(), emph.tobytes(), stress,
           float(lead_s).hex())
    return _memo(_SEGMENT_CACHE, key,
                 lambda: _segments(phones, starts, ends, emph, stress, lead_s))


_SEGMENT_CACHE: dict = {}
_ENVELOPE_CACHE: dict = {}
_CACHE_SIZE = 4
_CACHE_LOCK = threading.Lock()


def _memo(cache: dict, key, compute):
    """``compute()``, remembered in ``cache`` under ``key`` (the last ``_CACHE_SIZE``
    results; an unhashable key is not cached)."""
    try:
        hit = cache.get(key)
    except TypeError:
        return compute()
    if hit is None:
        hit = compute()
        with _CACHE_LOCK:
            while len(cache) >= _CACHE_SIZE:
                cache.pop(next(iter(cache)))
            cache[key] = hit
    return hit


def _segments(phones: PhoneTrack, starts: np.ndarray, ends: np.ndarray, emph: np.ndarray,
              stress: tuple, lead_s: float) -> Segments:
    """:func:`prepare_segments` without the cache (vectorised over phones)."""
    tab = load_viseme_tables()
    n = len(starts)
    if n and (not np.isfinite(starts).all() or (ends < starts).any()
              or (np.diff(starts) < -1e-9).any()):
        raise AlignmentError("PhoneTrack times must be finite, sorted, with end >= start")
    try:
        names = [normalize_phone(raw) for raw in phones.phones]
    except ValueError:
        for i, raw in enumerate(phones.phones):
            try:
                normalize_phone(raw)
            except ValueError as exc:
                raise AlignmentError(f"phone {i}: {exc}") from None
        raise
    row = np.array([tab.phone_index[p] for p in names], dtype=np.int64).reshape(-1)
    g = 1.0 + float(tab.dynamics["emphasis_gain"]) * emph
    if stress:
        vowels = np.flatnonzero(tab.is_vowel[row[:len(stress)]])
        g[vowels] *= np.array([tab.stress_gain.get(int(stress[i]), 1.0) for i in vowels])
    e = np.where(starts > ends, starts, ends)          # as max(end, start), NaN kept
    # Diphthongs become two segments: (start, mid) on their first part, (mid, end) on the second.
    diph = np.array([p in tab.diphthongs for p in names], dtype=bool).reshape(-1)
    counts = 1 + diph.astype(np.int64)
    first = np.cumsum(counts) - counts
    rows = np.repeat(row, counts)
    ss = np.repeat(starts, counts)
    ee = np.repeat(e, counts)
    gg = np.repeat(g, counts)
    if diph.any():
        parts = [tab.diphthongs[p] for p, d in zip(names, diph) if d]
        frac = np.array([f for _, _, f in parts])
        s_d, e_d = starts[diph], e[diph]
        mid = s_d + frac * (e_d - s_d)
        rows[first[diph]] = [tab.phone_index[a] for a, _, _ in parts]
        rows[first[diph] + 1] = [tab.phone_index[b] for _, b, _ in parts]
        ee[first[diph]] = mid
        ss[first[diph] + 1] = mid
    # Fill gaps and both ends with silence (index 0), so segments tile the time line.
    sil = tab.phone_index["sil"]
    if len(rows):
        gap_s = np.concatenate([[-_FAR], ee])
        gap_e = np.concatenate([ss, [_FAR]])
    else:
        gap_s, gap_e = np.array([-_FAR]), np.array([_FAR])
    keep = gap_e - gap_s > 1e-9
    n_gaps = int(np.count_nonzero(keep))
    all_s = np.concatenate([ss, gap_s[keep]]) - lead_s
    all_e = np.concatenate([ee, gap_e[keep]]) - lead_s
    all_p = np.concatenate([rows, np.full(n_gaps, sil, dtype=np.int64)])
    all_g = np.concatenate([gg, np.ones(n_gaps)])
    order = np.argsort(all_s, kind="stable")
    out = Segments(all_p[order], all_s[order], all_e[order], all_g[order])
    for a in (out.phone, out.start, out.end, out.gain):
        a.setflags(write=False)
    return out


def internal_grid(fps: float, n_frames: int) -> tuple[np.ndarray, int]:
    """Internal time grid holding every output frame time.

    Returns
    -------
    t : np.ndarray [shape=((n_frames - 1) * m + 1,)]
        Seconds, at ``fps * m`` Hz.
    m : int
        Internal samples per output frame (output frame ``i`` is ``t[i * m]``).
    """
    rate = float(load_viseme_tables().dynamics["internal_rate_hz"])
    m = max(1, int(np.ceil(rate / fps - 1e-9)))
    return np.arange((max(n_frames, 1) - 1) * m + 1) / (fps * m), m


def blend(t: np.ndarray, seg: Segments, alpha: np.ndarray, targets, *,
          reach_before, reach_after, window: int):
    """Dominance-weighted mean of segment targets (Cohen-Massaro coarticulation).

    Several parameter groups can be blended at once (they share the segment windows and
    distances): pass ``alpha`` 2-D, ``targets`` a list and the reaches as sequences.

    Parameters
    ----------
    t : np.ndarray [shape=(n,)]
        Seconds.
    seg : Segments
    alpha : np.ndarray [shape=(n_seg,) or (n_seg, G)]
        Dominance strength of each segment (> 0), per group.
    targets : np.ndarray [shape=(n_seg, c)] or list of G such arrays
        Target values of each segment.
    reach_before, reach_after : float or sequence of G floats
        Seconds a segment's dominance reaches before its start / after its end.
    window : int
        Segments considered on each side of the one containing ``t``.

    Returns
    -------
    np.ndarray [shape=(n, c)] (or a list of G of them)
    """
    single = np.ndim(alpha) == 1
    alpha = np.asarray(alpha, dtype=np.float64).reshape(len(seg.start), -1)
    tlist = [targets] if single else list(targets)
    n_grp = len(tlist)
    # Per-group constants as [G, 1, 1], so all groups' dominances are computed at once.
    inv_b = (1.0 / np.atleast_1d(np.asarray(reach_before, dtype=np.float64)))[:, None, None]
    inv_a = (1.0 / np.atleast_1d(np.asarray(reach_after, dtype=np.float64)))[:, None, None]
    alpha_g = np.ascontiguousarray(alpha.T)                  # [G, n_seg]
    n_seg = len(seg.start)
    outs = [np.empty((len(t), tg.shape[1])) for tg in tlist]
    offs = np.arange(-window, window + 1)
    chunk = max(1, _CHUNK // n_grp)
    for a in range(0, len(t), chunk):
        tc = t[a:a + chunk]
        k = np.minimum(np.maximum(np.searchsorted(seg.start, tc, side="right") - 1, 0), n_seg - 1)
        # The 2K+1 segments around each sample depend only on its segment k: gather the
        # windows of the segments this chunk touches once, then pick rows by k.
        s0 = int(k.min()) if k.size else 0
        k = k - s0
        j = np.arange(s0, s0 + (int(k.max()) + 1 if k.size else 0))[:, None] + offs
        valid = (j >= 0) & (j < n_seg)
        j = np.minimum(np.maximum(j, 0), n_seg - 1)
        alpha_w = alpha_g[:, j] * valid                 # [G, segments, 2K+1]; 0 off the ends
        before = np.maximum(seg.start[j].take(k, axis=0) - tc[:, None], 0.0)
        after = np.maximum(tc[:, None] - seg.end[j].take(k, axis=0), 0.0)
        x = np.minimum(before * inv_b + after * inv_a, 60.0)           # [G, n, 2K+1]
        dom = alpha_w.take(k, axis=1) * np.exp(-x)
        den = dom.sum(2, keepdims=True)
        for g, tg in enumerate(tlist):
            outs[g][a:a + chunk] = np.einsum("nk,nkc->nc", dom[g],
                                             tg[j].take(k, axis=0)) / den[g]
    return outs[0] if single else outs


def constraint_envelope(t: np.ndarray, seg: Segments, mask: np.ndarray, *, fps: float,
                        ramp_before: float, ramp_after: float, share: float,
                        onset: str = "cosine", release: str = "cosine") -> np.ndarray:
    """Envelope in [0, 1]: 1 inside the masked segments, ramps around them.

    Adjacent masked segments merge; an interval that holds no output frame is widened to the
    frame nearest its centre; ramps are at most ``share`` of the neighbouring segment.
    ``onset`` / ``release`` shape the ramp before / after: ``"cosine"`` (raised cosine,
    flat at the contact) or ``"contact"`` (``(1 - x)^2``: the lips meet or part with speed,
    so they are not held nearly shut through the first part of the next phone).

    The last few results are remembered (keyed on the inputs' content): the speech layer
    and the viseme track evaluate the same envelopes at the same frames.

    Returns
    -------
    np.ndarray [shape=(len(t),)]
    """
    t, mask = np.asarray(t), np.asarray(mask)
    key = (t.dtype.str, t.shape, t.tobytes(), mask.dtype.str, mask.shape, mask.tobytes(),
           seg.start.tobytes(), seg.end.tobytes(), fps, ramp_before, ramp_after, share,
           onset, release)
    env = _memo(_ENVELOPE_CACHE, key,
                lambda: _envelope(t, seg, mask, fps, ramp_before, ramp_after, share, onset,
                                  release))
    return env.copy()


def _envelope(t: np.ndarray, seg: Segments, mask: np.ndarray, fps: float, ramp_before: float,
              ramp_after: float, share: float, onset: str, release: str) -> np.ndarray:
    """:func:`constraint_envelope` without the cache."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return np.zeros(len(t))
    split = np.flatnonzero(np.diff(idx) > 1)
    i0, i1 = idx[np.concatenate([[0], split + 1])], idx[np.concatenate([split, [idx.size - 1]])]
    # Per interval, with sentinels around them (an interval ending at -inf before the
    # first, one starting at +inf after the last): start, end, ramp before, ramp after.
    iv = np.empty((4, i0.size + 2))
    iv[:, 0], iv[:, -1] = (np.inf, -np.inf, 1.0, 1.0), (np.inf, -np.inf, 1.0, 1.0)
    cs, ce, rb, ra = iv[:, 1:-1]
    cs[:], ce[:] = seg.start[i0], seg.end[i1]
    no_frame = np.ceil(cs * fps - 1e-9) > np.floor(ce * fps + 1e-9)
    if no_frame.any():
        kf = np.rint(0.5 * (cs + ce) * fps) / fps
        cs[no_frame] = np.minimum(cs, kf)[no_frame]
        ce[no_frame] = np.maximum(ce, kf)[no_frame]
    prev = np.maximum(i0 - 1, 0)
    nxt = np.minimum(i1 + 1, len(seg.end) - 1)
    rb[:] = np.maximum(np.minimum(ramp_before, share * (seg.end[prev] - seg.start[prev])), 1e-4)
    ra[:] = np.maximum(np.minimum(ramp_after, share * (seg.end[nxt] - seg.start[nxt])), 1e-4)
    # Interval p - 1 is the last one starting at or before t (p = 0: the sentinel), p the
    # next one; the sentinels make the distance to a missing neighbour infinite.
    p = np.searchsorted(cs, t, side="right")
    _, ce_p, _, ra_p = iv[:, p]
    cs_n, _, rb_n, _ = iv[:, p + 1]
    xa = np.minimum(np.maximum((t - ce_p) / ra_p, 0.0), 1.0)
    xb = np.minimum(np.maximum((cs_n - t) / rb_n, 0.0), 1.0)
    env = np.maximum(_ramp(xa, release), _ramp(xb, onset))
    env = np.where(t <= ce_p, 1.0, env)
    env.setflags(write=False)
    return env


def _ramp(x: np.ndarray, shape: str) -> np.ndarray:
    """Ramp value at normalised distance ``x`` in [0, 1] from a constraint interval."""
    if shape == "contact":
        return (1.0 - x) ** 2
    if shape != "cosine":
        raise ValueError(f"unknown ramp shape {shape!r}; use 'cosine' or 'contact'")
    return 0.5 * (1.0 + np.cos(np.pi * x))


def articulation_gain(articulation: float) -> float:
    """Weight gain of a style's articulation: floor at 0, 1 at 1, rising beyond."""
    floor = float(load_viseme_tables().dynamics["articulation_floor"])
    return floor + (1.0 - floor) * float(articulation)


def speech_layer(phones: PhoneTrack, prosody: Optional[Prosody], *, fps: float,
                 n_frames: int, style: Optional[Style] = None,
                 emphasis: Optional[np.ndarray] = None) -> np.ndarray:
    """ARKit-52 speech layer (jaw, lips, tongue) from timed phones and prosody.

    Parameters
    ----------
    phones : PhoneTrack
        ARPAbet phones (stress digits allowed), ``'sil'`` for silence, seconds.
    prosody : Prosody or None
        Frame-rate loudness in [0, 1] at ``prosody.fps``; ``None`` = no loudness scaling.
    fps : float
        Output frame rate; frame ``i`` sits at ``i / fps``.
    n_frames : int
        Number of output frames.
    style : Style, optional
        ``articulation``, ``loudness_scale`` and ``lead_ms`` are used.
    emphasis : np.ndarray [shape=(len(phones),)], optional
        Per-phone emphasis in [0, 1] (defaults to ``phones.emphasis`` when present).

    Returns
    -------
    np.ndarray [shape=(n_frames, 52), dtype=float32]
        Weights in [0, 1] in ARKit order; channels the layer does not drive are 0.
    """
    fps = check_fps(fps)
    n_frames = int(n_frames)
    if n_frames <= 0:
        return np.zeros((0, N_ARKIT), dtype=np.float32)
    tab = load_viseme_tables()
    dyn = tab.dynamics
    plan = _speech_plan(tab)
    art, lscale, lead = style_values(style)
    seg = prepare_segments(phones, lead_s=lead, emphasis=emphasis)
    t, m = internal_grid(fps, n_frames)

    targets = tab.phone_targets[seg.phone].copy()
    targets[:, _CH["mouthClose"]] = 0.0           # owned by the closure constraint
    targets[:, plan.opening] *= seg.gain[:, None]
    reach_scale = 1.4 - 0.4 * min(max(art, 0.0), 2.0)
    blended = blend(t, seg, tab.dominance[seg.phone][:, plan.groups],
                    [targets[:, tab.group_channels[g]] for g in plan.groups],
                    reach_before=tab.reach_before[plan.groups] * reach_scale,
                    reach_after=tab.reach_after[plan.groups] * reach_scale,
                    window=int(dyn["window_segments"]))
    # Rows: the driven channels (plan.used), channels first for contiguous filtering.
    sub = np.zeros((len(plan.used), len(t)))
    for rows, vals in zip(plan.rows, blended):
        sub[rows] = vals.T

    if prosody is not None and lscale > 0 and len(prosody.loudness):
        pt = np.arange(len(prosody.loudness)) / float(prosody.fps)
        loud = np.interp(t + lead, pt, np.asarray(prosody.loudness, dtype=np.float64))
        loud = gaussian_filter1d(loud, dyn["loudness_smooth_s"] * fps * m, mode="nearest")
        scale = np.minimum(np.maximum(1.0 + lscale * dyn["loudness_gain"]
                                      * (loud - dyn["loudness_reference"]),
                                      dyn["loudness_min_scale"]), dyn["loudness_max_scale"])
        sub[plan.opening_rows] *= scale
    sub = np.minimum(np.maximum(sub * articulation_gain(art), 0.0), 1.0)
    sub = gaussian_filter1d(sub, dyn["smooth_sigma_s"] * fps * m, mode="nearest")
    out = np.zeros((N_ARKIT, n_frames))          # channels first
    out[plan.used] = sub[:, ::m]
    # Constraints are analytic envelopes: evaluate them at the output frames only.
    _apply_constraints(out, t[::m], seg, tab, fps)
    return np.minimum(np.maximum(out, 0.0), 1.0).T.astype(np.float32, order="C")


@dataclass(frozen=True)
class _SpeechPlan:
    """Channel bookkeeping of :func:`speech_layer` for one set of viseme tables.

    groups : blended group indices (groups that drive channels); used : sorted ARKit
    channels they drive; rows : per group, the rows of its channels in ``used``;
    opening : jawOpen and the lip-opening channels; opening_rows : their rows in ``used``.
    """

    groups: list
    used: np.ndarray
    rows: tuple
    opening: np.ndarray
    opening_rows: np.ndarray


_PLANS: dict = {}


def _speech_plan(tab: VisemeTables) -> _SpeechPlan:
    """The (cached) :class:`_SpeechPlan` of ``tab``."""
    hit = _PLANS.get(id(tab))
    if hit is not None and hit[0] is tab:
        return hit[1]
    groups = [g for g in range(len(tab.groups)) if tab.group_channels[g].size]
    used = np.unique(np.concatenate([tab.group_channels[g] for g in groups]))
    row_of = {int(c): i for i, c in enumerate(used)}
    opening = np.concatenate([[_CH["jawOpen"]], tab.group_channels[tab.groups.index("open")]])
    plan = _SpeechPlan(
        groups=groups, used=used,
        rows=tuple(np.array([row_of[int(c)] for c in tab.group_channels[g]], dtype=np.int64)
                   for g in groups),
        opening=opening,
        opening_rows=np.array([row_of[int(c)] for c in opening if int(c) in row_of],
                              dtype=np.int64))
    _PLANS[id(tab)] = (tab, plan)
    return plan


_LOWER = np.array([_CH["mouthLowerDownLeft"], _CH["mouthLowerDownRight"]])
_UPPER = np.array([_CH["mouthUpperUpLeft"], _CH["mouthUpperUpRight"]])
_STRETCH = np.array([_CH["mouthStretchLeft"], _CH["mouthStretchRight"]])
_PRESS = np.array([_CH["mouthPressLeft"], _CH["mouthPressRight"]])
_LIPS = np.concatenate([_LOWER, _UPPER])
_RELEASED = np.array([_CH["mouthFunnel"], _CH["tongueOut"], _CH["mouthShrugLower"]])


def _apply_constraints(w: np.ndarray, t: np.ndarray, seg: Segments, tab: VisemeTables,
                       fps: float) -> None:
    """Bilabial closure and labiodental contact, in place on frame-rate weights ``w``
    [shape=(52, n_frames)] (channels first; ``t`` holds the frame times)."""
    jaw, close, funnel, pucker = (_CH[n] for n in ("jawOpen", "mouthClose", "mouthFunnel",
                                                   "mouthPucker"))
    roll_lower, shrug_lower = _CH["mouthRollLower"], _CH["mouthShrugLower"]

    lab = tab.constraints["labiodental"]
    c = constraint_envelope(t, seg, tab.is_labiodental[seg.phone], fps=fps,
                            ramp_before=lab["ramp_before_s"], ramp_after=lab["ramp_after_s"],
                            share=lab["neighbour_share"])
    w[jaw] += c * (np.minimum(w[jaw], lab["jaw_max"]) - w[jaw])
    w[roll_lower] = np.maximum(w[roll_lower], c * lab["roll_lower"])
    w[shrug_lower] = np.maximum(w[shrug_lower], c * lab["shrug_lower"])
    w[_UPPER] = np.maximum(w[_UPPER], c * lab["upper_up"])
    w[_LOWER] *= 1.0 - c
    w[funnel] *= 1.0 - c
    w[pucker] *= 1.0 - 0.5 * c

    bil = tab.constraints["bilabial"]
    c = constraint_envelope(t, seg, tab.is_bilabial[seg.phone], fps=fps,
                            ramp_before=bil["ramp_before_s"], ramp_after=bil["ramp_after_s"],
                            share=bil["neighbour_share"], onset=bil.get("onset", "cosine"),
                            release=bil.get("release", "cosine"))
    w[jaw] += c * (np.minimum(w[jaw], bil["jaw_max"]) - w[jaw])
    w[close] = c * w[jaw]                          # mouthClose == jawOpen seals the lips
    w[_PRESS] = np.maximum(w[_PRESS], c * bil["press"])
    keep = 1.0 - c
    w[_LIPS] *= keep
    w[_RELEASED] *= keep
    w[_STRETCH] *= 1.0 - 0.5 * c
