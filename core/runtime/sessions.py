"""onnxruntime sessions: imported lazily, created once per process and model, thread count
set in one place.

``import onnxruntime`` costs about 0.1-0.2 s and a session for the 5 MB phoneme network
about as much again, so neither happens before a bake needs a network, and the session is
kept for the next line (the batch workers and Blender's bake worker are long-lived
processes). A missing runtime or model raises :class:`~core.errors.ModelRuntimeError`
with what to do; callers that can go on without the network record the reason (see
:func:`runtime_status`) instead of failing silently.

Threads: one intra-op thread by default (a bake is one line; batch jobs run lines in
parallel processes), and the workers do not spin between calls (spinning counts as CPU
time and steals a core from the other stages). :func:`set_threads` changes the count for
sessions created afterwards.
"""
from __future__ import annotations

import os
import platform
import sys
import threading

from ..errors import ModelRuntimeError
from .cards import ModelCard, model_card, verify_model_file

_lock = threading.RLock()
_ort = None                 # the onnxruntime module once imported
_ort_error = None           # ModelRuntimeError once the import failed
_sessions: dict = {}
_threads = 1


def set_threads(n: int) -> None:
    """Intra-op threads for sessions created from now on (``n >= 1``)."""
    global _threads
    n = int(n)
    if n < 1:
        raise ModelRuntimeError(f"onnxruntime threads must be >= 1, got {n}")
    with _lock:
        _threads = n


def threads() -> int:
    """The intra-op thread count new sessions get."""
    return _threads


def _import_hint(platform: str) -> str:
    if platform == "win32":
        return ("install the Windows package of talkrig (it carries onnxruntime); inside "
                "Blender 4.x on Windows onnxruntime 1.18.1 is the version that loads")
    return "install onnxruntime (see requirements/core.txt for the pinned version)"


def onnxruntime_module():
    """The ``onnxruntime`` module, imported on first use.

    Raises
    ------
    ModelRuntimeError
        If onnxruntime is not installed or its native library does not load (the
        message carries the import error).
    """
    global _ort, _ort_error
    with _lock:
        if _ort is not None:
            return _ort
        if _ort_error is not None:
            raise _ort_error
        try:
            import onnxruntime
        except Exception as err:       # ImportError, or OSError from a DLL that fails to load
            _ort_error = ModelRuntimeError(
                f"onnxruntime cannot be loaded on this platform ({sys.platform}, Python "
                f"{sys.version_info.major}.{sys.version_info.minor}): "
                f"{type(err).__name__}: {err}; {_import_hint(sys.platform)}")
            raise _ort_error from err
        _ort = onnxruntime
        return _ort


def optimized_cache_dir() -> str:
    """Folder of this machine's pre-optimised copies of the shipped models:
    ``$TALKRIG_CACHE_DIR/onnxruntime``, else ``$XDG_CACHE_HOME/talkrig/onnxruntime``, else
    ``~/.cache/talkrig/onnxruntime``."""
    base = os.environ.get("TALKRIG_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "talkrig")
    return os.path.join(base, "onnxruntime")


def optimized_cache_path(card: ModelCard, ort_version: str) -> str:
    """Where the pre-optimised copy of ``card``'s model lives for this onnxruntime version
    and machine (a new model file, runtime or CPU architecture gets its own copy)."""
    return os.path.join(optimized_cache_dir(),
                        f"{card.name}-{card.sha256[:16]}-ort{ort_version}-"
                        f"{platform.machine().lower() or 'cpu'}-extended.onnx")


def _options(ort, level):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = _threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = 3
    opts.graph_optimization_level = level
    try:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    except Exception:               # pragma: no cover - very old runtimes
        pass
    return opts


def _create(ort, path: str, opts):
    return ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])


