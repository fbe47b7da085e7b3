"""Phone timing from speech: forced alignment to a transcript, recognition otherwise.

``phone_track`` is the one entry point. With a transcript it normalises the text
(``text.py``), looks every word up in the CMU dictionary that ships with pocketsphinx
(unknown words get phones from ``g2p.py``), cuts long audio at pauses (``chunking.py``),
and aligns each piece with pocketsphinx's US English model (settings from
docs/FIELD_NOTES.md) in two decoding passes: a grammar pass that finds which words the
piece holds and where (a prefix grammar; the whole rest of the transcript on the last
piece), then a state-level pass inside those word boundaries for phone times. Signals with
digital silence (runs of exact zeros, as synthetic voices write them) are decoded with a
seeded dither, since pocketsphinx finds no path through such frames. A transcript
that does not fit the audio is detected from the alignment's acoustic score per frame
(relative to the best-scoring senone of each frame) or from alignment failure, and the
speech is recognised instead (``recognize.py``); ``PhoneTrack.source`` then reads
``"recognize:mismatch"`` and ``PhoneTrack.note`` says why.

Words with no Latin spelling (Chinese, Greek, Cyrillic, ...; accented Latin letters are
folded to their base letters by ``text.py`` and align normally) have no phones. Each run of
them becomes one stand-in word (a schwa per estimated syllable) that holds their stretch of
the audio during alignment; that stretch is then recognised. A transcript without any
Latin word is recognised as a whole. Both add a ``("transcript_unspelled", message)`` entry
to ``PhoneTrack.warnings``.
"""
from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..curves import PhoneTrack, Speech
from ..errors import AlignmentError, AudioError, TranscriptError
from .chunking import (frame_energy_db, has_digital_silence, merge_segments, pcm16,
                       speech_frames, split_at_pauses)
from .g2p import ARPABET, g2p
from .lexicon import pronunciations
from .text import has_latin_spelling, normalize_transcript

SR = 16000
EMPTY_DICT = Path(__file__).with_name("data") / "empty.dict"
FRAME_S = 0.01
#: Transcript check on the mean alignment score per frame (pocketsphinx log units, relative
#: to each frame's best senone). Measured on LJSpeech: correct transcripts -10 .. -19 clean,
#: down to -36 on clipped or noisy copies; other sentences -55 .. -71 or no alignment;
#: half-wrong transcripts -37 .. -46. Above GOOD_SCORE the transcript is accepted, below
#: BAD_SCORE rejected; in between the same audio is recognised without the transcript,
#: aligned to its own recognised phones, and the transcript is rejected if it scores more
#: than REF_MARGIN worse per frame than that free reference (correct ones score better).
GOOD_SCORE = -25.0
BAD_SCORE = -60.0
REF_MARGIN = 10.0
#: A piece scoring between FAIR_SCORE and GOOD_SCORE is also accepted without the
#: cross-check when none of its words scores below WORD_BAD_SCORE per frame: a correct
#: transcript on audio the acoustic model fits poorly (synthetic voices, noise, clipping)
#: scores uniformly mediocre, while a partly wrong one leaves words that fit far worse.
#: Measured with ``python -m bench.transcript_check``: half-wrong transcripts that align
#: score -33.3 .. -57.1 per frame (LJSpeech, 20 of 32) and -31.4 .. -58.0 (espeak, 61 of
#: 96), other sentences -47 .. -71; none is accepted by either rule. Correct ones accepted
#: without the cross-check: LJSpeech 97%, clipped 25%, noisy 38%, espeak 90% (83% with
#: GOOD_SCORE alone), Festival 100%.
FAIR_SCORE = -30.0
WORD_BAD_SCORE = -50.0
#: share of the audio whose alignment failed above which the transcript is rejected
MISMATCH_FAILED_SHARE = 0.35
PHONES = ARPABET
#: Gaussians per codebook scored each frame (pocketsphinx default 4). Measured on 79 s of
#: LJSpeech, one core: 2 aligns 24x -> 27x real time with the same boundaries (32 clips
#: vs MFA median 20 ms, p90 40 ms; ARCTIC a0009 median 10 ms).
TOPN = 2

