"""Forced alignment in one Viterbi pass over pocketsphinx's acoustic model, in numpy.

pocketsphinx aligns in two passes (a grammar pass for words and pauses, then a
state-level pass for phones), each scoring the acoustic model anew: about 0.3 ms of CPU
per 10 ms frame, most of the audio-only route's time. This module does the same job in
one pass: a graph of phone HMMs (:mod:`.acoustic`'s triphones, 3 emitting states each,
pocketsphinx's transition matrices) for the words in order, each word with all its
pronunciations side by side, an optional pause (``SIL``) before, between and after the
words. Word boundaries are modelled as pocketsphinx's grammar pass models them
(``fsg_lextree.c``), because that pass is what decides the words' frames there:

- a word's last phone is the triphone of whichever right neighbour the path takes (a phone
  of the next word, or silence before a pause);
- a word's first phone is one triphone whatever precedes it: the one for the lowest-numbered
  phone among the possible left neighbours (the last phones of the previous word's
  pronunciations, and silence). ``psubtree_add_trans`` means to give each left context
  its own triphone, but its search for an existing one never comes back empty after the
  first, so every further context joins the first;
- a one-phone word takes its left neighbour's context and silence on its right;
- no phone is shorter than its HMM's 3 states (the model has no skips).

Measured on the recognised words of LJ001-0001's first piece (27 words) with pocketsphinx's
own senone scores (``-compallsen``, from a build that writes them): with these rules the
Viterbi path starts every word on the frame the grammar pass starts it, but for one
0.007-nat tie between two pronunciations; with every left context its own triphone and the
skips allowed, 8 words started 1-3 frames off (docs/FIELD_NOTES.md). The best path through
all frames gives the words' pronunciations, the pauses and every phone's time at once.

Scores are reported as pocketsphinx reports them: per frame relative to the best senone
the aligner scored that frame, in pocketsphinx's units (``acoustic.to_ps_units``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import acoustic as AC

FRAME_S = 0.01
#: log-probability (nats) of a pause between words, before the first or after the last,
#: as pocketsphinx's alignment grammar scores one: a silence word (probability 0.005,
#: ``-silprob``) that also pays the word insertion penalty (0.65, ``-wip``, which every
#: word pays in ``fsg_lextree.c``), both at its language weight 6.5 (``-lw``)
SIL_PENALTY = float((np.log(0.005) + np.log(0.65)) * 6.5)


@dataclass
class _Node:
    phone: str            # ARPAbet phone or 'sil'
    pid: int              # mdef phone id
    word: int             # word index, -1 for a pause
    variant: int


@dataclass
class Path:
    """The best path: phone segments (node, first frame, frames, score in ps units)."""

    segments: list
    score: float
    frames: int


def _pid(m, ci, j, lc, rc) -> int:
    """Triphone of phone ``j`` of a word (CI ids ``ci``): ``lc`` is the left context of
    its first phone, ``rc`` the right context of its last (the word's neighbours)."""
    L = len(ci)
    if L == 1:
        return m.phone_id(ci[0], lc, rc, AC.WPOS_SINGLE)
    if j == 0:
        return m.phone_id(ci[0], lc, ci[1], AC.WPOS_BEGIN)
    if j == L - 1:
        return m.phone_id(ci[j], ci[j - 1], rc, AC.WPOS_END)
    return m.phone_id(ci[j], ci[j - 1], ci[j + 1], AC.WPOS_INTERNAL)


def _segments(states: np.ndarray, cum: np.ndarray):
    """Runs of one phone node along a Viterbi path: (node, first frame, frames, score),
    the score being the path's running score ``cum`` over the run in pocketsphinx's units."""
    node = states // 3
    bounds = np.flatnonzero(np.diff(node)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(states)]])
    for a, b in zip(starts, ends):
        score = float(cum[b - 1] - (cum[a - 1] if a > 0 else 0.0))
        yield int(node[a]), int(a), int(b - a), float(AC.to_ps_units(score))


