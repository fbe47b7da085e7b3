"""Loading a user's FLAME model: FLAME 2020/2023 pickles (without chumpy), npz
conversions, and the face part of an SMPL-X model file.

FLAME pickles hold ``chumpy`` objects and ``scipy.sparse`` matrices. chumpy does not
import on Python 3.11 / numpy >= 1.24, so the pickle is read by an unpickler that maps
every chumpy and scipy.sparse class to a stub keeping its state, and takes the arrays
out. Only a short list of numpy/builtin callables may run while unpickling; anything else
becomes an inert stub, so a model file cannot execute code.

FLAME frame: metres, Y up, the face looks along +Z, the subject's left is +X.
Joints: 0 global (neck base), 1 neck, 2 jaw, 3 left eye, 4 right eye.
"""
from __future__ import annotations

import builtins
import io
import os
import pickle
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import FlameModelError
from ..io.digest import file_sha256  # noqa: F401  (re-exported)

FLAME_JOINTS = ("global", "neck", "jaw", "left_eye", "right_eye")
FLAME_PARENTS = (-1, 0, 1, 1, 1)
N_FLAME_SHAPE = 300                     # identity components before the expression ones
SMPLX_N_VERTS = 10475
#: SMPL-X joints that play FLAME's five: neck, head, jaw, left eye, right eye.
SMPLX_FACE_JOINTS = (12, 15, 22, 23, 24)


@dataclass(frozen=True)
class FlameModel:
    """The parts of a FLAME-layout model talkrig needs (float64, FLAME frame).

    Attributes
    ----------
    v_template : np.ndarray [shape=(V, 3)]  rest vertices, metres.
    faces : np.ndarray [shape=(F, 3), dtype=int64]
    exprdirs : np.ndarray [shape=(V, 3, K)]  expression components (metres per unit coefficient).
    posedirs : np.ndarray [shape=(V, 3, 36)]  pose correctives of joints 1..4.
    J_regressor : np.ndarray [shape=(5, V)]
    weights : np.ndarray [shape=(V, 5)]  skinning weights, rows sum to 1.
    parents : tuple of int  kinematic parents (``FLAME_PARENTS``).
    sha256 : str  hash of the model file (keys the ARKit mapping cache).
    kind : str  'flame', 'flame2020', 'flame2023' or 'smplx-face'.
    path : str
    vertex_ids : np.ndarray [shape=(V,)] or None  for 'smplx-face': ids in the SMPL-X mesh.
    """

    v_template: np.ndarray
    faces: np.ndarray
    exprdirs: np.ndarray
    posedirs: np.ndarray
    J_regressor: np.ndarray
    weights: np.ndarray
    parents: tuple = FLAME_PARENTS
    sha256: str = ""
    kind: str = "flame"
    path: str = ""
    vertex_ids: Optional[np.ndarray] = None

    @property
    def n_vertices(self) -> int:
        return int(self.v_template.shape[0])

    @property
    def n_expression(self) -> int:
        return int(self.exprdirs.shape[2])

    def joints(self) -> np.ndarray:
        """Rest joint positions [shape=(5, 3)], metres."""
        return self.J_regressor @ self.v_template


# ---------------------------------------------------------------- unpickling

class _Stub:
    """Stands in for a chumpy / scipy.sparse / unknown class; keeps its pickled state."""

    _module = ""
    _name = ""

    def __new__(cls, *args, **kwargs):
        obj = object.__new__(cls)
        obj._args = args
        obj._state = None
        return obj

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        object.__setattr__(self, "_state", state)

    def __call__(self, *args, **kwargs):      # a stubbed class used as a callable
        return self


_STUB_TYPES: dict = {}


def _stub_type(module: str, name: str) -> type:
    key = (module, name)
    if key not in _STUB_TYPES:
        _STUB_TYPES[key] = type(f"Stub_{name}", (_Stub,), {"_module": module, "_name": name})
    return _STUB_TYPES[key]


