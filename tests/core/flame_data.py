"""Synthetic FLAME / SMPL-X model files built on the real FLAME 2023 Open template
(``tests/data/flame2023_open_partial``, CC BY 4.0, see its README): the layouts of FLAME
2020/2023 pickles (with chumpy-like objects made from stub classes, and a scipy-sparse-like
J_regressor), npz conversions and an SMPL-X npz whose head is the FLAME template.
Nothing here is the licensed FLAME expression space: expression bases are made by tests.
"""
from __future__ import annotations

import copyreg
import pickle
import sys
import types
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data" / "flame2023_open_partial" / \
    "flame2023_open_partial.npz"
SMPLX_PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 15, 15,
                 15, 20, 25, 26, 20, 28, 29, 20, 31, 32, 20, 34, 35, 20, 37, 38, 21, 40, 41, 21,
                 43, 44, 21, 46, 47, 21, 49, 50, 21, 52, 53]


@lru_cache(maxsize=1)
def real() -> dict:
    """The real FLAME 2023 Open geometry (float64 copies)."""
    with np.load(DATA) as z:
        return {k: np.asarray(z[k]) for k in z.files}


def flame_raw(exprdirs: np.ndarray, *, n_shape: int = 300) -> dict:
    """FLAME-layout arrays: real template/skinning, 60 real identity PCs padded to
    ``n_shape``, then ``exprdirs`` [5023, 3, K]."""
    r = real()
    V = r["v_template"].shape[0]
    shape = np.zeros((V, 3, n_shape))
    shape[:, :, :min(60, n_shape)] = r["shapedirs"][:, :, :min(60, n_shape)]
    return {"v_template": r["v_template"].astype(np.float64), "f": r["f"].astype(np.uint32),
            "shapedirs": np.concatenate([shape, exprdirs], axis=2),
            "posedirs": r["posedirs"].astype(np.float64),
            "J_regressor": r["J_regressor"].astype(np.float64),
            "weights": r["weights"].astype(np.float64),
            "kintree_table": np.array([[4294967295, 0, 1, 1, 1], [0, 1, 2, 3, 4]], np.int64)}


def random_basis(k: int, seed: int = 0, scale: float = 1e-3) -> np.ndarray:
    """Smooth random expression components [5023, 3, k] (metres per unit)."""
    rng = np.random.default_rng(seed)
    v = real()["v_template"].astype(np.float64)
    centres = v[rng.choice(len(v), size=(k, 4))]
    out = np.zeros((len(v), 3, k))
    for j in range(k):
        for c in centres[j]:
            g = np.exp(-0.5 * ((v - c) ** 2).sum(1) / 0.015 ** 2)
            out[:, :, j] += g[:, None] * rng.normal(size=3)[None, :] * scale
    return out


# ------------------------------------------------------------ pickles with stub classes

class _FakeModules:
    """Temporarily install modules so pickle can name classes 'chumpy.ch.Ch' etc."""

    def __init__(self, classes: dict):
        self.classes = classes
        self.saved = {}

    def __enter__(self):
        for modname, classes in self.classes.items():
            parts = modname.split(".")
            for i in range(1, len(parts) + 1):
                name = ".".join(parts[:i])
                self.saved.setdefault(name, sys.modules.get(name))
                if name not in sys.modules or i == len(parts):
                    mod = sys.modules.get(name) if i < len(parts) else types.ModuleType(name)
                    sys.modules[name] = mod or types.ModuleType(name)
            for cls in classes:
                cls.__module__ = modname
                setattr(sys.modules[modname], cls.__name__, cls)
        return self

    def __exit__(self, *exc):
        for name, mod in self.saved.items():
            if mod is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod


class Ch:
    """Stands in for chumpy.ch.Ch when writing test pickles: same state layout."""

    def __init__(self, x):
        self.x = np.asarray(x, dtype=np.float64)
        self._dirty_vars = set()
        self._itr = None
        self._depends_on_deps = {}
        self._make_dense = False
        self._make_sparse = False

    def __reduce_ex__(self, protocol):
        return (copyreg.__newobj__, (type(self),), dict(self.__dict__))


