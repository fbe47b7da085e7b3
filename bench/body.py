"""Body bench: gesture statistics against real conversational gesture (FIELD_NOTES).

For each take (LJ Speech >= 3 min, CMU ARCTIC, generated espeak speech): the generated
body, a still body (head only) and a random-jitter body as floors, and the generated body
under each basic emotion. Numbers: beat consistency (EMAGE's procedure; audio onsets by
:func:`onset_times`, a numpy port of ``librosa.onset.onset_detect`` at its defaults;
checked against librosa 0.10.2 in a scratch environment on 67 s of LJ Speech at 16 kHz:
the same 431 onsets, onset envelope within 6e-6),
upper-body angular speed, wrist speed, wrist height range, wrist jerk, still share,
diversity, velocity-histogram distance, joint-limit violations, penetrations, root drift.
Speed: CPU seconds for a 10-minute take including forward kinematics (one core).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d
from scipy.signal import get_window

from talkrig.core.body import BodySettings, generate_body, stats
from talkrig.core.curves import BodyCurves, PhoneTrack, Prosody
from talkrig.rigs.skeletons import smplx

from . import body_inputs

EMOTIONS = ("neutral", "happiness", "sadness", "surprise", "fear", "anger")


def _mel_filters(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    """librosa.filters.mel(sr, n_fft, n_mels) with its defaults (Slaney scale and norm)."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0

    def hz_to_mel(f):
        f = np.asarray(f, float)
        return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)

    def mel_to_hz(m):
        m = np.asarray(m, float)
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

    fft_f = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_f[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    w = np.maximum(0.0, np.minimum(lower, upper))
    return w * (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]


def onset_strength(y: np.ndarray, sr: int, hop: int = 512, n_fft: int = 2048) -> np.ndarray:
    """librosa.onset.onset_strength(y, sr, hop_length=hop) at its defaults."""
    y = np.pad(np.asarray(y, np.float64), n_fft // 2, mode="constant")
    n = 1 + (y.size - n_fft) // hop
    frames = np.lib.stride_tricks.as_strided(y, (n, n_fft), (y.strides[0] * hop, y.strides[0]))
    spec = np.abs(np.fft.rfft(frames * get_window("hann", n_fft, fftbins=True), axis=1)) ** 2
    mel = spec @ _mel_filters(sr, n_fft, 128).T                        # [frames, mels]
    db = 10.0 * np.log10(np.maximum(1e-10, mel))
    db = np.maximum(db, db.max() - 80.0)
    flux = np.maximum(0.0, db[1:] - db[:-1]).mean(axis=1)
    env = np.concatenate([np.zeros(1 + n_fft // (2 * hop)), flux])
    return env[:n]


def onset_times(y: np.ndarray, sr: int, hop: int = 512) -> np.ndarray:
    """librosa.onset.onset_detect(y, sr, hop_length=hop, units='time') at its defaults
    (normalised envelope, peak_pick with librosa's frame counts, delta 0.07)."""
    x = onset_strength(y, sr, hop)
    x = x - x.min()
    x = x / max(x.max(), 1e-12)
    pre_max, post_max = int(0.03 * sr // hop), int(0.00 * sr // hop + 1)
    pre_avg, post_avg = int(0.10 * sr // hop), int(0.10 * sr // hop + 1)
    wait = int(0.03 * sr // hop)
    mov_max = maximum_filter1d(x, pre_max + post_max, mode="constant",
                               origin=int(np.ceil(0.5 * (pre_max - post_max))), cval=x.min())
    mov_avg = uniform_filter1d(x, pre_avg + post_avg, mode="nearest",
                               origin=int(np.ceil(0.5 * (pre_avg - post_avg))))
    for i in list(range(min(pre_avg, x.size))) + list(range(max(x.size - post_avg, 0), x.size)):
        mov_avg[i] = x[max(i - pre_avg, 0):i + post_avg].mean()
    det = x * (x == mov_max)
    det = det * (det >= mov_avg + 0.07)
    peaks, last = [], -np.inf
    for i in np.flatnonzero(det):
        if i > last + wait:
            peaks.append(i)
            last = i
    return np.asarray(peaks, dtype=np.float64) * hop / sr


def still_body(take, fps: float) -> BodyCurves:
    """Arms resting by the sides, relaxed hands, no breathing; only the face's head moves."""
    from talkrig.core.body import lexicon, plan, synth
    from talkrig.core.body.hands import finger_rotations
    n = take.n_frames
    rot = np.zeros((n, 55, 3))
    rest = np.tile(plan.target(lexicon.REST, palm=0.0, pole=0.2), (n, 1))
    synth.pose_arms(rot, {"left": rest, "right": rest.copy()})
    for side in ("left", "right"):
        rot[:, list(smplx.FINGERS[side])] = finger_rotations(rest[:, 7:], side)
    rot[:, smplx.INDEX["neck"]], rot[:, smplx.INDEX["head"]] = synth.head_rotations(take.head, n)
    return BodyCurves(smplx.JOINT_NAMES, fps, rot, np.zeros((n, 3)))


def jitter_body(take, fps: float, seed: int = 0) -> BodyCurves:
    """Gaussian frame-to-frame jitter (3 deg) on the upper-body joints around the still body
    (joint limits are not enforced on it)."""
    rng = np.random.default_rng(seed)
    rot = np.array(still_body(take, fps).rotations, dtype=np.float64)
    rot[:, list(smplx.UPPER_BODY)] += rng.normal(0, np.radians(3.0), (take.n_frames, 13, 3))
    return BodyCurves(smplx.JOINT_NAMES, fps, rot, np.zeros((take.n_frames, 3)))


def _body(take, fps, emotion="neutral", seed=0, settings=None):
    w = None if emotion == "neutral" else {emotion: 1.0}
    return generate_body(fps=fps, n_frames=take.n_frames, prosody=take.prosody, phones=take.phones,
                         emotion_weights=w, head=take.head, seed=seed,
                         settings=settings or BodySettings(enabled=True))


def _row(body, onsets):
    pos, _ = stats.positions(body)
    s = stats.motion_stats(body, onsets=onsets, pos=pos)
    wr = pos[:, list(stats.WRISTS)].astype(np.float64)
    sp = (np.linalg.norm(np.diff(wr, axis=0), axis=2) * body.fps).ravel()
    s["vel_hist_dist"] = stats.speed_histogram_distance(sp, 0.54, 1.44)
    ang = stats.angular_speed(body.rotations, body.fps).ravel()
    s["ang_hist_dist"] = stats.speed_histogram_distance(ang, 37.0, 130.0)
    return s


def speed_10min(take, fps: float) -> dict:
    """CPU seconds (this process, one core) for a 10-minute take: the take's prosody and
    phones repeated to 600 s, generation plus forward kinematics."""
    reps = int(np.ceil(600.0 * fps / take.n_frames))
    n = int(600 * fps)
    p = take.prosody
    dur = take.n_frames / fps
    tile = lambda a: np.tile(np.asarray(a), reps)[:n]                    # noqa: E731
    on = np.concatenate([np.asarray(p.onsets) + k * dur for k in range(reps)])
    br = np.concatenate([np.asarray(p.phrase_breaks).reshape(-1, 2) + k * dur for k in range(reps)])
    pro = Prosody(fps, tile(p.loudness), tile(p.f0), tile(p.voicing), on[on < 600], br[br[:, 1] < 600])
    head = np.tile(take.head, (reps, 1))[:n]
    phones = None
    if take.phones is not None and len(take.phones):
        ph = take.phones
        k = len(ph)
        cat = lambda a: np.concatenate([np.asarray(a, float) + r * dur for r in range(reps)])  # noqa: E731
        phones = PhoneTrack(ph.phones * reps, cat(ph.starts), cat(ph.ends), ph.words * reps,
                            stress=tuple(ph.stress) * reps if len(ph.stress) == k else ())
    kw = dict(fps=fps, n_frames=n, prosody=pro, phones=phones, head=head,
              settings=BodySettings(enabled=True), seed=3)
    cpu = time.process_time()
    body = generate_body(**kw)
    gen = time.process_time() - cpu
    stats.positions(body)
    total = time.process_time() - cpu
    again = generate_body(**kw)
    return {"frames": n, "cpu_generate_s": gen, "cpu_with_fk_s": total,
            "x_realtime": 600.0 / total,
            "deterministic": bool(np.array_equal(body.rotations, again.rotations))}


def run_section(*, quick: bool = False, results_dir: Path = None) -> dict:
    out_dir = (results_dir or Path("bench/results")) / "corpus"
    takes = []
    t = body_inputs.ljspeech_take(out_dir, min_s=60.0 if quick else 185.0)
    takes += [t] if t else []
    if not quick:
        for fn in (lambda: body_inputs.arctic_take(out_dir), lambda: body_inputs.espeak_take(out_dir)):
            t = fn()
            takes += [t] if t else []
    res = {"reference": stats.REFERENCE, "takes": {}}
    fps = body_inputs.FPS
    for take in takes:
        onsets = onset_times(take.samples, take.sr)
        rows = {"still": _row(still_body(take, fps), onsets),
                "jitter": _row(jitter_body(take, fps), onsets)}
        for emo in EMOTIONS:
            rows[emo] = _row(_body(take, fps, emo), onsets)
        res["takes"][take.name] = {"seconds": take.n_frames / fps, "inputs": take.path,
                                   "n_onsets": int(onsets.size), "rows": rows}
    if takes:
        res["summary"] = _summary(res["takes"])
        res["speed"] = speed_10min(takes[0], fps)
    return res


def _summary(takes: dict) -> dict:
    """Duration-weighted means over the takes, per row (what the acceptance reads)."""
    out = {}
    for row in next(iter(takes.values()))["rows"]:
        keys = next(iter(takes.values()))["rows"][row].keys()
        out[row] = {}
        for k in keys:                       # a take too short for a number (nan) is left out
            got = [(t["rows"][row][k], t["seconds"]) for t in takes.values()
                   if t["rows"][row][k] == t["rows"][row][k]]
            out[row][k] = sum(v * w for v, w in got) / max(sum(w for _, w in got), 1e-9) \
                if got else float("nan")
        for k in ("limit_violations", "penetrations"):
            out[row][k] = sum(t["rows"][row][k] for t in takes.values())
        out[row]["max_penetration"] = max(t["rows"][row]["max_penetration"] for t in takes.values())
        out[row]["hand_gap_min"] = min(t["rows"][row]["hand_gap_min"] for t in takes.values())
        out[row]["root_drift"] = max(t["rows"][row]["root_drift"] for t in takes.values())
    return {"seconds": sum(t["seconds"] for t in takes.values()), "rows": out}


_COLS = ("bc", "angular_speed", "angular_speed_p95", "wrist_speed", "wrist_speed_p95",
         "wrist_height_range", "wrist_jerk", "still_share", "diversity", "vel_hist_dist",
         "ang_hist_dist", "wrist_height", "wrist_forward", "wrist_width", "limit_violations",
         "penetrations", "max_penetration", "hand_gap_min", "root_drift")


def print_table(res: dict) -> None:
    ref = res["reference"]
    tables = dict(res["takes"])
    if "summary" in res:
        tables["all takes (duration-weighted)"] = dict(res["summary"], inputs="-", n_onsets=0)
    for name, tk in tables.items():
        print(f"\n{name}: {tk['seconds']:.0f} s, inputs via {tk['inputs']}, {tk['n_onsets']} onsets")
        rows = tk["rows"]
        print(f"  {'metric':20s} {'ref':>8s} " + " ".join(f"{r:>9s}" for r in rows))
        for c in _COLS:
            r = ref.get(c)
            print(f"  {c:20s} {'' if r is None else format(r, '8.3g'):>8s} "
                  + " ".join(f"{rows[k][c]:9.3g}" for k in rows))
        main = rows.get("neutral", {})
        ratios = {c: main[c] / ref[c] for c in ("angular_speed", "wrist_speed",
                                                 "wrist_height_range", "wrist_jerk") if c in main}
        print("  neutral / reference: " + ", ".join(f"{c} {v:.2f}x" for c, v in ratios.items()))
    if "speed" in res:
        s = res["speed"]
        print(f"\n10-minute take: generate {s['cpu_generate_s']:.2f} s CPU, with FK "
              f"{s['cpu_with_fk_s']:.2f} s ({s['x_realtime']:.0f}x real time), deterministic: "
              f"{s['deterministic']}")


if __name__ == "__main__":
    import sys
    r = run_section(quick="--quick" in sys.argv, results_dir=Path("bench/results"))
    print_table(r)
    Path("bench/results").mkdir(parents=True, exist_ok=True)
    Path("bench/results/body.json").write_text(json.dumps(r, indent=1, default=float))