def _allowed_globals() -> dict:
    import _codecs
    import collections
    import copyreg

    try:
        from numpy._core import multiarray
    except ImportError:                                   # numpy 1.x
        from numpy.core import multiarray
    allowed = {("copyreg", "_reconstructor"): copyreg._reconstructor,
               ("copy_reg", "_reconstructor"): copyreg._reconstructor,
               ("_codecs", "encode"): _codecs.encode,
               ("collections", "OrderedDict"): collections.OrderedDict,
               ("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(mod, "_reconstruct")] = multiarray._reconstruct
        allowed[(mod, "scalar")] = multiarray.scalar
    for mod in ("builtins", "__builtin__"):
        for name in ("object", "set", "frozenset", "list", "dict", "tuple", "int", "float",
                     "complex", "bytearray", "slice"):
            allowed[(mod, name)] = getattr(builtins, name)
    return allowed


class _SafeUnpickler(pickle.Unpickler):
    _allowed = None

    def find_class(self, module, name):
        if _SafeUnpickler._allowed is None:
            _SafeUnpickler._allowed = _allowed_globals()
        fn = _SafeUnpickler._allowed.get((module, name))
        if fn is not None:
            return fn
        if module.startswith("numpy") and name in ("dtype", "ndarray"):
            return getattr(np, name)
        return _stub_type(module, name)          # chumpy, scipy.sparse, anything else


def _read_pickle(path: str) -> dict:
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        data = _SafeUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, MemoryError) as exc:
        raise FlameModelError(
            f"{path}: cannot read this pickle ({type(exc).__name__}: {exc}); the file is "
            "truncated or not a FLAME model: download the model file again") from exc
    if not isinstance(data, dict):
        raise FlameModelError(f"{path}: the pickle holds a {type(data).__name__}, not a FLAME "
                              "model dictionary")
    return data


def _sparse_to_dense(stub: _Stub, key: str) -> np.ndarray:
    st = stub._state if isinstance(stub._state, dict) else {}
    shape = st.get("_shape", st.get("shape"))
    fmt = stub._name[:3]
    try:
        data = np.asarray(st["data"], dtype=np.float64)
        out = np.zeros(tuple(int(s) for s in shape))
        if fmt in ("csc", "csr"):
            indices = np.asarray(st["indices"], dtype=np.int64)
            indptr = np.asarray(st["indptr"], dtype=np.int64)
            outer = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
            rows, cols = (indices, outer) if fmt == "csc" else (outer, indices)
        elif fmt == "coo":
            rows = np.asarray(st.get("row", st.get("coords", [None])[0]), dtype=np.int64)
            cols = np.asarray(st.get("col", st.get("coords", [None, None])[1]), dtype=np.int64)
        else:
            raise KeyError(fmt)
        np.add.at(out, (rows, cols), data)
        return out
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise FlameModelError(f"model array '{key}' is a {stub._module}.{stub._name} whose "
                              f"state cannot be read ({exc})") from exc


def _as_array(obj, key: str) -> np.ndarray:
    """An array out of an ndarray, a chumpy stub (its ``x``) or a scipy.sparse stub."""
    if isinstance(obj, _Stub):
        if obj._module.startswith("scipy.sparse"):
            return _sparse_to_dense(obj, key)
        st = obj._state
        if isinstance(st, dict) and "x" in st:
            return _as_array(st["x"], key)
        raise FlameModelError(
            f"model array '{key}' is a {obj._module}.{obj._name} object talkrig cannot read; "
            "convert the model to npz (np.savez with plain arrays) and pass that file")
    try:
        return np.asarray(obj)
    except (TypeError, ValueError) as exc:
        raise FlameModelError(f"model entry '{key}' is not an array ({exc})") from exc


def _read_raw(path: str) -> dict:
    """All arrays of a .pkl or .npz model file as a dict of numpy arrays."""
    if not path:
        raise FlameModelError("no FLAME model file given: pass the path of your FLAME model "
                              "(generic_model.pkl, flame2023.pkl, or an npz conversion)")
    if not os.path.isfile(path):
        raise FlameModelError(f"FLAME model file not found: {path}; download FLAME from "
                              "https://flame.is.tue.mpg.de and pass the path of its .pkl")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head[:2] == b"PK":                                    # npz (a zip)
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: np.asarray(z[k]) for k in z.files}
        except (ValueError, OSError, EOFError) as exc:
            raise FlameModelError(f"{path}: cannot read this npz ({exc}); save it with plain "
                                  "arrays (np.savez) or download it again") from exc
    if head[:1] != b"\x80" and not head[:1] in (b"(", b"}"):
        raise FlameModelError(f"{path}: neither a pickle nor an npz file; pass a FLAME model "
                              "(.pkl) or its npz conversion")
    return {str(k): _as_array(v, str(k)) for k, v in _read_pickle(path).items()
            if str(k) in _ARRAY_KEYS}


