"""The phoneme network: IPA CTC posteriors of speech, decoded to recognised words.

Shipped network (every platform, Windows included): hama 1.7.0's waveform phoneme
recogniser (a conformer), rebuilt from the tensors hama publishes and exported to
``models/phonemes_hama17.onnx`` by ``scripts/export_hama17_onnx.py`` (Apache-2.0, card
``models/phonemes_hama17.json``; checked against hama's own engine: frame-wise argmax
identical, log-probabilities within 0.01), run by onnxruntime through :mod:`core.runtime`.
Input: mono 16 kHz float32 in [-1, 1] as it is (no normalisation; at most 30 s per call);
output: log-probabilities over 191 tokens (hama's 189 decoder tokens, then ``<wb>`` word
boundary and ``<blank>``), one frame per 20 ms. Greedy CTC decoding with hama's settings
(from the card): log-probabilities divided by ``temperature``, ``blank_bias`` added to the
blank's, argmax per frame, repeats collapsed, blanks dropped, ``<wb>`` splits words.

For comparison and tests only, :class:`HamaEngineNet` runs the same network in hama
1.7.0's own engine (``pip install hama==1.7.0``, requirements/dev.txt; no Windows binary).

The network's output at a frame depends on a few hundred ms of audio either side, and a
little on more (measured on LJ Speech: 0.5 s of context either side keeps 98% of the
frame-wise argmax of the whole clip). :func:`decode_piece` therefore hears a piece with
``context`` samples of the neighbouring audio either side and keeps the piece's own
frames, so a phone at a seam is heard whole and emitted by exactly one piece.

IPA -> ARPAbet: :data:`IPA_TO_ARPABET`. Diphthongs map to their ARPAbet diphthong
(``aɪ`` AY, ``aʊ`` AW, ``eɪ`` EY, ``oʊ`` OW, ``ɔɪ`` OY), rhotic vowels ``ɚ ɝ ɜ`` to ER,
the flap ``ɾ`` to D (American "water"), dark ``ɫ`` to L, ``ɐ ə ʌ`` to AH, ``ɑ ɒ a`` to AA;
hama's glide+vowel tokens (``ju`` ``wa`` ...) become two phones. Length marks, aspiration,
glottal stops and tones are dropped; anything unlisted is dropped.
"""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field

import numpy as np

from ..errors import AlignmentError, ModelRuntimeError

IPA_TO_ARPABET = {
    "a": "AA", "aɪ": "AY", "aʊ": "AW", "b": "B", "d": "D", "d͡ʒ": "JH", "e": "EY", "eɪ": "EY",
    "eə": "EH", "f": "F", "g": "G", "ɡ": "G", "h": "HH", "i": "IY", "j": "Y", "k": "K",
    "kʰ": "K", "l": "L", "ɫ": "L", "m": "M", "n": "N", "o": "OW", "oʊ": "OW", "p": "P",
    "pʰ": "P", "r": "R", "ɹ": "R", "ɻ": "R", "ʁ": "R", "s": "S", "t": "T", "tʰ": "T",
    "t͡ʃ": "CH", "u": "UW", "v": "V", "w": "W", "z": "Z", "æ": "AE", "ð": "DH", "ŋ": "NG",
    "ɑ": "AA", "ɒ": "AA", "ɔ": "AO", "ɔɪ": "OY", "ə": "AH", "ɐ": "AH", "ʌ": "AH", "ɚ": "ER",
    "ɝ": "ER", "ɜ": "ER", "ɛ": "EH", "ɪ": "IH", "ɨ": "IH", "ɪə": "IH R", "ʊ": "UH",
    "ʃ": "SH", "ʒ": "ZH", "θ": "TH", "ɾ": "D", "x": "HH", "ç": "HH", "ɦ": "HH", "y": "IY",
    "ø": "ER", "œ": "ER", "ʏ": "IH", "β": "V", "ɸ": "F", "ɲ": "N", "ɱ": "M", "c": "K",
    "ɟ": "G", "ɣ": "G", "ʝ": "Y", "ʋ": "V", "ɥ": "W",
    "ja": "Y AA", "je": "Y EH", "jo": "Y OW", "ju": "Y UW", "jʌ": "Y AH",
    "wa": "W AA", "we": "W EH", "wi": "W IY", "wʌ": "W AH",
}