#: Stand-in words for runs of transcript words with no Latin spelling: ``<prefix><n>`` is
#: pronounced as ``n`` schwas (one per estimated syllable, at most MAX_STAND_IN).
STAND_IN_PREFIX = "talkrig_unspelled_"
MAX_STAND_IN = 40
#: audio either side of a stand-in's stretch that its recognition hears (seconds)
STAND_IN_CONTEXT_S = 0.5
#: ``PhoneTrack.warnings`` code for transcript words that had to be recognised
UNSPELLED = "transcript_unspelled"

_lock = threading.RLock()
_decoder = None


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
                               pbeam=1e-80, topn=TOPN, loglevel="FATAL")
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


def _read_alignment(dec, n_words: int, offset_s: float, first_index: int):
    """Timed phones of the decoder's finished state-alignment pass, or None."""
    # never call dec.hyp() after set_alignment(): it crashes pocketsphinx 5.1.1
    alignment = dec.get_alignment()
    if alignment is None:
        return None
    out, score, frames, idx, words = [], 0.0, 0, first_index - 1, []
    for w in alignment:
        name = _base(w.name)
        filler = name.startswith("<") or name.startswith("[")
        if not filler:
            idx += 1
        w_score, w_frames = 0.0, 0
        for p in w:
            ph = "sil" if filler or p.name not in PHONES else p.name
            start = offset_s + p.start * FRAME_S
            end = offset_s + (p.start + p.duration) * FRAME_S
            out.append((ph, start, end, "" if filler else name, -1 if filler else idx))
            w_score += p.score
            w_frames += p.duration
        if name.startswith(STAND_IN_PREFIX):
            continue      # recognised afterwards: its (poor) fit does not judge the piece
        score += w_score
        frames += w_frames
        if not filler:
            words.append((w_score, w_frames))
    if idx - first_index + 1 != n_words:
        return None
    return Aligned(out, score, frames, tuple(words))


def _state_pass(dec, pcm: bytes, n_words: int, offset_s: float, first_index: int):
    """Phone/state alignment of the words the decoder's last (grammar) pass found.

    ``set_alignment`` takes the word sequence and word boundaries of the current
    hypothesis (whatever grammar produced it), so the pass that found the words is never
    repeated. Call with ``_lock`` held, right after a decode whose hypothesis is not None.
    """
    try:
        dec.set_alignment()
        dec.start_utt()
        dec.process_raw(pcm, full_utt=True)
        dec.end_utt()
    except RuntimeError:
        return None
    return _read_alignment(dec, n_words, offset_s, first_index)


