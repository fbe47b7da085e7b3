"""Viseme track: timed phones -> per-frame weights of the 15 Oculus/Meta visemes.

What it does
------------
The same machinery as the ARKit speech layer (:mod:`.coarticulation`), applied to one-hot
viseme targets: phones are normalised, diphthongs split (AY = aa -> ih), silence fills the
gaps, times move by ``style.lead_ms``; each segment's viseme is blended with its neighbours by
dominance functions (a consonant with low dominance, e.g. h or k, borrows the shape of the
vowel next to it), smoothed at 120 Hz (12 ms Gaussian), then the hard constraints of
bilabials (``PP``) and labiodentals (``FF``) are applied so a viseme rig closes its lips on
every p/b/m, even a 30 ms one, and sampled at the output rate.

The weights are a convex combination of one-hot vectors, so every frame sums to 1 (``sil``
takes what the others leave; ``articulation`` below 1 hands more weight to ``sil``, above 1
takes it away). That is the form viseme rigs (Oculus ``viseme_aa``, VRChat ``vrc.v_aa``, Ready
Player Me) expect, and :func:`visemes_to_arkit` turns a track into ARKit weights through the
per-viseme poses of ``rigs/data/visemes.json`` for a quick preview on an ARKit rig.

:func:`rhubarb_cues` gives the same phones as Rhubarb Lip Sync mouth cues (A-H, X), for
comparing against that tool or driving 2D mouth charts.

Why a separate track: viseme rigs are common (VRChat, Ready Player Me, Meta avatars) and the
track is a useful output on its own (JSON/CSV through ``core.io``); computing it from the same
segments keeps it in step with the ARKit layer.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ...rigs.visemes import VISEME_NAMES, load_viseme_tables, normalize_phone
from ..curves import PhoneTrack, VisemeTrack
from ..style import Style
from .coarticulation import (
    articulation_gain, blend, constraint_envelope, internal_grid, prepare_segments,
    style_values)
from .kernels import gaussian_filter1d
from ..timebase import check_fps

_SIL = VISEME_NAMES.index("sil")
_OTHERS = np.delete(np.arange(len(VISEME_NAMES)), _SIL)
_CONTACT = np.array([VISEME_NAMES[i] in ("PP", "FF") for i in _OTHERS])   # keep full weight


def viseme_track(phones: PhoneTrack, *, fps: float, n_frames: int,
                 style: Optional[Style] = None) -> VisemeTrack:
    """Per-frame weights of the 15 Oculus/Meta visemes.

    Parameters
    ----------
    phones : PhoneTrack
        ARPAbet phones (stress digits allowed), ``'sil'`` for silence, seconds.
    fps : float
        Output frame rate; frame ``i`` sits at ``i / fps``.
    n_frames : int
        Number of output frames.
    style : Style, optional
        ``articulation`` and ``lead_ms`` are used.

    Returns
    -------
    VisemeTrack
        ``names`` = the 15 visemes (``sil PP FF TH DD kk CH SS nn RR aa E ih oh ou``),
        ``values`` float32 [shape=(n_frames, 15)], each row non-negative and summing to 1.
    """
    fps = check_fps(fps)
    n_frames = int(n_frames)
    nv = len(VISEME_NAMES)
    if n_frames <= 0:
        return VisemeTrack(VISEME_NAMES, float(fps), np.zeros((0, nv), dtype=np.float32))
    tab = load_viseme_tables()
    dyn = tab.dynamics
    art, _, lead = style_values(style)
    seg = prepare_segments(phones, lead_s=lead)
    t, m = internal_grid(fps, n_frames)

    g = tab.groups.index("viseme")
    onehot = np.eye(nv)[tab.phone_viseme[seg.phone]]
    reach_scale = 1.4 - 0.4 * min(max(art, 0.0), 2.0)
    w = blend(t, seg, tab.dominance[seg.phone, g], onehot,
              reach_before=tab.reach_before[g] * reach_scale,
              reach_after=tab.reach_after[g] * reach_scale,
              window=int(dyn["window_segments"]))
    w = gaussian_filter1d(w, dyn["smooth_sigma_s"] * fps * m, axis=0, mode="nearest")

    # The constraints act frame by frame: apply them at the output frames only.
    w, t = w[::m], t[::m]
    for kind, vis in (("labiodental", "FF"), ("bilabial", "PP")):
        con = tab.constraints[kind]
        mask = tab.is_labiodental if kind == "labiodental" else tab.is_bilabial
        c = constraint_envelope(t, seg, mask[seg.phone], fps=fps,
                                ramp_before=con["ramp_before_s"],
                                ramp_after=con["ramp_after_s"], share=con["neighbour_share"],
                                onset=con.get("onset", "cosine"),
                                release=con.get("release", "cosine"))
        w *= (1.0 - c)[:, None]
        w[:, VISEME_NAMES.index(vis)] += c

    # Lip contacts keep full weight at any articulation: mumbled speech still closes on p/b/m.
    gain = np.where(_CONTACT, 1.0, articulation_gain(art))
    speech = w[:, _OTHERS] * gain
    total = speech.sum(1, keepdims=True)
    speech /= np.maximum(total, 1.0)            # never more than all of the weight
    w[:, _OTHERS] = speech
    w[:, _SIL] = 1.0 - speech.sum(1)
    return VisemeTrack(VISEME_NAMES, float(fps),
                       np.minimum(np.maximum(w, 0.0), 1.0).astype(np.float32))


def visemes_to_arkit(track: VisemeTrack) -> np.ndarray:
    """ARKit-52 weights of a viseme track through the per-viseme poses.

    Parameters
    ----------
    track : VisemeTrack
        Weights [n_frames, 15] in ``VISEME_NAMES`` order.

    Returns
    -------
    np.ndarray [shape=(n_frames, 52), dtype=float32]
        ``values @ viseme_poses``, clipped to [0, 1]. A simpler alternative to
        :func:`.coarticulation.speech_layer` (no per-phone jaw height, no loudness).
    """
    tab = load_viseme_tables()
    order = [tab.visemes.index(n) for n in track.names]
    vals = np.asarray(track.values, dtype=np.float64) @ tab.viseme_poses[order]
    return np.clip(vals, 0.0, 1.0).astype(np.float32)


def rhubarb_cues(phones: PhoneTrack, *, lead_ms: float = 0.0) -> list:
    """Rhubarb Lip Sync style mouth cues (A-H, X) of a phone track.

    Diphthongs are split like in the viseme track; consecutive equal shapes merge; gaps
    and the time before the first phone are ``X`` (rest).

    Parameters
    ----------
    phones : PhoneTrack
    lead_ms : float
        Milliseconds to move the cues earlier.

    Returns
    -------
    list of (float, str)
        ``(start_seconds, shape)`` in time order, as in Rhubarb's TSV output; the last cue
        is ``X`` at the end of the final phone.
    """
    tab = load_viseme_tables()
    seg = prepare_segments(phones, lead_s=lead_ms / 1000.0)
    shape_of = tab.rhubarb["phone_to_shape"]
    cues: list = []
    for p, s in zip(seg.phone, seg.start):
        shape = shape_of[tab.phones[p]]
        if not cues or cues[-1][1] != shape:
            cues.append((max(float(s), 0.0), shape))
    if cues and cues[0][0] == 0.0 and len(cues) > 1 and cues[1][0] <= 0.0:
        cues = cues[1:]
    return [(round(s, 4), shape) for s, shape in cues]


def phone_visemes(phones: PhoneTrack) -> tuple:
    """Viseme name of every phone in a track (no timing, no coarticulation)."""
    tab = load_viseme_tables()
    return tuple(tab.visemes[tab.phone_viseme[tab.phone_index[normalize_phone(p)]]]
                 for p in phones.phones)
