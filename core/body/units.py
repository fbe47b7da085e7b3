"""Realising gesture units as sub-movements for each hand (see :mod:`.plan`)."""
from __future__ import annotations

import numpy as np

from . import lexicon
from .plan import N_CH, target

_SIDES = ("left", "right")
#: How far a sub-movement reaches back before the previous arrival (1 = no overlap).
OVERLAP = 1.5


class _Hand:
    """Sub-movements of one hand: arrival times must increase."""

    def __init__(self, start_row: np.ndarray):
        self.moves = []            # (arrival s, duration s, target row)
        self.last_t = -1.0
        self.row = start_row

    def go(self, t_arrive: float, dur: float, row: np.ndarray) -> bool:
        if t_arrive <= self.last_t + 0.06:
            return False
        self.moves.append((t_arrive, max(dur, 0.08), row))
        self.last_t, self.row = t_arrive, row
        return True


def disp_o(rng, am: float) -> np.ndarray:
    """A small sympathetic move of the other hand (metres)."""
    return np.asarray(lexicon.BEATS[int(rng.integers(len(lexicon.BEATS)))][0]) * am \
        + rng.uniform(-0.03, 0.03, 3)


def _pick(rng, options, weights=None, avoid=None):
    idx = list(range(len(options)))
    if avoid is not None and len(idx) > 1:
        idx = [i for i in idx if options[i] != avoid] or idx
    w = None if weights is None else np.array([weights[i] for i in idx], float)
    return options[idx[int(rng.choice(len(idx), p=None if w is None else w / w.sum()))]]


def realise(units: list, *, seed: int, duration: float, handedness: str, speed: np.ndarray,
            amp: np.ndarray, fps: float, hand_height: float = 0.0):
    """Sub-movements per hand and the list of chosen gestures.

    Parameters
    ----------
    units : list of list of :class:`~.plan.Accent`
        Gesture units from :func:`~.plan.group_units`.
    seed : int
        Random choices are drawn per unit and per stroke from generators keyed by the seed
        and the stroke's frame, so a change of tempo or emotion elsewhere in the take does
        not reshuffle them.
    duration : float  take length, s.
    handedness : {"right", "left", "both"}
    speed, amp : np.ndarray [shape=(n_frames,)]
        Tempo and amplitude factors per frame (energy and emotion), 1 = neutral.
    fps : float
    hand_height : float  -1..1, raises or lowers the hold positions.

    Returns
    -------
    moves : dict side -> list of (arrival s, duration s, target row [N_CH])
    events : list of (apex time s, side, gesture name)
    """
    lift = np.array([0.0, 0.09 * hand_height, 0.0])
    rest = target(lexicon.REST, palm=0.0, pole=0.2)
    low = target(np.add(lexicon.LOW, lift * 0.5), palm=0.3, pole=0.35)
    listen = target(lexicon.LISTEN, palm=0.1, pole=0.3, shape={"relaxed": 1.0})
    hands = {s: _Hand(rest) for s in _SIDES}
    events = []
    n = speed.size
    prev_gesture = None
    dominant = "left" if handedness == "left" else "right"
    for u, unit in enumerate(units):
        rng = np.random.default_rng([seed, int(round(unit[0].t * fps)), 1])
        if handedness == "both":
            dom = _SIDES[u % 2]
        else:
            dom = dominant if rng.random() < 0.85 else ("left" if dominant == "right" else "right")
        other = "left" if dom == "right" else "right"
        both_beats = handedness == "both" or rng.random() < 0.35
        base = np.add(_pick(rng, lexicon.BASES), rng.uniform(-0.02, 0.02, 3)) + lift
        obase = np.add(_pick(rng, lexicon.BASES), rng.uniform(-0.02, 0.02, 3)) + lift
        if not both_beats:
            obase = 0.5 * (obase + np.add(lexicon.LOW, lift))
        beat_shape = {"relaxed": 1.0 - (w := rng.uniform(0.2, 0.8)), "open": w}
        unit_palm = rng.uniform(-0.3, 0.8)
        for i, acc in enumerate(unit):
            f = int(min(max(round(acc.t * fps), 0), n - 1))
            rng = np.random.default_rng([seed, f, 2])
            sp, am = float(speed[f]), float(amp[f]) * (0.8 + 0.4 * acc.strength)
            ds, dp = 0.23 / sp, 0.36 / sp
            g = None
            if acc.cls and rng.random() < 0.9:
                g = lexicon.GESTURES[lexicon.CLASS_GESTURE[acc.cls]]
            elif acc.strength > 0.6 and rng.random() < 0.4:
                names, weights = zip(*lexicon.PROSODIC)
                g = lexicon.GESTURES[_pick(rng, names, weights, avoid=prev_gesture)]
            if g is None:
                disp, palm = lexicon.BEATS[int(rng.integers(len(lexicon.BEATS)))]
                palm = 0.7 * unit_palm + 0.3 * palm          # a unit keeps its palm, roughly
                disp = np.asarray(disp) * am
                side_step = (1.0 if i % 2 else -1.0) * rng.uniform(0.03, 0.06) * am
                apex_pos = base + disp + [0.4 * side_step, 0.0, rng.uniform(-0.02, 0.02)]
                prep_pos = base - 0.6 * disp + [side_step, 0.02, -0.03 * am]
                apex = target(apex_pos, palm=palm, ext=-0.15, pole=0.5, shape=beat_shape)
                prep = target(prep_pos, palm=palm, ext=0.2, pole=0.5, shape=beat_shape)
                name = "beat"
            else:
                apex_pos = base + am * (np.asarray(g.apex) + lift - base)
                prep_pos = base + am * (np.asarray(g.prep if g.prep else g.apex) + lift - base)
                palm_prep = g.palm if g.palm_prep is None else g.palm_prep
                apex = target(apex_pos, palm=g.palm, ext=g.ext, pole=g.pole, collar=g.collar,
                              shape=g.shape)
                prep = target(prep_pos, palm=palm_prep, ext=0.0, pole=g.pole,
                              collar=0.3 * g.collar, shape=g.shape)
                name = g.name
            prev_gesture = name
            h = hands[dom]
            t_prep = acc.t - ds
            gap = t_prep - h.last_t
            h.go(t_prep, min(dp, max(0.15, 0.9 * gap + 0.1)), prep)
            if not h.go(acc.t, ds, apex):
                continue
            events.append((acc.t, dom, name))
            o = hands[other]
            if i == 0 and not (g is not None and g.two_handed):
                o.go(acc.t - 0.1, 0.7 / sp, target(obase, palm=0.3, pole=0.4,
                                                 shape={"relaxed": 1.0}))
            if g is not None and g.two_handed:
                o_apex = apex.copy()
                if g.other_apex is not None:
                    o_apex[:3] = base + am * (np.asarray(g.other_apex) + lift - base)
                o.go(t_prep, min(dp, max(0.15, 0.9 * (t_prep - o.last_t) + 0.1)), prep.copy())
                o.go(acc.t + 0.02, ds, o_apex)
                events.append((acc.t, other, name))
            elif both_beats and g is None:
                o_disp = disp * rng.uniform(0.6, 0.9)
                o.go(t_prep + 0.02, min(dp, max(0.15, 0.9 * (t_prep - o.last_t) + 0.1)),
                     target(obase - 0.7 * o_disp, palm=palm, ext=0.2, shape=beat_shape))
                o.go(acc.t + 0.03, ds, target(obase + o_disp, palm=palm, ext=-0.15,
                                              shape=beat_shape))
            elif rng.random() < 0.6:
                o.go(acc.t + 0.05, 1.3 * ds, target(obase + 0.5 * disp_o(rng, am),
                                                     palm=0.3, pole=0.4,
                                                     shape={"relaxed": 1.0}))
            # recoil towards the hold position when the next stroke is not close
            nxt = unit[i + 1].t if i + 1 < len(unit) else np.inf
            if nxt - acc.t > 0.75:
                back = target(base + rng.uniform(-0.02, 0.02, 3), palm=unit_palm, ext=0.0,
                              pole=0.5, shape=beat_shape)
                h.go(acc.t + 0.38 / sp, 0.4 / sp, back)
        # retraction when the speech pauses
        t_last = unit[-1].t
        t_next = units[u + 1][0].t if u + 1 < len(units) else duration + 10.0
        gap = t_next - t_last
        listens = np.random.default_rng([seed, int(round(t_last * fps)), 4]).random() < 0.6
        if gap > 5.0 and listens:                                     # listening stance
            for s in _SIDES:
                hands[s].go(t_last + 1.2, 1.0, listen)
        elif gap > 3.0:
            for s in _SIDES:
                hands[s].go(t_last + 1.1, 0.9, rest)
        elif gap > 1.6:
            for s in _SIDES:
                hands[s].go(t_last + 0.75, 0.6, low)
    _idle_adjustments(hands, np.random.default_rng([seed, 3]), duration, rest)
    return {s: _overlap(hands[s].moves, speed, fps) for s in _SIDES}, events


