"""All-or-nothing output files: every output of one bake is written to a temporary file
beside its target and all of them are moved into place together at the end.

A failure or an interrupt (Ctrl-C, a full disk, an exporter error) anywhere before the
commit leaves every existing file as it was and removes the temporary files; the commit
itself links a backup of each file it replaces first (a hard link: no extra space), so a
rename that fails half-way is rolled back. Ctrl-C during the commit is held until the
commit is done. Temporary names carry the writer's process id (``.take.talkrig-part-4711-
3fa2c1.fbx``), so :func:`remove_stale_parts` can clear what a killed run left behind
without touching the files of a run that is still going.

Example::

    with OutputTransaction() as tx:
        write_curves(tx.temp("take.csv"), perf)
        save_blend(tx.temp("take.blend"))
    # both files are in place here, or neither changed
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import sys
import threading

from ..errors import ExportError

PART_TAG = ".talkrig-part-"
# .<stem>.talkrig-part-<pid>-<token><ext>, plus Blender's own "@" while it saves a .blend
_PART = re.compile(r"^\.(?P<stem>.*)\.talkrig-part-(?P<pid>\d+)-(?P<token>[0-9a-f]+)"
                   r"(?P<ext>\.[^.@]*)?(?P<bak>\.bak)?@?$")


def part_name(path, *, pid: int | None = None, suffix: str = "") -> str:
    """A fresh temporary name beside ``path`` that keeps its extension (writers pick the
    format by it): ``dir/.<stem>.talkrig-part-<pid>-<token><ext>``."""
    folder, base = os.path.split(os.path.abspath(os.fspath(path)))
    stem, ext = os.path.splitext(base)
    token = secrets.token_hex(3)
    return os.path.join(folder, f".{stem}{PART_TAG}{pid or os.getpid()}-{token}{ext}{suffix}")


def is_part_name(name: str) -> bool:
    """Whether a file name is one of :func:`part_name`'s temporary names."""
    return _PART.match(os.path.basename(name)) is not None


def replace_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a :func:`part_name` temporary and one
    ``os.replace``: a reader, or a crash midway, sees the old file or the new one, never a
    half-written one. Raises OSError (the temporary removed)."""
    tmp = part_name(path)
    try:
        with open(tmp, "x", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class OutputTransaction:
    """Temporary files for a set of outputs, committed together or not at all.

    Use as a context manager: a normal exit commits (moves every temporary file over its
    target), an exception or interrupt discards them and re-raises; error messages that
    name a temporary file are rewritten to name the real output.
    """

    def __init__(self):
        self._parts: dict = {}          # final absolute path -> temporary path
        self.committed = False

    def temp(self, path) -> str:
        """The temporary path to write ``path``'s content to (same folder, same extension)."""
        final = os.path.abspath(os.fspath(path))
        if final not in self._parts:
            self._parts[final] = part_name(final)
        return self._parts[final]

    @property
    def outputs(self) -> tuple:
        """The real output paths, in the order they were asked for."""
        return tuple(self._parts)

    def real_name(self, text: str) -> str:
        """``text`` with every temporary path (or file name) replaced by its real one."""
        for final, tmp in self._parts.items():
            text = text.replace(tmp, final).replace(os.path.basename(tmp), os.path.basename(final))
        return text

    def discard(self) -> None:
        """Remove every temporary file (and a half-saved ``<temp>@`` of Blender's)."""
        for tmp in self._parts.values():
            for name in (tmp, tmp + "@"):
                with contextlib.suppress(OSError):
                    os.remove(name)

    def commit(self) -> tuple:
        """Move every temporary file into place; all or nothing. Returns the real paths.

        Raises ExportError (after undoing what was moved) when a file is missing or a
        rename fails; the existing outputs are then as they were.
        """
        missing = [f for f, t in self._parts.items() if not os.path.isfile(t)]
        if missing:
            self.discard()
            raise ExportError(f"'{missing[0]}' was not written; no output was changed")
        with _sigint_held():
            for tmp in self._parts.values():
                _fsync(tmp)
            backups, moved = {}, []
            try:
                for final, tmp in self._parts.items():
                    if os.path.lexists(final):
                        backups[final] = _link_backup(final)
                    os.replace(tmp, final)
                    moved.append(final)
                _fsync_folders(self._parts)
            except OSError as exc:
                for final in reversed(moved):
                    with contextlib.suppress(OSError):
                        if backups.get(final):
                            os.replace(backups.pop(final), final)
                        else:
                            os.remove(final)
                self.discard()
                raise ExportError(f"cannot move '{final}' into place: {exc.strerror or exc}; "
                                  "no output was changed") from None
            finally:
                for bak in backups.values():
                    if bak:
                        with contextlib.suppress(OSError):
                            os.remove(bak)
        self.committed = True
        return self.outputs

    def __enter__(self) -> "OutputTransaction":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.commit()
            return False
        self.discard()
        if exc is not None and exc.args and isinstance(exc.args[0], str):
            exc.args = (self.real_name(exc.args[0]),) + tuple(exc.args[1:])
        return False


def remove_stale_parts(paths) -> list:
    """Remove temporary files that a killed run left beside ``paths``; returns them.

    Only files named by :func:`part_name` for one of these outputs' stems are touched, and
    only when the process that wrote them is gone (on Windows: when they can be removed,
    which fails while a writer holds them open).
    """
    wanted: dict = {}
    for path in paths:
        folder, base = os.path.split(os.path.abspath(os.fspath(path)))
        wanted.setdefault(folder, set()).add(os.path.splitext(base)[0])
    removed = []
    for folder, stems in wanted.items():
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            m = _PART.match(name)
            if m is None or _pid_alive(int(m["pid"])):
                continue
            stem = m["stem"]
            while stem not in stems and (inner := _PART.match(stem + ".x")) is not None:
                stem = inner["stem"]          # a temporary of a temporary (the preview's)
            if stem not in stems:
                continue
            with contextlib.suppress(OSError):
                os.remove(os.path.join(folder, name))
                removed.append(os.path.join(folder, name))
    return removed


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":          # os.kill(pid, 0) would terminate it on Windows
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:                      # exists, owned by someone else
        pass
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Whether ``pid`` has ended but is not reaped yet (a killed writer whose parent died
    too stays a zombie until init reaps it; ``os.kill(pid, 0)`` still succeeds). Linux
    /proc only; elsewhere False."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in (b"Z", b"X")


def _link_backup(path: str):
    """A hard link to ``path`` under a temporary name (None where links are not possible)."""
    bak = part_name(path, suffix=".bak")
    try:
        os.link(path, bak)
    except OSError:
        return None
    return bak


def _fsync(path: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_folders(paths) -> None:
    if sys.platform == "win32":
        return
    for folder in {os.path.dirname(p) for p in paths}:
        _fsync(folder)


@contextlib.contextmanager
def _sigint_held():
    """Hold Ctrl-C until the block is done (main thread only), then deliver it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pending:
            if callable(previous):
                previous(signal.SIGINT, None)
            elif previous == signal.SIG_DFL:
                raise KeyboardInterrupt
