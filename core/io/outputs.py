"""Write one core output file (curves or body) by its format in the registry."""
from __future__ import annotations

from ..errors import BodyOptionError, ExportError
from .bvh import write_bvh
from .curves_io import write_curves
from .formats import output_format


def write_output(path, performance) -> str:
    """Write a ``curves`` or ``body`` format file (atomically); returns the path."""
    fmt = output_format(path)
    if fmt.kind == "curves":
        return write_curves(path, performance)
    if fmt.kind == "body":
        if performance.body is None:
            raise BodyOptionError(f"{path}: the bake has no body to write; bake with --body")
        return write_bvh(path, performance.body)
    raise ExportError(f"{fmt.ext} files are written through Blender (addon.headless), not core")
