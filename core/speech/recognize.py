"""Phone recognition without a transcript.

Route: a phoneme network (:mod:`.phone_net`) gives IPA phones grouped into words: hama
1.7.0's network, shipped as ``models/phonemes_hama17.onnx`` and run by onnxruntime on every
platform (Windows included). Their CTC timing is coarse (spikes
35-45 ms late, 20 ms frames), so the piece is force-aligned to the recognised words for
precise boundaries, in one Viterbi pass over pocketsphinx's acoustic model
(:mod:`.hmm_align`, features by :mod:`.mfcc`; about 3x cheaper than pocketsphinx's two
passes, boundaries as close to the truth). The transcript check's free reference
(``stats``) is aligned like a transcript instead (:func:`.decoder.align_pcm`, pocketsphinx's
two passes, on the scale the cross-check was measured on); ``use_aligner`` picks that
route for the bench. Each word is also
offered with a v/f read as b/p (``BILABIAL_ALTERNATIVES``, a bilabial second opinion the
aligner settles acoustically), and a piece whose alignment fails is retried once with faint
seeded dither (digital silence inside speech, :data:`DITHER_DB`). Audio is cut at pauses
into pieces of :data:`PIECE_MIN_S`-:data:`PIECE_MAX_S` s; the network hears each with
:data:`CONTEXT_S` of context either side (``chunking.with_context``).

Fallback (when a piece's alignment fails, or the network or onnxruntime cannot be loaded on
this platform: never silent, see :func:`recognizer_status` and :func:`recognizer_warnings`):
pocketsphinx word recognition with its bundled language model, then forced alignment of the
recognised words; if even that finds nothing, pocketsphinx's allphone (phone-loop)
segmentation is used.

Heavy pieces load on first use only: onnxruntime and the network on the first recognition,
pocketsphinx's decoders when a piece needs them.
"""
from __future__ import annotations

import sys
import threading

import numpy as np

from ..errors import AlignmentError, ModelRuntimeError
from .decoder import SR, PHONES, align_pcm, ensure_words
from .chunking import (has_digital_silence, merge_segments, pcm16, split_at_pauses,
                       with_context)
from .variants import (BILABIAL_ALTERNATIVES, bilabial_variants, offered,  # noqa: F401
                       pronunciations_of, pseudo_word)
from .phone_net import (BILABIAL_EVIDENCE, BILABIAL_FORCE, EVIDENCE_GUARD,  # noqa: F401
                        EVIDENCE_REACH, HOP, IPA_TO_ARPABET, VOWELS, HamaWord,
                        RecognisedWord, bilabial_tokens, decode_piece, evidence_alternatives,
                        ipa_to_arpabet, phone_net)

#: Noise floor given to signals with digital silence (:func:`dithered`): seeded Gaussian
#: noise DITHER_DB below the RMS level of the signal's active frames, at least
#: DITHER_MIN_STD (-70 dBFS, 10 LSB of 16-bit PCM). Synthetic voices (espeak-ng, Festival)
#: write stop closures and pauses as runs of exact zeros; pocketsphinx's front end finds no
#: path through such frames (4 of 24 espeak en-us/m3 sentences aligned undithered) and
#: fits a bare -70 dBFS floor poorly. Measured on 48 espeak sentences with transcripts
#: (8 voice/rate pairs): a fixed -70 dBFS floor gives median score -25.9/frame, boundary
#: error median 10.8 / p90 33.4 ms, and 58% of pieces need the transcript cross-check
#: (11.3x real time); 33 dB below speech gives -21.3/frame, 10.3 / 30.5 ms, 15% checked,
#: 24.6x; half-wrong transcripts detected 48/48 in both. Real recordings without digital
#: silence are never dithered.
DITHER_DB = 33.0
DITHER_MIN_STD = 3.0e-4

