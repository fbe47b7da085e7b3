"""``talkrig`` command line: bake speech to face curves, or run the demo.

Run as ``talkrig ...`` (console script) or ``python -m talkrig.core.cli ...``.
Failures print ONE line ``talkrig: error: <message>`` on stderr and exit non-zero:
2 for a talkrig error or a usage error, 1 for an unexpected failure (a bug: please report
it with the command line).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from .errors import ExportError, TalkrigError

PROG = "talkrig"
CURVE_EXTS = (".json", ".csv", ".npz")
BLENDER_EXTS = (".blend", ".fbx", ".glb")
_ROOT = __package__.rsplit(".", 1)[0] if __package__ else "talkrig"
BPY_HINT = "install the bpy module (pip install bpy==5.0.1) for .blend/.fbx/.glb output"

EPILOG = """examples:
  talkrig bake speech.wav -o speech.json               ARKit-52 curves as JSON
  talkrig bake speech.mp3 -o take.csv --fps 60         Live Link Face CSV at 60 fps
  talkrig bake speech.flac -o a.npz -o a.fbx --seed 3  two outputs from one bake
  talkrig bake speech.wav -o face.blend                demo head animated (needs bpy)
  talkrig demo --out out                               bake the examples onto the demo head

output formats (by extension): .json {"fps", "names", "frames"}; .csv Live Link Face;
.npz (names, fps, values); .blend / .fbx / .glb through Blender's bpy module.
"""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``talkrig: error: ...``) and exit status 2."""

    def error(self, message):
        raise _UsageError(f"{message} (see '{self.prog} --help')")


class _UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; option groups are named so other stages can add options."""
    parser = _Parser(prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
                     description="Turn speech into ARKit-52 face animation curves.",
                     epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    bake = sub.add_parser("bake", help="bake an audio file to face curves",
                          formatter_class=argparse.RawDescriptionHelpFormatter,
                          description="Bake speech audio to face animation curves.",
                          epilog=EPILOG)
    bake.add_argument("audio", metavar="AUDIO", help="speech file: wav, flac, ogg or mp3 (any rate)")
    out = bake.add_argument_group("output")
    out.add_argument("-o", "--out", dest="outputs", metavar="OUT", action="append", required=True,
                     help="output file, format by extension (.json .csv .npz .blend .fbx .glb); "
                          "repeat for several outputs")
    out.add_argument("--fps", type=float, default=30.0, help="frame rate (default 30; 29.97 works)")
    out.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    # Groups for the speech, emotion and style options that later stages add.
    bake.add_argument_group("speech", "what is said")
    bake.add_argument_group("emotion", "how it feels")
    perf = bake.add_argument_group("performance", "style and randomness")
    perf.add_argument("--seed", type=int, default=0, help="seed of blinks, gaze and head motion "
                                                          "(default 0; same seed = same curves)")
    perf.add_argument("--max-duration", type=float, default=4 * 3600.0, metavar="SECONDS",
                      help="longest accepted audio (default 14400 s)")
    bake.set_defaults(func=run_bake)

    demo = sub.add_parser("demo", help="bake the example speech onto the demo head (needs bpy)",
                          description="Bake the bundled example speech onto the generated demo "
                                      "head and write .blend/.fbx/.glb files.")
    demo.add_argument("--out", default="out", metavar="DIR", help="output folder (default out)")
    demo.set_defaults(func=run_demo)
    return parser


def _headless():
    """Import the Blender-side writer lazily, turning a missing bpy into a clear error."""
    try:
        from ..addon import headless
    except ImportError as exc:
        if getattr(exc, "name", None) in ("bpy", "mathutils", "bpy_extras"):
            raise ExportError(BPY_HINT) from None
        if importlib.util.find_spec(f"{_ROOT}.addon.headless") is None:
            raise ExportError("Blender output is not available in this install (talkrig.addon."
                              "headless is missing); write .json, .csv or .npz instead") from None
        raise
    return headless


def _split_outputs(outputs):
    curves, blender = [], {}
    for path in outputs:
        ext = os.path.splitext(path)[1].lower()
        if ext in CURVE_EXTS:
            curves.append(path)
        elif ext in BLENDER_EXTS:
            if ext[1:] in blender:
                raise ExportError(f"two {ext} outputs given ({blender[ext[1:]]}, {path}); give one")
            blender[ext[1:]] = path
        else:
            raise ExportError(f"unknown output extension {ext or '(none)'!r} in '{path}'; use "
                              f"{', '.join(CURVE_EXTS + BLENDER_EXTS)}")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise ExportError(f"cannot write '{path}': folder '{folder}' does not exist; create it first")
    return curves, blender


def bake_options(args) -> dict:
    """Keyword arguments for :func:`~talkrig.core.pipeline.bake` from parsed options.

    Stages that add CLI options extend this (``text=``, ``emotion=``, ``style=``).
    """
    return {"fps": args.fps, "seed": args.seed, "max_duration_s": args.max_duration}


def run_bake(args) -> int:
    from .io import write_curves
    from .pipeline import bake

    curves_out, blender_out = _split_outputs(args.outputs)
    headless = _headless() if blender_out else None      # fail before a long bake
    perf = bake(args.audio, **bake_options(args))
    for path in curves_out:
        write_curves(path, perf)
    if headless is not None:
        headless.bake_to_files(perf, audio_path=args.audio, blend=blender_out.get("blend"),
                               fbx=blender_out.get("fbx"), glb=blender_out.get("glb"))
    if not args.quiet:
        face = perf.face
        notes = "".join(f"\n  note: {n}" for n in perf.info.get("notes", []))
        print(f"{PROG}: wrote {', '.join(args.outputs)} ({face.n_frames} frames at "
              f"{face.fps:g} fps, {perf.info.get('duration_s', 0):.2f} s){notes}", file=sys.stderr)
    return 0


def run_demo(args) -> int:
    headless = _headless()
    os.makedirs(args.out, exist_ok=True)
    result = headless.run_demo(args.out)
    print(f"{PROG}: demo written to {args.out}" + (f" ({result})" if result else ""), file=sys.stderr)
    return 0


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return code


def main(argv=None) -> int:
    """Run the CLI; returns the exit status (0 ok, 2 talkrig/usage error, 1 unexpected)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            raise _UsageError(f"give a command: bake or demo (see '{PROG} --help')")
        return args.func(args)
    except _UsageError as exc:
        return _fail(str(exc), 2)
    except TalkrigError as exc:
        return _fail(str(exc), 2)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:                      # a bug: one line, and say so
        return _fail(f"unexpected {type(exc).__name__}: {exc} (this is a bug; please report it "
                     "with the command line)", 1)


if __name__ == "__main__":
    sys.exit(main())
