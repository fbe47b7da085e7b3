"""FLAME output: a user's FLAME model, the ARKit -> FLAME mapping fitted from it, and FLAME
parameters (expression, jaw, neck and eye poses) for a performance. See docs/FLAME.md.

``settings`` imports alone; the fitting code (scipy.spatial, scipy.sparse) loads on first use.
"""
from .settings import FlameSettings

_LAZY = {"ArkitFlameFit": "fit", "fit_mapping": "fit", "FlameModel": "model",
         "load_flame_model": "model", "flame_from_settings": "params", "flame_params": "params",
         "mapping_for_settings": "params"}

__all__ = ["ArkitFlameFit", "FlameModel", "FlameSettings", "fit_mapping", "flame_from_settings",
           "flame_params", "load_flame_model", "mapping_for_settings"]


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