#: Pieces for the network and the aligner (seconds), cut at pauses (``split_at_pauses``).
PIECE_MIN_S, PIECE_MAX_S, PIECE_TARGET_S = 4.0, 12.0, 8.0
#: Audio either side of a piece that the network hears (seconds; 25 output frames).
CONTEXT_S = 0.5
#: Recognisers: the network through onnxruntime (shipped), hama 1.7.0's engine (bench
#: comparison only, needs ``hama==1.7.0``), pocketsphinx alone.
RECOGNIZERS = ("onnx", "hama", "pocketsphinx")
#: Aligners of the recognised words: one Viterbi pass of our own over pocketsphinx's
#: acoustic model (:mod:`.hmm_align`, the default), or pocketsphinx's own two passes
#: (kept for the transcript check's reference score and the bench's comparison).
ALIGNERS = ("viterbi", "pocketsphinx")
#: ``PhoneTrack.warnings`` code when the network could not run and pocketsphinx recognised.
FALLBACK_WARNING = "recognizer_fallback"

_lock = threading.RLock()
_preferred = "auto"     # what engine='auto' means in this process (use_recognizer)
_aligner = "viterbi"    # use_aligner
_used = False           # recognize_rows ran since the last reset_state
_lm_decoder = None
_phone_decoder = None

# names earlier versions exported
_bilabial_tokens = bilabial_tokens
_evidence_alternatives = evidence_alternatives


def choose_recognizer(platform: str = sys.platform, preferred: str = "auto") -> str:
    """Which recogniser runs on ``platform`` (a ``sys.platform`` value).

    'auto' is the shipped ONNX network ('onnx') on every platform: hama 1.7.0's network
    rebuilt for onnxruntime, the same recognition as hama's own engine ('hama', the bench's
    reference where ``pip install hama==1.7.0`` works; no Windows binary) at about 18x its
    speed (``python -m bench --only recognizer``). 'pocketsphinx' is pocketsphinx alone.

    Raises
    ------
    AlignmentError
        For an unknown name, or 'hama' on Windows.
    """
    if preferred not in ("auto",) + RECOGNIZERS:
        raise AlignmentError(f"unknown recognition engine {preferred!r}; use 'auto', "
                             + ", ".join(repr(r) for r in RECOGNIZERS))
    if preferred == "hama" and platform == "win32":
        raise AlignmentError("hama 1.7.0's engine has no Windows binary; use 'onnx'")
    return "onnx" if preferred == "auto" else preferred


def use_recognizer(name: str = "auto") -> None:
    """Set what ``engine='auto'`` picks in this process ('auto' restores the default).
    For the bench's side-by-side runs; the product always runs 'auto'."""
    global _preferred
    choose_recognizer(sys.platform, name)
    with _lock:
        _preferred = name


def use_aligner(name: str = "viterbi") -> None:
    """Set which aligner times the recognised words in this process (:data:`ALIGNERS`).
    For the bench's side-by-side runs; the product always runs 'viterbi'."""
    global _aligner
    if name not in ALIGNERS:
        raise AlignmentError(f"unknown aligner {name!r}; use " + " or ".join(ALIGNERS))
    with _lock:
        _aligner = name


def _network_or_reason(name: str):
    """(network, '') or (None, reason it cannot run here)."""
    if name == "pocketsphinx":
        return None, "pocketsphinx chosen"
    try:
        return phone_net(name), ""
    except ModelRuntimeError as err:
        return None, str(err)


def _auto_network():
    """(network or None, name, reason) for engine 'auto': the chosen network, else None
    (pocketsphinx alone) with the reason."""
    name = choose_recognizer(sys.platform, _preferred)
    net, why = _network_or_reason(name)
    return net, name, why


def recognizer_status(platform: str = sys.platform) -> tuple:
    """``(name, reason)``: which recogniser ``engine='auto'`` runs in this process, and why.

    Loads the network on first call (as the first recognition would). ``name`` is 'onnx',
    'hama' or 'pocketsphinx'; ``reason`` names the model and runtime version, or says why
    the network cannot run here (then pocketsphinx recognises, and the bake's report
    carries :func:`recognizer_warnings`).
    """
    if platform != sys.platform:
        name = choose_recognizer(platform, _preferred)
        return name, f"what engine 'auto' picks on {platform}"
    net, name, why = _auto_network()
    if net is not None:
        return net.name, net.detail + (f"; {why}" if why else "")
    if name == "pocketsphinx":
        return name, "pocketsphinx alone was asked for"
    return "pocketsphinx", f"the {name} phoneme network cannot run here: {why}"