class _Graph:
    """Phone-HMM graph of a word sequence with optional pauses (see module docstring)."""

    def __init__(self, model, words, skips=False):
        self.skips = skips
        self.m = model
        self.nodes: list = []
        self.preds: list = []        # per node: list of (pred node, extra log-prob)
        self.start: list = []        # nodes a path may start in (with log-prob)
        self.end: list = []          # nodes a path may end in
        self._build(words)

    def _node(self, phone, pid, word, variant) -> int:
        self.nodes.append(_Node(phone, pid, word, variant))
        self.preds.append([])
        return len(self.nodes) - 1

    def _ci(self, p: str) -> int:
        return self.m.ci(p)

    def _build(self, words):
        m, sil = self.m, self.m.sil
        n = len(words)
        pauses = [self._node("sil", sil, -1, 0) for _ in range(n + 1)]
        self.start.append((pauses[0], SIL_PENALTY))
        self.end.append(pauses[n])
        # exits[i]: list of (node, right-context ci or sil) leaving word i
        prev_exits = None
        for i, prons in enumerate(words):
            firsts_next = ({self._ci(p[0]) for p in words[i + 1]} if i + 1 < n else set())
            lefts_prev = ({self._ci(p[-1]) for p in words[i - 1]} if i > 0 else set())
            exits = []
            for v, phones in enumerate(prons):
                ci = [self._ci(p) for p in phones]
                L = len(ci)
                lcs = [sil] + sorted(lefts_prev)
                rcs = [sil] + sorted(firsts_next)
                entries = []                           # (node, lc)
                if L == 1:                             # silence as right context
                    for lc in lcs:
                        k = self._node(phones[0], _pid(m, ci, 0, lc, sil), i, v)
                        entries.append((k, lc))
                        exits += [(k, rc, ci[0]) for rc in rcs]
                else:                                  # one first phone for every lc
                    root = self._node(phones[0], _pid(m, ci, 0, min(lcs), None), i, v)
                    entries += [(root, lc) for lc in lcs]
                    chain_in = [root]
                    for j in range(1, L - 1):
                        k = self._node(phones[j], _pid(m, ci, j, None, None), i, v)
                        self.preds[k] += [(q, 0.0) for q in chain_in]
                        chain_in = [k]
                    for rc in rcs:
                        k = self._node(phones[-1], _pid(m, ci, L - 1, None, rc), i, v)
                        self.preds[k] += [(q, 0.0) for q in chain_in]
                        exits.append((k, rc, ci[-1]))
                first_ci = ci[0]
                for k, lc in entries:
                    if lc == sil:
                        self.preds[k].append((pauses[i], 0.0))
                        if i == 0:
                            self.start.append((k, 0.0))
                    elif prev_exits is not None:
                        self.preds[k] += [(q, 0.0) for q, rc, last in prev_exits
                                          if rc == first_ci and last == lc]
            for k, rc, _ in exits:
                if rc == sil:
                    self.preds[pauses[i + 1]].append((k, SIL_PENALTY))
                    if i == n - 1:
                        self.end.append(k)
            prev_exits = exits
        # pause i+1 is entered only from word i; the leading pause only at the start

    def arrays(self):
        """State-level tables: senone per state, predecessor indices and log-probs."""
        m = self.m
        n_nodes = len(self.nodes)
        S = 3 * n_nodes
        sen = np.empty(S, np.int64)
        tm = np.empty((n_nodes, 3, 4))
        for k, nd in enumerate(self.nodes):
            sen[3 * k:3 * k + 3] = m.senones(nd.pid)
            tm[k] = m.log_tmat(nd.pid, self.skips)
        K = max(3, 1 + 2 * max((len(p) for p in self.preds), default=0))
        pred = np.zeros((S, K), np.int64)
        w = np.full((S, K), -np.inf)
        for k in range(n_nodes):
            s0, s1, s2 = 3 * k, 3 * k + 1, 3 * k + 2
            pred[s0, 0], w[s0, 0] = s0, tm[k, 0, 0]
            for j, (q, extra) in enumerate(self.preds[k]):
                pred[s0, 1 + 2 * j], w[s0, 1 + 2 * j] = 3 * q + 2, tm[q, 2, 3] + extra
                pred[s0, 2 + 2 * j], w[s0, 2 + 2 * j] = 3 * q + 1, tm[q, 1, 3] + extra
            pred[s1, :2], w[s1, :2] = (s1, s0), (tm[k, 1, 1], tm[k, 0, 1])
            pred[s2, :3], w[s2, :3] = (s2, s1, s0), (tm[k, 2, 2], tm[k, 1, 2], tm[k, 0, 2])
        init = np.full(S, -np.inf)
        for k, lp in self.start:
            init[3 * k] = lp
        fin = np.full(S, -np.inf)
        for k in self.end:
            fin[3 * k + 2] = tm[k, 2, 3]
            fin[3 * k + 1] = tm[k, 1, 3]
        return sen, pred, w.astype(np.float32), init.astype(np.float32), fin.astype(np.float32)


