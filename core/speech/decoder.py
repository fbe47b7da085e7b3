"""The pocketsphinx decoder: one per process, its dictionary, and the two alignment passes.

The low layer under ``align.py`` (phone timing with a transcript) and ``recognize.py``
(without one): a decoder started with an empty dictionary to which words are added on
demand (``ensure_words``), a grammar pass that finds which words a piece holds
(``align_prefix``), and a state-level pass for phone times (``align_pcm``). Settings from
docs/FIELD_NOTES.md.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AlignmentError, TranscriptError
from .g2p import ARPABET, g2p
from .lexicon import pronunciations

SR = 16000
#: name prefix of the stand-in words that hold the stretch of words with no Latin spelling
#: (``align.stand_in_words``); their fit does not judge a piece
STAND_IN_PREFIX = "talkrig_unspelled_"
_lock = threading.RLock()
_decoder = None
EMPTY_DICT = Path(__file__).with_name("data") / "empty.dict"
FRAME_S = 0.01
#: Transcript check on the mean alignment score per frame (pocketsphinx log units; each
#: frame relative to the best senone of the aligned words' and of a free loop of every
#: context-free phone, :func:`.hmm_align.align_fixed`). Measured with
#: ``python -m bench.transcript_check``: correct transcripts LJ Speech -16 .. -35 (median
#: -24), clipped -33 .. -50, noisy -29 .. -41, Festival -15 .. -32, espeak -25 .. -48;
#: other sentences -70 .. -85 or no alignment; half-wrong transcripts -37 .. -66. Above
#: GOOD_SCORE the transcript is accepted, below BAD_SCORE rejected; in between the same
#: audio is recognised without the transcript, aligned to its own recognised phones, and
#: the transcript is rejected if it scores more than REF_MARGIN worse per frame than that
#: free reference (correct ones score better). That comparison is made on pocketsphinx's
#: own state-pass scale (:data:`CHECK_STATE_PASS`: the piece's words and the reference
#: aligned again by it), where it was measured: on the numpy pass's scale no margin keeps
#: both errors as low (``bench.transcript_check`` cases sent to the cross-check: margin 13
#: accepts 23 of 57 half-wrong espeak sentences, 7.5 rejects the correct LJ001-0031;
#: pocketsphinx's scale with 10 accepts 7 of 58 and rejects no correct one).
GOOD_SCORE = -30.0
BAD_SCORE = -70.0
REF_MARGIN = 10.0
#: A piece scoring between FAIR_SCORE and GOOD_SCORE is also accepted without the
#: cross-check when none of its words scores below WORD_BAD_SCORE per frame: a correct
#: transcript on audio the acoustic model fits poorly (synthetic voices, noise, clipping)
#: scores uniformly mediocre, while a partly wrong one leaves words that fit far worse.
#: Measured with ``python -m bench.transcript_check``: half-wrong transcripts that align
#: score -37.0 .. -66.1 per frame (LJ Speech, 20 of 32) and -44.3 .. -67.5 (espeak, 59 of
#: 96), other sentences -69.9 .. -84.8; none is accepted by either rule (the worst word of
#: the -37.0 one scores -164). Correct ones accepted without the cross-check: LJ Speech 97%,
#: clipped 28%, noisy 75%, espeak 83%, Festival 97% (pocketsphinx's pass with the old
#: thresholds: 97 / 25 / 38 / 94 / 100%).
FAIR_SCORE = -40.0
WORD_BAD_SCORE = -75.0
#: share of the audio whose alignment failed above which the transcript is rejected
MISMATCH_FAILED_SHARE = 0.35
PHONES = ARPABET
#: Gaussians per codebook scored each frame (pocketsphinx default 4). Measured on 79 s of
#: LJSpeech, one core: 2 aligns 24x -> 27x real time with the same boundaries (32 clips
#: vs MFA median 20 ms, p90 40 ms; ARCTIC a0009 median 10 ms).
TOPN = 2
#: Frame downsampling of the acoustic scorer (pocketsphinx ``ds``): full Gaussian search on
#: every DS-th frame, the frames between scored on the previous frame's best Gaussians.
DS = 1

#: Stand-in words for runs of transcript words with no Latin spelling: ``<prefix><n>`` is
#: pronounced as ``n`` schwas (one per estimated syllable, at most MAX_STAND_IN).
@dataclass
class Aligned:
    """Result of aligning one piece: timed phones and the acoustic fit."""

    phones: list          # (phone, start_s, end_s, word, word_index)
    score: float          # summed pocketsphinx score over all frames
    frames: int
    word_scores: tuple = ()   # (score, frames) of each transcript word, fillers left out

    def worst_word(self) -> float:
        """Lowest score per frame of any word (0.0 when there are none)."""
        return min((sc / fr for sc, fr in self.word_scores if fr > 0), default=0.0)


def decoder():
    """The process-wide pocketsphinx decoder for alignment (created once).

    Settings follow docs/FIELD_NOTES.md: ``bestpath=False`` and very wide beams, or
    alignment fails with "impossible duration" on some files; ``topn`` is :data:`TOPN`.
    The dictionary starts empty (``data/empty.dict``): :func:`ensure_words` adds the words
    a transcript uses, with every pronunciation the CMU dictionary lists (``lexicon.py``),
    which saves loading all 134,860 entries (0.09 s CPU) in every process.
    """
    global _decoder
    with _lock:
        if _decoder is None:
            try:
                from pocketsphinx import Decoder, get_model_path
            except ImportError as err:          # pragma: no cover - dependency missing
                raise AlignmentError("pocketsphinx is not installed; run "
                                     "'pip install pocketsphinx==5.1.1'") from err
            mp = get_model_path()
            _decoder = Decoder(hmm=f"{mp}/en-us/en-us", dict=str(EMPTY_DICT),
                               lm=None, bestpath=False, beam=1e-80, wbeam=1e-60,
                               pbeam=1e-80, topn=TOPN, ds=DS, loglevel="FATAL")
        return _decoder


def reset_decoder_state() -> None:
    """Reset the decoder's front end so a call's phones depend only on its own audio.

    pocketsphinx adapts its noise estimate and cepstral mean across utterances;
    ``reinit_feat`` rebuilds both (microseconds, where a fresh decoder costs about 0.15 s
    per call). Words added to the dictionary stay, which changes no other word's result.
    """
    with _lock:
        if _decoder is not None:
            _decoder.reinit_feat()


def ensure_words(words, prons=None) -> None:
    """Add words missing from the decoder's dictionary.

    Phones come from ``prons`` (``{word: phones}``) where given, else from the CMU
    dictionary (every pronunciation: ``read``, ``read(2)``), else from g2p.
    """
    dec = decoder()
    with _lock:
        entries = []
        for w in dict.fromkeys(words):
            if dec.lookup_word(w) is not None:
                continue
            given = (prons or {}).get(w)
            listed = [] if given else pronunciations(w)
            if listed:
                entries += [(w if k == 0 else f"{w}({k + 1})", p) for k, p in enumerate(listed)]
                continue
            phones = [p for p in (given or g2p(w)) if p in PHONES]
            if not phones:
                raise TranscriptError(f"no pronunciation for the word {w!r}; "
                                      "spell it out in letters")
            entries.append((w, " ".join(phones)))
        for i, (name, phones) in enumerate(entries):
            dec.add_word(name, phones, i == len(entries) - 1)


def _base(name: str) -> str:
    return name.split("(")[0]


def _ps_alignment(dec):
    """pocketsphinx's finished state pass as [(word, [(phone, start, frames, score)])]."""
    # never call dec.hyp() after set_alignment(): it crashes pocketsphinx 5.1.1
    alignment = dec.get_alignment()
    if alignment is None:
        return None
    return [(w.name, [(p.name, p.start, p.duration, p.score) for p in w]) for w in alignment]