#: The shipped network's card name (``models/phonemes_hama17.json``).
ONNX_MODEL = "phonemes_hama17"
#: Samples per output frame (20 ms at 16 kHz).
HOP = 320
#: Shortest input the network takes (its front end reflect-pads 200 samples; 25 ms).
MIN_SAMPLES = 400

#: Bilabial evidence: hama's greedy CTC path drops some word-initial b/p/m on synthetic
#: voices ("Bob" as aa-v, "big" as w-ih-g), yet its posteriors still hold them (b at 0.26
#: in the frame before the vowel). A frame where the summed b/p/m probability peaks at or
#: above BILABIAL_EVIDENCE, with no bilabial emitted within EVIDENCE_GUARD frames, offers
#: the word there (or the word starting / ending within EVIDENCE_REACH frames) a
#: pronunciation with that bilabial inserted, and one with it replacing the nearest
#: consonant; the aligner picks. From BILABIAL_FORCE up, the heard pronunciation is
#: dropped and the aligner picks among the bilabial ones only. Measured with hama 1.7.0's
#: network without transcripts (lip gauge, closure recall / stray closure): espeak 0.87 /
#: 0.05 with evidence at 0.08 alone, 0.93 / 0.07 with the force level; Festival 0.95 ->
#: 0.99 / 0.04; LJSpeech 0.995 / 0.06 and ARCTIC 1.00 / 0.05 with or without either.
BILABIAL_EVIDENCE = 0.08
BILABIAL_FORCE = 0.15
EVIDENCE_GUARD = 2
EVIDENCE_REACH = 4
VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())

_lock = threading.RLock()
_nets: dict = {}


def ipa_to_arpabet(tokens) -> list:
    """ARPAbet phones for a list of hama IPA tokens (unmappable tokens dropped)."""
    out = []
    for tok in tokens:
        arpa = IPA_TO_ARPABET.get(tok)
        if arpa is None:
            arpa = IPA_TO_ARPABET.get(tok.rstrip("ːˑʰʲʷ̃"))
        if arpa:
            out.extend(arpa.split())
    return out


@dataclass
class RecognisedWord:
    """One recognised word: ARPAbet phones, the output frame (20 ms, counted from the
    piece's start) at which each was emitted, and alternative pronunciations offered to
    the aligner."""

    phones: list
    frames: list
    alternatives: list = field(default_factory=list)
    forced: bool = False      # evidence >= BILABIAL_FORCE: the heard pronunciation is dropped


HamaWord = RecognisedWord     # the name earlier versions used


class OnnxPhoneNet:
    """hama 1.7.0's network rebuilt for onnxruntime (the shipped recogniser)."""

    name = "onnx"

    def __init__(self):
        from ..runtime import session
        self.session, self.card = session(ONNX_MODEL)
        self.tokens = list(self.card.tokens)
        dec = self.card.data.get("decoding", {})
        self.blank_id = self.tokens.index(dec.get("blank", "<blank>"))
        self.boundary = dec.get("word_boundary", "<wb>")
        self.blank_bias = float(dec.get("blank_bias", -0.1))
        self.temperature = float(dec.get("temperature", 1.0))
        self.detail = (f"{ONNX_MODEL}.onnx (hama 1.7.0's network) on "
                       f"onnxruntime {sys.modules['onnxruntime'].__version__}")

    def log_probs(self, x: np.ndarray) -> np.ndarray:
        """float32 [frames, 191] log-probabilities of mono 16 kHz ``x`` (no frames for
        input shorter than :data:`MIN_SAMPLES`, which the network's padding refuses)."""
        wav = np.clip(np.asarray(x, dtype=np.float32), -1.0, 1.0).reshape(1, -1)
        if wav.shape[1] < MIN_SAMPLES:
            return np.zeros((0, len(self.tokens)), np.float32)
        with _lock:
            lp, n = self.session.run(None, {"waveform": wav,
                                            "waveform_lengths": np.array([wav.shape[1]],
                                                                         dtype=np.int64)})
        valid = max(0, min(int(np.asarray(n).reshape(-1)[0]), lp.shape[1]))
        return np.asarray(lp[0, :valid], dtype=np.float32)


