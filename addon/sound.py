"""Put the speech into the scene's sequencer so playback in Blender has audio."""
from __future__ import annotations

import os

import bpy

SOUND_STRIP_NAME = "talkrig speech"


def add_sound_strip(scene: bpy.types.Scene, audio_path: str, *, frame_start: int = 1,
                    channel: int = 1):
    """Add ``audio_path`` as a sound strip starting at ``frame_start`` (replaces ours).

    Returns the strip, or None when the file is missing or Blender cannot read it (the
    animation is still valid; only playback stays silent). Blender 4.4+ calls the
    collection ``strips``, older versions ``sequences``.
    """
    if not audio_path or not os.path.isfile(audio_path):
        return None
    ed = scene.sequence_editor or scene.sequence_editor_create()
    strips = ed.strips if hasattr(ed, "strips") else ed.sequences
    old = strips.get(SOUND_STRIP_NAME)
    if old is not None:
        strips.remove(old)
    try:
        strip = strips.new_sound(SOUND_STRIP_NAME, os.path.abspath(audio_path), channel, int(frame_start))
    except RuntimeError:
        return None
    scene.use_audio_scrub = True
    scene.sync_mode = "AUDIO_SYNC"
    return strip