def _read_alignment(alignment, n_words: int, offset_s: float, first_index: int):
    """Timed phones of a state pass's words ``[(word, [(phone, start, frames, score)])]``
    (:func:`_ps_alignment`, :func:`_own_state_pass`), or None."""
    if alignment is None:
        return None
    out, score, frames, idx, words = [], 0.0, 0, first_index - 1, []
    last_pause, after_stand_in = None, False
    for w_name, phones in alignment:
        name = _base(w_name)
        filler = name.startswith("<") or name.startswith("[")
        if not filler:
            idx += 1
        w_score, w_frames = 0.0, 0
        for p_name, p_start, p_frames, p_score in phones:
            ph = "sil" if filler or p_name not in PHONES else p_name
            start = offset_s + p_start * FRAME_S
            end = offset_s + (p_start + p_frames) * FRAME_S
            out.append((ph, start, end, "" if filler else name, -1 if filler else idx))
            w_score += p_score
            w_frames += p_frames
        # A stand-in's stretch (with the pauses either side, which the aligner may have
        # given part of it) is recognised afterwards: its poor fit does not judge the piece.
        if name.startswith(STAND_IN_PREFIX):
            if last_pause is not None:
                score, frames = score - last_pause[0], frames - last_pause[1]
            last_pause, after_stand_in = None, True
            continue
        if filler and after_stand_in:
            after_stand_in = False
            continue
        last_pause, after_stand_in = ((w_score, w_frames) if filler else None), False
        score += w_score
        frames += w_frames
        if not filler:
            words.append((w_score, w_frames))
    if idx - first_index + 1 != n_words:
        return None
    return Aligned(out, score, frames, tuple(words))


