"""pocketsphinx's US English acoustic model, read and scored in numpy.

The model pocketsphinx ships (``pocketsphinx/model/en-us/en-us``, BSD-style licence, see its
README) is a phonetically tied mixture (PTM) HMM: 42 codebooks (one per base phone) of 128
diagonal Gaussians in each of 3 feature streams (13 cepstra, their deltas, their
double deltas), 5126 senones that each weight their base phone's codebook, 3 emitting
states per phone (left to right; this model gives its skips probability 0) and
triphones chosen by word position.
This module reads those files itself (formats from pocketsphinx 5.1.1's ``bin_mdef.c``,
``ms_gauden.c``, ``ptm_mgau.c``, ``tmat.c``) and scores senones the way ``ptm_mgau.c``
does, in natural logs: per stream the top :data:`TOPN` Gaussians of the codebook, each
floored at :data:`FLOOR_NATS` below the best Gaussian of any scored codebook that frame,
log-added with the senone's mixture weights; streams summed. ``align.py``'s own aligner
(:mod:`.hmm_align`) uses it so one Viterbi pass replaces pocketsphinx's two.

Log units: pocketsphinx scores in units of ``1024 * ln(1.0001)`` nats
(:data:`PS_UNIT_NATS`); :func:`to_ps_units` converts, so scores stay comparable with the
transcript check's thresholds (``decoder.GOOD_SCORE`` ...).
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import AlignmentError

#: pocketsphinx's log base (``-logbase``), as a natural log
LOG_BASE = math.log(1.0001)
#: one unit of pocketsphinx's (shifted) log scores, in nats: log base 1.0001, >> 10 bits
PS_UNIT_NATS = 1024.0 * LOG_BASE
#: Gaussians per codebook and stream that a senone log-adds (``topn``, as the decoder)
TOPN = 2
#: a Gaussian scores at most this far below the frame's best (``MAX_NEG_ASCR`` = 96 units)
FLOOR_NATS = 96 * PS_UNIT_NATS
#: variance floor (pocketsphinx ``-varfloor``)
VAR_FLOOR = 1e-4
#: transition-probability floor (``-tmatfloor``)
TMAT_FLOOR = 1e-4
#: word positions of ``mdef`` triphones
WPOS_INTERNAL, WPOS_BEGIN, WPOS_END, WPOS_SINGLE = 0, 1, 2, 3
SIL = "SIL"

_lock = threading.Lock()
_model = None


def model_dir() -> Path:
    """Folder of pocketsphinx's bundled US English model."""
    try:
        from pocketsphinx import get_model_path
    except ImportError as err:                      # pragma: no cover - dependency missing
        raise AlignmentError("pocketsphinx is not installed; run "
                             "'pip install pocketsphinx==5.1.1'") from err
    return Path(get_model_path()) / "en-us" / "en-us"


