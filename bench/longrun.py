"""Section 2b: one hour of generated speech through the full pipeline, in a subprocess.

The recording (espeak-ng ``en-us+f5``, the sentences of :mod:`bench.sentences` read on and on,
with exact phoneme timing; quick: 5 minutes) is baked with its transcript at 30 fps by a
fresh Python process, which reports:

- whether the bake completed, its wall time and real-time factor;
- peak resident memory (``VmHWM`` of ``/proc/self/status``, else ``ru_maxrss``, which includes
  native allocations such as pocketsphinx), next to the same process's peak right after
  loading the audio (the baseline: what holding the speech alone costs); no tracemalloc,
  whose bookkeeping would slow the bake it times;
- frames produced vs expected, and closure recall / false closure on the demo head over
  the whole hour (when ``rigs.demo_head`` is there).
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
FPS = 30.0


def run_section(*, quick: bool, results_dir: Path) -> dict:
    from .performance import long_utterance
    minutes = 5.0 if quick else 60.0
    work = results_dir / "corpus" / "long"
    t0 = time.perf_counter()
    u = long_utterance(work, min_s=minutes * 60.0, name=f"long_{int(minutes)}min")
    t_synth = time.perf_counter() - t0
    np.savez(work / "truth.npz", phones=np.array(u.phones), starts=u.starts, ends=u.ends)
    out = results_dir / "long_raw.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "bench.longrun", str(u.wav), str(work / "truth.npz"), str(out)]
    try:
        r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                           timeout=3600 if not quick else 900)
        err = r.stderr[-1500:] if r.returncode else ""
    except subprocess.TimeoutExpired:
        err = "timed out"
    res = json.loads(out.read_text()) if out.exists() else {"completed": False}
    res.update(audio_s=u.duration, synth_s=t_synth, error=err)
    return res


def print_table(res: dict) -> None:
    print(f"\n== 2b. Long file: {res['audio_s'] / 60:.1f} min of generated speech, full "
          f"pipeline with transcript at {FPS:g} fps ==")
    if not res.get("completed"):
        msg = res.get("error", "").strip().splitlines()
        print("  NOT COMPLETED:", msg[-1] if msg else res.get("exception", "?"))
        if "peak_rss_mb" in res:
            print(f"  peak RSS before failing: {res['peak_rss_mb']:.0f} MB")
        return
    print(f"  completed in {res['bake_s']:.1f} s (RTF {res['bake_s'] / res['audio_s']:.3f}); "
          f"frames {res['n_frames']:,} (expected {res['expected_frames']:,}); "
          f"phones source {res.get('phones_source')}")
    print(f"  peak RSS {res['peak_rss_mb']:.0f} MB (after loading the audio only: "
          f"{res['rss_after_load_mb']:.0f} MB)")
    if "closure_recall" in res:
        print(f"  closure recall {res['closure_recall']:.2f}, false closure "
              f"{res['false_closure']:.2f}, stray closure {res['stray_closure']:.2f}")


def _worker(wav: str, truth: str, out: str) -> None:
    import resource

    import soundfile as sf
    res = {"completed": False}

    def rss():
        # VmHWM is this process image's own peak; ru_maxrss also counts the parent's pages
        # when the child was forked before exec (it reported the bench's 1.7 GB as ours).
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    try:
        from talkrig.core.audio import load_audio
        from talkrig.core.pipeline import bake
    from talkrig.core.settings import BakeSettings
        load_audio(wav)
        res["rss_after_load_mb"] = rss()
        text = Path(wav).with_suffix(".txt").read_text()
        t0 = time.perf_counter()
        perf = bake(wav, BakeSettings(fps=FPS), text=text)
        res["bake_s"] = time.perf_counter() - t0
        dur = sf.info(wav).duration
        res.update(completed=True, n_frames=perf.face.n_frames,
                   expected_frames=int(np.floor(dur * FPS + 1e-6)) + 1,
                   phones_source=perf.phones.source if perf.phones is not None else None)
        try:
            from . import metrics as M
            from .lips import LipGauge, arkit_matrix
            g = LipGauge()
            t = np.load(truth)
            ap = g.aperture(arkit_matrix(perf.face))
            res.update({k: v for k, v in M.lip_scores(
                ap, fps=FPS, phones=list(t["phones"]), starts=t["starts"],
                ends=t["ends"]).items()})
        except Exception as exc:           # the demo head is optional here
            res["lip_note"] = f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        res["exception"] = f"{type(exc).__name__}: {exc}"
    res["peak_rss_mb"] = rss()
    Path(out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    _worker(*sys.argv[1:4])