class Select(Ch):
    """A derived chumpy node (talkrig cannot evaluate these)."""

    def __init__(self, a):
        self.a = a
        self._dirty_vars = set()

    def __reduce_ex__(self, protocol):
        return (copyreg.__newobj__, (type(self),), dict(self.__dict__))


class csc_matrix:                                   # noqa: N801 (scipy's name)
    """Pickles like scipy.sparse.csc.csc_matrix of the 2017-era files."""

    def __init__(self, dense):
        dense = np.asarray(dense, dtype=np.float64)
        rows, cols = np.nonzero(dense.T)            # column-major order
        self.data = dense.T[rows, cols]
        self.indices = cols.astype(np.int32)
        self.indptr = np.searchsorted(rows, np.arange(dense.shape[1] + 1)).astype(np.int32)
        self._shape = dense.shape
        self.maxprint = 50

    def __reduce_ex__(self, protocol):
        return (copyreg.__newobj__, (type(self),), dict(self.__dict__))


def write_pickle(path, raw: dict, *, chumpy: bool = True, sparse: bool = True,
                 derived: bool = False) -> Path:
    """A FLAME-style pickle (protocol 2): chumpy-like ``shapedirs``/``v_template``/
    ``weights``, a csc-like ``J_regressor``, like the released files."""
    d = dict(raw)
    d["bs_style"], d["bs_type"] = "lbs", "lrotmin"
    if chumpy:
        for key in ("shapedirs", "v_template", "weights"):
            d[key] = Ch(d[key])
    if derived:
        d["shapedirs"] = Select(d["shapedirs"])
    if sparse:
        d["J_regressor"] = csc_matrix(d["J_regressor"])
    with _FakeModules({"chumpy.ch": [Ch], "chumpy.reordering": [Select],
                       "scipy.sparse.csc": [csc_matrix]}):
        with open(path, "wb") as fh:
            pickle.dump(d, fh, protocol=2)
    return Path(path)


def write_npz(path, raw: dict) -> Path:
    np.savez(path, **{k: np.asarray(v) for k, v in raw.items()})
    return Path(path)


def smplx_raw(exprdirs: np.ndarray, *, seed: int = 0, n_body: int = 600) -> dict:
    """An SMPL-X-layout model (55 joints, SMPL-X keys) whose head is the FLAME template
    (vertices 0..5022) with FLAME's skinning on joints neck, head, jaw and eyes, plus
    ``n_body`` body vertices (the real file has 10475 vertices in all; fewer keep the
    test file small)."""
    r = real()
    rng = np.random.default_rng(seed)
    nf = 5023
    V = nf + n_body
    v = np.zeros((V, 3))
    v[:nf] = r["v_template"]
    v[nf:] = rng.uniform([-0.3, -1.2, -0.15], [0.3, -0.2, 0.15], size=(V - nf, 3))
    body_f = nf + rng.integers(0, V - nf, size=(n_body, 3))
    f = np.concatenate([r["f"].astype(np.int64), body_f])
    joints = [12, 15, 22, 23, 24]
    J = np.zeros((55, V))
    J[:, nf:] = 1.0 / (V - nf)
    for k, j in enumerate(joints):
        J[j] = 0.0
        J[j, :nf] = r["J_regressor"][k]
    w = np.zeros((V, 55))
    w[:nf, joints] = r["weights"]
    w[nf:, 9] = 1.0
    pd = np.zeros((V, 3, 486))
    for k, j in enumerate(joints[1:]):
        pd[:nf, :, (j - 1) * 9:(j - 1) * 9 + 9] = r["posedirs"][:, :, k * 9:k * 9 + 9]
    K = exprdirs.shape[2]
    sd = np.zeros((V, 3, 300 + K))
    sd[:nf, :, 300:] = exprdirs
    kt = np.array([[p if p >= 0 else 4294967295 for p in SMPLX_PARENTS], list(range(55))])
    return {"v_template": v, "f": f.astype(np.uint32), "shapedirs": sd, "posedirs": pd,
            "J_regressor": J, "weights": w, "kintree_table": kt,
            "hands_componentsl": np.zeros((45, 45)), "hands_componentsr": np.zeros((45, 45)),
            "hands_meanl": np.zeros(45), "hands_meanr": np.zeros(45)}


