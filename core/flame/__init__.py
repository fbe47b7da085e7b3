"""FLAME output: a user's FLAME model, the ARKit -> FLAME mapping fitted from it, and FLAME
parameters (expression, jaw, neck and eye poses) for a performance. See docs/FLAME.md."""
from .fit import ArkitFlameFit, fit_mapping
from .model import FlameModel, load_flame_model
from .params import flame_from_settings, flame_params, mapping_for_settings
from .settings import FlameSettings

__all__ = ["ArkitFlameFit", "FlameModel", "FlameSettings", "fit_mapping", "flame_from_settings",
           "flame_params", "load_flame_model", "mapping_for_settings"]
