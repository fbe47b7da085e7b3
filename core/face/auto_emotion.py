"""An automatic emotion track suggested from the speech itself.

Arousal comes from prosody, valence from the words, both as tracks over time; every
``hop_s`` seconds the (valence, arousal, dominance) point becomes a basic-emotion mixture
through :func:`~core.face.emotion.vad_to_mixture`, scaled by ``amount``, and the samples are
returned as an :class:`~core.face.timeline.EmotionTimeline` that the user can accept, scale
(``.scaled(0.5)``), merge with own keys (``.merged(...)``) or replace.

**Arousal** (documented heuristic after the vocal-affect literature, e.g. Banse & Scherer 1996,
Juslin & Laukka 2003: high arousal raises pitch variability, loudness and speech rate), per
window of ``window_s`` seconds, each part clipped to [-1, 1]:

- pitch: ``(std of f0 in semitones over voiced frames - 3) / 2`` (2 s windows of calm read
  speech (CMU ARCTIC, LJ Speech) vary about 2-4 semitones, excited speech more);
- loudness: ``(mean loudness_db of voiced frames - clip median over voiced frames) / 6 dB``;
- rate: ``(acoustic onsets per second - 5) / 2.5`` (read speech: 4-7 onsets/s).

``arousal = 0.45 pitch + 0.35 loudness + 0.2 rate`` in speech (a negative value counts half:
calm speech is not sad), decaying to 0 in silence.
**Dominance** follows the loudness part (``0.5 * loudness``).

**Valence** from the transcript with the VADER lexicon (Hutto & Gilbert 2014; MIT licence,
``rigs/data/lexicon_sentiment_vader.txt``): each word's valence (-4 .. 4) is flipped and
damped (``* -0.74``) after a negation within three words and boosted by intensifiers (VADER's
rules, simplified); word scores are summed with a Gaussian kernel (sigma ``sigma_s``) around
each word's time and normalised like VADER's compound score, ``S / sqrt(S^2 + 15)``. Word
times come from the phone track when given, else the words are spread over the voiced part.
"""
from __future__ import annotations

import re
from typing import Optional

import numpy as np

from ...rigs import facs
from ..curves import PhoneTrack, Prosody
from ..errors import EmotionSpecError
from .emotion import check_intensity, vad_to_mixture
from .timeline import EmotionTimeline

NEGATIONS = {"not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "cannot",
             "without", "isnt", "arent", "wasnt", "dont", "doesnt", "didnt", "wont", "cant",
             "couldnt", "shouldnt", "wouldnt", "aint", "hardly"}
BOOSTERS = {"very": 0.293, "really": 0.293, "so": 0.293, "extremely": 0.293, "totally": 0.293,
            "absolutely": 0.293, "incredibly": 0.293, "most": 0.293, "quite": 0.2,
            "slightly": -0.293, "barely": -0.293, "somewhat": -0.2, "kinda": -0.2}
VADER_ALPHA = 15.0
PITCH_REF_ST = 3.0     # f0 std (semitones) of a 2 s window of calm read speech
RATE_REF = 5.0         # acoustic onsets per second of calm read speech
CALM_SHARE = 0.5       # below-reference arousal counts half: calm speech is not sad
NEGATION_SCALE = -0.74
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def word_valences(words) -> np.ndarray:
    """VADER valence of each word (-4 .. 4) after negation and booster rules [shape=(n,)]."""
    lex = facs.sentiment_lexicon()
    toks = [str(w).lower() for w in words]
    out = np.zeros(len(toks))
    for i, w in enumerate(toks):
        v = lex.get(w, lex.get(w.replace("'", ""), 0.0))
        if v == 0.0:
            continue
        for back in range(1, 4):
            if i - back < 0:
                break
            prev = toks[i - back].replace("'", "")
            if prev in NEGATIONS:
                v *= NEGATION_SCALE
                break
            if back == 1 and prev in BOOSTERS:
                v += np.sign(v) * BOOSTERS[prev]
        out[i] = v
    return out


def _word_times(text: Optional[str], phones: Optional[PhoneTrack], voiced_t: np.ndarray):
    """Words and their centre times (s): from the phone track, else spread over voiced time."""
    if phones is not None and len(phones) and any(phones.words):
        words, times, prev = [], [], None
        for ph, w, a, b in zip(phones.phones, phones.words, phones.starts, phones.ends):
            if not w or ph == "sil":
                prev = None
                continue
            if w != prev:
                words.append(w)
                times.append([a, b])
            else:
                times[-1][1] = b
            prev = w
        return [w.lower() for w in words], np.array([0.5 * (a + b) for a, b in times])
    words = _WORD.findall((text or "").lower().replace("’", "'"))
    if not words:
        return [], np.zeros(0)
    if voiced_t.size:
        lo, hi = float(voiced_t[0]), float(voiced_t[-1])
    else:
        lo, hi = 0.0, 0.0
    return words, lo + (np.arange(len(words)) + 0.5) / len(words) * (hi - lo)