def recognizer_warnings() -> tuple:
    """``PhoneTrack.warnings`` entries for recognition in this process: one
    ``(FALLBACK_WARNING, message)`` pair when the network could not run, else ()."""
    net, name, why = _auto_network()
    if name == "pocketsphinx" and net is None and why == "pocketsphinx chosen":
        return ()
    if net is not None:
        return ()
    return ((FALLBACK_WARNING, f"phonemes were recognised by pocketsphinx alone (less "
                               f"accurate lip-sync): {why}"),)


def recognition_source() -> str:
    """``PhoneTrack.source`` of recognition in this process: 'recognize' (network +
    alignment) or 'recognize:pocketsphinx' (the network cannot run here)."""
    return "recognize" if _auto_network()[0] is not None else "recognize:pocketsphinx"


def recognition_summary() -> tuple:
    """``(recognizer, warnings)`` for the PhoneTrack being built: ``recognizer`` is
    ``"<name>: <reason>"`` (:func:`recognizer_status`) when :func:`recognize_rows` ran since
    the last :func:`reset_state`, else ''; ``warnings`` is :func:`recognizer_warnings` then,
    else ()."""
    if not _used:
        return "", ()
    name, why = recognizer_status()
    return f"{name}: {why}", recognizer_warnings()


def decode_words(x: np.ndarray, *, evidence: bool = True, engine: str = "auto") -> list:
    """Recognised words of a whole piece of 16 kHz speech as :class:`RecognisedWord`.

    With ``evidence``, words near frames where the network's b/p/m posterior mass reaches
    ``BILABIAL_EVIDENCE`` but its greedy path emits no bilabial get alternatives with
    that bilabial inserted (and substituted for the nearest consonant); the forced
    alignment then keeps whichever pronunciation the acoustics fit best. Words whose
    evidence reaches ``BILABIAL_FORCE`` are marked ``forced``: :func:`network_rows`
    offers only their bilabial pronunciations.
    """
    name = choose_recognizer(sys.platform, _preferred if engine == "auto" else engine)
    if name == "pocketsphinx":
        raise AlignmentError("decode_words needs a phoneme network, not pocketsphinx")
    return decode_piece(phone_net(name), np.asarray(x, dtype=np.float32), evidence=evidence)


