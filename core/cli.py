"""``talkrig`` command line: bake speech to face curves, or run the demo.

Run as ``talkrig ...`` (console script) or ``python -m talkrig.core.cli ...``.
Failures print ONE line ``talkrig: error: <message>`` on stderr and exit non-zero:
2 for a talkrig error or a usage error, 1 for an unexpected failure (a bug: please report
it with the command line).
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
import sys
import warnings

from .errors import ExportError, TalkrigError

PROG = "talkrig"
CURVE_EXTS = (".json", ".csv", ".npz")
BLENDER_EXTS = (".blend", ".fbx", ".glb", ".mp4")
_ROOT = __package__.rsplit(".", 1)[0] if __package__ else "talkrig"
BPY_HINT = "install the bpy module (pip install bpy==5.0.1) for .blend/.fbx/.glb output"

EPILOG = """examples:
  talkrig bake speech.wav -o speech.json               ARKit-52 curves as JSON
  talkrig bake speech.mp3 -o take.csv --fps 60         Live Link Face CSV at 60 fps
  talkrig bake speech.flac -o a.npz -o a.fbx --seed 3  two outputs from one bake
  talkrig bake speech.wav -o face.blend                demo head animated (needs bpy)
  talkrig bake speech.wav -o face.fbx --fbx-preset unreal  FBX for Unreal (or unity)
  talkrig bake line.wav -o avatar.fbx --target avatar.blend --drive visemes  VRChat-style
                                                       viseme keys (vrc.v_aa) of your rig
  talkrig bake speech.wav -o take.mp4                  preview video with the speech
  talkrig bake line.wav --text "Hello *there*" -o a.csv  transcript (or a .txt file); *emphasis*
  talkrig bake line.wav -o a.json --emotion happiness=0.8,surprise=0.3 --describe "brows raised"
  talkrig batch lines.csv --jobs 2                     many lines from a manifest, with a report
  talkrig demo --out out                               bake the examples onto the demo head