def align_pcm(pcm: bytes, words, *, offset_s: float = 0.0, first_index: int = 0):
    """Force-align ``words`` to 16 kHz 16-bit PCM (words missing from the decoder's
    dictionary are added first, see :func:`ensure_words`).

    Two decoding passes: a grammar pass that reads exactly ``words`` (optional pauses
    between them) finds the word boundaries, then a state-level pass inside those
    boundaries gives phone times and scores.

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
        return _state_pass(dec, pcm, len(words), offset_s, first_index)


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


def _as_track(rows, *, duration: float, source: str, note: str = "",
              emphasis=(), warnings=()) -> PhoneTrack:
    rows = [(p, max(0.0, s), min(duration, e), w, i) for p, s, e, w, i in rows
            if min(duration, e) - max(0.0, s) > 1e-6]
    if rows:
        head = [("sil", 0.0, rows[0][1], "", -1)] if rows[0][1] > 1e-6 else []
        tail = [("sil", rows[-1][2], duration, "", -1)] if rows[-1][2] < duration - 1e-6 else []
        rows = merge_segments([head, rows, tail])
    if not rows:
        rows = [("sil", 0.0, duration, "", -1)]
    rows[0] = (rows[0][0], 0.0) + tuple(rows[0][2:])
    rows[-1] = tuple(rows[-1][:2]) + (duration,) + tuple(rows[-1][3:])
    emph = set(emphasis)
    return PhoneTrack(
        phones=tuple(r[0] for r in rows),
        starts=np.array([r[1] for r in rows], dtype=np.float64),
        ends=np.array([r[2] for r in rows], dtype=np.float64),
        words=tuple(r[3] for r in rows),
        source=source, note=note, warnings=tuple(warnings),
        emphasis=tuple(1.0 if (r[0] != "sil" and r[4] in emph) else 0.0 for r in rows)
        if emph else ())


def _samples16k(speech: Speech) -> np.ndarray:
    if not isinstance(speech, Speech):
        raise AudioError(f"phone_track needs a Speech, got {type(speech).__name__}")
    x = np.asarray(speech.samples, dtype=np.float32)
    if x.ndim != 1:
        raise AudioError(f"speech must be mono [n_samples], got shape {x.shape}")
    if not np.isfinite(x).all():
        raise AudioError("speech holds NaN or infinite samples; clean the audio first")
    if speech.sr != SR:
        from scipy.signal import resample_poly
        g = np.gcd(int(speech.sr), SR)
        x = resample_poly(x, SR // g, int(speech.sr) // g).astype(np.float32)
    return x


def _progress(progress, frac: float, msg: str) -> None:
    if progress is not None:
        progress(float(min(1.0, max(0.0, frac))), msg)


def _check_piece(res, seg: np.ndarray, offset_s: float):
    """Judge one aligned piece; returns (reason or '', recognised rows or None)."""
    mean = res.score / max(res.frames, 1)
    if mean >= GOOD_SCORE or (mean >= FAIR_SCORE and res.worst_word() >= WORD_BAD_SCORE):
        return "", None
    from .recognize import recognize_rows
    stats = {}
    rec, _ = recognize_rows(seg, offset_s=offset_s, stats=stats)
    if mean < BAD_SCORE:
        return f"alignment score {mean:.1f}/frame below {BAD_SCORE:.0f}", rec
    ref = stats["score"] / stats["frames"] if stats.get("frames") else -np.inf
    if mean < ref - REF_MARGIN:
        return (f"alignment score {mean:.1f}/frame, {ref - mean:.1f} below the {ref:.1f}/frame "
                "of recognition without the transcript"), rec
    return "", rec


def align_transcript(x: np.ndarray, words, *, progress=None):
    """Align normalised ``words`` to 16 kHz samples, piece by piece, checking each piece.

    Long audio is cut at pauses; a prefix grammar decides which words each piece holds.
    A piece whose alignment fails, or scores clearly worse than recognition without the
    transcript (see ``GOOD_SCORE``), is recognised instead.

    Returns
    -------
    rows : list of (phone, start_s, end_s, word, word_index)
        The aligned pieces, with rejected pieces replaced by recognised phones.
    mean_score : float
        Alignment score per frame over the accepted pieces (-inf if none).
    failed_s : float
        Seconds of speech whose piece was rejected.
    reasons : list of str
        Why pieces were rejected.
    recognised : dict
        ``{piece index: rows}`` of every piece recognised so far (reused on full fallback).
    chunks : list of Chunk
    """
    from .recognize import dithered, recognize_rows
    ensure_words(words)
    if has_digital_silence(x):
        # exact-zero runs (synthetic voices) break pocketsphinx's front end: decode a copy
        # with a seeded noise floor 33 dB below the speech (recognize.DITHER_DB); real
        # recordings that hold no digital silence are decoded as they are
        x = dithered(x)
    chunks = split_at_pauses(x, SR)
    voiced = speech_frames(frame_energy_db(x, SR))
    speech_s = max(float(voiced.sum()) * FRAME_S, 1e-3)
    rate = len(words) / speech_s                     # words per second of speech
    rows, score, frames, failed_s, pos, reasons, recognised = [], 0.0, 0, 0.0, 0, [], {}
    for k, ch in enumerate(chunks):
        seg, off = x[ch.start:ch.end], ch.start / SR
        pcm = pcm16(seg)
        piece_voiced = voiced[ch.start // 160:ch.end // 160]
        if k == len(chunks) - 1:
            take = len(words) - pos
            res = align_pcm(pcm, words[pos:], offset_s=off, first_index=pos)
        else:
            window = words[pos:pos + int(float(piece_voiced.sum()) * FRAME_S * rate * 1.6) + 12]
            take, res = align_prefix(pcm, window, offset_s=off, first_index=pos)
        has_speech = take > 0 or float(piece_voiced.mean()) > 0.2
        if res is None:
            reason, rec = ("alignment failed" if has_speech else ""), None
        else:
            reason, rec = _check_piece(res, seg, off)
        if rec is not None:
            recognised[k] = rec
        if reason:
            failed_s += (ch.end - ch.start) / SR
            reasons.append(f"{off:.1f}-{ch.end / SR:.1f} s: {reason}")
            if k not in recognised:
                recognised[k] = recognize_rows(seg, offset_s=off)[0]
            rows.append(recognised[k])
        elif res is None:
            rows.append([("sil", off, ch.end / SR, "", -1)])
        else:
            rows.append(res.phones)
            score += res.score
            frames += res.frames
        pos += take
        _progress(progress, (k + 1) / len(chunks), "aligning")
    mean = score / frames if frames else -np.inf
    return merge_segments(rows), mean, failed_s, reasons, recognised, chunks


def _syllables(word: str) -> int:
    """Rough syllable count of a word in any script (a CJK character is one syllable)."""
    wide = sum(1 for c in word if unicodedata.east_asian_width(c) in "WF")
    rest = len(word) - wide
    return wide + (max(1, round(rest / 2.5)) if rest else 0)


def stand_in_words(words, emphasis=()):
    """Replace each run of words with no Latin spelling by one stand-in word.

    Parameters
    ----------
    words : sequence of str
        Normalised transcript words.
    emphasis : sequence of int
        Indices into ``words`` of emphasised words.

    Returns
    -------
    words : list of str
        The words for the aligner; stand-ins are named ``STAND_IN_PREFIX + n``.
    emphasis : tuple of int
        The emphasised words' indices in the new list.
    runs : list of str
        The replaced words of each run, space-joined (for messages).
    prons : dict
        ``{stand-in: phones}`` for :func:`ensure_words`.
    """
    out, emph, runs, prons, run = [], [], [], {}, []
    marked = set(emphasis)

    def flush():
        if run:
            n = min(MAX_STAND_IN, sum(_syllables(w) for w in run))
            name = f"{STAND_IN_PREFIX}{n}"
            prons[name] = ["AH"] * n
            runs.append(" ".join(run))
            out.append(name)
            run.clear()

    for i, w in enumerate(words):
        if has_latin_spelling(w):
            flush()
            if i in marked:
                emph.append(len(out))
            out.append(w)
        else:
            run.append(w)
    flush()
    return out, tuple(emph), runs, prons


def _recognise_stand_ins(x: np.ndarray, rows) -> list:
    """Rows with every stand-in word's stretch replaced by recognised phones.

    The stretch includes pauses right before and after the stand-in. A stretch shorter
    than 0.1 s (the aligner squeezed the stand-in: those words are not spoken) or one where
    recognition hears no speech becomes silence.
    """
    from .recognize import recognize_rows
    pieces, i = [], 0
    while i < len(rows):
        if not rows[i][3].startswith(STAND_IN_PREFIX):
            j = i
            while j < len(rows) and not rows[j][3].startswith(STAND_IN_PREFIX):
                j += 1
            pieces.append(list(rows[i:j]))
            i = j
            continue
        j = i
        while j < len(rows) and rows[j][3] == rows[i][3] and rows[j][4] == rows[i][4]:
            j += 1
        s, e = rows[i][1], rows[j - 1][2]
        # the aligner may give part of the stretch to pauses either side: recognise those too
        if pieces and pieces[-1] and pieces[-1][-1][0] == "sil":
            s = pieces[-1].pop()[1]
        if j < len(rows) and rows[j][0] == "sil":
            e = rows[j][2]
            j += 1
        rec = []
        if e - s >= 0.1:
            # recognise with some context either side, keep what lies inside the stretch
            a = max(0, int(round((s - STAND_IN_CONTEXT_S) * SR)))
            b = min(len(x), int(round((e + STAND_IN_CONTEXT_S) * SR)))
            rec = [(p, max(s, ps), min(e, pe), w, -1)
                   for p, ps, pe, w, *_ in recognize_rows(x[a:b], offset_s=a / SR)[0]
                   if min(e, pe) - max(s, ps) > 1e-6]
        pieces.append(rec if any(r[0] != "sil" for r in rec) else [("sil", s, e, "", -1)])
        i = j
    return merge_segments(pieces)


def _unspelled_message(runs) -> str:
    shown = "; ".join(repr(r) for r in runs[:3]) + ("; ..." if len(runs) > 3 else "")
    return (f"{len(runs)} stretch{'es' if len(runs) > 1 else ''} of the transcript "
            f"with no Latin spelling ({shown}) recognised instead of aligned")


def phone_track(speech: Speech, *, text=None, progress=None) -> PhoneTrack:
    """Timed ARPAbet phones for a speech signal.

    Parameters
    ----------
    speech : Speech
        Mono float32 speech; resampled to 16 kHz if needed.
    text : str or None
        Transcript. ``*word*`` marks emphasis (returned per phone in
        ``PhoneTrack.emphasis``). None or empty text means recognise the phones.
    progress : callable(fraction, message) or None
        Called with a fraction in [0, 1] as pieces finish.

    Returns
    -------
    PhoneTrack
        Phones cover ``[0, speech.duration]`` without gaps; silence is 'sil'. ``words``
        holds the transcript word of each phone ('' for silence); recognised speech has
        pseudo-words spelled as phones ('r-ow') from hama, or recognised words from
        pocketsphinx.
        ``source`` is 'align', 'recognize' (no text), 'recognize:mismatch' (text did not
        fit the audio, or holds no word spelled in Latin letters; ``note`` gives the
        reason) or 'none' (no speech at all). ``warnings`` holds
        ``("transcript_unspelled", message)`` when words with no Latin spelling were
        recognised instead of aligned (for their stretch, or the whole clip).

    Raises
    ------
    AudioError
        If ``speech`` is empty, not mono, or holds non-finite samples.
    TranscriptError
        If ``text`` is not a string.
    AlignmentError
        If neither alignment nor recognition can run.
    """
    x = _samples16k(speech)
    if len(x) == 0:
        raise AudioError("speech holds no samples; load a non-empty audio file")
    duration = len(x) / SR
    reset_decoder_state()
    from .recognize import reset_state
    reset_state()
    if len(x) < SR * 0.05 or float(np.max(np.abs(x), initial=0.0)) < 1e-4:
        return _as_track([], duration=duration, source="none", note="no audible signal")
    transcript = normalize_transcript(text) if text is not None else None
    from .recognize import hama_model, recognize_rows
    if transcript is None or not transcript.words:
        rows, src = recognize_rows(x, progress=progress)
        return _as_track(rows, duration=duration, source=src)
    words, emphasis, runs, prons = stand_in_words(transcript.words, transcript.emphasis)
    warns = ((UNSPELLED, _unspelled_message(runs)),) if runs else ()
    if all(w.startswith(STAND_IN_PREFIX) for w in words):
        rows, src = recognize_rows(x, progress=progress)
        msg = (f"the transcript has no word spelled in Latin letters ({runs[0][:60]!r}); "
               f"used {src}")
        return _as_track(rows, duration=duration, source="recognize:mismatch", note=msg,
                         warnings=((UNSPELLED, msg),))
    if prons:
        ensure_words(list(prons), prons)
    rows, mean, failed_s, reasons, recognised, chunks = align_transcript(
        x, words, progress=progress)
    if failed_s > MISMATCH_FAILED_SHARE * duration or not np.isfinite(mean):
        pieces = []
        for k, ch in enumerate(chunks):
            if k not in recognised:
                recognised[k] = recognize_rows(x[ch.start:ch.end], offset_s=ch.start / SR)[0]
            pieces.append(recognised[k])
        src = "recognize" if hama_model() is not None else "recognize:pocketsphinx"
        note = (f"transcript does not match the audio on {failed_s:.1f} s of {duration:.1f} s "
                f"({'; '.join(reasons[:3])}); used {src}")
        note += "".join(f"; {m}" for _, m in warns)
        return _as_track(merge_segments(pieces), duration=duration,
                         source="recognize:mismatch", note=note, warnings=warns)
    note = f"alignment score {mean:.1f}/frame"
    if failed_s > 0:
        note += (f"; {failed_s:.1f} s did not match the transcript and was recognised "
                 f"instead ({'; '.join(reasons[:3])})")
    if runs:
        rows = _recognise_stand_ins(x, rows)
        note += "".join(f"; {m}" for _, m in warns)
    return _as_track(rows, duration=duration, source="align", note=note,
                     emphasis=emphasis, warnings=warns)
