"""core.body: SMPL-X gestures from speech (constraints, head, determinism, emotion, words)."""
import sys
from pathlib import Path

import numpy as np
import pytest

from talkrig.core.body import (BodySettings, check_body_output, generate_body, gesture_events,
                               stats)
from talkrig.core.body.constraints import HAND_GAP, JERK_MAX, LIMIT_DEG
from talkrig.core.curves import Prosody
from talkrig.core.errors import BodyOptionError
from talkrig.core.motion.rotations import axis_angle_to_matrix, euler_to_matrix
from talkrig.rigs.skeletons import smplx

sys.path.insert(0, str(Path(__file__).parent))
import body_data  # noqa: E402

FPS = body_data.FPS
ON = BodySettings(enabled=True)


@pytest.fixture(scope="module")
def inputs():
    prosody, phones, head, n, _, _ = body_data.speech_inputs()
    return dict(fps=FPS, n_frames=n, prosody=prosody, phones=phones, head=head)


@pytest.fixture(scope="module")
def neutral(inputs):
    return generate_body(**inputs, settings=ON, seed=0)


def _wrists(body):
    pos, _ = stats.positions(body)
    return pos[:, list(stats.WRISTS)].astype(np.float64)


def test_shapes_rest_of_body_still_and_fingers_posed(neutral, inputs):
    b = neutral
    assert b.rotations.shape == (inputs["n_frames"], 55, 3) and b.rotations.dtype == np.float32
    assert b.joint_names == smplx.JOINT_NAMES and np.isfinite(b.rotations).all()
    assert not b.translation.any()                                    # no root drift
    assert not b.rotations[:, [0] + list(smplx.LEG_JOINTS)].any()     # pelvis and legs still
    fingers = np.linalg.norm(b.rotations[:, list(smplx.FINGER_JOINTS)], axis=2)
    assert np.degrees(fingers.mean()) > 5.0                           # not flat hands
    assert np.degrees(fingers.std(axis=0)).max() > 3.0                # hand shapes change
    assert len(gesture_events(b)) > 10


def test_constraints_hold(neutral):
    s = stats.motion_stats(neutral)
    assert s["limit_violations"] == 0
    assert s["penetrations"] == 0 and s["max_penetration"] <= 0.01
    assert s["root_drift"] == 0.0
    mag = np.degrees(np.linalg.norm(neutral.rotations, axis=2))
    assert (mag <= LIMIT_DEG[None] + 1e-3).all()
    jerk = np.linalg.norm(np.diff(_wrists(neutral), n=3, axis=0), axis=2) * FPS ** 3
    assert jerk.max() < JERK_MAX
    assert s["still_share"] < 0.05


@pytest.mark.parametrize("emotion", ["sadness", "fear"])
def test_hands_do_not_pass_through_each_other(inputs, emotion):
    """Closed, retracted postures bring the hands together; they stay apart."""
    b = generate_body(**inputs, emotion_weights={emotion: 1.0}, settings=ON)
    assert stats.motion_stats(b)["hand_gap_min"] >= HAND_GAP


def test_head_and_neck_take_the_face_head_rotation(neutral, inputs):
    """One head: neck then head compose exactly to HeadYaw/Pitch/Roll (Y, -X, Z)."""
    h = inputs["head"].astype(np.float64)
    neck = axis_angle_to_matrix(neutral.rotations[:, smplx.INDEX["neck"]])
    head = axis_angle_to_matrix(neutral.rotations[:, smplx.INDEX["head"]])
    want = euler_to_matrix(np.stack([h[:, 0], -h[:, 1], h[:, 2]], 1), "YXZ")
    np.testing.assert_allclose(neck @ head, want, atol=2e-5)
    no_head = generate_body(**{**inputs, "head": None}, settings=ON, seed=0)
    assert not no_head.rotations[:, [smplx.INDEX["neck"], smplx.INDEX["head"]]].any()