_ARRAY_KEYS = ("v_template", "f", "shapedirs", "exprdirs", "expressiondirs", "posedirs",
               "J_regressor", "weights", "kintree_table", "hands_componentsl")


def _need(raw: dict, key: str, path: str) -> np.ndarray:
    if key not in raw:
        raise FlameModelError(f"{path}: no '{key}' array; this is not a FLAME or SMPL-X model "
                              f"file (it has: {', '.join(sorted(raw)) or 'nothing'})")
    return raw[key]


def _check(a: np.ndarray, shape: tuple, key: str, path: str) -> np.ndarray:
    ok = a.ndim == len(shape) and all(s is None or s == n for s, n in zip(shape, a.shape))
    if not ok:
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise FlameModelError(f"{path}: '{key}' has shape {a.shape}, expected {want}; the "
                              "file is damaged or of another model")
    if a.dtype.kind not in "fiub" or (a.dtype.kind == "f" and not np.all(np.isfinite(a))):
        raise FlameModelError(f"{path}: '{key}' is not a finite numeric array")
    return a


def _is_smplx(raw: dict) -> bool:
    j = raw.get("J_regressor")
    return ("hands_componentsl" in raw or (j is not None and j.ndim == 2 and j.shape[0] == 55)
            or raw["v_template"].shape[0] == SMPLX_N_VERTS)


def load_flame_model(path: str, *, kind: str = "auto", n_expression: int = 0,
                     sha256: str = "") -> FlameModel:
    """Load a FLAME model (or the face part of an SMPL-X model) from ``path``.

    Parameters
    ----------
    path : str  .pkl (FLAME 2020/2023, chumpy inside is fine) or .npz with FLAME keys.
    kind : {'auto', 'flame', 'smplx'}  'flame' refuses an SMPL-X file, 'smplx' a FLAME one.
    n_expression : int  expression components needed (0 = all); more than the file has is
        an error.
    sha256 : str  the file's hash if already known.
    """
    if kind not in ("auto", "flame", "smplx"):
        raise FlameModelError(f"model kind must be 'auto', 'flame' or 'smplx', got {kind!r}")
    raw = _read_raw(path)
    v = _check(_need(raw, "v_template", path), (None, 3), "v_template", path).astype(np.float64)
    smplx = _is_smplx(raw)
    if smplx and kind == "flame":
        raise FlameModelError(f"{path} is an SMPL-X model ({v.shape[0]} vertices), not FLAME; "
                              "pass a FLAME model file, or ask for the SMPL-X face (kind "
                              "'smplx')")
    if not smplx and kind == "smplx":
        raise FlameModelError(f"{path} is not an SMPL-X model ({v.shape[0]} vertices); "
                              "pass SMPLX_NEUTRAL.npz or ask for kind 'flame'")
    sha = sha256 or file_sha256(path)
    model = _smplx_face(raw, v, path) if smplx else _flame(raw, v, path)
    k = model.exprdirs.shape[2]
    if k == 0:
        raise FlameModelError(f"{path} has no expression components (shapedirs holds identity "
                              "components only); use a full FLAME model file")
    if n_expression > k:
        raise FlameModelError(f"{path} has {k} expression components, {n_expression} were asked;"
                              f" ask for at most {k} (or 0 for all)")
    if n_expression:
        model = _replace(model, exprdirs=model.exprdirs[:, :, :n_expression])
    base = os.path.basename(path).lower()
    label = "smplx-face" if smplx else (
        "flame2023" if "2023" in base else
        "flame2020" if ("2020" in base or "generic" in base) else "flame")
    return _replace(model, sha256=sha, kind=label, path=str(path))


