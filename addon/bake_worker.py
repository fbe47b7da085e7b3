"""Child process that runs one bake for the add-on, so Blender's UI never waits on it.

Why a process and not a thread: pocketsphinx keeps Python's GIL while it aligns, so a bake
thread stalled Blender's main thread for up to 2 s at a time (measured on a 34 s line).
This file imports only the standard library at the top and never imports ``bpy``; it is run
as ``python bake_worker.py <package> <package_dir> <job_dir>`` with Blender's own Python
(``sys.executable``) and the parent's ``sys.path`` in ``PYTHONPATH``.

Protocol (text lines on stdout, flushed): ``P <fraction> <message>`` for progress, then
``D`` (result pickled to ``<job_dir>/result.pkl``), ``C`` (cancelled) or ``E <one line>``.
A line ``cancel`` on stdin makes the next progress report raise, as the thread worker does.
"""
import importlib
import importlib.util
import os
import pickle
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


def main(argv) -> int:
    name, root, job_dir = argv[1:4]
    import_package(name, root)
    pipeline = importlib.import_module(f"{name}.core.pipeline")
    errors = importlib.import_module(f"{name}.core.errors")
    stop = threading.Event()

    def watch_stdin():
        for line in sys.stdin:
            if line.strip() == "cancel":
                stop.set()
                return

    threading.Thread(target=watch_stdin, daemon=True).start()

    def progress(fraction, message):
        if stop.is_set():
            raise Cancelled()
        print(f"P {fraction:.4f} {message}", flush=True)

    with open(os.path.join(job_dir, "request.pkl"), "rb") as fh:
        kwargs = pickle.load(fh)
    audio = kwargs.pop("audio")
    settings_mod = importlib.import_module(f"{name}.core.settings")
    try:
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


if __name__ == "__main__":
    sys.exit(main(sys.argv))
