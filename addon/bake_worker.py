"""Child process that runs the add-on's bakes, so Blender's UI never waits on them.

Why a process and not a thread: pocketsphinx keeps Python's GIL while it aligns, so a bake
thread stalled Blender's main thread for up to 2 s at a time (measured on a 34 s line).
This file imports only the standard library at the top and never imports ``bpy``; it runs
with Blender's own Python (``sys.executable``) and the parent's ``sys.path`` in
``PYTHONPATH``, in one of two ways:

- ``python bake_worker.py <package> <package_dir> --serve``: a long-lived worker. It imports
  the package once and bakes one job per ``job <job_dir>`` line on stdin, so the phoneme
  network, pocketsphinx's decoder and every import stay loaded for the next line
  (``addon.bake_job`` keeps one such worker per Blender session). ``cancel <job_dir>``
  cancels that job; end of stdin (Blender quit, add-on disabled) ends the worker.
- ``python bake_worker.py <package> <package_dir> <job_dir>``: one job, then exit (a line
  ``cancel`` on stdin cancels it).

Per job, text lines on stdout, flushed: ``I <pid> <warm>`` (``warm`` 1 when the phoneme
network was loaded by an earlier job), ``P <fraction> <message>`` for progress, then ``D``
(result pickled to ``<job_dir>/result.pkl``), ``C`` (cancelled) or ``E <one line>``.
"""
import importlib
import importlib.util
import os
import pickle
import queue
import sys
import threading
import types


def import_package(name: str, root: str):
    """Import the talkrig package under the parent's module name (``bl_ext.<repo>.talkrig``
    inside Blender), so pickled core objects resolve to the same classes."""
    parts = name.split(".")
    for i in range(1, len(parts)):
        parent = ".".join(parts[:i])
        if parent not in sys.modules:
            mod = types.ModuleType(parent)
            mod.__path__ = []
            sys.modules[parent] = mod
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(root, "__init__.py"), submodule_search_locations=[root])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Cancelled(Exception):
    pass


def run_job(name: str, job_dir: str, cancelled) -> int:
    """Bake ``<job_dir>/request.pkl`` and report on stdout; ``cancelled()`` is polled at each
    progress report. Returns 0 (done or cancelled) or 1 (failed)."""
    pipeline = importlib.import_module(f"{name}.core.pipeline")
    errors = importlib.import_module(f"{name}.core.errors")
    settings_mod = importlib.import_module(f"{name}.core.settings")
    runtime = importlib.import_module(f"{name}.core.runtime")
    phone_net = importlib.import_module(f"{name}.core.speech.phone_net")
    print(f"I {os.getpid()} {int(runtime.loaded(phone_net.ONNX_MODEL))}", flush=True)

    def progress(fraction, message):
        if cancelled():
            raise Cancelled()
        print(f"P {fraction:.4f} {message}", flush=True)

    try:
        with open(os.path.join(job_dir, "request.pkl"), "rb") as fh:
            kwargs = pickle.load(fh)
        audio = kwargs.pop("audio")
        # settings travel as a plain dict: the parent's classes may live under another
        # package name (``talkrig`` in tests, ``bl_ext.<repo>.talkrig`` in Blender)
        kwargs["settings"] = settings_mod.BakeSettings.from_dict(kwargs["settings"])
        perf = pipeline.bake(audio, progress=progress, **kwargs)
    except Cancelled:
        print("C", flush=True)
        return 0
    except errors.TalkrigError as exc:
        print("E " + " ".join(str(exc).split()), flush=True)
        return 1
    except Exception as exc:       # a bug: one line for the user
        print(f"E talkrig failed unexpectedly ({type(exc).__name__}: "
              f"{' '.join(str(exc).split())}); please report it", flush=True)
        return 1
    tmp = os.path.join(job_dir, "result.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(perf, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, os.path.join(job_dir, "result.pkl"))
    print("D", flush=True)
    return 0


def serve(name: str) -> int:
    """The long-lived worker: one job per ``job <dir>`` line until stdin ends."""
    jobs: "queue.Queue" = queue.Queue()
    cancelled: set = set()

    def watch_stdin():
        for line in sys.stdin:
            cmd, _, arg = line.strip().partition(" ")
            if cmd == "job":
                jobs.put(arg)
            elif cmd == "cancel":
                cancelled.add(arg)
        jobs.put(None)

    threading.Thread(target=watch_stdin, daemon=True).start()
    while True:
        job_dir = jobs.get()
        if job_dir is None:
            return 0
        run_job(name, job_dir, lambda d=job_dir: d in cancelled)
        cancelled.discard(job_dir)


def main(argv) -> int:
    name, root, job_dir = argv[1:4]
    import_package(name, root)
    if job_dir == "--serve":
        return serve(name)
    stop = threading.Event()

    def watch_stdin():
        for line in sys.stdin:
            if line.strip() == "cancel":
                stop.set()
                return

    threading.Thread(target=watch_stdin, daemon=True).start()
    return run_job(name, job_dir, stop.is_set)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