#: filler words of the grammar pass -> the acoustic model's filler phones
FILLER_PHONES = {"<sil>": "SIL", "<s>": "SIL", "</s>": "SIL", "[NOISE]": "+NSN+",
                 "[SPEECH]": "+SPN+"}
#: Which code times the phones after the grammar pass: 'own' (:func:`_own_state_pass`,
#: the same pass in numpy, :mod:`.hmm_align`: the same phones and words, times within a
#: frame, about 2.3x cheaper) or 'pocketsphinx' (``set_alignment``; its scores are on another
#: scale, so the transcript check's thresholds hold for 'own' only: a reference for tests).
STATE_PASS = "own"
#: the state pass whose scores the transcript check's cross-check compares (REF_MARGIN)
CHECK_STATE_PASS = "pocketsphinx"


def _own_state_pass(dec, pcm: bytes):
    """pocketsphinx's state pass done by :func:`.hmm_align.align_fixed` on the grammar
    pass's words, pronunciations, pauses and word frames; same output as
    :func:`_ps_alignment`. Call with ``_lock`` held, right after the grammar pass."""
    from .hmm_align import align_fixed
    from .mfcc import cepstra, features
    units, names = [], []
    for seg in dec.seg():
        word = seg.word
        if word.startswith("("):                 # a null arc's segment: a pause
            word = "<sil>"
        if word in FILLER_PHONES or word.startswith(("<", "[", "+")):
            phones = [FILLER_PHONES.get(word, "SIL")]
        else:
            phones = dec.lookup_word(word).split()
        units.append((phones, int(seg.start_frame), int(seg.end_frame - seg.start_frame + 1)))
        names.append(word)
    samples = np.frombuffer(pcm, dtype=np.int16)
    segs = align_fixed(features(cepstra(samples)), units)
    if segs is None:
        return None
    return list(zip(names, segs))