def dither_std(x: np.ndarray) -> float:
    """Noise level for :func:`dithered`: :data:`DITHER_DB` below the RMS of the frames
    (10 ms) within 20 dB of the loudest one, at least :data:`DITHER_MIN_STD`."""
    frames = np.asarray(x, dtype=np.float32)[:len(x) // 160 * 160].reshape(-1, 160)
    power = np.einsum("ij,ij->i", frames, frames) / 160.0
    peak = float(power.max(initial=0.0))
    if peak <= 0.0:
        return DITHER_MIN_STD
    level = float(np.sqrt(power[power >= 0.01 * peak].mean()))
    return max(DITHER_MIN_STD, level * 10.0 ** (-DITHER_DB / 20.0))


def dithered(x: np.ndarray, *, seed: int = 0, std=None) -> np.ndarray:
    """``x`` plus seeded Gaussian noise (standard deviation ``std``, default
    :func:`dither_std` of ``x``)."""
    x = np.asarray(x, dtype=np.float32)
    std = dither_std(x) if std is None else std
    noise = np.random.default_rng(seed).standard_normal(len(x)).astype(np.float32)
    return x + np.float32(std) * noise


def align_piece(x: np.ndarray, words, *, offset_s: float = 0.0, state_pass=None):
    """Force-align ``words`` to a piece; where that fails, once more on a dithered copy
    (digital silence inside speech, see :data:`DITHER_DB`). Returns ``Aligned`` or None.
    ``state_pass`` as in :func:`.decoder.align_pcm`."""
    res = align_pcm(pcm16(x), words, offset_s=offset_s, state_pass=state_pass)
    if res is None and len(x):
        res = align_pcm(pcm16(dithered(x)), words, offset_s=offset_s, state_pass=state_pass)
    return res


def _reference_pass(stats):
    """The state pass of an alignment: the cross-check's (:data:`.decoder.CHECK_STATE_PASS`)
    when ``stats`` asks for the transcript check's free reference, else the default."""
    from .decoder import CHECK_STATE_PASS
    return CHECK_STATE_PASS if stats is not None else None


def add_variants(names, prons, extra=None) -> None:
    """Add ``name(2)``, ``name(3)``... for the bilabial variants of each pseudo-word:
    :func:`bilabial_variants` of its phones plus ``extra[name]`` (lists of phones), in the
    order :func:`offered` gives them."""
    from .decoder import decoder
    dec = decoder()
    with _lock:
        for name in dict.fromkeys(names):
            alts = offered(prons[name], (extra or {}).get(name, ()))[1:]
            for k, alt in enumerate(alts, start=2):
                alt_name = f"{name}({k})"
                if dec.lookup_word(alt_name) is None:
                    dec.add_word(alt_name, " ".join(alt), True)


def _sphinx_decoder(kind: str):
    global _lm_decoder, _phone_decoder
    from pocketsphinx import Decoder, get_model_path
    mp = get_model_path()
    common = dict(hmm=f"{mp}/en-us/en-us", loglevel="FATAL")
    with _lock:
        if kind == "lm":
            if _lm_decoder is None:
                _lm_decoder = Decoder(lm=f"{mp}/en-us/en-us.lm.bin",
                                      dict=f"{mp}/en-us/cmudict-en-us.dict", **common)
            return _lm_decoder
        if _phone_decoder is None:
            _phone_decoder = Decoder(allphone=f"{mp}/en-us/en-us-phone.lm.bin", lm=None,
                                     bestpath=False, **common)
        return _phone_decoder


def reset_state() -> None:
    """Drop the fallback decoders (they adapt noise and cepstral-mean estimates across
    utterances), so results never depend on what this process decoded before."""
    global _lm_decoder, _phone_decoder, _used
    with _lock:
        _lm_decoder = _phone_decoder = None
        _used = False


def _decode_segments(dec, pcm: bytes) -> list:
    dec.start_utt()
    dec.process_raw(pcm, full_utt=True)
    dec.end_utt()
    if dec.hyp() is None:
        return []
    return list(dec.seg())


def _add_stats(stats, res) -> None:
    if stats is not None and res is not None:
        stats["score"] = stats.get("score", 0.0) + res.score
        stats["frames"] = stats.get("frames", 0) + res.frames


def sphinx_rows(x: np.ndarray, *, offset_s: float = 0.0, stats=None) -> list:
    """Timed phones of a piece from pocketsphinx alone (word recognition + alignment).

    Returns a list of (phone, start_s, end_s, word, -1); falls back to allphone segments
    when no word is recognised or the recognised words cannot be aligned.
    """
    pcm = pcm16(x)
    with _lock:
        segs = _decode_segments(_sphinx_decoder("lm"), pcm)
        words = [s.word.split("(")[0] for s in segs if not s.word.startswith(("<", "[", "("))]
    if words:
        res = align_piece(x, words, offset_s=offset_s, state_pass=_reference_pass(stats))
        if res is not None:
            _add_stats(stats, res)
            return [(p, s, e, w, -1) for p, s, e, w, _ in res.phones]
    with _lock:
        segs = _decode_segments(_sphinx_decoder("phone"), pcm)
        rows = []
        for s in segs:
            ph = s.word if s.word in PHONES else "sil"
            rows.append((ph, offset_s + s.start_frame * 0.01,
                         offset_s + (s.end_frame + 1) * 0.01, "", -1))
    return rows


def _one_pass_rows(prons, labels, x: np.ndarray, offset_s: float):
    """Timed phones of a piece from :mod:`.hmm_align` (one Viterbi pass over
    pocketsphinx's acoustic model); a dithered copy is tried once if no path fits."""
    from .hmm_align import align_samples
    segs = align_samples(x, prons)
    if segs is None and len(x):
        segs = align_samples(dithered(x), prons)
    if segs is None:
        return None
    return [(p if p in PHONES else "sil", offset_s + a * 0.01, offset_s + (a + n) * 0.01,
             labels[wi] if wi >= 0 else "", -1) for p, a, n, wi, _v, _sc in segs]


def network_rows(words, x: np.ndarray, *, offset_s: float = 0.0, stats=None):
    """Timed phones of a piece from recognised ``words`` (:class:`RecognisedWord`) by
    forced alignment to the piece ``x``; [] without words, None if the alignment fails.

    The alignment is one Viterbi pass (:mod:`.hmm_align`) over every pronunciation of
    every word (:func:`pronunciations_of`). With ``stats`` (the transcript check's free
    reference, whose score must be on the cross-check's scale) the words are aligned as a
    transcript is (:func:`.decoder.align_pcm`, with the cross-check's state pass), and the
    summed score is added to ``stats``.
    """
    if not words:
        return []
    for w in words:
        if w.forced and w.alternatives:
            w.phones, w.alternatives = w.alternatives[0], w.alternatives[1:]
    labels = ["-".join(p.lower() for p in w.phones) for w in words]
    if stats is None and _aligner == "viterbi":
        return _one_pass_rows([pronunciations_of(w) for w in words], labels, x, offset_s)
    names = [pseudo_word(w.phones, w.alternatives) for w in words]
    prons = {n: w.phones for n, w in zip(names, words)}
    extra = {n: w.alternatives for n, w in zip(names, words)}
    label = dict(zip(names, labels))
    ensure_words(names, prons=prons)
    add_variants(names, prons, extra)
    res = align_piece(x, names, offset_s=offset_s, state_pass=_reference_pass(stats))
    if res is None:
        return None
    _add_stats(stats, res)
    return [(p, s, e, label.get(w, w[3:].replace("_", "-")) if w else "", -1)
            for p, s, e, w, _ in res.phones]


def recognize_rows(x: np.ndarray, *, progress=None, offset_s: float = 0.0,
                   engine: str = "auto", stats=None):
    """Timed phones of 16 kHz speech without a transcript.

    Parameters
    ----------
    x : np.ndarray [shape=(n,), dtype=float32]
        Mono speech at 16 kHz.
    progress : callable(fraction, message) or None
    offset_s : float
        Added to every time (for pieces of a longer signal).
    engine : {'auto', 'onnx', 'hama', 'pocketsphinx'}
        'auto' runs the network :func:`choose_recognizer` picks (the shipped ONNX
        network), pocketsphinx alone if it cannot run here (:func:`recognizer_status` says which,
        and why); an explicit network name raises instead of falling back.
    stats : dict or None
        If given, receives the summed alignment ``score`` and ``frames`` of the pieces
        that were force-aligned (the free reference for the transcript check).

    Returns
    -------
    rows : list of (phone, start_s, end_s, word, -1)
        Recognised words are pseudo-words spelled as their phones ('r-ow').
    source : str
        'recognize' (network + alignment) or 'recognize:pocketsphinx' (fallback route).

    Raises
    ------
    AlignmentError
        For an unknown engine.
    ModelRuntimeError
        If ``engine`` names a network that cannot run here.
    """
    global _used
    if engine == "auto":
        net, name, why = _auto_network()
    else:
        name = choose_recognizer(sys.platform, engine)
        net, why = _network_or_reason(name)
        if net is None and engine != "pocketsphinx":
            raise ModelRuntimeError(why)
    _used = True
    heard = x
    if has_digital_silence(x):
        # the aligner gets the noise floor the transcript route uses (DITHER_DB); the
        # network hears the signal as it is. Measured without transcripts with hama
        # 1.7.0 (bench lip gauge), closure recall / stray: dithering its input too gives
        # espeak 0.92 / 0.06 but Festival 0.96 / 0.07, against 0.92 / 0.08 and 0.99 / 0.05.
        x = dithered(x)
    chunks = split_at_pauses(x, SR, min_s=PIECE_MIN_S, max_s=PIECE_MAX_S,
                             target_s=PIECE_TARGET_S)
    context = int(CONTEXT_S * SR)
    pieces = []
    for k, ch in enumerate(chunks):
        seg = x[ch.start:ch.end]
        off = offset_s + ch.start / SR
        rows = None
        if net is not None:
            h = with_context(ch, len(x), context=context, hop=HOP)
            words = decode_piece(net, heard[h.lo:h.hi], skip=h.skip, keep=h.keep)
            rows = network_rows(words, seg, offset_s=off, stats=stats)
        if rows is None:
            rows = sphinx_rows(seg, offset_s=off, stats=stats)
        pieces.append(rows)
        if progress is not None:
            progress((k + 1) / len(chunks), "recognising")
    return merge_segments(pieces), ("recognize" if net is not None else "recognize:pocketsphinx")