def _optimised_session(ort, model_path: str, cached: str):
    """A session on the model's extended-optimised graph: loaded from ``cached`` (no graph
    work at all: 0.025 s against 0.09 s for the 8.8 MB phoneme network), else built from
    the model with the extended rewrites and written to ``cached`` for the next process.

    Extended rewrites (fused layer norms, GELU, attention matmuls; no hardware-specific
    layouts, which is why not ORT_ENABLE_ALL) run the phoneme network 15% faster than the
    basic set, with bit-identical log-probabilities (checked in tests/core/test_runtime.py).
    A cache that cannot be read or written costs only the speed-up of loading."""
    L = ort.GraphOptimizationLevel
    if os.path.isfile(cached):
        try:
            return _create(ort, cached, _options(ort, L.ORT_DISABLE_ALL))
        except Exception:            # damaged or foreign copy: rebuild it below
            try:
                os.remove(cached)
            except OSError:
                pass
    tmp = f"{cached}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        os.makedirs(os.path.dirname(cached), exist_ok=True)
        opts = _options(ort, L.ORT_ENABLE_EXTENDED)
        opts.optimized_model_filepath = tmp
        sess = _create(ort, model_path, opts)
        os.replace(tmp, cached)
        return sess
    except Exception:
        try:
            os.remove(tmp)
        except OSError:
            pass
    return _create(ort, model_path, _options(ort, L.ORT_ENABLE_EXTENDED))


def _file_stamp(path) -> str:
    """Path, size and modification time of a file ('' if it cannot be read)."""
    try:
        st = os.stat(path)
    except OSError:
        return ""
    return f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}"


def _read_stamp(cached: str) -> str:
    try:
        with open(cached + ".stamp", encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return ""


def _write_stamp(cached: str, stamp: str) -> None:
    """Record which shipped file (path, size, time) the cached copy was verified from: while
    it is unchanged, later processes skip re-hashing it (0.013 s for the 8.8 MB network)."""
    tmp = f"{cached}.stamp.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(stamp)
        os.replace(tmp, cached + ".stamp")
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass


def session(name: str, *, models_dir=None):
    """The process-wide onnxruntime session for the shipped model ``name``.

    Created on first use (model file checked against its card's sha256, unless this
    machine's optimised copy was made from the same file - same path, size and modification
    time - since; the graph optimised once per machine and runtime version, see
    :func:`_optimised_session`), then cached per (model, thread count).

    Returns
    -------
    (onnxruntime.InferenceSession, ModelCard)

    Raises
    ------
    ModelRuntimeError
        If the card, the model file or onnxruntime is missing, or the session cannot be
        created.
    """
    card = model_card(name, models_dir=models_dir)
    key = (str(card.path), _threads)
    with _lock:
        hit = _sessions.get(key)
        if hit is not None:
            return hit, card
        ort = onnxruntime_module()
        version = getattr(ort, "__version__", "0")
        cached = optimized_cache_path(card, version)
        stamp = _file_stamp(card.path)
        fresh = bool(stamp) and os.path.isfile(cached) and _read_stamp(cached) == stamp
        if not fresh:
            verify_model_file(card)
        path = card.path
        try:
            sess = _optimised_session(ort, str(path), cached)
            if stamp and not fresh and os.path.isfile(cached):
                _write_stamp(cached, stamp)
        except Exception as err:
            raise ModelRuntimeError(
                f"onnxruntime {version} cannot load model "
                f"{path.name}: {type(err).__name__}: {err}; reinstall talkrig") from err
        _sessions[key] = sess
        return sess, card


def loaded(name: str) -> bool:
    """Whether a session for ``name`` exists in this process already (no side effects)."""
    with _lock:
        return any(k[0].endswith(f"{name}.onnx") for k in _sessions)


def release() -> None:
    """Drop every cached session (frees their memory; the next use loads again)."""
    with _lock:
        _sessions.clear()


def runtime_status() -> tuple:
    """``(ok, detail)``: whether onnxruntime imports here, with its version or the reason."""
    try:
        ort = onnxruntime_module()
    except ModelRuntimeError as err:
        return False, str(err)
    return True, f"onnxruntime {ort.__version__}"


__all__ = ["ModelCard", "loaded", "onnxruntime_module", "release", "runtime_status",
           "session", "set_threads", "threads"]
