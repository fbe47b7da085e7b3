"""Blender side of talkrig: properties, operators, panel, keyframe writer, export.

Each UI module exports a ``CLASSES`` tuple; they are registered in order and unregistered
in reverse. One ``PointerProperty`` holds the settings: ``bpy.types.Scene.talkrig``.
Registration errors are never swallowed.
"""
from __future__ import annotations

import bpy

from . import body_panel, flame_panel, operators, panels, preview, properties

MODULES = (properties, operators, preview, panels, body_panel, flame_panel)


def _classes():
    return [cls for mod in MODULES for cls in mod.CLASSES]


def register():
    for cls in _classes():
        bpy.utils.register_class(cls)
    bpy.types.Scene.talkrig = bpy.props.PointerProperty(type=properties.TalkrigSettings)
    body_panel.register_props()


def unregister():
    from .bake_workers import shutdown_workers
    shutdown_workers()                     # the bake worker process ends with the add-on
    body_panel.unregister_props()
    if hasattr(bpy.types.Scene, "talkrig"):
        del bpy.types.Scene.talkrig
    for cls in reversed(_classes()):
        if getattr(cls, "is_registered", True):
            bpy.utils.unregister_class(cls)
