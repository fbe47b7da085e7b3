"""``generate_body``: speech, word timing, prosody and emotion -> SMPL-X upper-body curves.

Rule-based, with no gesture data set behind it: strokes land on stressed syllables and
accents (:mod:`.plan`), shaped gestures come from the words (:mod:`.lexicon`), units are
realised as overlapping minimum-jerk sub-movements (:mod:`.units`), arms are solved by
inverse kinematics under joint limits and body capsules (:mod:`.synth`,
:mod:`.constraints`). The pelvis and legs stay still (upper-body mode), the neck and head
take the face's head rotation (one head), fingers hold blended hand shapes.

Emotion directions (per frame, from the same emotion curves the face uses): anger faster,
sharper, more forward; sadness slower, lower, closed; happiness wider, higher, more open;
fear retracted (back, in, shoulders up); surprise raised.
"""
from __future__ import annotations

import numpy as np

from ...rigs.skeletons import smplx
from ..curves import BodyCurves, Prosody
from ..errors import BodyOptionError, CurveFormatError
from . import constraints, lexicon, plan, synth, units
from .settings import BodySettings

EMOTIONS = ("happiness", "sadness", "surprise", "fear", "anger")
# Per emotion (weight 1): tempo, amplitude, wrist offset (x out, y up, z forward, metres,
# left-hand convention), collar lift (rad), forward lean (rad), pole (elbows out), palm up,
# extra shape weights (open, fist).
EMOTION_SHAPING = {
    "anger": dict(speed=0.35, amp=0.5, off=(0.0, -0.02, 0.05), collar=0.0, lean=0.09,
                  pole=0.1, palm=-0.3, open=0.0, fist=0.6),
    "sadness": dict(speed=-0.35, amp=-0.45, off=(-0.05, -0.09, -0.05), collar=-0.03,
                    lean=0.08, pole=-0.3, palm=0.0, open=-0.3, fist=0.0),
    "happiness": dict(speed=0.15, amp=0.3, off=(0.07, 0.05, 0.02), collar=0.0, lean=-0.02,
                      pole=0.25, palm=0.4, open=0.6, fist=0.0),
    "fear": dict(speed=0.2, amp=-0.35, off=(-0.05, 0.02, -0.08), collar=0.09, lean=-0.04,
                 pole=-0.3, palm=-0.2, open=0.0, fist=0.3),
    "surprise": dict(speed=0.1, amp=0.15, off=(0.02, 0.09, 0.0), collar=0.07, lean=-0.03,
                     pole=0.1, palm=0.3, open=0.7, fist=0.0),
}


def _emotion_curves(emotion_weights, n_frames: int) -> dict:
    from ..emotion.drive import emotion_curves
    return emotion_curves(emotion_weights, EMOTIONS, n_frames)


def _frames(a, n: int, what: str) -> np.ndarray:
    a = np.nan_to_num(np.asarray(a, dtype=np.float64).reshape(-1))
    if a.size == 0 or abs(a.size - n) > 2:
        raise CurveFormatError(f"prosody.{what} has {a.size} frames but n_frames={n}: compute "
                               "prosody at the same fps and duration as the body")
    return a[:n] if a.size >= n else np.pad(a, (0, n - a.size), mode="edge")


def _head(head, n: int):
    """The face's head channels as float64 [n, 3] (within 2 frames trimmed or padded)."""
    if head is None:
        return None
    h = np.nan_to_num(np.asarray(head, dtype=np.float64))
    if h.ndim != 2 or h.shape[1] != 3 or h.shape[0] == 0 or abs(h.shape[0] - n) > 2:
        raise CurveFormatError(f"head must be [n_frames={n}, 3] (HeadYaw, HeadPitch, HeadRoll "
                               f"in radians from the face curves), got shape {h.shape}")
    return h[:n] if h.shape[0] >= n else np.pad(h, ((0, n - h.shape[0]), (0, 0)), mode="edge")