def valence_track(t: np.ndarray, words, word_t: np.ndarray, *, sigma_s: float = 1.5) -> np.ndarray:
    """Valence in [-1, 1] at times ``t`` [shape=(n,)] from words at times ``word_t``."""
    vals = word_valences(words)
    s = np.zeros(len(t))
    order = np.argsort(t)
    ts = t[order]
    for v, tw in zip(vals, np.asarray(word_t, dtype=np.float64)):
        if v == 0.0:
            continue
        a, b = np.searchsorted(ts, [tw - 4 * sigma_s, tw + 4 * sigma_s])   # kernel support
        s[order[a:b]] += v * np.exp(-0.5 * ((ts[a:b] - tw) / sigma_s) ** 2)
    return s / np.sqrt(s * s + VADER_ALPHA)


def arousal_track(prosody: Prosody, t: np.ndarray, *, window_s: float = 2.0) -> tuple:
    """Arousal and dominance in [-1, 1] at times ``t`` from prosody (see module doc).

    Returns
    -------
    arousal, dominance : np.ndarray [shape=(len(t),)]
    """
    fps = float(prosody.fps)
    f0 = np.asarray(prosody.f0, dtype=np.float64)
    voi = np.asarray(prosody.voicing, dtype=np.float64)
    loud = np.asarray(prosody.loudness, dtype=np.float64)
    db = (np.asarray(prosody.loudness_db, dtype=np.float64) if prosody.loudness_db is not None
          else 20.0 * np.log10(np.maximum(loud, 1e-3)))
    frame_t = np.arange(len(f0)) / fps
    voiced = (f0 > 0) & (voi > 0.5)
    ref_db = float(np.median(db[voiced])) if voiced.any() else float(np.median(db))
    onsets = np.asarray(prosody.onsets, dtype=np.float64)
    ar, dom = np.zeros(len(t)), np.zeros(len(t))
    onsets = np.sort(onsets)
    lo_idx = np.searchsorted(frame_t, t - window_s / 2, side="left")
    hi_idx = np.searchsorted(frame_t, t + window_s / 2, side="right")
    n_onsets = (np.searchsorted(onsets, t + window_s / 2, side="right")
                - np.searchsorted(onsets, t - window_s / 2, side="left"))
    for i in range(len(t)):
        a, b = lo_idx[i], hi_idx[i]
        v = voiced[a:b]
        speech_share = v.sum() / max(b - a, 1)
        if v.sum() < 3:
            continue
        f0_v, db_v = f0[a:b][v], db[a:b][v]
        semis = 12.0 * np.log2(f0_v / np.median(f0_v))
        pitch = np.clip((semis.std() - PITCH_REF_ST) / 2.0, -1, 1)
        level = np.clip((db_v.mean() - ref_db) / 6.0, -1, 1)
        rate = n_onsets[i] / window_s
        rate = np.clip((rate - RATE_REF) / 2.5, -1, 1)
        weight = min(1.0, speech_share / 0.3)          # fades out towards silence
        a = np.clip(0.45 * pitch + 0.35 * level + 0.2 * rate, -1, 1)
        ar[i] = weight * (a if a > 0 else CALM_SHARE * a)
        dom[i] = weight * 0.5 * level
    return ar, dom


def auto_emotion(prosody: Prosody, *, text: Optional[str] = None,
                 phones: Optional[PhoneTrack] = None, amount: float = 0.6,
                 hop_s: float = 0.5, window_s: float = 2.0, sigma_s: float = 1.5,
                 return_vad: bool = False):
    """Suggest an emotion timeline from prosody (arousal) and wording (valence).

    Parameters
    ----------
    prosody : Prosody
        From ``core.speech.prosody.analyze_prosody``.
    text : str, optional
        Transcript (used when ``phones`` carries no words).
    phones : PhoneTrack, optional
        Timed phones with their words: word times for the valence track.
    amount : float
        Overall intensity of the suggestion, 0 .. 1.5 (0.6: a subtle, believable default).
    hop_s, window_s, sigma_s : float
        Key spacing, prosody window and valence kernel width, seconds.
    return_vad : bool
        Also return ``(times [n], vad [n, 3])`` for inspection.

    Returns
    -------
    EmotionTimeline (and, with ``return_vad``, the times and VAD track)
    """
    amount = check_intensity("amount", amount, what="auto-emotion amount")
    if not (hop_s > 0 and window_s > 0 and sigma_s > 0):
        raise EmotionSpecError("hop_s, window_s and sigma_s must be positive seconds")
    if not isinstance(prosody, Prosody):
        raise EmotionSpecError("auto_emotion needs the Prosody of the speech "
                               "(core.speech.prosody.analyze_prosody)")
    n = len(prosody.loudness)
    duration = (n - 1) / float(prosody.fps) if n else 0.0
    t = np.arange(0.0, duration + 1e-9, hop_s)
    if t.size == 0:
        t = np.zeros(1)
    voiced_t = np.flatnonzero(np.asarray(prosody.f0) > 0) / float(prosody.fps)
    words, word_t = _word_times(text, phones, voiced_t)
    val = valence_track(t, words, word_t, sigma_s=sigma_s)
    ar, dom = arousal_track(prosody, t, window_s=window_s)
    vad = np.clip(np.stack([val, ar, dom], axis=1), -1.0, 1.0)
    mixes = [{k: min(1.5, w * amount) for k, w in vad_to_mixture(*p).items()} for p in vad]
    timeline = EmotionTimeline.from_samples(t, mixes)
    return (timeline, t, vad) if return_vad else timeline


__all__ = ["auto_emotion", "arousal_track", "valence_track", "word_valences"]