def _overlap(moves: list, speed: np.ndarray, fps: float, factor: float = OVERLAP,
             longest: float = 0.6) -> list:
    """Lengthen each move to ``factor`` times the time since the previous arrival (at most
    ``longest`` s at tempo 1), so it starts before the previous one ends: hands flow from
    stroke to stroke with dips in speed instead of stops (as in natural gesture)."""
    out, prev = [], None
    for t, d, row in moves:
        if prev is not None:
            sp = float(speed[int(min(max(round(t * fps), 0), speed.size - 1))])
            d = max(d, min(factor * (t - prev), longest / sp ** 0.5))
        out.append((t, d, row))
        prev = t
    return out


def _idle_adjustments(hands: dict, rng, duration: float, rest: np.ndarray) -> None:
    """Small hand adjustments in long rests: a shift of a few cm and a change of hand."""
    for s, h in hands.items():
        moves = list(h.moves)
        extra = []
        times = [0.0] + [m[0] for m in moves] + [duration]
        for a, b in zip(times[:-1], times[1:]):
            t = a + rng.uniform(1.5, 3.5)
            while t < b - 1.5:
                row = (moves[[m[0] for m in moves].index(a)][2] if a > 0 else rest).copy()
                row[:3] += rng.uniform(-0.025, 0.025, 3) * [1.0, 0.6, 1.0]
                row[7:] = 0.0
                row[7 + int(rng.integers(2))] = 1.0
                extra.append((t, rng.uniform(0.7, 1.2), row))
                t += rng.uniform(2.0, 5.0)
        h.moves = sorted(moves + extra, key=lambda m: m[0])
    return None