def _f0z(f0: np.ndarray, voi: np.ndarray, fps: float) -> np.ndarray:
    v = (f0 > 40.0) & (voi > 0.3)
    if v.sum() < 3:
        return np.zeros(f0.size)
    lf = np.log(np.where(v, f0, 1.0))
    mu, sd = np.median(lf[v]), max(float(np.std(lf[v])), 0.05)
    idx = np.flatnonzero(v)
    z = np.interp(np.arange(f0.size), idx, (lf[idx] - mu) / sd)
    from scipy.ndimage import gaussian_filter1d
    return gaussian_filter1d(z, 0.1 * fps, mode="nearest")


def _activity(loud: np.ndarray, voi: np.ndarray, fps: float) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d
    raw = np.maximum(voi > 0.5, loud > 0.08).astype(np.float64)
    return np.clip(2.5 * uniform_filter1d(raw, max(1, int(round(3.0 * fps))), mode="nearest"), 0, 1)


def generate_body(*, fps: float, n_frames: int, prosody: Prosody, phones=None,
                  emotion_weights=None, head=None, settings: BodySettings = None,
                  seed: int = 0) -> BodyCurves:
    """SMPL-X body curves for one take.

    Parameters
    ----------
    fps : float  frames per second.
    n_frames : int  frames of the take (the face's).
    prosody : Prosody  loudness, f0, voicing, onsets, phrase breaks at ``fps``.
    phones : PhoneTrack, optional  timed phones with words and lexical stress.
    emotion_weights : dict, optional  emotion name -> float64 [n_frames] (or scalar).
    head : np.ndarray [shape=(n_frames, 3)], optional
        HeadYaw, HeadPitch, HeadRoll (radians) of the face curves; neck and head take it.
    settings : BodySettings  gesture amount, energy, hand height, handedness.
    seed : int

    Returns
    -------
    BodyCurves  55 joints, axis-angle float32 [n_frames, 55, 3], zero translation.
    """
    settings = settings if settings is not None else BodySettings()
    if not isinstance(settings, BodySettings):
        raise BodyOptionError(f"settings must be a BodySettings, got {type(settings).__name__}")
    n = int(n_frames)
    if n < 1 or not (fps > 0 and np.isfinite(fps)):
        raise BodyOptionError(f"a body needs n_frames >= 1 and fps > 0, got {n_frames!r}, {fps!r}")
    seed = int(seed) & 0xFFFFFFFF
    # independent streams per stage, so one stage's draws never shift another's
    r_sel, r_noise, r_breath, r_spine, r_hand = (np.random.default_rng(s) for s in
                                                 np.random.SeedSequence([seed, 0xB0D7]).spawn(5))
    loud = _frames(prosody.loudness, n, "loudness")
    f0 = _frames(prosody.f0, n, "f0")
    voi = _frames(prosody.voicing, n, "voicing")
    f0z = _f0z(f0, voi, fps)
    active = _activity(loud, voi, fps)
    breaks = np.asarray(prosody.phrase_breaks, dtype=np.float64).reshape(-1, 2)
    emo = _emotion_curves(emotion_weights, n)
    k = {key: sum(EMOTION_SHAPING[e][key] * emo[e] for e in EMOTIONS) for key in
         ("speed", "amp", "collar", "lean", "pole", "palm", "open", "fist")}
    off = sum(np.asarray(EMOTION_SHAPING[e]["off"])[None, :] * emo[e][:, None] for e in EMOTIONS)
    energy, amount = settings.energy, settings.gesture_amount
    speed = np.clip((0.55 + 0.45 * energy) * (1.0 + k["speed"]), 0.45, 2.2) * np.ones(n)
    amp = np.clip((0.6 + 0.4 * energy) * (0.55 + 0.45 * min(amount, 1.6)) * (1.0 + k["amp"]),
                  0.25, 1.8) * np.ones(n)

    # 1. strokes and units
    if phones is not None and len(phones) and any(phones.words):
        accents = plan.accents_from_phones(phones, loud, f0z, fps)
    else:
        accents = plan.accents_from_prosody(prosody.onsets, loud, f0z, fps)
    min_gap = 0.36 / (0.7 + 0.3 * max(amount, 0.3)) / (0.55 + 0.45 * energy) ** 0.3
    strokes = plan.select_strokes(accents, min_gap=min_gap, keep=min(amount, 1.0), rng=r_sel)
    duration = (n - 1) / fps
    moves, events = units.realise(plan.group_units(strokes, breaks), seed=seed, duration=duration,
                                  handedness=settings.handedness, speed=speed, amp=amp, fps=fps,
                                  hand_height=settings.hand_height)
    rest = plan.target(lexicon.REST, palm=0.0, pole=0.2)
    chans = {s: synth.submovements(moves[s], rest, n, fps) for s in ("left", "right")}

    # 2. liveliness, emotion and the settings' offsets
    lively = (0.35 + 0.65 * active) * np.sqrt(amp * speed)
    for s, c in chans.items():
        c[:, 0:3] += synth.smooth_noise(r_noise, n, 3, fps=fps, sigma_s=0.15,
                                        std=[0.012, 0.012, 0.010]) * lively[:, None]
        c[:, 0:3] += synth.smooth_noise(r_noise, n, 3, fps=fps, sigma_s=0.05,
                                        std=[0.0012, 0.0012, 0.0012]) * lively[:, None]
        c[:, 3] += synth.smooth_noise(r_noise, n, 1, fps=fps, sigma_s=0.3, std=0.08)[:, 0]
        c[:, 0:3] += off
        c[:, 3] += k["palm"]
        c[:, 5] = np.clip(c[:, 5] + k["pole"], 0.0, 1.0)
        c[:, 6] += k["collar"]
        c[:, 7 + 1] += np.maximum(k["open"], 0.0) * 0.8
        c[:, 7 + 3] += k["fist"] * 0.8
        c[:, 7] += np.maximum(-k["open"], 0.0)

    # 3. skeleton: spine, breathing, arms, fingers, neck and head
    rot = np.zeros((n, smplx.N_JOINTS, 3))
    breath = synth.breathing(n, fps, breaks, active, r_breath)
    for s in chans:
        chans[s][:, 6] += 0.02 * breath
    # The torso follows the hands a little (a linear map of both wrists' targets, so its
    # speed dips where theirs do), and the clavicles rise and reach with the arm.
    (xl, yl, zl), (xr, yr, zr) = chans["left"][:, 0:3].T, chans["right"][:, 0:3].T
    spine = synth.spine_rotations(
        n, fps, r_spine, breath=breath,
        lean=k["lean"] + 0.10 * (0.5 * (zl + zr) - 0.22) - 0.05 * (0.5 * (yl + yr) - 1.05),
        twist=0.12 * (xl - xr) + 0.10 * (zl - zr), side_lean=0.06 * (yl - yr) + 0.05 * (xl - xr))
    for s in chans:
        c = chans[s]
        c[:, 6] += 0.22 * np.maximum(c[:, 1] - 1.0, 0.0) + 0.05 * (c[:, 2] - 0.2)
    for j, name in enumerate(("spine1", "spine2", "spine3")):
        rot[:, smplx.INDEX[name]] = spine[:, j]
    for s, f in synth.fingers(chans, r_hand, fps).items():     # fingers first: the body check
        rot[:, list(smplx.FINGERS[s])] = f                          # sees the real hand
    synth.pose_arms(rot, chans, fps=fps)
    neck, head_aa = synth.head_rotations(_head(head, n), n)
    rot[:, smplx.INDEX["neck"]] = neck
    rot[:, smplx.INDEX["head"]] = head_aa
    constraints.clamp_limits(rot)
    return BodyCurves(smplx.JOINT_NAMES, fps, rot.astype(np.float32), np.zeros((n, 3), np.float32),
                      gestures=tuple(events))


def gesture_events(body: BodyCurves) -> tuple:
    """The gestures :func:`generate_body` planned: (apex time s, side, name) tuples."""
    return body.gestures
