"""One headless Blender session for tests/extension/test_install.py (run in a subprocess).

``python blender_session.py ZIP WAV REPORT_JSON`` installs the extension zip into the user
extension repository (``BLENDER_USER_RESOURCES`` must point at a throw-away folder before
``bpy`` is imported: that is why this runs in its own process), enables it, bakes ``WAV``
onto a small mesh that carries a few ARKit shape keys, exports the take as ``face.fbx`` and
``face.glb`` beside ``REPORT_JSON``, then disables and uninstalls it.
Everything observed is written to ``REPORT_JSON``; the test makes the assertions.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

PKG = "talkrig"
REPO = "user_default"
MODULE = f"bl_ext.{REPO}.{PKG}"
SHAPE_KEYS = ("jawOpen", "mouthClose", "eyeBlinkLeft")


# What a real Blender offers besides the extension's own wheels: its bundled Python packages,
# plus whatever the bpy wheel depends on (5.2 adds cattrs, attrs, typing_extensions).
BLENDER_SHIPS = {"bpy", "numpy", "requests", "certifi", "idna", "urllib3", "charset_normalizer",
                 "zstandard", "cython", "Cython", "autopep8", "pycodestyle"}


def bpy_dependencies() -> set[str]:
    """Top-level modules of the bpy wheel's dependencies, transitively (Blender bundles them)."""
    import re
    from importlib import metadata

    modules = metadata.packages_distributions()
    by_dist: dict[str, set[str]] = {}
    for mod, dists in modules.items():
        for d in dists:
            by_dist.setdefault(re.sub(r"[-_.]+", "-", d).lower(), set()).add(mod)
    seen, todo, found = set(), ["bpy"], set()
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        found |= by_dist.get(name, set())
        try:
            reqs = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [re.match(r"[A-Za-z0-9_.-]+", r).group(0) for r in reqs if "extra ==" not in r]
    return found


class BlenderLikeImports:
    """Import finder that makes this Python look like Blender's for the extension.

    The test runs inside the dev environment, which has scipy, soundfile, pocketsphinx ...
    installed. A top-level module found in the extension's unpacked wheels is loaded from
    there; one that would come from the environment's site-packages and that Blender does
    not ship raises ``ModuleNotFoundError``, so a wheel missing from the zip fails here as
    it would for a user.
    """

    def __init__(self, ext_site: str) -> None:
        import sysconfig

        self.ext_site = ext_site
        self.ships = BLENDER_SHIPS | bpy_dependencies()
        self.env_sites = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")}
        self.blocked: list[str] = []

    def find_spec(self, name, path=None, target=None):
        from importlib.machinery import PathFinder

        if path is not None or name in sys.modules:
            return None
        if os.path.isdir(self.ext_site):
            spec = PathFinder.find_spec(name, [self.ext_site])
            if spec is not None:
                return spec
        if name in self.ships:
            return None
        spec = PathFinder.find_spec(name)
        if name == PKG or (spec is not None and self._from_env(spec)):
            self.blocked.append(name)
            raise ModuleNotFoundError(
                f"No module named {name!r} (not in the extension's wheels, not shipped with Blender)",
                name=name)
        return None

    def _from_env(self, spec) -> bool:
        """True when ``spec`` is a top-level entry of the environment's site-packages.

        Blender's own script folders (``bpy/5.0/scripts/...``) sit in site-packages inside
        the ``bpy`` module; they are part of Blender and stay importable.
        """
        where = spec.origin if spec.origin not in (None, "namespace") else next(
            iter(spec.submodule_search_locations or []), "")
        where = os.path.realpath(where) if where else ""
        for site in self.env_sites:
            if where.startswith(site + os.sep):
                return not os.path.relpath(where, site).split(os.sep)[0].startswith("bpy")
        return False


def talkrig_leftovers(bpy) -> dict[str, list[str]]:
    """Registered classes and RNA properties that still carry talkrig's name."""
    classes = sorted(n for n in dir(bpy.types) if n.upper().startswith("TALKRIG"))
    props = []
    for id_type in ("Object", "Scene", "Mesh", "Key", "WindowManager", "Armature", "Action",
                    "AddonPreferences"):
        rna = getattr(bpy.types, id_type).bl_rna
        props += [f"{id_type}.{p}" for p in rna.properties.keys() if p.lower().startswith("talkrig")]
    ops = []
    if "talkrig" in dir(bpy.ops):
        ops = [f"talkrig.{o}" for o in dir(bpy.ops.talkrig) if not o.startswith("_")]
    return {"classes": classes, "properties": sorted(props), "operators": ops}


def wheel_site_packages() -> dict:
    """Where Blender unpacked the bundled wheels, whether it is on sys.path, what is there."""
    site = os.path.join(os.environ["BLENDER_USER_RESOURCES"], "extensions", ".local", "lib",
                        "python%d.%d" % sys.version_info[:2], "site-packages")
    names = sorted(os.listdir(site)) if os.path.isdir(site) else []
    return {"dir": site, "on_sys_path": site in sys.path,
            "packages": [n for n in names if not n.endswith((".dist-info", ".libs"))]}


def bundled_pocketsphinx() -> dict:
    """The aligner's wheel loads with its acoustic model and dictionary (whatever the bake uses)."""
    import pocketsphinx

    model = pocketsphinx.get_model_path()
    return {"file": pocketsphinx.__file__,
            "model_ok": all(os.path.exists(os.path.join(model, "en-us", p))
                            for p in ("en-us", "cmudict-en-us.dict", "en-us-phone.lm.bin"))}


