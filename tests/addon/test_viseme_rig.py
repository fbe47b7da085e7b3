"""Viseme rigs (VRChat ``vrc.v_aa``, Oculus ``viseme_PP``): the bake drives their viseme keys
with the same VisemeTrack a direct ``core.pipeline.bake`` makes; mixed rigs stay ARKit unless
asked; FBX keeps the animation; CLI ``--drive`` and the batch ``drive`` column reach the writer."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from pathlib import Path

from readback import assimp_available, fbx_key_times, morph_animation
from talkrig.core.errors import RigMappingError
from talkrig.rigs.arkit import ARKIT_NAMES
from talkrig.rigs.visemes import VISEME_NAMES

ROOT = Path(__file__).resolve().parents[2]
WAV = ROOT / "examples" / "arctic" / "arctic_a0009.wav"
VRCHAT = tuple(f"vrc.v_{v.lower()}" for v in VISEME_NAMES)
OCULUS = tuple(f"viseme_{v}" for v in VISEME_NAMES)


def _path(key: str) -> str:
    return f'key_blocks["{bpy.utils.escape_identifier(key)}"].value'


@pytest.fixture(scope="module")
def arctic():
    """(wav path, transcript, Performance of a direct core bake) for arctic_a0009."""
    if not WAV.is_file() or not WAV.with_suffix(".txt").is_file():
        pytest.skip(f"{WAV.name} (+ .txt) is missing: run 'make examples'")
    from talkrig.core.pipeline import bake
    from talkrig.core.settings import BakeSettings

    text = WAV.with_suffix(".txt").read_text(encoding="utf-8").strip()
    perf = bake(str(WAV), BakeSettings(fps=30.0, seed=0), text=text)
    assert perf.visemes is not None
    return str(WAV), text, perf


def make_rig(key_names, name="Avatar"):
    """A strip of quads with a Basis and one shape key per name (each moves its own vertex)."""
    n = len(key_names) + 1
    mesh = bpy.data.meshes.new(name)
    verts = [(i * 0.1, y, 0.0) for i in range(n) for y in (0.0, 0.1)]
    faces = [(2 * i, 2 * i + 2, 2 * i + 3, 2 * i + 1) for i in range(n - 1)]
    mesh.from_pydata(verts, [], faces)
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis", from_mix=False)
    for i, key in enumerate(key_names):
        kb = obj.shape_key_add(name=key, from_mix=False)
        kb.data[2 * i].co.z += 0.05
    for other in bpy.context.view_layer.objects:
        other.select_set(False)
    obj.select_set(True)
    bpy.context.view_layer.objects.active = obj
    return obj


def _current(obj) -> dict:
    from talkrig.addon.keyframes import read_face_curves

    return read_face_curves(obj)


def _assert_visemes(curves: dict, keys, perf, frame_start=1):
    track = perf.visemes
    n = track.values.shape[0]
    for viseme, key in zip(VISEME_NAMES, keys):
        frames, values = curves[_path(key)]
        np.testing.assert_array_equal(frames, frame_start + np.arange(n))
        np.testing.assert_allclose(values, np.clip(track.values[:, track.names.index(viseme)], 0, 1),
                                   atol=1e-6, err_msg=viseme)


def test_vrchat_rig_is_driven_by_the_viseme_track(arctic):
    wav, text, perf = arctic
    obj = make_rig(VRCHAT + ("vrc.blink_left", "vrc.blink_right"))
    result = bpy.ops.talkrig.bake(filepath=wav, text=text, fps=30.0, seed=0, add_sound=False)
    assert result == {"FINISHED"}, bpy.context.scene.talkrig.last_error
    curves = _current(obj)
    shape_paths = [p for p in curves if p.startswith("key_blocks")]
    assert len(shape_paths) == 15                     # the 15 visemes, nothing else on keys
    _assert_visemes(curves, VRCHAT, perf)
    action = obj.data.shape_keys.animation_data.action
    assert action["talkrig_drive"] == "visemes"
    assert dict(action["talkrig_viseme_keys"]) == dict(zip(VISEME_NAMES, VRCHAT))
    line = bpy.context.scene.talkrig.last_result
    assert "visemes drive 15/15 viseme keys" in line and "missing" not in line
    # PP (lips closed) is high in the P of "sharply" and the B of "table"
    pp = curves[_path("vrc.v_pp")][1]
    t = np.arange(len(pp)) / 30.0
    closures = [(a, b) for ph, a, b in zip(perf.phones.phones, perf.phones.starts, perf.phones.ends)
                if ph in ("P", "B", "M")]
    assert closures
    for a, b in closures:
        inside = (t >= a - 1 / 30) & (t <= b + 1 / 30)
        assert pp[inside].max() > 0.5, (a, b, pp[inside])
    assert np.median(pp) < 0.2


def test_oculus_rig_keeps_its_arkit_blinks(arctic):
    """An Oculus viseme rig with two ARKit-style blink keys and a lone jawOpen: visemes drive
    the mouth (auto), blinks stay ARKit, jawOpen is left alone (no double mouth)."""
    from talkrig.addon.keyframes import write_face_curves

    _wav, _text, perf = arctic
    obj = make_rig(OCULUS + ("eyeBlink_L", "eyeBlink_R", "jawOpen"))
    action = write_face_curves(obj, perf.face, visemes=perf.visemes, action_name="take",
                               frame_start=5)
    curves = _current(obj)
    _assert_visemes(curves, OCULUS, perf, frame_start=5)
    for side in ("Left", "Right"):
        frames, values = curves[_path(f"eyeBlink_{side[0]}")]
        np.testing.assert_allclose(values, np.clip(perf.face.channel(f"eyeBlink{side}"), 0, 1),
                                   atol=1e-6)
    assert _path("jawOpen") not in curves
    assert '["HeadYaw"]' in curves                     # rotations as before
    assert action["talkrig_drive"] == "visemes" and action["talkrig_arkit_keys"] == 2


def test_mixed_rig_defaults_to_arkit_and_switches(arctic, demo_head):
    from talkrig.addon.keyframes import write_face_curves

    _wav, _text, perf = arctic
    for i, key in enumerate(OCULUS):
        demo_head.shape_key_add(name=key, from_mix=False).data[i].co.z += 0.01
    write_face_curves(demo_head, perf.face, visemes=perf.visemes, action_name="take")
    curves = _current(demo_head)
    assert demo_head.data.shape_keys.animation_data.action["talkrig_drive"] == "arkit"
    assert not any(_path(k) in curves for k in OCULUS)
    assert sum(p.startswith("key_blocks") for p in curves) == 52
    write_face_curves(demo_head, perf.face, visemes=perf.visemes, action_name="take",
                      drive="visemes")
    curves = _current(demo_head)
    _assert_visemes(curves, OCULUS, perf)
    assert _path("jawOpen") not in curves and _path("mouthClose") not in curves
    assert _path("eyeBlinkLeft") in curves and _path("browInnerUp") in curves
    # the earlier (ARKit) take is kept on a muted NLA track: non-destructive as before
    tracks = demo_head.data.shape_keys.animation_data.nla_tracks
    assert any(t.mute and t.strips[0].action.get("talkrig_drive") == "arkit" for t in tracks)


def test_panel_drive_setting_reaches_the_operator(arctic, demo_head):
    wav, text, perf = arctic
    for i, key in enumerate(VRCHAT):
        demo_head.shape_key_add(name=key, from_mix=False).data[i].co.z += 0.01
    settings = bpy.context.scene.talkrig
    settings.drive = "visemes"
    assert bpy.ops.talkrig.bake(filepath=wav, text=text, fps=30.0, add_sound=False) == {"FINISHED"}
    _assert_visemes(_current(demo_head), VRCHAT, perf)
    # the operator's own setting wins over the panel's
    assert bpy.ops.talkrig.bake(filepath=wav, text=text, fps=30.0, add_sound=False,
                                drive="arkit") == {"FINISHED"}
    action = demo_head.data.shape_keys.animation_data.action
    assert action["talkrig_drive"] == "arkit" and "visemes" not in settings.last_result
    assert bpy.ops.talkrig.mapping_refresh() == {"FINISHED"}


def test_visemes_asked_of_a_rig_without_viseme_keys(arctic, demo_head):
    from talkrig.addon.keyframes import write_face_curves

    wav, text, perf = arctic
    with pytest.raises(RigMappingError, match="no viseme shape keys"):
        write_face_curves(demo_head, perf.face, visemes=perf.visemes, drive="visemes")
    with pytest.raises(RigMappingError, match="no viseme track"):
        obj = make_rig(VRCHAT)
        write_face_curves(obj, perf.face, visemes=None, drive="visemes")
    bpy.context.view_layer.objects.active = demo_head
    bpy.context.scene.talkrig.target = demo_head
    with pytest.raises(RuntimeError, match="no viseme shape keys"):   # ERROR report + CANCELLED
        bpy.ops.talkrig.bake(filepath=wav, text=text, add_sound=False, drive="visemes")
    assert "no viseme shape keys" in bpy.context.scene.talkrig.last_error


def _save_avatar(path, keys):
    make_rig(keys)
    bpy.ops.wm.save_as_mainfile(filepath=str(path))


def test_headless_fbx_of_a_viseme_rig_keeps_the_animation(arctic, tmp_path):
    reason = assimp_available()
    if reason:
        pytest.skip(reason)
    from talkrig.addon.headless import bake_to_files

    _wav, _text, perf = arctic
    blend = tmp_path / "avatar.blend"
    _save_avatar(blend, VRCHAT)
    result = bake_to_files(perf, target=str(blend), fbx=str(tmp_path / "avatar.fbx"), drive="auto")
    assert result["drive"] == "visemes" and result["matched"] == 0
    assert result["viseme_matched"] == dict(zip(VISEME_NAMES, VRCHAT))
    assert result["viseme_missing"] == ()
    anim = morph_animation(result["fbx"])
    chans = [c for c in anim["channels"] if c["name"].startswith("Avatar")]
    assert len(chans) == 1, [c["name"] for c in anim["channels"]]
    ch = chans[0]
    n = perf.visemes.values.shape[0]
    np.testing.assert_allclose(ch["times_s"], np.arange(n) / 30.0, atol=1e-5)
    assert ch["values"].shape == (n, 15)
    order = np.asarray(ch["values"][0], dtype=int)          # target ids = shape-key order
    expected = np.clip(perf.visemes.values, 0, 1)[:, order]
    np.testing.assert_allclose(ch["weights"], expected, atol=1e-4)
    for times in fbx_key_times(result["fbx"]):
        np.testing.assert_allclose(times, np.arange(len(times)) / 30.0, atol=1e-6)
    # asked for ARKit, the same rig has nothing to drive: one clear error
    with pytest.raises(RigMappingError, match="viseme keys"):
        bake_to_files(perf, target=str(blend), drive="arkit")


def test_cli_drive_and_batch_drive_column(arctic, tmp_path, monkeypatch):
    from talkrig.app import batch, cli

    wav, text, _perf = arctic
    blend = tmp_path / "avatar.blend"
    _save_avatar(blend, OCULUS)
    calls = []
    from talkrig.addon import headless

    real = headless.bake_to_files
    monkeypatch.setattr(headless, "bake_to_files",
                        lambda perf, **kw: calls.append(kw) or real(perf, **kw))
    out = tmp_path / "avatar.blend.out.blend"
    code = cli.main(["bake", wav, "--text", text, "-o", str(out), "--target", str(blend),
                     "--drive", "visemes", "-q"])
    assert code == 0 and out.is_file()
    assert calls[-1]["drive"] == "visemes" and calls[-1]["target"] == str(blend)
    bpy.ops.wm.open_mainfile(filepath=str(out))
    action = bpy.data.objects["Avatar"].data.shape_keys.animation_data.action
    assert action["talkrig_drive"] == "visemes"
    manifest = tmp_path / "lines.csv"
    manifest.write_text("audio,output,target,drive\n"
                        f"{wav},a.json,,visemes\n{wav},b.json,,\n", encoding="utf-8")
    rows = batch.load_manifest(manifest)
    assert [r.settings.output.drive for r in rows] == ["visemes", "auto"]
    from talkrig.core.settings import BakeSettings, OutputSettings
    row = batch.BatchRow(index=1, audio=wav, output=str(tmp_path / "row.blend"), text=text,
                         settings=BakeSettings(output=OutputSettings(target=str(blend),
                                                                     drive="visemes")))
    res = batch.bake_row(row)
    assert res.status == "ok", res.message
    assert calls[-1]["drive"] == "visemes" and (tmp_path / "row.blend").is_file()
    manifest.write_text(f"audio,output,drive\n{wav},a.json,lips\n", encoding="utf-8")
    bad, = batch.load_manifest(manifest)            # that row fails, the others would run
    assert bad.error == "unknown --drive 'lips'; use one of auto, arkit, visemes"


class _Layout:
    """Just enough UILayout for the Target section: records labels and props."""

    def __init__(self, log):
        self.log = log

    def __getattr__(self, name):
        if name in ("row", "column", "box"):
            return lambda *a, **k: _Layout(self.log)
        raise AttributeError(name)

    def label(self, *, text="", icon="NONE"):
        self.log.append(("label", text))

    def prop(self, data, name, **kw):
        assert name in data.bl_rna.properties, name
        self.log.append(("prop", name))

    def operator(self, idname, **kw):
        self.log.append(("operator", idname))

    def template_list(self, *a, **kw):
        pass


def _target_section() -> list:
    import types

    from talkrig.addon import panels

    log = []
    panels.TALKRIG_PT_target.draw(types.SimpleNamespace(layout=_Layout(log)), bpy.context)
    return log


def test_target_section_shows_the_drive_and_the_viseme_keys(demo_head):
    make_rig(VRCHAT[:10] + ("vrc.blink_left",))
    log = _target_section()
    labels = [t for kind, t in log if kind == "label"]
    assert ("prop", "drive") in log
    assert "Drives 10/15 viseme keys (vrchat names)" in labels
    assert any(t == "Missing visemes: aa, E, ih, oh, ou" for t in labels), labels
    bpy.context.scene.talkrig.drive = "arkit"
    assert not any("has no shape keys" in t for t in _target_section())
    bpy.context.view_layer.objects.active = demo_head
    bpy.context.scene.talkrig.drive = "visemes"
    labels = [t for kind, t in _target_section() if kind == "label"]
    assert any("no viseme shape keys" in t for t in labels), labels
    bpy.context.scene.talkrig.drive = "auto"
    assert "Drives the ARKit shape keys" in [t for k, t in _target_section() if k == "label"]


def test_csv_and_json_export_of_a_viseme_take_carry_the_visemes(arctic, tmp_path):
    from talkrig.addon.export import export_take
    from talkrig.core.io import read_visemes
    wav, text, perf = arctic
    obj = make_rig(VRCHAT)
    assert bpy.ops.talkrig.bake(filepath=wav, text=text, fps=30.0, seed=0,
                                add_sound=False) == {"FINISHED"}
    for ext in (".csv", ".json"):
        export_take(obj, str(tmp_path / f"take{ext}"))
        track = read_visemes(tmp_path / f"take_visemes{ext}")
        assert track.names == perf.visemes.names
        np.testing.assert_allclose(track.values, perf.visemes.values, atol=2e-3)
    arkit = make_rig(("jawOpen", "mouthClose", "eyeBlinkLeft"))
    bpy.context.view_layer.objects.active = arkit
    assert bpy.ops.talkrig.bake(filepath=wav, text=text, fps=30.0, seed=0,
                                add_sound=False) == {"FINISHED"}
    export_take(arkit, str(tmp_path / "arkit.csv"))
    assert not (tmp_path / "arkit_visemes.csv").exists()      # ARKit takes: no sidecar
