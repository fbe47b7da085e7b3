"""Body language: SMPL-X upper-body gesture curves from speech, words, prosody and emotion.

The package imports lightly (``settings`` alone pulls no scipy): the generator and its
helpers load on first use, so a bake without a body, or a CLI start-up, never pays for them.
"""
from .settings import HANDEDNESS, RANGES, BodySettings

_LAZY = {"EMOTIONS": "generate", "gesture_events": "generate", "generate_body": "generate",
         "BODY_OUTPUTS": "output", "check_body_output": "output"}

__all__ = ["BODY_OUTPUTS", "BodySettings", "EMOTIONS", "HANDEDNESS", "RANGES",
           "check_body_output", "generate_body", "gesture_events"]


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
