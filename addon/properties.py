"""Scene settings shown in the sidebar panel (``bpy.types.Scene.talkrig``).

Sections follow the panel: Source (audio file or a sound strip, transcript text or file),
Target (face object and its editable shape-key mapping), Emotion (animatable sliders,
region mix, description; ``emotion_props``), Style (``core.style.Style`` fields), Keys
(every frame or reduced within a tolerance, interpolation, NLA or active placement) and
Export. ``last_error`` / ``last_result`` hold the one-line outcome of the last operation.

No postponed annotations: Blender reads property definitions from ``__annotations__``.
"""
import bpy
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty,
                       IntProperty, PointerProperty, StringProperty)

from ..core.style import RANGES
from .emotion_props import TalkrigEmotion, TalkrigRegionMix


def _style_float(name: str, label: str, default: float, **kw):
    lo, hi, meaning = RANGES[name]
    return FloatProperty(name=label, default=default, min=lo, max=hi, description=meaning, **kw)


def _is_face_mesh(_self, obj) -> bool:
    return obj.type == "MESH"


def _search_takes(self, context, edit_text):
    """Suggestions for the Take field: the face's talkrig takes only."""
    from .bake_job import face_object
    from .takes import object_takes

    return [a.name for a in object_takes(face_object(context)) if edit_text.lower() in a.name.lower()]


def _search_strips(self, context, edit_text):
    """Suggestions for the Strip field: the sequencer's sound strips only."""
    from .bake_job import strips_of

    strips = strips_of(context.scene)
    return [x.name for x in (strips or ()) if x.type == "SOUND"
            and edit_text.lower() in x.name.lower()]


class TalkrigMappingItem(bpy.types.PropertyGroup):
    """One row of the mapping: which shape key drives an ARKit channel ("" = none)."""

    arkit: StringProperty(name="ARKit", description="ARKit channel name")
    shape_key: StringProperty(name="Shape Key",
                              description="Shape key that this ARKit channel drives (empty: none)")
    auto_key: StringProperty(name="Found", description="What automatic matching found")