class HamaEngineNet:
    """hama 1.7.0's own engine running the same network (bench and test reference; not a
    runtime dependency)."""

    name = "hama"

    def __init__(self):
        if sys.platform == "win32":
            raise ModelRuntimeError("hama 1.7.0 has no Windows binary; use the 'onnx' recogniser")
        try:
            from hama.asr import ASRModel
            model = ASRModel()
        except Exception as err:
            raise ModelRuntimeError(f"hama 1.7.0's engine is not available ({type(err).__name__}: "
                                    f"{err}); 'pip install hama==1.7.0' (dev/bench only)") from err
        self.model = model
        self.tokens = list(model.decoder_tokens)
        self.blank_id = model.blank_id
        self.boundary = model.decode_cfg.word_boundary_token
        self.blank_bias = float(model.decode_cfg.blank_bias)
        self.temperature = float(model.decode_cfg.temperature)
        self.detail = "hama 1.7.0 engine (asr_waveform.hama)"

    def log_probs(self, x: np.ndarray) -> np.ndarray:
        m = self.model
        wav = np.asarray(x, dtype=np.float32).reshape(1, -1)
        if wav.shape[1] < MIN_SAMPLES:
            return np.zeros((0, len(self.tokens)), np.float32)
        with _lock:                               # one engine session, not re-entrant
            lp, n = m.session.run(
                [m._log_probs_output_name, m._out_lengths_output_name],
                {m._waveform_input_name: wav,
                 m._waveform_lengths_input_name: np.array([wav.shape[1]], dtype=np.int64)})
        valid = max(0, min(int(np.asarray(n).reshape(-1)[0]), lp.shape[1]))
        return np.asarray(lp[0, :valid], dtype=np.float32)


NETWORKS = {"onnx": OnnxPhoneNet, "hama": HamaEngineNet}


def phone_net(name: str = "onnx"):
    """The process-wide network ``name`` ('onnx' or 'hama'), loaded on first use.

    Raises
    ------
    ModelRuntimeError
        If the network or its runtime cannot be loaded here.
    AlignmentError
        If ``name`` is unknown.
    """
    if name not in NETWORKS:
        raise AlignmentError(f"unknown phoneme network {name!r}; use one of {sorted(NETWORKS)}")
    with _lock:
        net = _nets.get(name)
        if net is None:
            net = _nets[name] = NETWORKS[name]()
        return net


def greedy_path(net, lp: np.ndarray) -> np.ndarray:
    """int64 [frames]: argmax token per frame with the network's decoding settings
    (temperature, blank bias), as hama's own greedy decoder computes it."""
    z = lp / np.float32(net.temperature) if abs(net.temperature - 1.0) > 1e-8 else lp.copy()
    z[:, net.blank_id] += np.float32(net.blank_bias)
    return np.argmax(z, axis=1).astype(np.int64)


def emissions(frame_ids, tokens, blank: int, boundary: str) -> list:
    """Words of a greedy CTC path as lists of (ARPAbet phone, frame); repeats collapse,
    blanks drop, ``boundary`` tokens split words (hama's own decoding rules)."""
    words, cur, prev = [], [], -1
    for t, tok in enumerate(np.asarray(frame_ids).tolist()):
        if tok == prev:
            continue
        prev = tok
        if tok == blank:
            continue
        name = tokens[tok] if 0 <= tok < len(tokens) else "<unk>"
        if name == boundary:
            if cur:
                words.append(cur)
            cur = []
            continue
        cur.extend((ph, t) for ph in ipa_to_arpabet([name]))
    if cur:
        words.append(cur)
    return [w for w in words if w]


def bilabial_tokens(tokens) -> dict:
    """``{'B'|'P'|'M': [token ids]}`` of the network's tokens that map to each bilabial."""
    out = {"B": [], "P": [], "M": []}
    for i, tok in enumerate(tokens):
        arpa = ipa_to_arpabet([tok]) if not tok.startswith("<") else []
        if len(arpa) == 1 and arpa[0] in out:
            out[arpa[0]].append(i)
    return out