output formats (by extension): .json {"fps", "names", "frames"}; .csv Live Link Face;
.npz (names, fps, values); .blend / .fbx / .glb / .mp4 (preview video) through Blender's
bpy module.
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
    out.add_argument("--fbx-preset", choices=("default", "unreal", "unity"), default="default",
                     help="FBX exporter settings for an engine (default: Blender's own)")
    out.add_argument("--target", metavar="BLEND", help="a .blend holding the face mesh to "
                     "animate for .blend/.fbx/.glb outputs (default: the generated demo head)")
    out.add_argument("--drive", choices=("auto", "arkit", "visemes"), default="auto",
                     help="which shape keys the mouth drives in .blend/.fbx/.glb outputs: "
                          "ARKit (jawOpen ...), viseme keys (vrc.v_aa, viseme_aa ...) or auto "
                          "(visemes on viseme rigs without ARKit mouth keys)")
    out.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    out.add_argument("--visemes", metavar="OUT", help="also write the 15-viseme track "
                     "(.json or .csv)")
    speech = bake.add_argument_group("speech", "what is said and how the mouth moves")
    speech.add_argument("--text", metavar="TEXT_OR_FILE",
                        help="transcript, or a .txt file holding it; *word* marks emphasis. "
                             "Without it phonemes are recognised from the audio")
    speech.add_argument("--mode", choices=("auto", "phonemes", "loudness"), default="auto",
                        help="mouth driver: phoneme timing (auto, phonemes) or loudness only "
                             "(for non-speech sounds)")
    speech.add_argument("--articulation", type=float, default=1.0,
                        help="0 mumbled .. 1 normal .. 2 over-articulated")
    speech.add_argument("--loudness-scale", type=float, default=1.0,
                        help="how much loudness scales the lips (0 = ignore loudness)")
    speech.add_argument("--lead-ms", type=float, default=0.0,
                        help="mouth moves this many ms ahead of the sound (negative = behind)")
    emo = bake.add_argument_group("emotion", "how it feels (names: neutral, happiness, sadness, "
                                  "surprise, fear, disgust, anger, contempt and compounds)")
    emo.add_argument("--emotion", default="", metavar="MIX",
                     help='emotion mix, e.g. "happiness=0.8,surprise=0.3" (0-1, up to 1.5 '
                          "exaggerated)")
    emo.add_argument("--emotion-regions", default="", metavar="SPEC",
                     help='per-region mixes, e.g. "brows:anger=0.8;mouth:happiness" (regions: '
                          "brows, eyes, cheeks, mouth, jaw)")
    emo.add_argument("--emotion-timeline", metavar="FILE",
                     help="emotion keys over time (.json or .csv)")
    emo.add_argument("--vad", default="", metavar="V,A,D",
                     help="add the mix at a point of valence, arousal, dominance space, each "
                          '-1..1, e.g. "0.6,0.5,0.2"; write --vad=-0.5,0.2,0 when it starts with a minus '
                          "(anchors in docs/EMOTION.md)")
    emo.add_argument("--describe", default="", metavar="TEXT",
                     help='emotion from words, e.g. "nervous, half-smiling, brows raised"')
    emo.add_argument("--auto-emotion", type=float, nargs="?", const=0.6, default=0.0,
                     metavar="AMOUNT", help="add the emotion track suggested by the speech "
                                            "and wording (default amount 0.6)")
    emo.add_argument("--emotion-strength", default="", metavar="SPEC",
                     help='emotion strength per region, e.g. "upper=1.2,lower=0.8" or "brows=0"')
    emo.add_argument("--speech-strength", default="", metavar="SPEC",
                     help='speech strength per region, e.g. "mouth=1.2"')
    perf = bake.add_argument_group("performance", "eyes, head, randomness")
    perf.add_argument("--blink-rate", type=float, default=1.0, help="blink rate multiplier")
    perf.add_argument("--head-amount", type=float, default=1.0, help="head motion multiplier")
    perf.add_argument("--gaze-amount", type=float, default=1.0, help="gaze shift multiplier")
    perf.add_argument("--no-eyes", action="store_true", help="no gaze movement")
    perf.add_argument("--no-blinks", action="store_true", help="no blinks")
    perf.add_argument("--no-head", action="store_true", help="no head motion")
    perf.add_argument("--seed", type=int, default=0, help="seed of blinks, gaze and head motion "
                                                          "(default 0; same seed = same curves)")
    perf.add_argument("--max-duration", type=float, default=4 * 3600.0, metavar="SECONDS",
                      help="longest accepted audio (default 14400 s)")
    bake.set_defaults(func=run_bake)

    batch = sub.add_parser("batch", help="bake every line of a manifest (.csv or .json)",
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           description="Bake many lines: one manifest row per line with columns "
                                       "audio, text, emotion, output (+ optional export, target, "
                                       "drive, fps, seed). Bad rows are reported, the rest "
                                       "continue.")
    batch.add_argument("manifest", metavar="MANIFEST", help="manifest file (.csv or .json)")
    batch.add_argument("-j", "--jobs", type=int, default=1, help="parallel worker processes")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on a Dask distributed cluster, e.g. tcp://host:8786")
    batch.add_argument("--force", action="store_true", help="bake rows whose outputs exist")
    batch.add_argument("--report", metavar="FILE", help="JSON report path "
                       "(default: <manifest>.report.json)")
    batch.add_argument("--fps", type=float, default=30.0, help="default frame rate")
    batch.add_argument("--preview", action="store_true", help="also render <output>.mp4 "
                       "(preview video with the speech) for every row (needs bpy)")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    batch.set_defaults(func=run_batch)

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


def read_text_option(value):
    """``--text``: the transcript itself, or the path of a text file holding it."""
    from .errors import TranscriptError
    if not value:
        return None
    if os.path.isfile(value):
        try:
            with open(value, encoding="utf-8") as fh:
                return fh.read().strip() or None
        except (OSError, UnicodeDecodeError) as exc:
            raise TranscriptError(f"cannot read transcript file {value}: {exc}") from None
    if value.lower().endswith(".txt") and "\n" not in value:
        raise TranscriptError(f"transcript file not found: {value} (give the transcript text "
                              "itself or an existing .txt file)")
    return value