class TalkrigSettings(bpy.types.PropertyGroup):
    # -- Source ---------------------------------------------------------------------------
    source: EnumProperty(name="Source", default="FILE",
                         description="Where the speech comes from: an audio file or a sound "
                                     "strip already in the Video Sequencer", items=(
        ("FILE", "File", "Bake an audio file"),
        ("STRIP", "Sound Strip", "Bake a sound strip of the Video Sequencer; the take starts "
                                 "at the strip's start frame")))
    audio_path: StringProperty(name="Speech", subtype="FILE_PATH",
                               description="Speech audio to bake (wav, flac, ogg, mp3)")
    strip: StringProperty(name="Strip", description="Sound strip of the Video Sequencer to bake",
                          search=_search_strips)
    frame_start: IntProperty(name="Start Frame", default=1,
                             description="Frame of the take's first key (audio file source)")
    transcript_source: EnumProperty(name="Transcript From", default="TEXT",
                                    description="Type the transcript or read it from a text "
                                                "file", items=(
        ("TEXT", "Text", "Type what is said"),
        ("FILE", "File", "Read what is said from a .txt file")))
    transcript: StringProperty(name="Transcript",
                               description="What is said (optional; improves lip timing)")
    transcript_path: StringProperty(name="Transcript File", subtype="FILE_PATH",
                                    description="A .txt file with what is said")
    add_sound: BoolProperty(name="Add Sound Strip", default=True,
                            description="Put the speech into the sequencer for playback")
    seed: IntProperty(name="Seed", default=0, min=0,
                      description="Seed of blinks, gaze and head motion (same seed = same take)")

    # -- Target ---------------------------------------------------------------------------
    target: PointerProperty(name="Face", type=bpy.types.Object, poll=_is_face_mesh,
                            description="Face mesh with ARKit shape keys (empty: the active object)")
    mapping: CollectionProperty(type=TalkrigMappingItem, name="Mapping",
                                description="Which shape key each ARKit channel animates")
    mapping_index: IntProperty(name="Mapping Row", default=0,
                               description="The selected row of the shape-key mapping")
    mapping_object: StringProperty(name="Mapping Of",
                                   description="Object the mapping rows were made for")
    mapping_preset: StringProperty(name="Preset Name", default="my_rig",
                                   description="Name of the mapping preset to save")
    show_mapping: BoolProperty(name="Edit Mapping", default=False,
                               description="Show the mapping rows to pick a shape key per "
                                           "ARKit channel")
    drive: EnumProperty(name="Mouth Shapes", default="auto",
                        description="Which shape keys the lip sync animates: the ARKit mouth "
                                    "keys or a rig's 15 viseme keys", items=(
        ("auto", "Auto", "Viseme shape keys (vrc.v_aa, viseme_aa, ...) on rigs that have them "
                         "and (almost) no ARKit mouth keys; ARKit keys otherwise"),
        ("arkit", "ARKit", "Lip sync on the ARKit shape keys (jawOpen, mouthClose, ...)"),
        ("visemes", "Visemes", "Lip sync on the 15 viseme shape keys (VRChat, Oculus, "
                               "Ready Player Me names); blinks, eyes and brows stay ARKit")))

    # -- Emotion --------------------------------------------------------------------------
    emotion: PointerProperty(type=TalkrigEmotion, name="Emotions",
                             description="One animatable intensity slider per emotion")
    region: PointerProperty(type=TalkrigRegionMix, name="Region Mix",
                            description="How strongly emotion and speech move each face region")
    description: StringProperty(name="Description",
                                description="Emotion in words, e.g. 'nervous, half-smiling, "
                                            "brows raised'")
    show_compounds: BoolProperty(name="Compound Emotions", default=False,
                                 description="Show the sliders of compound emotions (pain, "
                                             "grief, amazement, nervous smile, ...)")
    show_regions: BoolProperty(name="Show Region Mix", default=False,
                               description="Show the per-region strengths of emotion and "
                                           "speech (brows, eyes, cheeks, mouth, jaw)")
    use_vad: BoolProperty(name="Valence / Arousal / Dominance", default=False,
                          description="Add the emotion mix at a point of valence (pleasant or "
                                      "not), arousal (calm or excited) and dominance "
                                      "(submissive or in control)")
    valence: FloatProperty(name="Valence", default=0.0, min=-1.0, max=1.0,
                           description="Unpleasant (-1) .. pleasant (+1)")
    arousal: FloatProperty(name="Arousal", default=0.0, min=-1.0, max=1.0,
                           description="Calm (-1) .. excited (+1)")
    dominance: FloatProperty(name="Dominance", default=0.0, min=-1.0, max=1.0,
                             description="Submissive (-1) .. in control (+1)")

    # -- Style ----------------------------------------------------------------------------
    articulation: _style_float("articulation", "Articulation", 1.0)
    loudness_scale: _style_float("loudness_scale", "Loudness Scale", 1.0)
    lead_ms: _style_float("lead_ms", "Lead (ms)", 0.0)
    blink_rate: _style_float("blink_rate", "Blink Rate", 1.0)
    head_amount: _style_float("head_amount", "Head Motion", 1.0)
    gaze_amount: _style_float("gaze_amount", "Gaze", 1.0)
    auto_emotion: _style_float("auto_emotion", "Auto Emotion", 0.0)
    eyes: BoolProperty(name="Eyes", default=True, description="Gaze layer on or off")
    blinks: BoolProperty(name="Blinks", default=True, description="Blink layer on or off")
    head: BoolProperty(name="Head", default=True, description="Head motion layer on or off")
    mode: EnumProperty(name="Lip Sync From", default="auto",
                       description="What moves the mouth: the speech sounds (phonemes) or "
                                   "only how loud the audio is", items=(
        ("auto", "Auto", "Phonemes when available"),
        ("phonemes", "Phonemes", "The timing of the speech sounds shapes the mouth"),
        ("loudness", "Loudness", "The sound level opens the jaw (also for non-speech: "
                                 "singing, creatures, noises)")))

    # -- Keys -----------------------------------------------------------------------------
    key_mode: EnumProperty(name="Keys", default="ALL",
                           description="A key on every frame, or only the keys the curves "
                                       "need", items=(
        ("ALL", "Every Frame", "A key on every frame of every channel"),
        ("REDUCED", "Reduced", "Only the keys needed to stay within the tolerance")))
    tolerance: FloatProperty(name="Tolerance", default=0.01, min=0.0, max=0.5, step=0.1,
                             precision=3,
                             description="Largest allowed difference between the reduced "
                                         "and the full curve at any frame (weight units)")
    interpolation: EnumProperty(name="Interpolation", default="LINEAR",
                                description="How the curves run between keys", items=(
        ("LINEAR", "Linear", "Straight lines between keys"),
        ("BEZIER", "Bezier", "Smooth curves between keys")))
    placement: EnumProperty(name="New Take On", default="ACTIVE",
                            description="Where a new take goes: the active action or a new "
                                        "NLA track", items=(
        ("ACTIVE", "Active Action", "The take becomes the active action; your previous action "
                                    "moves to an NLA track and keeps animating every channel "
                                    "the take does not key (a previous take is muted)"),
        ("NLA", "NLA Track", "The take goes on a new NLA track at its start frame; the "
                             "active action stays")))
    take: StringProperty(name="Take", description="The talkrig take (action) that Clear Take "
                                                  "and Export use; empty: the active one",
                         search=_search_takes)

    # -- Export / outcome -----------------------------------------------------------------
    export_path: StringProperty(name="Export", subtype="FILE_PATH", default="//face.fbx",
                                description="File to export the take to: .fbx or .glb (mesh "
                                            "and take), .csv (Live Link Face) or .json (curves)")
    export_preset: EnumProperty(name="FBX Preset", default="default",
                                description="FBX settings for the engine the take goes to",
                                items=(
        ("default", "Default", "Blender's axes and scale, the take only"),
        ("unreal", "Unreal", "For Unreal Engine: centimetres, no leaf bones, deform bones "
                             "only, smoothing groups"),
        ("unity", "Unity", "For Unity: metres, no leaf bones, deform bones only, smoothing "
                           "groups")))
    last_error: StringProperty(name="Error", description="What went wrong last time")
    last_result: StringProperty(name="Result", description="Outcome of the last bake")

    def style_dict(self) -> dict:
        """The Style fields as a dict for ``core.style.Style.from_dict``."""
        return {name: getattr(self, name) for name in (
            "articulation", "loudness_scale", "lead_ms", "blink_rate", "head_amount",
            "gaze_amount", "auto_emotion", "eyes", "blinks", "head", "mode")}


CLASSES = (TalkrigEmotion, TalkrigRegionMix, TalkrigMappingItem, TalkrigSettings)
