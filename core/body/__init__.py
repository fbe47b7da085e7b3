"""Body language: SMPL-X upper-body gesture curves from speech, words, prosody and emotion."""
from .generate import EMOTIONS, gesture_events, generate_body
from .output import BODY_OUTPUTS, check_body_output
from .settings import HANDEDNESS, RANGES, BodySettings

__all__ = ["BODY_OUTPUTS", "BodySettings", "EMOTIONS", "HANDEDNESS", "RANGES",
           "check_body_output", "generate_body", "gesture_events"]