def make_face(bpy):
    """A 4x4 grid with a Basis and the ARKit shape keys in ``SHAPE_KEYS``, made active."""
    verts = [(x * 0.1, 0.0, z * 0.1) for z in range(4) for x in range(4)]
    faces = [(z * 4 + x, z * 4 + x + 1, z * 4 + x + 5, z * 4 + x + 4)
             for z in range(3) for x in range(3)]
    mesh = bpy.data.meshes.new("face")
    mesh.from_pydata(verts, [], faces)
    ob = bpy.data.objects.new("face", mesh)
    bpy.context.scene.collection.objects.link(ob)
    ob.shape_key_add(name="Basis")
    for i, name in enumerate(SHAPE_KEYS):
        key = ob.shape_key_add(name=name, from_mix=False)
        key.data[i].co.z -= 0.05
    for other in bpy.context.view_layer.objects:
        other.select_set(False)
    ob.select_set(True)
    bpy.context.view_layer.objects.active = ob
    return ob


def fcurves_of(action) -> list:
    """All F-curves of an action: slotted (4.4+) through layers/strips, else legacy."""
    found = []
    for layer in getattr(action, "layers", ()):
        for strip in layer.strips:
            for bag in getattr(strip, "channelbags", ()):
                found += list(bag.fcurves)
    if not found and hasattr(action, "fcurves"):
        found = list(action.fcurves)
    return found


def keyframes(bpy, ob) -> dict[str, dict[str, float]]:
    """Per shape key: keyframe count and value range on F-curves that drive it."""
    out: dict[str, dict[str, float]] = {}
    for action in bpy.data.actions:
        for fc in fcurves_of(action):
            if not fc.data_path.startswith('key_blocks["'):
                continue
            name = fc.data_path.split('"')[1]
            values = [kp.co[1] for kp in fc.keyframe_points]
            out[name] = {"n": len(values), "min": min(values, default=0.0),
                         "max": max(values, default=0.0), "action": action.name}
    anim = ob.data.shape_keys.animation_data
    out["_assigned_action"] = {"name": anim.action.name if anim and anim.action else ""}
    return out


def main(zip_path: str, wav_path: str, report_path: str) -> None:
    report: dict = {"steps": []}

    def step(name, fn):
        try:
            report[name] = fn()
            report["steps"].append(name)
            return report[name]
        except Exception:
            report["error"] = f"{name}: {traceback.format_exc()}"
            raise

    ext_site = wheel_site_packages()["dir"]
    finder = BlenderLikeImports(ext_site)
    sys.meta_path.insert(0, finder)
    try:
        import bpy
        import addon_utils

        step("install", lambda: sorted(bpy.ops.extensions.package_install_files(
            filepath=zip_path, repo=REPO, enable_on_install=True)))
        step("loaded", lambda: {
            "in_sys_modules": MODULE in sys.modules,
            "check": list(addon_utils.check(MODULE)),
            "enabled": MODULE in bpy.context.preferences.addons,
            "bake_op": hasattr(bpy.types, "TALKRIG_OT_bake") or "bake" in dir(
                getattr(bpy.ops, "talkrig", object())),
            "wheels_unpacked": wheel_site_packages(),
        })
        step("bundled_pocketsphinx", bundled_pocketsphinx)
        ob = step("face", lambda: make_face(bpy))
        report["face"] = ob.name
        step("bake", lambda: sorted(bpy.ops.talkrig.bake(filepath=wav_path)))
        step("keyframes", lambda: keyframes(bpy, ob))
        out_dir = os.path.dirname(os.path.abspath(report_path))
        step("exports", lambda: {
            ext: {"result": sorted(bpy.ops.talkrig.export(filepath=path)), "path": path}
            for ext in ("fbx", "glb") for path in [os.path.join(out_dir, f"face.{ext}")]})
        step("disable", lambda: sorted(bpy.ops.preferences.addon_disable(module=MODULE)))
        step("after_disable", lambda: talkrig_leftovers(bpy))
        repo = next(r for r in bpy.context.preferences.extensions.repos if r.module == REPO)
        step("uninstall", lambda: sorted(bpy.ops.extensions.package_uninstall(
            repo_directory=repo.directory, pkg_id=PKG)))
        step("after_uninstall", lambda: {
            **talkrig_leftovers(bpy),
            "enabled": MODULE in bpy.context.preferences.addons,
            "repo_dir": repo.directory,
        })
    except Exception:
        report.setdefault("error", traceback.format_exc())
    finally:
        report["blocked_imports"] = finder.blocked
        report["loaded_from_wheels"] = sorted({
            m.split(".")[0] for m, mod in list(sys.modules.items())
            if (getattr(mod, "__file__", None) or "").startswith(ext_site)})
        with open(report_path, "w") as fh:
            json.dump(report, fh, indent=1, default=str)


if __name__ == "__main__":
    main(*sys.argv[1:4])
    # The bpy 4.2 module crashes (SIGSEGV) at process exit once add-on classes were registered
    # (see tests/conftest.py); the report is written, so end here with success instead.
    _bpy = sys.modules.get("bpy")
    if _bpy is not None and tuple(_bpy.app.version[:2]) < (4, 4):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
