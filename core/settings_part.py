"""What every part of the bake settings can do: copy with changes, turn into a plain dict,
and be built back from one, rejecting unknown keys with the part's own error type."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace

from .errors import StyleError


class SettingsPart:
    """Mixin for the frozen dataclasses that make up ``BakeSettings``.

    ``_what`` names the part in messages, ``_error`` is the error type raised for bad input.
    """

    _what = "bake"
    _error = StyleError

    def replace(self, **changes):
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """The fields as a plain dict (JSON-friendly)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data):
        """Build from :meth:`to_dict`'s layout (or pass an instance through)."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise cls._error(f"{cls._what} settings must be a mapping, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        bad = sorted(set(data) - known)
        if bad:
            raise cls._error(f"unknown {cls._what} setting(s) {', '.join(bad)}; known: "
                             f"{', '.join(sorted(known))}")
        return cls(**data)
