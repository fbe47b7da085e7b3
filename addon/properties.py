"""Scene settings shown in the sidebar panel (``bpy.types.Scene.talkrig``)."""

import bpy
from bpy.props import BoolProperty, IntProperty, StringProperty


class TalkrigSettings(bpy.types.PropertyGroup):
    audio_path: StringProperty(name="Speech", subtype="FILE_PATH",
                               description="Speech audio to bake (wav, flac, ogg, mp3)")
    transcript: StringProperty(name="Transcript",
                               description="What is said (optional; improves lip timing)")
    seed: IntProperty(name="Seed", default=0, min=0,
                      description="Seed of blinks, gaze and head motion (same seed = same take)")
    add_sound: BoolProperty(name="Add Sound Strip", default=True,
                            description="Put the speech into the sequencer for playback")
    export_path: StringProperty(name="Export", subtype="FILE_PATH", default="//face.fbx",
                                description="FBX or glb file to export the face and its take to")


CLASSES = (TalkrigSettings,)
