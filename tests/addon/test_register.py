"""Registration: classes, the settings pointer, and a clean unregister."""
from __future__ import annotations

import bpy


def _leftovers():
    classes = sorted(n for n in dir(bpy.types) if n.upper().startswith("TALKRIG"))
    props = [p for p in bpy.types.Scene.bl_rna.properties.keys() if p.startswith("talkrig")]
    props += [p for p in bpy.types.Object.bl_rna.properties.keys() if p.startswith("talkrig")]
    return classes, props


def test_registered(talkrig_addon):
    from talkrig.addon import _classes

    assert hasattr(bpy.types, "TALKRIG_OT_bake") and hasattr(bpy.types, "TALKRIG_PT_main")
    assert bpy.ops.talkrig.bake.idname() == "TALKRIG_OT_bake"
    assert "talkrig" in bpy.types.Scene.bl_rna.properties.keys()
    assert bpy.context.scene.talkrig.seed == 0
    assert all(cls.is_registered for cls in _classes())


def test_unregister_leaves_nothing_behind(talkrig_addon):
    talkrig_addon.unregister()
    try:
        classes, props = _leftovers()
        assert classes == [] and props == []
        assert "bake" not in dir(getattr(bpy.ops, "talkrig", object()))
    finally:
        talkrig_addon.register()
    assert hasattr(bpy.types, "TALKRIG_OT_bake")


def test_register_twice_is_an_error_not_silence(talkrig_addon):
    """Registration errors surface (a second register of the same classes raises)."""
    import pytest

    with pytest.raises((ValueError, RuntimeError)):
        talkrig_addon.register()
