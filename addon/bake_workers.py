"""Bake worker processes kept loaded between bakes, one per settings key, ended with the add-on.

A worker is a long-lived ``bake_worker.py --serve`` child process (Blender's own Python) that
takes one bake after another, so imports, the phoneme network and pocketsphinx's decoder load
once. :func:`_acquire_worker` hands out an idle, live worker whose key (:func:`_worker_key`:
Python, package, folder, ``sys.path``, environment) still matches, else starts one;
:func:`_release_worker` takes it back (closing a dead one); :func:`shutdown_workers` (the
add-on's unregister) ends the idle ones. :class:`addon.bake_job.BakeJob` is the only user.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading


KILL_AFTER_S = 3.0             # a worker that does not stop (cancel, close) is killed after this


class _Worker:
    """A long-lived ``bake_worker.py --serve`` process: one per Blender session, reused by
    every bake (imports, the phoneme network and pocketsphinx stay loaded), one job at a
    time. Its stderr goes to a file (a full pipe would block it)."""

    def __init__(self, key):
        package, root, pythonpath = key[1:4]
        worker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bake_worker.py")
        env = dict(os.environ, PYTHONPATH=pythonpath)
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)      # no console window on Windows
        self.key = key
        self.dir = tempfile.mkdtemp(prefix="talkrig_worker_")
        self.stderr_path = os.path.join(self.dir, "stderr.txt")
        with open(self.stderr_path, "w") as err_fh:
            self.proc = subprocess.Popen(
                [sys.executable, worker, package, root, "--serve"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=err_fh, text=True, env=env, creationflags=flags)
        self.busy = False

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stderr_tail(self) -> str:
        try:
            with open(self.stderr_path, errors="replace") as fh:
                return " ".join(fh.read().strip().splitlines()[-1:]) or "no output"
        except OSError:
            return "no output"

    def close(self) -> None:
        """End the worker (closing its stdin ends its loop; killed if it does not)."""
        try:
            self.proc.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(KILL_AFTER_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


_WORKER_LOCK = threading.Lock()
_WORKERS: list = []            # the session's workers; one is enough unless bakes overlap


def _worker_key():
    """What a worker inherits and must still match to take the next bake: the Python, the
    add-on's package and folder, ``sys.path``, and the environment (cache folders such as
    ``XDG_CACHE_HOME`` and ``TALKRIG_CACHE_DIR`` live there: a bake sees the environment of
    the moment it starts, as with a process per bake)."""
    import hashlib
    package = __name__.rsplit(".addon.", 1)[0]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = hashlib.sha256(repr(sorted(os.environ.items())).encode("utf-8", "replace")).hexdigest()
    return (sys.executable, package, root, os.pathsep.join(p for p in sys.path if p), env)


def _acquire_worker() -> _Worker:
    """An idle, live worker of this add-on (same Python, package and path), else a new one.
    Raises OSError when no process can be started."""
    key = _worker_key()
    with _WORKER_LOCK:
        for w in list(_WORKERS):
            if w.proc.poll() is not None or w.key != key:
                if not w.busy:
                    _WORKERS.remove(w)
                    w.close()
                continue
            if not w.busy:
                w.busy = True
                return w
        w = _Worker(key)
        w.busy = True
        _WORKERS.append(w)
        return w


def _release_worker(worker: _Worker, *, alive: bool) -> None:
    """Give the worker back after a job; one that ended the job without a last line (it
    died, or was killed) is closed."""
    with _WORKER_LOCK:
        worker.busy = False
        if not alive or worker.proc.poll() is not None:
            if worker in _WORKERS:
                _WORKERS.remove(worker)
            worker.close()


def shutdown_workers() -> None:
    """End every idle worker (the add-on's unregister; Blender's exit ends them anyway,
    their stdin closes)."""
    with _WORKER_LOCK:
        for w in [w for w in _WORKERS if not w.busy]:
            _WORKERS.remove(w)
            w.close()
