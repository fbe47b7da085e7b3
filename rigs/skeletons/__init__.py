"""Skeleton data (joint names, parents, rest positions) with no Blender dependency."""
from . import smplx

__all__ = ["smplx"]
