"""Blinks and gaze: seeded eye behaviour driven by prosody and emotion.

Statistics (docs/EYES_HEAD.md): about 26 blinks/min while talking and 17/min at rest,
log-normal inter-blink intervals, a close of about 100 ms and a slower 100-300 ms
reopening, more blinks at phrase boundaries; speakers look at the listener less than half
the time (listeners about 75%), look away at phrase starts, mutual-gaze bouts near 2 s,
saccade durations on the main sequence (21 ms + 2.2 ms per degree).

Angle conventions (degrees inside, radians in the rotation channels): yaw > 0 turns the
eye to the character's own left, pitch > 0 looks up, roll is 0 (no torsion).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...rigs.arkit import ARKIT_NAMES, HEAD_EYE_NAMES
from ..curves import Prosody
from ..dsp import lfilter, uniform_filter1d
from ..emotion.drive import emotion_curves
from ..motion.signals import (activity_from_frames, ar1_noises, gaussian_bumps, min_jerk_steps,
                              phrase_bounds, prosody_frames, speaking_activity)
from ..motion.head import head_motion
from .kernels import seeded_rng

BLINK_RATE_TALK = 26.0      # blinks/min in conversation
BLINK_RATE_REST = 17.0      # blinks/min at rest
LOOK_RANGE_DEG = {"horizontal": 30.0, "up": 25.0, "down": 30.0}   # eyeLook* = 1 at these
LID_DOWN_GAIN = 0.45        # eyeBlink added per unit eyeLookDown (upper lid follows the eye)
WIDE_UP_GAIN = 0.25         # eyeWide added per unit eyeLookUp
GAZE_CHANNELS = ("eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
                 "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight")


@dataclass(frozen=True)
class BlinkEvents:
    """Blinks as events; all arrays [shape=(n_blinks,)], times in seconds.

    start_s : lid starts closing; close_s, hold_s, open_s : phase durations;
    amplitude : peak eyeBlink in (0, 1]; double : True for the second blink of a pair.
    """

    start_s: np.ndarray
    close_s: np.ndarray
    hold_s: np.ndarray
    open_s: np.ndarray
    amplitude: np.ndarray
    double: np.ndarray

    @property
    def duration_s(self) -> np.ndarray:
        return self.close_s + self.hold_s + self.open_s

    @property
    def closed_s(self) -> np.ndarray:
        """Time of full closure (start of the hold), seconds."""
        return self.start_s + self.close_s

    def __len__(self) -> int:
        return int(self.start_s.size)


def _render_blinks(ev: BlinkEvents, amps, fps: float, n_frames: int) -> np.ndarray:
    """Lid curves of the blink events, one column per amplitude array in ``amps``
    (each [shape=(len(ev),)]); the blink shapes are computed once. [n_frames, len(amps)]."""
    out = np.zeros((len(amps), n_frames))
    if len(ev) == 0:
        return out.T
    k = int(np.ceil(ev.duration_s.max() * fps)) + 2
    idx = np.floor(ev.start_s * fps).astype(np.int64)[:, None] + np.arange(k)
    x = idx / fps - ev.start_s[:, None]
    c, h, o = ev.close_s[:, None], ev.hold_s[:, None], ev.open_s[:, None]
    y1 = np.minimum(np.maximum(x / c, 0.0), 1.0)
    y2 = np.minimum(np.maximum((x - c - h) / o, 0.0), 1.0)
    v = np.where(x < c + h, y1 * y1 * (3.0 - 2.0 * y1), 1.0 - y2 * y2 * (3.0 - 2.0 * y2))
    on = (x >= 0.0) & (x <= c + h + o)
    ok = (idx >= 0) & (idx < n_frames)
    at = idx[ok]
    for row, amp in zip(out, amps):
        np.maximum.at(row, at, np.where(on, v * amp[:, None], 0.0)[ok])
    return out.T


def blink_layer(prosody: Prosody, *, fps: float, n_frames: int, seed: int = 0,
                rate: float = 1.0, emotion_weights=None, activity: np.ndarray = None):
    """Seeded blinks with conversational statistics.

    The blink rate follows speaking activity (17/min at rest to 26/min talking) times
    ``rate`` and emotion (fear/anxiety raise it, anger/concentration lower it, a rising
    surprise suppresses blinks for about a second); mass is moved towards phrase boundaries
    without changing the expected count. Blink times come from a renewal process with
    log-normal intervals in the time warped by the rate; about 7% are followed by a second
    (double) blink.

    Parameters
    ----------
    prosody : Prosody  frame features at ``fps`` (length ``n_frames`` +- 2).
    fps : float  frames per second.  n_frames : int  output length.
    seed : int  random seed.  rate : float  multiplies the blink rate (0 = no blinks).
    emotion_weights : dict of str -> np.ndarray [shape=(n_frames,)] or None.
    activity : np.ndarray [shape=(n_frames,)], optional
        ``speaking_activity`` of this prosody when the caller already has it.

    Returns
    -------
    curves : np.ndarray [shape=(n_frames, 2), dtype=float32]
        eyeBlinkLeft, eyeBlinkRight in [0, 1].
    events : BlinkEvents
    """
    rng = seeded_rng(seed, 0xB1)
    t = np.arange(n_frames) / fps
    act = speaking_activity(prosody, fps=fps, n_frames=n_frames) if activity is None else activity
    em = emotion_curves(emotion_weights, ("fear", "anger", "concentration", "surprise",
                                          "sadness", "arousal"), n_frames)
    base = (BLINK_RATE_REST + (BLINK_RATE_TALK - BLINK_RATE_REST) * act) / 60.0
    base = base * max(float(rate), 0.0)                                # blinks per second
    if emotion_weights:             # without emotion the gain is exp(0) * (1 - 0) = 1
        sur = em["surprise"]
        lag = uniform_filter1d(sur, max(1, int(1.5 * fps)),
                               origin=max(0, int(1.5 * fps) // 2 - 1),
                               mode="nearest") if sur.any() else sur  # mean of the last 1.5 s
        onset = np.minimum(np.maximum(2.0 * (sur - lag), 0.0), 1.0)
        base = base * (np.exp(0.4 * em["fear"] - 0.35 * em["anger"] - 0.5 * em["concentration"]
                              + 0.1 * em["sadness"] + 0.15 * em["arousal"]) * (1.0 - 0.9 * onset))
    ends, starts = phrase_bounds(prosody)
    bump = gaussian_bumps(t, ends + 0.15, 0.25) + 0.5 * gaussian_bumps(t, starts - 0.1, 0.25)
    shaped = base * (1.0 + 3.0 * np.minimum(np.maximum(bump, 0.0), 1.5))
    shaped *= base.sum() / max(shaped.sum(), 1e-12)                   # same expected count
    lam = np.concatenate([[0.0], np.cumsum(shaped[:-1]) / fps])       # expected blinks by t
    total = lam[-1]
    n_draw = int(total * 1.5) + 20
    sigma = 0.55                                                      # log-normal shape
    iv = rng.lognormal(-0.5 * sigma * sigma, sigma, n_draw)           # mean 1 in warped time
    iv[0] *= rng.random()
    u = np.cumsum(iv)
    u = u[u < total]
    ts = np.interp(u, lam, t) if u.size else np.zeros(0)
    ts = ts[np.r_[True, np.diff(ts) > 0.35]] if ts.size > 1 else ts   # refractory 0.35 s
    m = ts.size
    close = np.minimum(np.maximum(rng.normal(0.095, 0.015, m), 0.06), 0.14)
    hold = rng.uniform(0.02, 0.05, m)
    opn = np.minimum(np.maximum(rng.lognormal(np.log(0.18), 0.25, m), 0.10), 0.30)
    amp = np.where(rng.random(m) < 0.12, rng.uniform(0.6, 0.9, m), 1.0)
    frame_of = np.minimum(np.maximum((ts * fps).astype(np.int64), 0), n_frames - 1)
    p_double = 0.07 + 0.1 * em["fear"][frame_of]
    dbl = rng.random(m) < p_double
    d_start = ts[dbl] + close[dbl] + hold[dbl] + 0.5 * opn[dbl]
    nd = int(dbl.sum())
    start = np.concatenate([ts, d_start])
    close = np.concatenate([close, np.minimum(np.maximum(rng.normal(0.09, 0.012, nd), 0.06),
                                              0.14)])
    hold = np.concatenate([hold, rng.uniform(0.02, 0.04, nd)])
    opn = np.concatenate([opn, np.minimum(np.maximum(rng.lognormal(np.log(0.18), 0.25, nd), 0.10),
                                          0.30)])
    amp = np.concatenate([amp, rng.uniform(0.8, 1.0, nd)])
    is_d = np.concatenate([np.zeros(m, bool), np.ones(nd, bool)])
    # Snap full closure onto a frame so that a blink is always seen closed at any fps.
    start = np.round((start + close) * fps) / fps - close
    order = np.argsort(start, kind="stable")
    ok = start[order] + close[order] < (n_frames - 1) / fps + 1e-9
    sel = order[ok & (start[order] >= -close[order])]
    ev = BlinkEvents(start[sel], close[sel], hold[sel], opn[sel], amp[sel], is_d[sel])
    right_amp = np.minimum(np.maximum(ev.amplitude * (1.0 + rng.normal(0.0, 0.02, len(ev))),
                                      0.0), 1.0)
    curves = _render_blinks(ev, (ev.amplitude, right_amp), fps, n_frames)
    return curves.astype(np.float32, order="C"), ev


def _gaze_fixations(rng, prosody, act, em, *, fps, n_frames, frames=None):
    """Fixation list: start times (s), targets [n, 2] (yaw, pitch deg), at-listener flags.

    ``frames`` is :func:`~.head.prosody_frames` of the prosody when the caller has it."""
    dur = (n_frames - 1) / fps
    _, phrase_starts = phrase_bounds(prosody)
    loud, _, voi = prosody_frames(prosody, n_frames) if frames is None else frames
    speech = np.flatnonzero((voi > 0.5) | (loud > 0.08))
    if speech.size:    # the first phrase starts where speech first appears
        phrase_starts = np.concatenate([[speech[0] / fps], phrase_starts])
    phrase_starts = np.sort(phrase_starts[(phrase_starts > 0.3) & (phrase_starts < dur)])
    starts, targets, at_flags = [], [], []
    t, at = 0.0, True
    while t < dur or not starts:      # at least one fixation, even for a 1-frame take
        f = min(int(t * fps), n_frames - 1)
        s = act[f]
        e = {k: v[f] for k, v in em.items()}
        # Bout lengths (s): speakers hold mutual gaze ~2 s and look away longer; at rest
        # (listening) gaze stays on the partner ~75% of the time.
        med_at = (3.5 - 1.5 * s) * np.exp(0.6 * e["anger"] + 0.4 * e["happiness"]
                                          + 0.5 * e["surprise"] - 0.7 * e["sadness"]
                                          - 0.4 * e["fear"] - 0.5 * e["disgust"])
        med_away = (1.2 + 1.2 * s) * np.exp(0.6 * e["sadness"] + 0.3 * e["disgust"]
                                            - 0.4 * e["anger"])
        bout = rng.lognormal(np.log(med_at if at else med_away), 0.5)
        end = t + max(bout, 0.3)
        k = np.searchsorted(phrase_starts, t + 0.3)
        nxt = not at
        if k < phrase_starts.size and phrase_starts[k] - 0.1 < end:
            end = phrase_starts[k] - 0.1          # speakers avert gaze as a phrase begins
            nxt = rng.random() >= 0.7 * (1.0 - 0.5 * e["anger"])
        if at:
            centre = np.zeros(2)
        else:
            yaw = rng.uniform(6.0, 18.0) * (1.0 if rng.random() < 0.5 else -1.0)
            r = rng.random() - 0.3 * e["sadness"]
            pitch = (rng.uniform(-14, -5) if r < 0.45 else rng.normal(0, 2) if r < 0.75
                     else rng.uniform(5, 12))
            centre = np.array([yaw * (1.0 - 0.3 * e["sadness"]), pitch])
        # Re-fixations inside a bout: eyes <-> mouth on the partner's face, or a few degrees
        # around the averted target; fear makes them quicker, anger/sadness slower.
        fix_med = (0.7 if at else 0.9) * np.exp(-0.5 * e["fear"] + 0.4 * e["anger"]
                                                + 0.3 * e["sadness"])
        tt = t
        while True:
            eyes_or_mouth = 0.5 if rng.random() < 0.5 else -2.0     # on the partner's face
            jit = (np.array([rng.normal(0, 1.0), eyes_or_mouth + rng.normal(0, 0.4)])
                   if at else rng.normal(0.0, 1.5, 2))
            starts.append(tt)
            targets.append(centre + jit)
            at_flags.append(at)
            tt += max(rng.lognormal(np.log(fix_med), 0.45), 0.22)
            if tt > end - 0.22:     # no fixation shorter than 0.22 s (> any saccade)
                break
        t, at = max(end, starts[-1] + 0.22), nxt
    return np.array(starts), np.array(targets).reshape(-1, 2), np.array(at_flags, bool)


def gaze_angles(prosody: Prosody, *, fps: float, n_frames: int, seed: int = 0,
                amount: float = 1.0, emotion_weights=None,
                activity: np.ndarray = None) -> np.ndarray:
    """Seeded gaze direction relative to the listener, before head and vergence.

    Mutual-gaze and look-away bouts (speakers avert at phrase starts), re-fixations joined
    by main-sequence saccades, fixational drift and microsaccades (~1.2/s, ~0.2 deg).
    Emotion: sadness lowers and averts gaze, anger holds it, fear quickens re-fixations,
    surprise lifts it slightly. ``amount`` scales every angle (0 = straight ahead).
    ``activity`` is :func:`~.head.speaking_activity` of this prosody when the caller
    already has it.

    Returns
    -------
    np.ndarray [shape=(n_frames, 2), dtype=float64]  yaw, pitch in degrees.
    """
    rng = seeded_rng(seed, 0x6A2E)
    t = np.arange(n_frames) / fps
    frames = prosody_frames(prosody, n_frames)
    act = activity_from_frames(frames[0], frames[2], fps=fps) if activity is None else activity
    em = emotion_curves(emotion_weights, ("happiness", "sadness", "surprise", "fear", "anger",
                                          "disgust"), n_frames)
    starts, targets, _ = _gaze_fixations(rng, prosody, act, em, fps=fps, n_frames=n_frames,
                                         frames=frames)
    amp = np.concatenate([[0.0], np.hypot(*np.diff(targets, axis=0).T)])
    sacc = np.minimum(np.maximum(0.021 + 0.0022 * amp, 0.02), 0.2)   # main sequence, seconds
    g = min_jerk_steps(t, starts, targets, sacc)            # [n_frames, 2] degrees
    n_ms = rng.poisson(1.2 * t[-1] + 1) if n_frames > 1 else 0
    ms_t = np.sort(rng.uniform(0, t[-1] if n_frames > 1 else 0.0, n_ms))
    g += rng.normal(0.0, 0.2, (n_ms + 1, 2))[np.searchsorted(ms_t, t)]
    g += ar1_noises(rng, n_frames, fps=fps, tau_s=0.4, stds=(0.12, 0.12))
    sm, su = em["sadness"], em["surprise"]             # an all-zero curve filters to itself
    sm = uniform_filter1d(sm, max(1, int(0.5 * fps)), mode="nearest") if sm.any() else sm
    su = uniform_filter1d(su, max(1, int(0.2 * fps)), mode="nearest") if su.any() else su
    g[:, 1] += -6.0 * sm + 3.0 * su
    return g * max(float(amount), 0.0)


def head_follow(gaze_deg: np.ndarray, *, fps: float) -> np.ndarray:
    """Head share of large gaze shifts (eye-head coordination), radians [n_frames, 3].

    Beyond 8 deg of yaw (6 of pitch) the head takes 35% (20%) of the excess, lagging the
    eyes through a critically damped 0.12 s response; small shifts are eyes only.
    """
    g = np.asarray(gaze_deg, dtype=np.float64)
    ex = np.sign(g) * np.maximum(np.abs(g) - np.array([8.0, 6.0]), 0.0) * np.array([0.35, 0.2])
    a = float(np.exp(-1.0 / max(0.12 * fps, 1e-6)))
    for _ in range(2):
        ex = lfilter([1.0 - a], [1.0, -a], ex, axis=0, zi=(a * ex[:1]))[0] if len(ex) else ex
    return np.radians(np.concatenate([ex, np.zeros((len(ex), 1))], axis=1))


def gaze_layer(prosody: Prosody, *, fps: float, n_frames: int, seed: int = 0,
               amount: float = 1.0, emotion_weights=None, head_rotation=None,
               vergence_deg: float = 1.0, gaze_deg=None) -> dict:
    """Eye channels of :func:`gaze_angles`, with vergence, head compensation and lids.

    Parameters
    ----------
    prosody, fps, n_frames, seed, amount, emotion_weights : as :func:`gaze_angles`.
    head_rotation : np.ndarray [shape=(n_frames, 3)], radians, or None
        HeadYaw, HeadPitch, HeadRoll; when given (and ``amount > 0``) the eyes
        counter-rotate (gain 0.85) so gaze stays on its target, and counter-roll by 10%.
    vergence_deg : float  each eye turns in by this much (listener about 1.8 m away).
    gaze_deg : np.ndarray [shape=(n_frames, 2)] or None  precomputed gaze_angles.

    Returns
    -------
    dict of str -> np.ndarray [shape=(n_frames,), dtype=float32]
        The 8 ``eyeLook*`` channels, ``eyeWideLeft/Right`` (looking up), lid closure from
        looking down as ``eyeBlinkLeft/Right``, and ``LeftEyeYaw/Pitch/Roll``,
        ``RightEyeYaw/Pitch/Roll`` in radians (yaw > 0: to the character's left,
        pitch > 0: up).
    """
    g = gaze_angles(prosody, fps=fps, n_frames=n_frames, seed=seed, amount=amount,
                    emotion_weights=emotion_weights) if gaze_deg is None else gaze_deg
    if amount <= 0:
        z = np.zeros(n_frames)
        return gaze_channels(z, z, z, z)
    yaw_l, yaw_r = g[:, 0] - vergence_deg, g[:, 0] + vergence_deg
    pitch, roll = g[:, 1].copy(), np.zeros(n_frames)
    if head_rotation is not None:       # vestibulo-ocular counter-rotation
        h = np.degrees(np.asarray(head_rotation, dtype=np.float64).reshape(n_frames, 3))
        yaw_l, yaw_r = yaw_l - 0.85 * h[:, 0], yaw_r - 0.85 * h[:, 0]
        pitch, roll = pitch - 0.85 * h[:, 1], roll - 0.1 * h[:, 2]
    # Keep eye-in-head within the oculomotor range (soft limit).
    lim = LOOK_RANGE_DEG["horizontal"] * 1.2
    yaw_l, yaw_r = lim * np.tanh(yaw_l / lim), lim * np.tanh(yaw_r / lim)
    pitch = np.where(pitch > 0, 30.0 * np.tanh(pitch / 30.0), 35.0 * np.tanh(pitch / 35.0))
    return gaze_channels(yaw_l, yaw_r, pitch, roll)


def gaze_channels(yaw_l, yaw_r, pitch, roll=None) -> dict:
    """ARKit eye channels and eye rotations from eye-in-head angles (degrees, [n_frames]).

    Left eye: outward = its yaw > 0 (to the character's left). Right eye: inward = its yaw
    > 0. Both eyes share pitch; looking down lowers the upper lids, up widens them.
    """
    hr, up_r, dn_r = LOOK_RANGE_DEG["horizontal"], LOOK_RANGE_DEG["up"], LOOK_RANGE_DEG["down"]
    roll = np.zeros_like(pitch) if roll is None else roll
    up, down = _unit(pitch / up_r), _unit(-pitch / dn_r)
    out = {
        "eyeLookDownLeft": down, "eyeLookInLeft": _unit(-yaw_l / hr),
        "eyeLookOutLeft": _unit(yaw_l / hr), "eyeLookUpLeft": up,
        "eyeLookDownRight": down, "eyeLookInRight": _unit(yaw_r / hr),
        "eyeLookOutRight": _unit(-yaw_r / hr), "eyeLookUpRight": up,
        "eyeWideLeft": WIDE_UP_GAIN * up, "eyeWideRight": WIDE_UP_GAIN * up,
        "eyeBlinkLeft": LID_DOWN_GAIN * down, "eyeBlinkRight": LID_DOWN_GAIN * down,
        "LeftEyeYaw": np.radians(yaw_l), "LeftEyePitch": np.radians(pitch),
        "LeftEyeRoll": np.radians(roll), "RightEyeYaw": np.radians(yaw_r),
        "RightEyePitch": np.radians(pitch), "RightEyeRoll": np.radians(roll),
    }
    return {k: np.asarray(v, dtype=np.float32) for k, v in out.items()}


def _unit(x: np.ndarray) -> np.ndarray:
    """``np.clip(x, 0, 1)`` for float arrays, without the wrapper's overhead."""
    return np.minimum(np.maximum(x, 0.0), 1.0)


def combine_lids(blinks: np.ndarray, gaze: dict) -> dict:
    """Merge blink curves [n_frames, 2] (L, R) into gaze channels; blinks always win.

    ``eyeBlink = lid + (1 - lid) * blink`` (a full blink stays 1 whatever the gaze) and
    ``eyeWide *= 1 - blink``. Returns a new dict (float32 [n_frames] values).
    """
    out = dict(gaze)
    for j, side in enumerate(("Left", "Right")):
        b = np.asarray(blinks[:, j], dtype=np.float64)
        lid = np.asarray(gaze.get(f"eyeBlink{side}", 0.0), dtype=np.float64)
        out[f"eyeBlink{side}"] = _unit(lid + (1.0 - lid) * b).astype(np.float32)
        if f"eyeWide{side}" in gaze:
            out[f"eyeWide{side}"] = (gaze[f"eyeWide{side}"] * (1.0 - b)).astype(np.float32)
    return out


def performance_layers(prosody: Prosody, *, fps: float, n_frames: int, seed: int = 0,
                       style=None, emotion_weights=None) -> dict:
    """Blinks, gaze and head rotation in one call, switchable through ``style``.

    Parameters
    ----------
    prosody : Prosody.  fps : float.  n_frames : int.  seed : int.
    style : core.style.Style or any object with ``blink_rate``, ``gaze_amount``,
        ``head_amount`` (floats) and ``eyes``, ``blinks``, ``head`` (bools); None or a
        missing attribute means the default (1.0 / True).
    emotion_weights : dict of str -> np.ndarray [shape=(n_frames,)] or None.

    Returns
    -------
    dict of str -> np.ndarray [shape=(n_frames,), dtype=float32]
        Always the 9 rotation channels of ``rigs.arkit.HEAD_EYE_NAMES`` (radians, zeros
        for a part that is off); ARKit channels only for the parts that are on:
        ``eyeBlinkLeft/Right`` (blinks merged over gaze-driven lid closure, blinks win),
        the 8 ``eyeLook*`` and ``eyeWideLeft/Right`` when eyes are on. These are absolute
        weights in [0, 1] for the compositor (see docs/EYES_HEAD.md for mixing rules).
    """
    def opt(name, default):
        v = getattr(style, name, default) if style is not None else default
        return default if v is None else v

    zeros = np.zeros(n_frames, np.float32)
    out = {name: zeros.copy() for name in HEAD_EYE_NAMES}
    g = head = None
    ga, ha, br = (float(opt(k, 1.0)) for k in ("gaze_amount", "head_amount", "blink_rate"))
    eyes_on, head_on, blinks_on = opt("eyes", True), opt("head", True) and ha > 0, \
        opt("blinks", True) and br > 0
    # Every part follows the same speaking activity: compute it once.
    act = speaking_activity(prosody, fps=fps, n_frames=n_frames) \
        if eyes_on or head_on or blinks_on else None
    if eyes_on:
        g = gaze_angles(prosody, fps=fps, n_frames=n_frames, seed=seed, amount=ga,
                        emotion_weights=emotion_weights, activity=act)
    if head_on:
        head = head_motion(prosody, fps=fps, n_frames=n_frames, seed=seed, amount=ha,
                           emotion_weights=emotion_weights, activity=act).astype(np.float64)
        if g is not None:       # the head joins large gaze shifts
            head += min(ha, 1.0) * head_follow(g, fps=fps)
        for j, name in enumerate(HEAD_EYE_NAMES[:3]):
            out[name] = head[:, j].astype(np.float32)
    gaze = {}
    if g is not None:
        gaze = gaze_layer(prosody, fps=fps, n_frames=n_frames, seed=seed, amount=ga,
                          head_rotation=head, gaze_deg=g)
    if blinks_on:
        blinks, _ = blink_layer(prosody, fps=fps, n_frames=n_frames, seed=seed, rate=br,
                                emotion_weights=emotion_weights, activity=act)
        gaze = combine_lids(blinks, gaze)
    out.update(gaze)
    return out


def layers_for_compose(layers: dict, *, n_frames: int):
    """Pack :func:`performance_layers` output for ``core.face.compose.compose``.

    Returns
    -------
    eyes : np.ndarray [shape=(n_frames, 58), dtype=float32]
        ARKit-52 weights (zeros where this layer is silent) then the 6 eye rotations.
    head : np.ndarray [shape=(n_frames, 3), dtype=float32]  HeadYaw/Pitch/Roll, radians.
    """
    eyes = np.zeros((n_frames, len(ARKIT_NAMES) + 6), np.float32)
    for j, name in enumerate(ARKIT_NAMES + HEAD_EYE_NAMES[3:]):
        if name in layers:
            eyes[:, j] = layers[name]
    head = np.stack([layers[n] for n in HEAD_EYE_NAMES[:3]], axis=1).astype(np.float32)
    return eyes, head