def parse_vad(text: str) -> tuple:
    """``--vad "0.6,0.5,0.2"`` -> (valence, arousal, dominance); ranges are checked later."""
    from .errors import EmotionSpecError
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3:
        raise EmotionSpecError(f"--vad needs three numbers 'valence,arousal,dominance' "
                               f"(each -1..1), got {text!r}")
    return values


def bake_options(args) -> dict:
    """Keyword arguments for :func:`~talkrig.core.pipeline.bake` from parsed options."""
    from .face.describe import spec_from_options
    from .face.emotion import EmotionSpec
    from .face.regions import RegionBalance
    from .style import Style
    style = Style(articulation=args.articulation, loudness_scale=args.loudness_scale,
                  lead_ms=args.lead_ms, blink_rate=args.blink_rate, head_amount=args.head_amount,
                  gaze_amount=args.gaze_amount, eyes=not args.no_eyes, blinks=not args.no_blinks,
                  head=not args.no_head, auto_emotion=args.auto_emotion, mode=args.mode)
    spec = spec_from_options(emotion=args.emotion, regions=args.emotion_regions,
                             timeline_path=args.emotion_timeline, description=args.describe)
    if args.vad:
        spec = dataclasses.replace(spec or EmotionSpec(), vad=parse_vad(args.vad))
    balance = None
    if args.emotion_strength or args.speech_strength:
        balance = RegionBalance.parse(args.emotion_strength, args.speech_strength)
    return {"fps": args.fps, "seed": args.seed, "max_duration_s": args.max_duration,
            "text": read_text_option(args.text), "emotion": spec, "style": style,
            "region_balance": balance}


def run_bake(args) -> int:
    from .io import write_curves
    from .pipeline import bake

    curves_out, blender_out = _split_outputs(args.outputs)
    if args.visemes:
        _split_outputs([os.path.splitext(args.visemes)[0] + ".json"])   # folder must exist
    headless = _headless() if blender_out else None      # fail before a long bake
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        options = bake_options(args)
    perf = bake(args.audio, **options)
    for path in curves_out:
        write_curves(path, perf)
    if args.visemes:
        from .io import write_visemes
        if perf.visemes is None:
            raise ExportError("no viseme track in loudness mode; use --mode auto or phonemes")
        write_visemes(args.visemes, perf)
    if headless is not None:
        extra = {k: v for k, v in (("fbx_preset", args.fbx_preset), ("preview", blender_out.get("mp4")),
                                   ("target", args.target), ("drive", args.drive))
                 if v and v not in ("default", "auto")}
        headless.bake_to_files(perf, audio_path=args.audio, blend=blender_out.get("blend"),
                               fbx=blender_out.get("fbx"), glb=blender_out.get("glb"), **extra)
    if not args.quiet:
        face = perf.face
        notes = "".join(f"\n  note: {n}" for n in
                        [str(w.message) for w in caught] + perf.info.get("notes", []))
        print(f"{PROG}: wrote {', '.join(args.outputs)} ({face.n_frames} frames at "
              f"{face.fps:g} fps, {perf.info.get('duration_s', 0):.2f} s){notes}", file=sys.stderr)
    return 0


def run_batch(args) -> int:
    import time
    from . import batch
    rows = batch.load_manifest(args.manifest, fps=args.fps, preview=args.preview)
    t0 = time.perf_counter()
    results = batch.run_batch(rows, jobs=args.jobs, force=args.force, scheduler=args.scheduler,
                              show_progress=not args.no_progress)
    seconds = time.perf_counter() - t0
    report = args.report or os.path.splitext(args.manifest)[0] + ".report.json"
    batch.write_report(report, results, manifest=args.manifest, jobs=args.jobs,
                       scheduler=args.scheduler, seconds=seconds)
    summary = batch.summarize(results, seconds=seconds)
    print(batch.format_table(results))
    print(f"{summary['ok']} ok, {summary['skipped']} skipped, {summary['failed']} failed "
          f"in {seconds:.1f} s; report: {report}")
    return 0 if summary["failed"] == 0 else 3


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
            raise _UsageError(f"give a command: bake, batch or demo (see '{PROG} --help')")
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
