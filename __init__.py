"""talkrig: speech + emotion controls -> ARKit-52 face curves, as a Blender extension.

This file is the extension entry point. It only delegates to ``addon`` and imports it
lazily, so ``import talkrig.core`` works without Blender.
"""


def register():
    from . import addon
    addon.register()


def unregister():
    from . import addon
    addon.unregister()
