"""Which output formats can hold a body, and the one message when one cannot."""
from __future__ import annotations

from ..errors import BodyOptionError
from ..io.formats import FORMATS

#: Output extensions that carry the body (the output-format registry's ``holds_body``).
BODY_OUTPUTS = tuple(ext for ext, fmt in FORMATS.items() if fmt.holds_body)


def check_body_output(path_or_ext: str) -> str:
    """Raise BodyOptionError when a body was asked for an output that cannot hold one.

    Parameters
    ----------
    path_or_ext : str
        An output path (``take.csv``) or extension (``.csv``).

    Returns
    -------
    str  the lower-case extension, when it can hold a body.
    """
    s = str(path_or_ext).lower()
    ext = s if s.startswith(".") and "/" not in s and s.count(".") == 1 else \
        ("." + s.rsplit(".", 1)[-1] if "." in s.rsplit("/", 1)[-1] else "")
    if ext not in BODY_OUTPUTS:
        raise BodyOptionError(
            f"a body was requested (--body) but the output {path_or_ext!r} cannot hold one "
            f"({ext or 'no extension'} carries face curves only); write {', '.join(BODY_OUTPUTS)} "
            "for the body, or drop --body")
    return ext
