"""A bad --target is found before the bake, in one line (issue 14 point 6)."""
from __future__ import annotations

import shutil

import bpy
import numpy as np
import pytest


@pytest.fixture
def good_target(tmp_path, demo_head):
    path = tmp_path / "rig.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True)
    return path


def _bad_targets(folder, good, wav):
    data = good.read_bytes()
    bad = {"random.blend": np.random.default_rng(3).bytes(30000),
           "truncated.blend": data[: len(data) // 2],
           "speech.blend": wav.read_bytes(),
           "empty.blend": b""}
    for name, content in bad.items():
        (folder / name).write_bytes(content)
    shutil.copyfile(wav, folder / "speech.wav")
    return [folder / n for n in bad] + [folder / "speech.wav", folder / "missing.blend", folder]


def test_check_target_accepts_a_rig_and_names_what_is_wrong(good_target, speech_wav, tmp_path):
    from talkrig.addon.headless import TargetError, check_target
    from talkrig.core.errors import RigMappingError

    info = check_target(str(good_target))
    assert info["object"] == "TalkrigDemoHead" and info["path"] == str(good_target)
    for bad in _bad_targets(tmp_path, good_target, speech_wav):
        with pytest.raises(TargetError) as err:
            check_target(str(bad))
        message = str(err.value)
        assert str(bad) in message and "\n" not in message.strip()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.mesh.primitive_cube_add()
    cube = tmp_path / "cube.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(cube), copy=True)
    with pytest.raises(RigMappingError, match="no mesh with ARKit shape keys"):
        check_target(str(cube))


def test_cli_reports_a_bad_target_before_baking(good_target, speech_wav, tmp_path, monkeypatch,
                                                capsys):
    """Exit 2 with one 'talkrig: error:' line naming the target; the bake never starts."""
    from talkrig.app import cli
    from talkrig.core import pipeline

    def no_bake(*args, **kwargs):
        raise AssertionError("the bake ran before the target was checked")

    monkeypatch.setattr(pipeline, "bake", no_bake)
    for bad in _bad_targets(tmp_path, good_target, speech_wav):
        code = cli.main(["bake", str(speech_wav), "-o", str(tmp_path / "out.fbx"),
                         "--target", str(bad)])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2, err
        assert len(err) == 1 and err[0].startswith("talkrig: error:") and str(bad) in err[0]
        assert "this is a bug" not in err[0]
    code = cli.main(["bake", str(speech_wav), "-o", str(tmp_path / "nofolder" / "out.fbx"),
                     "--target", str(good_target)])
    assert code == 2 and "does not exist" in capsys.readouterr().err
