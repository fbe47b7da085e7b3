"""FLAME settings: the ``flame`` part of :class:`~talkrig.core.settings.BakeSettings`."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import FlameModelError
from ..settings_part import SettingsPart


@dataclass(frozen=True)
class FlameSettings(SettingsPart):
    """``model_path`` '' (the default) bakes no FLAME parameters.

    n_expression : int  expression coefficients to write (0 = all the model has; else at
    most the model's count). cache_dir : str  where fitted ARKit -> FLAME mappings are
    kept ('' = the user cache folder).
    """

    _what, _error = "flame", FlameModelError

    model_path: str = ""
    n_expression: int = 0
    cache_dir: str = ""

    def __post_init__(self):
        if not isinstance(self.model_path, str) or not isinstance(self.cache_dir, str):
            raise FlameModelError("flame model_path and cache_dir must be strings")
        n = self.n_expression
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise FlameModelError(f"flame n_expression must be a non-negative integer, got {n!r}")

    @property
    def enabled(self) -> bool:
        return bool(self.model_path)
