"""The lowest level of writing keys: one F-curve filled in one go (``keyframe_points.add`` +
``foreach_set``, never per-key ``keyframe_insert``). Shared by the face, viseme and body
writers."""
from __future__ import annotations

import numpy as np

#: Blender's keyframe interpolation enum values.
INTERPOLATIONS = {"CONSTANT": 0, "LINEAR": 1, "BEZIER": 2}


def write_channel(fcurves, group_kw, data_path, group, frames, values, interp, index=0):
    """Create F-curve ``data_path[index]`` in ``fcurves`` with one key per frame; returns it.

    ``group_kw`` is the keyword ``fcurves.new`` takes for the group (``group_name`` on a 4.4+
    channelbag, ``action_group`` on a legacy action); ``interp`` an :data:`INTERPOLATIONS` value.
    """
    fc = fcurves.new(data_path, index=index, **{group_kw: group})
    n = len(values)
    fc.keyframe_points.add(n)
    co = np.empty(2 * n, dtype=np.float32)
    co[0::2] = frames
    co[1::2] = values
    fc.keyframe_points.foreach_set("co", co)
    fc.keyframe_points.foreach_set("interpolation", np.full(n, interp, dtype=np.int32))
    fc.update()
    return fc
