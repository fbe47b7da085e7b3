"""Write the golden bakes (``<case>.npz``) from ``cases.json``: ``python tests/data/golden/make_golden.py``.

Each case is a list of ``talkrig bake`` options; the curves come from the same path the
command line takes (options -> settings -> ``core.pipeline.bake``). Rewrite the files only
when a change is meant to alter curves (e.g. a new recogniser), and say so in the commit.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def load_cases() -> dict:
    spec = json.loads((HERE / "cases.json").read_text())
    fill = {"text": str(ROOT / spec["text"]), "here": str(HERE)}
    audio = str(ROOT / spec["audio"])
    return {name: (audio, [a.format(**fill) for a in args]) for name, args in spec["cases"].items()}


def bake_case(audio: str, args: list):
    """Bake one case through the command line's option handling; returns the Performance.

    (The files were first written at 7daa688, before the settings object existed, through
    that version's ``core.cli.bake_options``; the test proves the new path gives the same.)"""
    from talkrig.app import cli
    from talkrig.core.pipeline import bake
    ns = cli.build_parser().parse_args(["bake", audio, "-o", "x.json", *args])
    settings, text = cli.settings_from_args(ns)
    return bake(audio, settings, text=text)


def arrays(perf) -> dict:
    out = {"face": perf.face.values, "names": np.array(perf.face.names), "fps": perf.face.fps}
    if perf.visemes is not None:
        out["visemes"] = perf.visemes.values
    return out


def main(names=None) -> None:
    for name, (audio, args) in load_cases().items():
        if names and name not in names:
            continue
        np.savez(HERE / f"{name}.npz", **arrays(bake_case(audio, args)))
        print("wrote", name)


if __name__ == "__main__":
    main(sys.argv[1:])
