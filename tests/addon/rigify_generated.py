"""Run in a fresh Python (subprocess): generate a Rigify rig from the human metarig, write a
body take on its deform bones (their constraints muted, as rigs prepared for game export have
them) and print the direction errors as JSON. Rigify's rig types register only in a fresh
session, not after the test tier's factory resets."""
import json
import sys
from pathlib import Path

import bpy  # noqa: I001  (bpy first: it provides addon_utils)
import addon_utils
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
addon_utils.enable("rigify", default_set=True)
for _o in list(bpy.data.objects):
    bpy.data.objects.remove(_o)
from body_rigs import smooth_body  # noqa: E402
from test_body_retarget import _measure  # noqa: E402

from talkrig.addon.body_keys import write_body_take  # noqa: E402

bpy.ops.object.armature_human_metarig_add()
meta = bpy.context.active_object
bpy.ops.pose.rigify_generate()
rig = next(o for o in bpy.data.objects if o.type == "ARMATURE" and o != meta)
body = smooth_body(6.0, seed=4)
res = write_body_take(rig, body, line="generated")
constrained = list(res.constrained)
for pb in rig.pose.bones:
    if pb.name.startswith("DEF-"):
        for c in pb.constraints:
            c.mute = True
err, _ = _measure(rig, res, body, "upper", frames=np.arange(0, body.n_frames, 3))
print("RESULT " + json.dumps({"family": res.match.family, "bones": list(res.bones),
                              "constrained": constrained, "median": float(np.median(err)),
                              "p95": float(np.percentile(err, 95))}))
