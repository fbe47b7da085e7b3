"""One registry of output formats, by extension: what each holds and who writes it.

The CLI, the batch runner and the panel's export all ask this table (:data:`FORMATS`)
instead of keeping their own extension lists. ``kind`` says who writes a format:
``curves`` and ``body`` files are written by ``core`` (``core.io.outputs.write_output``),
``blender`` files through Blender's ``bpy`` module (``addon.headless``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import BodyOptionError, ExportError


@dataclass(frozen=True)
class OutputFormat:
    """One output file type.

    ext : str  extension with the dot; kind : ``curves`` | ``body`` | ``blender``;
    description : str  what the file holds; holds_body / holds_flame : bool  whether a
    body / FLAME parameters can go into it.
    """

    ext: str
    kind: str
    description: str
    holds_body: bool = False
    holds_flame: bool = False

    @property
    def needs_bpy(self) -> bool:
        return self.kind == "blender"


FORMATS = {f.ext: f for f in (
    OutputFormat(".json", "curves", "face curves as JSON {fps, names, frames}"),
    OutputFormat(".csv", "curves", "face curves in the Live Link Face CSV layout"),
    OutputFormat(".npz", "curves", "face curves (names, fps, values); with a body the "
                 "BEAT2/EMAGE keys, with a FLAME model its parameters", holds_body=True,
                 holds_flame=True),
    OutputFormat(".bvh", "body", "the body on talkrig's SMPL-X-proportioned skeleton",
                 holds_body=True),
    OutputFormat(".blend", "blender", "a Blender scene with the take on the rig", holds_body=True),
    OutputFormat(".fbx", "blender", "FBX for game engines (shape keys, skeleton)", holds_body=True),
    OutputFormat(".glb", "blender", "glTF binary (morph targets, skin)", holds_body=True),
    OutputFormat(".mp4", "blender", "a preview video with the speech"),
)}
CURVE_EXTS = tuple(e for e, f in FORMATS.items() if f.kind == "curves")
BLENDER_EXTS = tuple(e for e, f in FORMATS.items() if f.kind == "blender")


def output_format(path) -> OutputFormat:
    """The format of ``path`` by its extension; ExportError naming the known ones."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in FORMATS:
        raise ExportError(f"unknown output extension {ext or '(none)'!r} in '{os.fspath(path)}'; "
                          f"use {', '.join(FORMATS)}")
    return FORMATS[ext]


def check_output_paths(paths, *, settings=None, create_folders: bool = False,
                       check_folders: bool = True) -> list:
    """Check every output before a bake starts; returns their formats.

    Unknown extensions, two Blender outputs of one type, a body asked for outputs none of
    which can hold one (or a .bvh without a body), and (with ``check_folders``) missing or
    unwritable folders (created when ``create_folders``) each raise one clear
    :class:`TalkrigError`.
    """
    formats, blender = [], {}
    for path in paths:
        fmt = output_format(path)
        if fmt.kind == "blender":
            if fmt.ext in blender:
                raise ExportError(f"two {fmt.ext} outputs given ({blender[fmt.ext]}, {path}); give one")
            blender[fmt.ext] = path
        formats.append(fmt)
        if not check_folders:
            continue
        folder = os.path.dirname(os.path.abspath(os.fspath(path)))
        if create_folders:
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as exc:
                raise ExportError(f"cannot create output folder {folder}: {exc.strerror}") from None
        if not os.path.isdir(folder):
            raise ExportError(f"cannot write '{path}': folder '{folder}' does not exist; create it first")
        if not os.access(folder, os.W_OK):
            raise ExportError(f"cannot write '{path}': folder '{folder}' is not writable")
    body = settings is not None and settings.body.enabled
    if body and formats and not any(f.holds_body for f in formats):
        raise BodyOptionError(f"a body was asked for (--body) but none of the outputs can hold one "
                              f"({', '.join(f.ext for f in formats)}); add a .npz, .bvh, .blend, "
                              ".fbx or .glb output")
    if not body and any(f.kind == "body" for f in formats):
        raise BodyOptionError("a .bvh output holds only the body: add --body")
    return formats