def _state_pass(dec, pcm: bytes, n_words: int, offset_s: float, first_index: int,
                mode=None):
    """Phone/state alignment of the words the decoder's last (grammar) pass found.

    ``set_alignment`` takes the word sequence and word boundaries of the current
    hypothesis (whatever grammar produced it), so the pass that found the words is never
    repeated. Call with ``_lock`` held, right after a decode whose hypothesis is not None.
    With ``mode`` (default :data:`STATE_PASS`) 'own' the pass runs in numpy instead
    (:func:`_own_state_pass`).
    """
    if (mode or STATE_PASS) == "own":
        return _read_alignment(_own_state_pass(dec, pcm), n_words, offset_s, first_index)
    try:
        dec.set_alignment()
        dec.start_utt()
        dec.process_raw(pcm, full_utt=True)
        dec.end_utt()
    except RuntimeError:
        return None
    return _read_alignment(_ps_alignment(dec), n_words, offset_s, first_index)


def align_pcm(pcm: bytes, words, *, offset_s: float = 0.0, first_index: int = 0,
              state_pass=None):
    """Force-align ``words`` to 16 kHz 16-bit PCM (words missing from the decoder's
    dictionary are added first, see :func:`ensure_words`).

    Two passes: pocketsphinx's grammar pass that reads exactly ``words`` (optional pauses
    between them) finds the pronunciations and word boundaries, then a state-level pass
    inside those boundaries gives phone times and scores (``state_pass``, 'own' or
    'pocketsphinx'; default :data:`STATE_PASS`).

    Returns
    -------
    Aligned or None
        None where pocketsphinx finds no path through the words (transcript does not
        fit, or the audio is too short for it).
    """
    if not words:
        return None
    ensure_words(words)
    dec = decoder()
    with _lock:
        try:
            dec.set_align_text(" ".join(words))
            dec.start_utt()
            dec.process_raw(pcm, full_utt=True)
            dec.end_utt()
            if dec.hyp() is None:
                return None
        except RuntimeError:
            return None
        return _state_pass(dec, pcm, len(words), offset_s, first_index, state_pass)


def _prefix_fsg(dec, words):
    """Grammar that reads ``words`` in order and may stop after any of them.

    Every word has two arcs: on to the next word (0.9) or straight to the final state
    (0.1), so the path holds no empty (null) arcs and its segmentation can seed
    ``set_alignment`` directly.
    """
    m = len(words)
    trans = []
    for i, w in enumerate(words):
        if i < m - 1:
            trans += [(i, i + 1, 0.9, w), (i, m, 0.1, w)]
        else:
            trans.append((i, m, 1.0, w))
    return dec.create_fsg("talkrig_prefix", 0, m, trans)


def align_prefix(pcm: bytes, words, *, offset_s: float = 0.0, first_index: int = 0):
    """Align the longest run of ``words`` (from the first) that a piece of audio holds.

    One grammar pass with :func:`_prefix_fsg` decides how many words the piece holds and
    where they lie; the state pass then times their phones (two passes in all, the same
    as :func:`align_pcm` on a known word list).

    Returns
    -------
    take : int
        How many of ``words`` the piece holds (0 when the decoder finds nothing).
    aligned : Aligned or None
        The alignment of ``words[:take]``; None when ``take`` is 0 or the state pass fails.
    """
    if not words:
        return 0, None
    ensure_words(words)
    dec = decoder()
    with _lock:
        try:
            dec.add_fsg("talkrig_prefix", _prefix_fsg(dec, words))
            dec.activate_search("talkrig_prefix")
            dec.start_utt()
            dec.process_raw(pcm, full_utt=True)
            dec.end_utt()
            if dec.hyp() is None:
                return 0, None
            take = sum(1 for s in dec.seg() if not s.word.startswith(("<", "[", "(")))
        except RuntimeError:
            return 0, None
        if take == 0:
            return 0, None
        return take, _state_pass(dec, pcm, take, offset_s, first_index)


def prefix_words(pcm: bytes, words) -> int:
    """How many of ``words`` (from the first) a piece of audio holds (0 if none)."""
    return align_prefix(pcm, words)[0]


