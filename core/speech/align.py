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
Latin word is recognised as a whole. Both add a ``("transcript-unspelled", message)`` entry
to ``PhoneTrack.warnings``.
"""
from __future__ import annotations

import unicodedata

import numpy as np

from ..curves import PhoneTrack, Speech
from ..errors import AudioError
from .chunking import (frame_energy_db, has_digital_silence, merge_segments, pcm16,
                       speech_frames, split_at_pauses)
from .text import has_latin_spelling, normalize_transcript
from .decoder import (STAND_IN_PREFIX, _lock, SR, EMPTY_DICT, FRAME_S, GOOD_SCORE, BAD_SCORE, REF_MARGIN, FAIR_SCORE, WORD_BAD_SCORE, MISMATCH_FAILED_SHARE, PHONES, TOPN, Aligned, decoder, reset_decoder_state, ensure_words, _base, _read_alignment, _state_pass, align_pcm, _prefix_fsg, align_prefix, prefix_words)  # noqa: F401

MAX_STAND_IN = 40
#: audio either side of a stand-in's stretch that its recognition hears (seconds)
STAND_IN_CONTEXT_S = 0.5
#: ``PhoneTrack.warnings`` code for transcript words that had to be recognised
UNSPELLED = "transcript-unspelled"
#: Pieces of the transcript route (seconds), cut at pauses (``chunking.split_at_pauses``).
PIECE_MIN_S, PIECE_MAX_S, PIECE_TARGET_S = 4.0, 10.0, 6.0
#: Words offered to a piece's prefix grammar: its voiced seconds times the transcript's
#: words per second of speech times WINDOW_RATE, plus WINDOW_SLACK words.
WINDOW_RATE, WINDOW_SLACK = 1.6, 12



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
    from .recognize import recognition_summary
    recognizer, rec_warnings = recognition_summary()
    return PhoneTrack(
        phones=tuple(r[0] for r in rows),
        starts=np.array([r[1] for r in rows], dtype=np.float64),
        ends=np.array([r[2] for r in rows], dtype=np.float64),
        words=tuple(r[3] for r in rows),
        source=source, note=note, warnings=tuple(warnings) + rec_warnings,
        recognizer=recognizer,
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
        from ..dsp import resample_poly
        g = np.gcd(int(speech.sr), SR)
        x = resample_poly(x, SR // g, int(speech.sr) // g).astype(np.float32)
    return x


def _progress(progress, frac: float, msg: str) -> None:
    if progress is not None:
        progress(float(min(1.0, max(0.0, frac))), msg)


def _check_piece(res, seg: np.ndarray, offset_s: float, pcm: bytes, words):
    """Judge one aligned piece (``res``: ``words`` aligned to ``pcm``, the piece ``seg``);
    returns (reason or '', recognised rows or None).

    The cheap stage reads ``res``'s scores; the cross-check compares the piece's words and
    the free reference, both aligned with :data:`.decoder.CHECK_STATE_PASS` (the scale
    REF_MARGIN was measured on)."""
    mean = res.score / max(res.frames, 1)
    if mean >= GOOD_SCORE or (mean >= FAIR_SCORE and res.worst_word() >= WORD_BAD_SCORE):
        return "", None
    from .decoder import CHECK_STATE_PASS
    from .recognize import recognize_rows
    stats = {}
    rec, _ = recognize_rows(seg, offset_s=offset_s, stats=stats)
    if mean < BAD_SCORE:
        return f"alignment score {mean:.1f}/frame below {BAD_SCORE:.0f}", rec
    ref = stats["score"] / stats["frames"] if stats.get("frames") else -np.inf
    again = align_pcm(pcm, words, offset_s=offset_s, state_pass=CHECK_STATE_PASS)
    if again is None:
        return "alignment failed", rec
    mean = again.score / max(again.frames, 1)
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
    chunks = split_at_pauses(x, SR, min_s=PIECE_MIN_S, max_s=PIECE_MAX_S,
                             target_s=PIECE_TARGET_S)
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
            window = words[pos:pos + int(float(piece_voiced.sum()) * FRAME_S * rate * WINDOW_RATE)
                           + WINDOW_SLACK]
            take, res = align_prefix(pcm, window, offset_s=off, first_index=pos)
        has_speech = take > 0 or float(piece_voiced.mean()) > 0.2
        if res is None:
            reason, rec = ("alignment failed" if has_speech else ""), None
        else:
            reason, rec = _check_piece(res, seg, off, pcm, words[pos:pos + take])
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
        ``source`` is 'align', 'recognize' (no text, or no word of it spelled in Latin
        letters), 'recognize:mismatch' (text did not fit the audio; ``note`` gives the
        measured reason) or 'none' (no speech at all). ``warnings`` holds
        ``("transcript-unspelled", message)`` when words with no Latin spelling were
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
    from .recognize import recognize_rows
    if transcript is None or not transcript.words:
        rows, src = recognize_rows(x, progress=progress)
        return _as_track(rows, duration=duration, source=src)
    words, emphasis, runs, prons = stand_in_words(transcript.words, transcript.emphasis)
    warns = ((UNSPELLED, _unspelled_message(runs)),) if runs else ()
    if all(w.startswith(STAND_IN_PREFIX) for w in words):
        rows, src = recognize_rows(x, progress=progress)
        msg = (f"the transcript has no word spelled in Latin letters ({runs[0][:60]!r}); "
               f"used {src}")
        return _as_track(rows, duration=duration, source=src, note=msg,
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
        from .recognize import recognition_source
        src = recognition_source()
        note = (f"transcript does not match the audio on {failed_s:.1f} s of {duration:.1f} s "
                f"({'; '.join(reasons[:3])}); used {src}")
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
