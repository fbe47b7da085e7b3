"""Every talkrig control has a tooltip in an animator's words (issue 14, point 10).

Generic on purpose: it walks every class the add-on registers (``addon.MODULES``, so a
panel module added later is covered) and every property group reachable from
``Scene.talkrig``, and checks

- operators and properties have a non-empty description (tooltip), and so does every item of
  every enum (dynamic enums included);
- no tooltip names a source file or module (``export.py``, ``docs/...``, ``core.face``);
- no two controls of one settings group or operator share a label, and the panel's settings
  never use Blender's own "Driver(s)"/"Drive" words;
- the Add Demo Head hint shows while the factory-default cube is the active object.
"""
from __future__ import annotations

import re

import bpy
import pytest

SOURCE_NAME = re.compile(r"[\w/]+\.(?:py|md|toml|txt)\b|\b(?:core|addon|rigs|docs|bench|app)/"
                         r"|\b(?:core|addon|rigs|app)\.\w|FBX_PRESETS|__\w+__")
BLENDER_WORDS = {"driver", "drivers", "drive"}
SKIP = {"rna_type"}


def _classes():
    from talkrig import addon

    return [cls for mod in addon.MODULES for cls in mod.CLASSES]


def _operator_rnas():
    out = []
    for cls in _classes():
        if issubclass(cls, bpy.types.Operator):
            mod, name = cls.bl_idname.split(".")
            out.append((cls, getattr(getattr(bpy.ops, mod), name).get_rna_type()))
    return out


def _groups():
    """RNA structs of every property group reachable from Scene.talkrig, and registered."""
    seen, todo = {}, [bpy.types.Scene.bl_rna.properties["talkrig"].fixed_type]
    todo += [cls.bl_rna for cls in _classes() if issubclass(cls, bpy.types.PropertyGroup)]
    while todo:
        rna = todo.pop()
        if rna.identifier in seen:
            continue
        seen[rna.identifier] = rna
        for p in rna.properties:
            if p.type in ("POINTER", "COLLECTION") and p.identifier not in SKIP:
                fixed = p.fixed_type
                if fixed is not None and issubclass(type(fixed), bpy.types.Struct) and \
                        fixed.identifier.lower().startswith("talkrig"):
                    todo.append(fixed)
    return list(seen.values())


def _props(rna):
    return [p for p in rna.properties if p.identifier not in SKIP and not p.is_hidden]


def _enum_items(owner, prop):
    items = list(prop.enum_items)
    if not items and prop.is_enum_flag is False:       # a dynamic enum: ask it
        try:
            items = list(prop.enum_items_static) or []
        except AttributeError:
            items = []
    return items


def _dynamic_items(cls, ident):
    """Items of a dynamic enum defined with an items callback on an operator class."""
    annotations = getattr(cls, "__annotations__", {})
    spec = annotations.get(ident)
    fn = getattr(spec, "keywords", {}).get("items") if spec is not None else None
    if callable(fn):
        return [(i[0], i[1], i[2]) for i in fn(None, bpy.context)]
    return None


def _where(owner, prop, item=None):
    return f"{owner}.{prop.identifier}" + (f"[{item}]" if item else "")


def test_operators_and_their_properties_have_tooltips(talkrig_addon):
    problems = []
    rnas = _operator_rnas()
    assert rnas, "no operators registered"
    for cls, rna in rnas:
        if not (cls.__doc__ or "").strip() or not rna.description.strip():
            problems.append(f"{cls.bl_idname}: no description")
        elif SOURCE_NAME.search(rna.description):
            problems.append(f"{cls.bl_idname}: description names a source: {rna.description!r}")
        for p in _props(rna):
            if not p.description.strip():
                problems.append(f"{_where(cls.bl_idname, p)}: no tooltip")
            elif SOURCE_NAME.search(p.description):
                problems.append(f"{_where(cls.bl_idname, p)}: names a source: {p.description!r}")
            if p.type == "ENUM":
                items = [(i.identifier, i.name, i.description) for i in p.enum_items]
                items = items or _dynamic_items(cls, p.identifier) or []
                for ident, _name, desc in items:
                    if ident and not desc.strip():
                        problems.append(f"{_where(cls.bl_idname, p, ident)}: no tooltip")
                    elif SOURCE_NAME.search(desc):
                        problems.append(f"{_where(cls.bl_idname, p, ident)}: names a source: {desc!r}")
    assert not problems, "\n".join(problems)


def test_settings_have_tooltips_without_file_names(talkrig_addon):
    problems = []
    groups = _groups()
    assert any(g.identifier == "TalkrigSettings" for g in groups)
    for rna in groups:
        if SOURCE_NAME.search(rna.description):
            problems.append(f"{rna.identifier}: description names a source: {rna.description!r}")
        for p in _props(rna):
            if not p.description.strip():
                problems.append(f"{_where(rna.identifier, p)}: no tooltip")
            elif SOURCE_NAME.search(p.description):
                problems.append(f"{_where(rna.identifier, p)}: names a source: {p.description!r}")
            if p.type == "ENUM":
                for i in p.enum_items:
                    if not i.description.strip():
                        problems.append(f"{_where(rna.identifier, p, i.identifier)}: no tooltip")
                    elif SOURCE_NAME.search(i.description):
                        problems.append(f"{_where(rna.identifier, p, i.identifier)}: names a "
                                        f"source: {i.description!r}")
    assert not problems, "\n".join(problems)


def test_labels_are_unique_and_not_blenders_own(talkrig_addon):
    problems = []
    owners = [(rna.identifier, rna) for rna in _groups()]
    owners += [(cls.bl_idname, rna) for cls, rna in _operator_rnas()]
    for owner, rna in owners:
        names = {}
        for p in _props(rna):
            label = (p.name or p.identifier).strip().lower()
            names.setdefault(label, []).append(p.identifier)
            if label in BLENDER_WORDS or any(i.name.strip().lower() in BLENDER_WORDS
                                             for i in getattr(p, "enum_items", ())):
                problems.append(f"{owner}.{p.identifier}: label {p.name!r} is Blender's word")
        problems += [f"{owner}: {ids} share the label {label!r}"
                     for label, ids in names.items() if len(ids) > 1]
    assert not problems, "\n".join(problems)


def test_add_demo_head_is_offered_while_the_default_cube_is_active(talkrig_addon):
    from talkrig.addon.panels import offer_demo_head

    bpy.ops.wm.read_factory_settings(use_empty=False)
    if not hasattr(bpy.types, "TALKRIG_OT_bake"):
        talkrig_addon.register()
    cube = bpy.context.view_layer.objects.active
    assert cube is not None and cube.type == "MESH" and cube.data.shape_keys is None
    assert offer_demo_head(bpy.context)
    assert bpy.ops.talkrig.add_demo_head() == {"FINISHED"}
    assert not offer_demo_head(bpy.context)            # the demo head is the face now
    assert bpy.context.view_layer.objects.active.data.shape_keys is not None