#: MediaPipe inner-lip landmark pairs (upper, lower) from the right corner to the left.
INNER_LIP_PAIRS = ((191, 95), (80, 88), (81, 178), (82, 87), (13, 14), (312, 317), (311, 402),
                   (310, 318), (415, 324))


def inner_lip_gaps(verts: np.ndarray) -> np.ndarray:
    """Vertical gaps (metres, Y up) between the paired inner-lip points of the FLAME
    topology (the official MediaPipe embedding) [shape=(n_frames, 9)] for verts [n, 5023, 3].
    The template's closed mouth has gaps of 0-2 mm: compare with the rest gaps."""
    r = real()
    idx = list(r["mp_landmark_indices"])
    f = r["f"].astype(np.int64)
    verts = np.asarray(verts).reshape(-1, f.max() + 1, 3)

    def point(mp):
        i = idx.index(mp)
        return (verts[:, f[r["mp_lmk_face_idx"][i]]] * r["mp_lmk_b_coords"][i][None, :, None]).sum(1)

    return np.stack([point(u)[:, 1] - point(lo)[:, 1] for u, lo in INNER_LIP_PAIRS], 1)


def known_basis(model, fit, deltas, eyeball, *, seed: int = 5, noise: float = 0.01,
                k: int = 100) -> np.ndarray:
    """Expression components [5023, 3, k] that contain the transferred ARKit shapes (what
    the jaw/eye joints of ``fit`` leave of ``deltas``, each ``noise`` perturbed) mixed by a
    random invertible matrix with random components."""
    from talkrig.core.flame.fit import expression_targets

    poses = np.zeros((len(deltas), 5, 3))
    poses[:, 2], poses[:, 3], poses[:, 4] = fit.jaw_pose, fit.leye_pose, fit.reye_pose
    resid = expression_targets(model, deltas, poses)
    resid[:, eyeball] = 0.0
    moving = np.abs(resid).reshape(len(resid), -1).max(1) > 1e-6
    known = np.moveaxis(resid[moving], 0, -1)
    rng = np.random.default_rng(seed)
    wiggle = random_basis(known.shape[2], seed=seed + 1, scale=1.0)
    wiggle /= np.abs(wiggle).max(axis=(0, 1), keepdims=True)
    known = known + noise * np.abs(known).max(axis=(0, 1), keepdims=True) * wiggle
    basis = np.concatenate([known, random_basis(k - known.shape[2], seed=seed)], axis=2)
    Q, _ = np.linalg.qr(rng.normal(size=(k, k)))
    return np.einsum("vck,kj->vcj", basis, Q * rng.uniform(0.5, 2.0, size=k)[None, :])


@lru_cache(maxsize=1)
def demo_on_random_model(k: int = 20):
    """(model, source, regions, registration, fit, deltas) for a k-component random model
    on the real template: the demo head registered once per test process."""
    import tempfile

    from talkrig.core.flame.fit import fit_mapping
    from talkrig.core.flame.model import load_flame_model
    from talkrig.core.flame.register import demo_source, flame_regions, register

    folder = Path(tempfile.mkdtemp(prefix="talkrig_flame_"))
    model = load_flame_model(str(write_npz(folder / f"random{k}.npz",
                                           flame_raw(random_basis(k)))))
    source = demo_source()
    regions = flame_regions(model)
    reg = register(source, model, regions)
    fit, deltas = fit_mapping(model, source, registration=reg, regions=regions)
    return model, source, regions, reg, fit, deltas