def _s3_body(path: Path) -> np.ndarray:
    """int32 view of an s3 binary file's body after its text header and byte-order word."""
    raw = path.read_bytes()
    end = raw.index(b"endhdr\n") + len(b"endhdr\n")
    body = np.frombuffer(raw, dtype="<i4", offset=end,
                         count=(len(raw) - end) // 4)
    if body[0] != 0x11223344:
        raise AlignmentError(f"{path.name}: unexpected byte order")
    return body[1:]


def _read_gauden(path: Path) -> np.ndarray:
    """Means or variances: float32 (n_codebook, n_stream, n_density, 13)."""
    body = _s3_body(path)
    n_cb, n_feat, n_den = (int(v) for v in body[:3])
    lens = [int(v) for v in body[3:3 + n_feat]]
    if len(set(lens)) != 1:
        raise AlignmentError(f"{path.name}: streams of different lengths {lens}")
    n = int(body[3 + n_feat])
    data = body[4 + n_feat:4 + n_feat + n].view("<f4")
    return data.reshape(n_cb, n_feat, n_den, lens[0]).astype(np.float32)


def _read_tmat(path: Path) -> tuple:
    """Transition log-probabilities (n_tmat, n_emit, n_emit + 1), floored as tmat.c:
    each row normalised, nonzero probabilities floored at :data:`TMAT_FLOOR` and the row
    normalised again; zero ones stay impossible (the model's HMMs have no skips, so every
    phone lasts at least 3 frames, as in the decoder). Returns (strict, with_skips): the
    second has the left-to-right band's zeros (the skips) at the floor too, a fallback for
    audio too short for its phones (pocketsphinx has none)."""
    body = _s3_body(path)
    n_tmat, n_src, n_dst = (int(v) for v in body[:3])
    n = int(body[3])
    tp = body[4:4 + n].view("<f4").reshape(n_tmat, n_src, n_dst).astype(np.float64)
    rows = tp / np.maximum(tp.sum(axis=2, keepdims=True), 1e-30)
    rows = np.where(rows > 0, np.maximum(rows, TMAT_FLOOR), 0.0)
    rows /= rows.sum(axis=2, keepdims=True)
    j, k = np.meshgrid(np.arange(n_src), np.arange(n_dst), indexing="ij")
    band = (k >= j) & (k - j < 3)
    skips = np.where(band & (rows == 0.0), TMAT_FLOOR, rows)
    with np.errstate(divide="ignore"):
        return np.log(rows), np.log(skips)


def _read_sendump(path: Path, n_sen: int) -> np.ndarray:
    """Mixture weights uint8 (n_stream, n_density, n_senone) from ``sendump``: negated
    logs in pocketsphinx's units (:data:`PS_UNIT_NATS`)."""
    raw = path.read_bytes()
    pos, n_clust, n_bits, n_feat = 0, 0, 8, 3

    def take_str():
        nonlocal pos
        n = int.from_bytes(raw[pos:pos + 4], "little")
        pos += 4
        s = raw[pos:pos + n].rstrip(b"\0").decode("ascii", "replace")
        pos += n
        return n, s
    take_str()                                      # title
    take_str()                                      # header
    while True:
        n, line = take_str()
        if n == 0:
            break
        key, _, val = line.partition(" ")
        if key == "cluster_count":
            n_clust = int(val)
        elif key == "cluster_bits":
            n_bits = int(val)
        elif key == "feature_count":
            n_feat = int(val)
    if n_clust or n_bits != 8:
        raise AlignmentError("sendump: clustered mixture weights are not supported")
    rows, cols = np.frombuffer(raw, "<i4", count=2, offset=pos)
    pos += 8
    w = np.frombuffer(raw, np.uint8, count=n_feat * rows * cols, offset=pos)
    return w.reshape(n_feat, rows, cols)[:, :, :n_sen]


@dataclass
class Model:
    """The acoustic model's tables (see the module docstring)."""

    ciphones: list            # CI phone names; index = CI phone id = codebook
    filler: np.ndarray        # bool per CI phone
    sil: int
    cd_tree: np.ndarray       # (n, 3) int32: ctx, n_down, pid/down
    phone_ssid: np.ndarray    # per phone (CI then triphones)
    phone_tmat: np.ndarray
    sseq: np.ndarray          # (n_sseq, 3) senone ids
    sen2cb: np.ndarray        # senone -> codebook (its base phone)
    means: np.ndarray         # (n_cb, 3, 128, 13)
    lin: np.ndarray           # (3, 27, n_cb * 128): Gaussian log-likelihood = [x^2, x, 1] @ lin
    weights: np.ndarray       # (3, 128, n_sen) mixture weights (probabilities)
    tmat: np.ndarray          # (n_tmat, 3, 4) log transition probabilities
    tmat_skips: np.ndarray    # the same with the skips at the floor (_read_tmat)
    _cache: dict = field(default_factory=dict, repr=False)

    def ci(self, name: str) -> int:
        return self.ciphones.index(name)

    def phone_id(self, b: int, lc: int, rc: int, wpos: int) -> int:
        """Triphone id of base ``b`` between ``lc`` and ``rc`` at word position ``wpos``,
        with pocketsphinx's back-offs (``bin_mdef_phone_id_nearest``); ``b`` itself when
        nothing fits."""
        p = self._exact(b, lc, rc, wpos)
        if p >= 0:
            return p
        for pos in range(4):
            if pos != wpos and (p := self._exact(b, lc, rc, pos)) >= 0:
                return p
        nl = self.sil if (self.filler[lc] or wpos in (WPOS_BEGIN, WPOS_SINGLE)) else lc
        nr = self.sil if (self.filler[rc] or wpos in (WPOS_END, WPOS_SINGLE)) else rc
        if (nl, nr) != (lc, rc):
            for pos in [wpos] + [q for q in range(4) if q != wpos]:
                if (p := self._exact(b, nl, nr, pos)) >= 0:
                    return p
        return b

    def _exact(self, b: int, lc: int, rc: int, wpos: int) -> int:
        key = (b, lc, rc, wpos)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._walk(b, lc, rc, wpos)
        return hit

    def _walk(self, b: int, lc: int, rc: int, wpos: int) -> int:
        ctx = (wpos, b, self.sil if self.filler[lc] else lc, self.sil if self.filler[rc] else rc)
        start, count = 0, 4
        tree = self.cd_tree
        for level in range(4):
            node = -1
            for i in range(start, start + count):
                if tree[i, 0] == ctx[level]:
                    node = i
                    break
            if node < 0:
                return -1
            if tree[node, 1] == 0:
                return int(tree[node, 2])
            start, count = int(tree[node, 2]), int(tree[node, 1])
        return -1

    def senones(self, pid: int) -> np.ndarray:
        return self.sseq[self.phone_ssid[pid]]

    def log_tmat(self, pid: int, skips: bool = False) -> np.ndarray:
        return (self.tmat_skips if skips else self.tmat)[self.phone_tmat[pid]]


def _read_mdef(path: Path):
    raw = path.read_bytes()
    magic = int.from_bytes(raw[:4], "little")
    if magic != 0x46444D42:                         # "BMDF"
        raise AlignmentError("mdef: not a little-endian binary model definition")
    hdr_len = int.from_bytes(raw[8:12], "little")
    pos = 12 + hdr_len
    (n_ci, n_phone, n_emit, _n_ci_sen, n_sen, _n_tmat, n_sseq, _n_ctx, n_tree,
     _sil) = np.frombuffer(raw, "<i4", count=10, offset=pos)
    if n_emit != 3:
        raise AlignmentError(f"mdef: {n_emit} emitting states per phone, expected 3")
    pos += 40
    start, names = pos, []
    for _ in range(n_ci):
        end = raw.index(b"\0", pos)
        names.append(raw[pos:end].decode("ascii"))
        pos = end + 1
    pos = start + ((pos - start + 3) & ~3)
    tree = np.frombuffer(raw, np.dtype([("ctx", "<i2"), ("n_down", "<i2"), ("c", "<i4")]),
                         count=n_tree, offset=pos)
    pos += 8 * n_tree
    ph = np.frombuffer(raw, np.dtype([("ssid", "<i4"), ("tmat", "<i4"), ("attr", "u1", 4)]),
                       count=n_phone, offset=pos)
    pos += 12 * n_phone
    size = int(np.frombuffer(raw, "<i4", count=1, offset=pos)[0])
    pos += 4
    sseq = np.frombuffer(raw, "<u2", count=size, offset=pos).reshape(n_sseq, 3)
    cd_tree = np.stack([tree["ctx"].astype(np.int32), tree["n_down"].astype(np.int32),
                        tree["c"].astype(np.int32)], axis=1)
    filler = ph["attr"][:n_ci, 0].astype(bool)
    # senone -> base phone, from every phone's senone sequence (bin_mdef.c)
    sen2cb = np.full(int(n_sen), -1, np.int32)
    base = np.concatenate([np.arange(n_ci), ph["attr"][n_ci:, 1].astype(np.int64)])
    sen2cb[sseq[ph["ssid"]].ravel()] = np.repeat(base, 3)
    return (names, filler, names.index(SIL), cd_tree, ph["ssid"].astype(np.int32),
            ph["tmat"].astype(np.int32), sseq.astype(np.int32), sen2cb, int(n_sen))


def load_model(folder=None) -> Model:
    """The acoustic model (read once per process, about 0.05 s)."""
    global _model
    with _lock:
        if _model is not None and folder is None:
            return _model
        d = Path(folder) if folder is not None else model_dir()
        try:
            (names, filler, sil, tree, ssid, tmat_id, sseq, sen2cb,
             n_sen) = _read_mdef(d / "mdef")
            means = _read_gauden(d / "means")
            var = np.maximum(_read_gauden(d / "variances"), np.float32(VAR_FLOOR))
            mixw = _read_sendump(d / "sendump", n_sen)
            tmat, tmat_skips = _read_tmat(d / "transition_matrices")
        except (OSError, ValueError, IndexError) as err:
            raise AlignmentError(f"cannot read the acoustic model in {d}: {err}") from err
        if (sen2cb < 0).any():
            raise AlignmentError("mdef: senones without a phone")
        # log N(x; m, v) = det - sum (x - m)^2 / (2 v) = [x^2, x, 1] @ [-a, 2 a m, det - a m^2]
        # with a and each dimension's share of det truncated to whole log-base-1.0001
        # units, as gauden_dist_precompute() stores them (logmath_ln_to_log and
        # logmath_log return integers): for a broad Gaussian the truncated precision is
        # several percent smaller, enough to change which two Gaussians of a codebook
        # are the best (one senone measured 8 nats apart before this)
        a = np.trunc(1.0 / (2.0 * var.astype(np.float64)) / LOG_BASE) * LOG_BASE
        det = (np.trunc(-0.5 * np.log(2.0 * np.pi * var.astype(np.float64)) / LOG_BASE)
               * LOG_BASE).sum(-1)
        n_cb, n_st, n_den, dim = means.shape
        m64 = means.astype(np.float64)
        lin = np.concatenate([-a, 2.0 * a * m64, (det - (a * m64 * m64).sum(-1))[..., None]],
                             axis=-1)                                   # cb, st, den, 27
        lin = lin.transpose(1, 3, 0, 2).reshape(n_st, 2 * dim + 1, n_cb * n_den)
        # the 256 possible weights as probabilities (a table lookup is cheaper than 2
        # million exp() at every start)
        probs = np.exp(-np.arange(256, dtype=np.float32) * np.float32(PS_UNIT_NATS))
        m = Model(names, filler, sil, tree, ssid, tmat_id, sseq, sen2cb, means,
                  np.ascontiguousarray(lin, dtype=np.float32), probs[mixw], tmat, tmat_skips)
        if folder is None:
            _model = m
        return m


def senone_scores(model: Model, feats: np.ndarray, senones: np.ndarray) -> np.ndarray:
    """Log-likelihoods (nats) of ``senones`` at every frame of ``feats`` (n, 39).

    Only the codebooks these senones use are scored (as pocketsphinx's alignment pass
    scores the codebooks of the phones it aligns); each Gaussian is floored at
    :data:`FLOOR_NATS` below the best Gaussian of those codebooks in its stream.

    Returns
    -------
    np.ndarray [shape=(n_frames, len(senones)), dtype=float32]
    """
    senones = np.asarray(senones, dtype=np.int64)
    n = len(feats)
    order = np.argsort(model.sen2cb[senones], kind="stable")    # senones by codebook
    sen_sorted = senones[order]
    cbs, first = np.unique(model.sen2cb[sen_sorted], return_index=True)
    spans = list(zip(first, list(first[1:]) + [len(sen_sorted)]))
    n_den = model.weights.shape[1]
    cols = (cbs[:, None] * n_den + np.arange(n_den)[None, :]).ravel()
    out = np.zeros((n, len(senones)), dtype=np.float32)
    ones = np.ones((n, 1), np.float32)
    for st in range(model.lin.shape[0]):
        x = np.asarray(feats[:, 13 * st:13 * (st + 1)], dtype=np.float32)
        g = (np.concatenate([x * x, x, ones], axis=1) @ model.lin[st][:, cols])
        g = g.reshape(n, len(cbs), n_den)                                  # log N
        tops, idxs = [], []
        for k in range(TOPN):
            i = g.argmax(axis=-1)
            idxs.append(i)
            tops.append(np.take_along_axis(g, i[..., None], -1)[..., 0])
            if k + 1 < TOPN:
                np.put_along_axis(g, i[..., None], -np.inf, -1)
        floor = tops[0].max(axis=1, keepdims=True) - np.float32(FLOOR_NATS)
        tops = [np.maximum(t, floor) for t in tops]
        w = model.weights[st]
        # each senone log-adds its codebook's top Gaussians with its mixture weights:
        # log(sum_k w[i_k] exp(top_k)) = top_0 + log(w[i_0] + sum_k w[i_k] exp(top_k - top_0))
        ratios = [np.exp(t - tops[0]) for t in tops[1:]]
        for c, (lo, hi) in enumerate(spans):
            wc = np.ascontiguousarray(w[:, sen_sorted[lo:hi]])           # (128, S_c)
            acc = wc[idxs[0][:, c]]
            for k in range(1, TOPN):
                acc += wc[idxs[k][:, c]] * ratios[k - 1][:, c, None]
            out[:, lo:hi] += np.log(acc) + tops[0][:, c, None]
    res = np.empty_like(out)
    res[:, order] = out
    return res


def to_ps_units(nats):
    """Log scores in nats -> pocketsphinx's score units."""
    return np.asarray(nats) / PS_UNIT_NATS
