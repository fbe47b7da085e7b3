"""Shape-key mapping presets: which shape key drives each ARKit channel, as JSON.

A preset file is ``{"talkrig_mapping": 1, "name": ..., "mapping": {arkit: shape_key}}``.
Shipped presets live in ``rigs/presets/`` (ARKit names, Face Cap ``_L``/``_R``); the user's
own in the extension's user folder (``bpy.utils.extension_path_user(<package>,
path="presets", create=True)``) when talkrig runs as an extension, else in
``<user scripts>/presets/talkrig/mapping``. The rows the panel edits are
``scene.talkrig.mapping`` (one per ARKit channel), filled by :func:`fill_rows`.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import bpy

from ..core.errors import RigMappingError, TalkrigError
from ..core.io.atomic import replace_text
from ..rigs.arkit import ARKIT_NAMES

SHIPPED_DIR = Path(__file__).resolve().parents[1] / "rigs" / "presets"
FORMAT_VERSION = 1


def user_dir() -> Path:
    """Folder of the user's own presets (created on demand)."""
    root = __name__.rsplit(".addon.", 1)[0]          # the extension's package
    if root.startswith("bl_ext."):
        try:
            return Path(bpy.utils.extension_path_user(root, path="presets", create=True))
        except (ValueError, RuntimeError, TypeError):
            pass
    return Path(bpy.utils.user_resource("SCRIPTS", path=os.path.join("presets", "talkrig", "mapping"),
                                        create=True))


def preset_files() -> dict:
    """Preset name (file stem) -> path; user presets win over shipped ones of the same name."""
    out = {}
    for folder in (SHIPPED_DIR, user_dir()):
        if folder.is_dir():
            for path in sorted(folder.glob("*.json")):
                out[path.stem] = path
    return out


def safe_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.-]+", "_", str(name).strip()).strip("._")
    if not cleaned:
        raise TalkrigError("give the preset a name (letters, digits, '_', '-', '.')")
    return cleaned


def save_preset(name: str, mapping: dict, *, folder=None) -> Path:
    """Write ``mapping`` (ARKit name -> shape key name) as preset ``name``; returns the path."""
    folder = Path(folder) if folder is not None else user_dir()
    path = folder / f"{safe_name(name)}.json"
    data = {"talkrig_mapping": FORMAT_VERSION, "name": str(name),
            "mapping": {k: mapping[k] for k in ARKIT_NAMES if mapping.get(k)}}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        replace_text(path, json.dumps(data, indent=1) + "\n")
    except OSError as exc:
        raise TalkrigError(f"cannot save preset '{path}': {exc.strerror or exc}; check the "
                           "folder's permissions") from None
    return path


def load_preset(path) -> dict:
    """Read a preset file; returns ARKit name -> shape key name."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TalkrigError(f"preset '{path}' does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TalkrigError(f"preset '{path}' is not a readable JSON file: {exc}") from None
    table = data.get("mapping") if isinstance(data, dict) else None
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise TalkrigError(f"preset '{path}' has no 'mapping' of ARKit name -> shape key name")
    unknown = sorted(set(table) - set(ARKIT_NAMES))
    if unknown:
        raise TalkrigError(f"preset '{path}' names unknown ARKit channels: {', '.join(unknown[:5])}")
    return dict(table)


def fill_rows(settings, obj, *, overrides=None) -> tuple:
    """(Re)build the editable rows for ``obj``: automatic match, then ``overrides`` on top.

    Returns (applied, not_found): override entries applied, and those naming shape keys the
    object does not have.
    """
    from .keyframes import shape_key_mapping

    mapping = shape_key_mapping(obj)           # RigMappingError when there are no shape keys
    keys = set(obj.data.shape_keys.key_blocks.keys())
    current = {}
    if settings.mapping_object == obj.name:
        current = {row.arkit: row.shape_key for row in settings.mapping}
    settings.mapping.clear()
    applied, not_found = 0, []
    for arkit in ARKIT_NAMES:
        row = settings.mapping.add()
        row.arkit = arkit
        row.auto_key = mapping.matched.get(arkit, "")
        row.shape_key = current.get(arkit, row.auto_key) if current else row.auto_key
        if overrides and arkit in overrides:
            if overrides[arkit] in keys:
                row.shape_key = overrides[arkit]
                applied += 1
            else:
                not_found.append(overrides[arkit])
    settings.mapping_object = obj.name
    return applied, not_found


def rows_mapping(settings) -> dict:
    """The edited rows as ARKit name -> shape key name (rows with a key only)."""
    return {row.arkit: row.shape_key for row in settings.mapping if row.shape_key}


def mapping_report(obj, settings) -> tuple:
    """(matched, missing, extra) lists for the panel: the rows when made for ``obj``."""
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    if key is None or len(key.key_blocks) < 2:
        raise RigMappingError(f"'{obj.name}' has no shape keys: add ARKit shape keys or use the "
                              "demo head" if obj is not None else "no face mesh is selected")
    names = key.key_blocks.keys()[1:]
    if settings.mapping_object == obj.name and len(settings.mapping):
        table = {a: k for a, k in rows_mapping(settings).items() if k in names}
    else:
        from .keyframes import shape_key_mapping

        table = dict(shape_key_mapping(obj).matched)
    used = set(table.values())
    return (sorted(table), [a for a in ARKIT_NAMES if a not in table],
            [k for k in names if k not in used])