def viterbi(emis: np.ndarray, pred: np.ndarray, w: np.ndarray, init: np.ndarray,
            fin: np.ndarray):
    """Best state path through ``emis`` (frames x states log-likelihoods).

    Returns
    -------
    (states, cum) or None
        The state of every frame and the path's running score (emissions plus the
        transitions taken; the final exit's log-probability added on the last frame);
        None when no path ends in a final state (too few frames for the words).
    """
    T, S = emis.shape
    if T == 0:
        return None
    K = pred.shape[1]
    bp = np.zeros((T, S), np.int8 if K < 127 else np.int16)
    delta = init + emis[0]
    rows = np.arange(S)
    for t in range(1, T):
        cand = delta[pred]
        cand += w
        k = cand.argmax(axis=1)
        bp[t] = k
        delta = cand[rows, k]
        delta += emis[t]
    end = delta + fin
    last = int(end.argmax())
    if not np.isfinite(end[last]):
        return None
    states = np.empty(T, np.int64)
    ks = np.zeros(T, np.int64)
    s = last
    for t in range(T - 1, 0, -1):
        states[t] = s
        ks[t] = bp[t, s]
        s = int(pred[s, ks[t]])
    states[0] = s
    step = w[states[1:], ks[1:]].astype(np.float64) + emis[np.arange(1, T), states[1:]]
    cum = np.cumsum(np.concatenate([[float(init[states[0]]) + float(emis[0, states[0]])],
                                    step]))
    cum[-1] += float(fin[states[-1]])
    return states, cum


def align(feats: np.ndarray, words, model=None):
    """Align ``words`` (a list per word of its pronunciations, each a list of ARPAbet
    phones) to ``feats`` (n_frames x 39, :func:`.mfcc.features`).

    Returns
    -------
    list of (phone, first_frame, n_frames, word_index, variant, score) or None
        Pauses have phone 'sil' and word index -1; ``score`` is the segment's share of
        the path score (acoustic and transition log-probabilities, relative to each
        frame's best scored senone) in pocketsphinx's units. None when the audio is too
        short for the words even with skips.

    Where the frames are too few for every phone's 3 states, the words are aligned once
    more with the HMMs' skips allowed (:func:`.acoustic._read_tmat`), rather than not at all.
    """
    m = model or AC.load_model()
    g = _Graph(m, words)
    sen, pred, w, init, fin = g.arrays()
    uniq, inv = np.unique(sen, return_inverse=True)
    sc = AC.senone_scores(m, feats, uniq)
    sc -= sc.max(axis=1, keepdims=True)               # relative to the frame's best senone
    emis = np.ascontiguousarray(sc[:, inv])
    res = viterbi(emis, pred, w, init, fin)
    if res is None:
        g.skips = True
        res = viterbi(emis, *g.arrays()[1:])
    if res is None:
        return None
    states, cum = res
    out = []
    for k, a, n, score in _segments(states, cum):
        nd = g.nodes[k]
        out.append((nd.phone, a, n, nd.word, nd.variant, score))
    return out


def align_samples(x: np.ndarray, words, model=None):
    """:func:`align` on 16 kHz float samples in [-1, 1] (features by :mod:`.mfcc`)."""
    from .chunking import pcm16
    from .mfcc import cepstra, features
    pcm = np.frombuffer(pcm16(np.asarray(x, dtype=np.float32)), dtype=np.int16)
    if len(pcm) < 410:
        return None
    return align(features(cepstra(pcm)), words, model)


#: pocketsphinx's HMMs need this many frames; a shorter unit is not confined (its rule)
_MIN_FRAMES = 3