def _replace(model: FlameModel, **kw) -> FlameModel:
    from dataclasses import replace
    return replace(model, **kw)


def _split_shapedirs(raw: dict, n_verts: int, path: str, n_shape_default: int) -> np.ndarray:
    sd = _check(_need(raw, "shapedirs", path), (n_verts, 3, None), "shapedirs", path)
    for key in ("exprdirs", "expressiondirs"):
        if key in raw:
            return _check(raw[key], (n_verts, 3, None), key, path).astype(np.float64)
    k = sd.shape[2]
    n_shape = n_shape_default if k > n_shape_default else (10 if k == 20 else k)
    return sd[:, :, n_shape:].astype(np.float64)


def _flame(raw: dict, v: np.ndarray, path: str) -> FlameModel:
    n = v.shape[0]
    f = _check(_need(raw, "f", path), (None, 3), "f", path).astype(np.int64)
    if f.min() < 0 or f.max() >= n:
        raise FlameModelError(f"{path}: 'f' indexes vertices outside 0..{n - 1}")
    jr = _check(_need(raw, "J_regressor", path), (5, n), "J_regressor", path)
    w = _check(_need(raw, "weights", path), (n, 5), "weights", path)
    pd = _check(_need(raw, "posedirs", path), (n, 3, 36), "posedirs", path)
    if "kintree_table" in raw:
        kt = _check(raw["kintree_table"], (2, 5), "kintree_table", path)
        if [int(p) for p in kt[1]] != [0, 1, 2, 3, 4] or [int(p) for p in kt[0, 1:]] != [0, 1, 1, 1]:
            raise FlameModelError(f"{path}: kintree_table {kt.tolist()} is not FLAME's "
                                  "(global, neck, jaw, left eye, right eye)")
    expr = _split_shapedirs(raw, n, path, N_FLAME_SHAPE)
    return FlameModel(v_template=v, faces=f, exprdirs=expr, posedirs=pd.astype(np.float64),
                      J_regressor=jr.astype(np.float64), weights=w.astype(np.float64))


def _smplx_face(raw: dict, v: np.ndarray, path: str) -> FlameModel:
    """The head of an SMPL-X model as a FLAME-layout model (joints neck, head, jaw, eyes)."""
    n = v.shape[0]
    f = _check(_need(raw, "f", path), (None, 3), "f", path).astype(np.int64)
    jr = _check(_need(raw, "J_regressor", path), (55, n), "J_regressor", path).astype(np.float64)
    w = _check(_need(raw, "weights", path), (n, 55), "weights", path).astype(np.float64)
    pd = _check(_need(raw, "posedirs", path), (n, 3, 54 * 9), "posedirs", path)
    expr = _split_shapedirs(raw, n, path, N_FLAME_SHAPE)
    head = list(SMPLX_FACE_JOINTS[1:])
    keep = np.where(w[:, head].sum(1) > 0.5)[0]          # head, jaw and eye vertices
    remap = -np.ones(n, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    fk = remap[f]
    fk = fk[(fk >= 0).all(1)]
    ws = w[keep][:, list(SMPLX_FACE_JOINTS)]
    ws[:, 0] += 1.0 - ws.sum(1)                          # the rest of the body rides on the neck
    js = jr[list(SMPLX_FACE_JOINTS)][:, keep]
    # keep the rest joints where the full regressor puts them
    sums = js.sum(1, keepdims=True)
    js = np.where(sums > 1e-8, js / np.where(sums > 1e-8, sums, 1.0), js)
    blocks = [(j - 1) * 9 for j in SMPLX_FACE_JOINTS[1:]]
    pds = np.concatenate([pd[keep][:, :, b:b + 9] for b in blocks], axis=2).astype(np.float64)
    return FlameModel(v_template=v[keep], faces=fk, exprdirs=expr[keep], posedirs=pds,
                      J_regressor=js, weights=ws, vertex_ids=keep)
