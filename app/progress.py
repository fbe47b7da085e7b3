"""Progress of a long bake on the terminal: one line on stderr, rewritten in place on a TTY.

Nothing is shown for the first :data:`SHOW_AFTER_S` seconds (a short bake prints only its
summary), nothing with ``-q``; without a TTY only when asked (``--progress``), then as plain
lines every 10 %. The stream is a duplicate of file descriptor 2 taken at the start, so the
line still reaches the terminal while Blender's own output is kept off it
(``addon.headless.quiet_output`` redirects descriptors 1 and 2).
"""
from __future__ import annotations

import os
import sys
import time

#: seconds of silence before the first progress line
SHOW_AFTER_S = 3.0


class TerminalProgress:
    """``progress(fraction, message)`` callable for ``core.pipeline.bake`` and the Blender
    stage; :meth:`close` ends the line.

    Parameters
    ----------
    enabled : bool
        False: a callable that does nothing.
    tty : bool, optional
        Rewrite one line with carriage returns (default: whether stderr is a terminal).
    """

    def __init__(self, *, enabled: bool = True, tty: bool | None = None, prog: str = "talkrig"):
        self.prog = prog
        self.start = time.monotonic()
        self.stream = None
        self.tty = False
        self._last_step = -1
        self._last_write = 0.0
        self._width = 0
        if not enabled:
            return
        try:
            self.stream = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1,
                                    encoding="utf-8", errors="replace")
        except (AttributeError, OSError, ValueError):
            self.stream = sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty

    def __call__(self, fraction: float, message: str = "") -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        elapsed = now - self.start
        if elapsed < SHOW_AFTER_S and fraction < 1.0:
            return
        fraction = min(max(float(fraction), 0.0), 1.0)
        text = f"{self.prog}: {100 * fraction:3.0f}% {message} ({elapsed:.0f} s)".rstrip()
        if self.tty:
            if now - self._last_write < 0.2 and fraction < 1.0:
                return
            pad = max(self._width - len(text), 0)
            self.stream.write("\r" + text + " " * pad)
            self._width = len(text)
        else:
            step = int(fraction * 10)
            if step == self._last_step:
                return
            self._last_step = step
            self.stream.write(text + "\n")
        self._last_write = now
        self.stream.flush()

    def stage(self, start: float, end: float, label: str):
        """A callable for a sub-stage mapped into ``[start, end]`` of the whole; it takes
        ``(fraction, message)`` or ``(done, total)`` counts (the preview's frames)."""
        def report(a, b=""):
            if isinstance(b, (int, float)) and not isinstance(b, bool) and b:
                self(start + (end - start) * a / b, f"{label} {a}/{b}")
            else:
                self(start + (end - start) * float(a), f"{label} {b}".strip())
        return report

    def close(self) -> None:
        """End the progress line (a TTY line that was shown gets its newline)."""
        if self.stream is None:
            return
        if self.tty and self._width:
            self.stream.write("\n")
        self.stream.flush()
        if self.stream is not sys.stderr:
            self.stream.close()
        self.stream = None