def evidence_alternatives(words, lp: np.ndarray, frame_ids, labial: dict) -> None:
    """Add bilabial alternatives to ``words`` (RecognisedWord) where the posteriors hold a
    b/p/m that the greedy path left out (see :data:`BILABIAL_EVIDENCE`)."""
    if not words or lp.size == 0:
        return
    probs = np.exp(lp)
    mass = {c: probs[:, ids].sum(axis=1) for c, ids in labial.items() if ids}
    total = sum(mass.values())
    emitted = [(f, wi, pi, ph) for wi, w in enumerate(words)
               for pi, (ph, f) in enumerate(zip(w.phones, w.frames))]
    labial_frames = np.array([f for f, _, _, ph in emitted if ph in mass] or [-99])
    em_frames = np.array([f for f, *_ in emitted])
    for t in np.flatnonzero(total >= BILABIAL_EVIDENCE):
        if (t > 0 and total[t - 1] > total[t]) or (t + 1 < len(total) and total[t + 1] > total[t]):
            continue                                  # peaks only
        if np.min(np.abs(labial_frames - t)) <= EVIDENCE_GUARD:
            continue                                  # the path has a bilabial here already
        cls = max(mass, key=lambda c: mass[c][t])
        k = int(np.searchsorted(em_frames, t, side="right"))   # emissions before t: k
        before = emitted[k - 1] if k > 0 else None
        after = emitted[k] if k < len(emitted) else None
        if before is not None and after is not None and before[1] == after[1]:
            wi, pos = after[1], after[2]              # inside a word
        elif after is not None and (before is None or after[0] - t <= t - before[0]):
            if after[0] - t > EVIDENCE_REACH:
                continue
            wi, pos = after[1], 0                     # start of the next word
        elif before is not None:
            if t - before[0] > EVIDENCE_REACH:
                continue
            wi, pos = before[1], len(words[before[1]].phones)   # end of the last word
        else:
            continue
        w = words[wi]
        alts = [w.phones[:pos] + [cls] + w.phones[pos:]]
        near = min((e for e in emitted if e[1] == wi), key=lambda e: abs(e[0] - t))
        if abs(near[0] - t) <= EVIDENCE_GUARD and near[3] not in VOWELS:
            alts.append(w.phones[:near[2]] + [cls] + w.phones[near[2] + 1:])
        if total[t] >= BILABIAL_FORCE and not w.forced:
            w.forced = True
            w.alternatives = [a for a in alts if a != w.phones] + w.alternatives
            continue
        for alt in alts:
            if alt != w.phones and alt not in w.alternatives:
                w.alternatives.append(alt)


def decode_piece(net, heard: np.ndarray, *, skip: int = 0, keep=None,
                 evidence: bool = True) -> list:
    """Recognised words of one piece heard with context.

    Parameters
    ----------
    net : OnnxPhoneNet or HamaEngineNet
    heard : np.ndarray [shape=(n,), dtype=float32]
        The piece plus its context, 16 kHz.
    skip : int
        Context before the piece, in output frames (``HOP`` samples each).
    keep : int or None
        The piece's own frames after ``skip`` (None: all the rest).
    evidence : bool
        Offer bilabial alternatives (:func:`evidence_alternatives`).

    Returns
    -------
    list of RecognisedWord
        Frames count from the piece's start; emissions in the context are left out.
    """
    lp = net.log_probs(heard)
    stop = lp.shape[0] if keep is None else min(lp.shape[0], skip + int(keep))
    ids = greedy_path(net, lp)
    # decode the whole path, then keep the emissions (first frame of a token's run) that
    # fall inside the piece: a token whose run crosses the seam belongs to one side only
    words = []
    for w in emissions(ids, net.tokens, net.blank_id, net.boundary):
        inside = [(p, f - skip) for p, f in w if skip <= f < stop]
        if inside:
            words.append(RecognisedWord([p for p, _ in inside], [f for _, f in inside]))
    if evidence:
        evidence_alternatives(words, lp[skip:stop], ids[skip:stop], bilabial_tokens(net.tokens))
    return words
