"""Blender version differences the add-on handles (tier 2 runs on bpy 5.0 and on bpy 4.2 LTS).

`make test` runs tests/addon and tests/extension under both wheels (`.venv` with bpy 5.0.1,
`.venv-bpy42` with bpy 4.2.23, `make test-bpy42`). Tests that only make sense on one version
skip with a reason that names it.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

import bpy
import pytest

ROOT = Path(__file__).resolve().parents[2]
VERSION = bpy.app.version
HAS_AUDIO = bpy.app.build_options.audaspace


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def test_running_blender_is_supported_by_the_manifest():
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    assert VERSION >= _version(manifest["blender_version_min"]), (
        f"bpy {bpy.app.version_string} is older than blender_version_min "
        f"{manifest['blender_version_min']}: the test environments and the manifest disagree")
    assert "blender_version_max" not in manifest or VERSION < _version(manifest["blender_version_max"])


def test_action_api_path_matches_the_version():
    """4.4+ writes through action slots and channelbags (5.0: the only API); 4.2 has
    ``Action.fcurves`` and no slots. The writer picks by feature, not by version."""
    from talkrig.addon.keyframes import slotted_actions

    assert slotted_actions() == (VERSION >= (4, 4, 0))
    if VERSION >= (5, 0, 0):
        assert "fcurves" not in bpy.types.Action.bl_rna.properties
    if VERSION < (4, 4, 0):
        assert "fcurves" in bpy.types.Action.bl_rna.properties


def test_sequencer_collection_name():
    """The sound strip code reads ``strips`` (4.4+) or ``sequences`` (4.2)."""
    scene = bpy.context.scene
    ed = scene.sequence_editor_create()
    name = "strips" if VERSION >= (4, 4, 0) else "sequences"
    assert hasattr(ed, name)


@pytest.mark.skipif(not HAS_AUDIO, reason=f"bpy {bpy.app.version_string} wheel is built without "
                    "Audaspace (sound strips need it; the Blender 4.2 application has it)")
def test_sound_strip_is_added(speech_wav):
    from talkrig.addon.sound import SOUND_STRIP_NAME, add_sound_strip

    scene = bpy.context.scene
    strip = add_sound_strip(scene, str(speech_wav), frame_start=5)
    assert strip is not None and strip.type == "SOUND" and strip.frame_start == 5
    again = add_sound_strip(scene, str(speech_wav), frame_start=1)      # replaces ours
    ed = scene.sequence_editor
    strips = ed.strips if hasattr(ed, "strips") else ed.sequences
    assert [s.name for s in strips] == [SOUND_STRIP_NAME] and again.frame_start == 1


@pytest.mark.skipif(HAS_AUDIO, reason=f"only a bpy build without Audaspace (the bpy 4.2 wheel) "
                    f"cannot add sound; bpy {bpy.app.version_string} can")
def test_no_audio_build_bakes_without_a_strip(speech_wav, demo_head):
    """Without Audaspace the strip is skipped and the bake still succeeds."""
    from talkrig.addon.sound import add_sound_strip

    assert add_sound_strip(bpy.context.scene, str(speech_wav)) is None
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav), add_sound=True) == {"FINISHED"}
    assert demo_head.data.shape_keys.animation_data.action is not None


def test_extension_user_path_api():
    """Both versions offer ``bpy.utils.extension_path_user`` (4.2 introduced extensions)."""
    assert callable(getattr(bpy.utils, "extension_path_user", None))