def test_deterministic_and_seeded(inputs, neutral):
    again = generate_body(**inputs, settings=ON, seed=0)
    np.testing.assert_array_equal(again.rotations, neutral.rotations)
    other = generate_body(**inputs, settings=ON, seed=1)
    assert not np.array_equal(other.rotations, neutral.rotations)


def test_emotions_move_the_body_in_the_documented_directions(inputs, neutral):
    base = stats.motion_stats(neutral)
    got = {e: stats.motion_stats(generate_body(**inputs, emotion_weights={e: 1.0}, settings=ON))
           for e in ("anger", "sadness", "happiness", "fear", "surprise")}
    a, s, h, f, u = (got[k] for k in ("anger", "sadness", "happiness", "fear", "surprise"))
    # anger: faster, sharper, more forward
    assert a["wrist_speed"] > 1.1 * base["wrist_speed"]
    assert a["wrist_jerk"] > base["wrist_jerk"]
    assert a["wrist_forward"] > base["wrist_forward"] + 0.01
    # sadness: slower, lower, closed
    assert s["wrist_speed"] < 0.8 * base["wrist_speed"]
    assert s["wrist_height"] < base["wrist_height"] - 0.03
    assert s["wrist_width"] < base["wrist_width"] - 0.03
    # happiness: wider, higher, more open
    assert h["wrist_width"] > base["wrist_width"] + 0.03
    assert h["wrist_height"] > base["wrist_height"] + 0.01
    # fear: retracted; surprise: raised
    assert f["wrist_forward"] < base["wrist_forward"] - 0.01
    assert u["wrist_height"] > base["wrist_height"] + 0.03