def _chain(m, pids, *, skips: bool):
    """Viterbi tables (:func:`viterbi`'s pred, w, init, fin) of phones ``pids`` in a row."""
    n = len(pids)
    S = 3 * n
    tm = np.stack([m.log_tmat(p, skips) for p in pids])
    pred = np.zeros((S, 3), np.int64)
    w = np.full((S, 3), -np.inf)
    for k in range(n):
        s0 = 3 * k
        pred[s0, 0], w[s0, 0] = s0, tm[k, 0, 0]
        if k > 0:
            pred[s0, 1:3] = (s0 - 1, s0 - 2)
            w[s0, 1:3] = (tm[k - 1, 2, 3], tm[k - 1, 1, 3])
        pred[s0 + 1, :2], w[s0 + 1, :2] = (s0 + 1, s0), (tm[k, 1, 1], tm[k, 0, 1])
        pred[s0 + 2], w[s0 + 2] = (s0 + 2, s0 + 1, s0), (tm[k, 2, 2], tm[k, 1, 2], tm[k, 0, 2])
    init = np.full(S, -np.inf, np.float32)
    init[0] = 0.0
    fin = np.full(S, -np.inf, np.float32)
    fin[S - 1], fin[S - 2] = tm[n - 1, 2, 3], tm[n - 1, 1, 3]
    return pred, w.astype(np.float32), init, fin


def align_fixed(feats: np.ndarray, units, model=None):
    """Time the phones of a known sequence of words and pauses, each kept to its frames.

    This is pocketsphinx's state-level pass (``set_alignment``, ``state_align_search.c``)
    done here: after a grammar pass has found the words, their pronunciations, the pauses
    and the frames of each, every phone is confined to its unit's frames (the C code's
    rule: it may enter no earlier than the unit's first frame; it stays active one frame
    past its last but cannot hand over to the next phone from there, so it is a dead end;
    a unit shorter than an HMM is not confined) and one Viterbi pass gives
    the phones' times. Scores, in pocketsphinx's units, take each frame relative to the best
    senone of the sequence's phones and of a free loop of every context-free phone: a fixed
    reference (pocketsphinx's own pass scores against whatever senones its search left
    active, see docs/FIELD_NOTES.md), so a well-fitting sequence scores near 0 per frame.

    Parameters
    ----------
    units : list of (phones, first_frame, n_frames)
        ARPAbet phones of each word, or one filler phone ('SIL', '+NSN+', '+SPN+') for a
        pause or noise, in order; context is modelled across words, fillers read as
        silence to their neighbours.

    Returns
    -------
    list per unit of [(phone, first_frame, n_frames, score)] or None
        None when no path fits the frames.
    """
    m = model or AC.load_model()
    T = len(feats)
    cis = [[m.ci(p) for p in phones] for phones, _, _ in units]
    pids, owner = [], []
    for u, ci in enumerate(cis):
        if m.filler[ci[0]] and len(ci) == 1:
            pids.append(ci[0])
            owner.append(u)
            continue
        lc = cis[u - 1][-1] if u > 0 else m.sil
        rc = cis[u + 1][0] if u + 1 < len(cis) else m.sil
        for j in range(len(ci)):
            pids.append(_pid(m, ci, j, lc, rc))
            owner.append(u)
    n = len(pids)
    if n == 0 or T == 0:
        return None
    S = 3 * n
    sen = np.concatenate([m.senones(p) for p in pids])
    # confine each phone to its unit's frames
    lo = np.zeros(n, np.int64)
    hi = np.full(n, T - 1, np.int64)
    for k in range(n):
        _, first, count = units[owner[k]]
        if count >= _MIN_FRAMES:
            lo[k] = first
            hi[k] = min(first + count - 1, T - 1)
    # The normaliser: each frame's best senone among the sequence's own and every
    # context-free phone's (a free phone loop): a transcript that fits scores near 0 per
    # frame, one that does not falls far below (the transcript check's scale).
    free = np.concatenate([m.senones(c) for c in range(len(m.ciphones))])
    uniq, inv = np.unique(np.concatenate([sen, free]), return_inverse=True)
    sc_all = AC.senone_scores(m, feats, uniq)
    sc = sc_all[:, inv[:S]] - sc_all.max(axis=1, keepdims=True)  # (T, S), <= 0
    t = np.arange(T)[:, None]
    outside = (t < np.repeat(lo, 3)[None, :]) | (t > np.repeat(hi, 3)[None, :])
    emis = np.where(outside, -np.inf, sc).astype(np.float32)
    res = viterbi(emis, *_chain(m, pids, skips=False))
    if res is None:                          # too few frames for 3 states a phone
        res = viterbi(emis, *_chain(m, pids, skips=True))
    if res is None:
        return None
    out = [[] for _ in units]
    names = [p for phones, _, _ in units for p in phones]
    for k, a, n_frames, score in _segments(*res):
        out[owner[k]].append((names[k], a, n_frames, score))
    return out