def test_emotion_curves_per_frame(inputs, neutral):
    """A timeline (per-frame weights) shapes only where it is on."""
    n = inputs["n_frames"]
    w = np.zeros(n)
    w[n // 2:] = 1.0
    b = generate_body(**inputs, emotion_weights={"sadness": w}, settings=ON)
    first = slice(0, n // 2 - 60)
    np.testing.assert_allclose(b.rotations[first], neutral.rotations[first], atol=1e-6)
    assert not np.allclose(b.rotations[n // 2 + 30:], neutral.rotations[n // 2 + 30:])


def test_controls(inputs, neutral):
    speed = lambda b: stats.motion_stats(b)["wrist_speed"]          # noqa: E731
    none = generate_body(**inputs, settings=ON.replace(gesture_amount=0.0))
    assert gesture_events(none) == ()
    assert speed(none) < 0.3 * speed(neutral)
    assert not np.allclose(none.rotations[:, smplx.INDEX["spine3"]], 0.0)   # still breathes
    lively = generate_body(**inputs, settings=ON.replace(gesture_amount=2.0, energy=1.6))
    assert speed(lively) > speed(neutral)
    hi = generate_body(**inputs, settings=ON.replace(hand_height=1.0))
    lo = generate_body(**inputs, settings=ON.replace(hand_height=-1.0))
    assert stats.motion_stats(hi)["wrist_height"] > stats.motion_stats(lo)["wrist_height"] + 0.05
    for s in (none, lively, hi, lo):
        m = stats.motion_stats(s)
        assert m["limit_violations"] == 0 and m["penetrations"] == 0


@pytest.mark.parametrize("hand", ["right", "left"])
def test_handedness(inputs, hand):
    """Over a few seeds (a unit now and then goes to the other hand), the dominant hand
    leads the strokes and moves more."""
    sp = np.zeros(2)
    sides = []
    for seed in range(4):
        b = generate_body(**inputs, settings=ON.replace(handedness=hand), seed=seed)
        sp += np.linalg.norm(np.diff(_wrists(b), axis=0), axis=2).mean(axis=0)   # left, right
        sides += [s for _, s, _ in gesture_events(b)]
    dom, other = (sp[1], sp[0]) if hand == "right" else (sp[0], sp[1])
    assert dom > 1.3 * other
    assert sides.count(hand) > 0.6 * len(sides)


def _word_phones(words, start=0.5, word_s=0.45):
    """A phone track: each word as a stressed vowel between two consonants."""
    rows, t = [("", 0.0, start, "")], start
    for w in words:
        rows += [("K", t, t + 0.08, w), ("AE1", t + 0.08, t + 0.3, w), ("T", t + 0.3, t + word_s, w)]
        t += word_s
    rows.append(("", t, t + 1.5, ""))
    return body_data.phone_track(rows), t + 1.5


def test_words_call_lexicon_gestures_on_their_stressed_vowel():
    words = ["well", "no", "this", "is", "for", "you", "and", "me", "three", "what", "all"]
    phones, dur = _word_phones(words)
    n = int(dur * FPS) + 1
    t = np.arange(n) / FPS
    loud = np.where((t > 0.5) & (t < dur - 1.5), 0.6, 0.0).astype(np.float32)
    pro = Prosody(FPS, loud, np.where(loud > 0, 120.0, 0.0).astype(np.float32),
                  (loud > 0).astype(np.float32), np.zeros(0), np.zeros((0, 2)))
    b = generate_body(fps=FPS, n_frames=n, prosody=pro, phones=phones, settings=ON, seed=2)
    ev = gesture_events(b)
    vowel = {w: 0.5 + 0.45 * i + 0.08 for i, w in enumerate(words)}
    found = {name for tt, _, name in ev}
    assert {"wipe", "point", "self", "count"} <= found, found
    for word, gesture in (("no", "wipe"), ("you", "point"), ("me", "self"), ("three", "count")):
        assert any(name == gesture and abs(tt - vowel[word]) < 0.1 for tt, _, name in ev), word
    for tt, _, _ in ev:                              # every stroke lands on a stressed vowel
        assert min(abs(tt - v) for v in vowel.values()) < 0.1


def test_no_repeated_loops(inputs):
    """The same speech said again does not give the same motion again."""
    p, n = inputs["prosody"], inputs["n_frames"]
    dur = n / FPS
    rep = 4
    tile = lambda a: np.tile(np.asarray(a), rep)                    # noqa: E731
    pro = Prosody(FPS, tile(p.loudness), tile(p.f0), tile(p.voicing),
                  np.concatenate([np.asarray(p.onsets) + k * dur for k in range(rep)]),
                  np.concatenate([np.asarray(p.phrase_breaks).reshape(-1, 2) + k * dur
                                  for k in range(rep)]))
    b = generate_body(fps=FPS, n_frames=n * rep, prosody=pro, settings=ON)
    wr = _wrists(b).reshape(rep, n, 6)
    for k in range(1, rep):
        d = np.linalg.norm(wr[k] - wr[0], axis=1).mean()
        assert d > 0.04, f"repetition {k} retraces the first within {d:.3f} m"


def test_bad_input_gets_one_clear_message(inputs):
    with pytest.raises(BodyOptionError, match="gesture-amount=3.*out of range"):
        BodySettings(gesture_amount=3.0)
    with pytest.raises(BodyOptionError, match="unknown handedness 'middle'"):
        BodySettings(handedness="middle")
    with pytest.raises(BodyOptionError, match="cannot hold one"):
        check_body_output("take.csv")
    assert check_body_output("out/take.NPZ") == ".npz"
    assert check_body_output(".bvh") == ".bvh"
    with pytest.raises(BodyOptionError, match="BodySettings"):
        generate_body(**inputs, settings={"enabled": True})
    from talkrig.core.errors import CurveFormatError
    with pytest.raises(CurveFormatError, match="head must be"):
        generate_body(**{**inputs, "head": inputs["head"][:10]}, settings=ON)
    with pytest.raises(CurveFormatError, match="prosody.loudness"):
        generate_body(**{**inputs, "n_frames": inputs["n_frames"] + 50}, settings=ON)


def test_beat_consistency_procedure():
    """EMAGE's BC: speed dips (not stops) near every onset score ~1, a still body 0, and
    dips far from the onsets score low."""
    fps, n = 30.0, 900
    t = np.arange(n) / fps
    onsets = np.arange(2.5, 27.5, 0.7)
    pos = np.zeros((n, 55, 3))

    def path(dips):
        # speed 1 with dips to 0.5 at ``dips``: a point moving along x
        speed = 1.0 - 0.5 * np.exp(-0.5 * ((t[:, None] - dips[None]) / 0.06) ** 2).max(axis=1)
        return np.cumsum(speed) / fps
    moving = pos.copy()
    moving[:, list(stats.BC_JOINTS), 0] = path(onsets)[:, None]
    assert stats.beat_consistency(moving, fps, onsets) > 0.95
    assert stats.beat_consistency(pos, fps, onsets) == 0.0
    off = pos.copy()
    off[:, list(stats.BC_JOINTS), 0] = path(onsets + 0.35)[:, None]
    assert stats.beat_consistency(off, fps, onsets) < 0.6
    stops = pos.copy()                      # full stops (speed 0) are not motion beats
    stops[:, list(stats.BC_JOINTS), 0] = np.cumsum(
        1.0 - np.exp(-0.5 * ((t[:, None] - onsets[None]) / 0.06) ** 2).max(axis=1))[:, None] / fps
    assert stats.beat_consistency(stops, fps, onsets) < 0.3


@pytest.mark.parametrize("fps,n", [(30.0, 1), (30.0, 5), (24.0, 300), (60.0, 600)])
def test_any_length_and_frame_rate(fps, n):
    t = np.arange(n) / fps
    loud = (0.5 + 0.3 * np.sin(2 * np.pi * 2.5 * t)).astype(np.float32)
    pro = Prosody(fps, loud, np.full(n, 140.0, np.float32), np.ones(n, np.float32),
                  np.arange(0.2, n / fps, 0.3), np.zeros((0, 2)))
    b = generate_body(fps=fps, n_frames=n, prosody=pro,
                      settings=ON.replace(gesture_amount=2.0, energy=2.0, handedness="both"))
    assert b.rotations.shape == (n, 55, 3) and np.isfinite(b.rotations).all() and b.fps == fps
    m = stats.motion_stats(b)
    assert m["limit_violations"] == 0 and m["penetrations"] == 0


def test_neck_and_head_agree_with_the_blender_head_convention(neutral, inputs):
    """core.motion.head_axes defines the channels in Blender's frame (facing -Y, Z up); the
    same rotation seen in SMPL-X's frame (facing +Z, Y up) is what neck and head compose to."""
    from talkrig.core.motion.head_axes import channel_matrices
    h = inputs["head"].astype(np.float64)
    c = np.array([[1.0, 0, 0], [0, 0, 1.0], [0, -1.0, 0]])         # Blender -> SMPL-X axes
    want = c @ channel_matrices(h[:, 0], h[:, 1], h[:, 2]) @ c.T
    neck = axis_angle_to_matrix(neutral.rotations[:, smplx.INDEX["neck"]])
    head = axis_angle_to_matrix(neutral.rotations[:, smplx.INDEX["head"]])
    np.testing.assert_allclose(neck @ head, want, atol=2e-5)


def test_lexicon_is_consistent():
    from talkrig.core.body import lexicon
    seen = {}
    for cls, words in lexicon.WORDS.items():
        assert lexicon.CLASS_GESTURE[cls] in lexicon.GESTURES
        for w in words:
            assert w not in seen, f"{w!r} is in both {seen.get(w)} and {cls}"
            seen[w] = cls
    assert {g for g, _ in lexicon.PROSODIC} <= set(lexicon.GESTURES)
    assert lexicon.word_class("Never,") == "negation" and lexicon.word_class("42") == "number"
    assert lexicon.word_class("table") is None
