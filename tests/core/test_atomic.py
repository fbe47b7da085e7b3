"""core.io.atomic: all outputs of a bake move into place together, or none does (issue 14.3)."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys

import pytest
from pathlib import Path

from talkrig.core.errors import ExportError
from talkrig.core.io.atomic import (OutputTransaction, is_part_name, part_name,
                                    remove_stale_parts)


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_commit_moves_every_file_and_leaves_no_temp(tmp_path):
    (tmp_path / "a.csv").write_text("old a")
    with OutputTransaction() as tx:
        for name in ("a.csv", "b.json"):
            tmp = tx.temp(tmp_path / name)
            assert os.path.dirname(tmp) == str(tmp_path) and tmp.endswith(os.path.splitext(name)[1])
            assert is_part_name(tmp)
            with open(tmp, "w") as fh:
                fh.write("new " + name)
        assert (tmp_path / "a.csv").read_text() == "old a"         # nothing moved yet
    assert tx.committed
    assert _files(tmp_path) == ["a.csv", "b.json"]
    assert (tmp_path / "a.csv").read_text() == "new a.csv"


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   KeyboardInterrupt()])
def test_failure_mid_way_leaves_existing_files_untouched(tmp_path, error):
    """A full disk (or Ctrl-C) while the second of three outputs is written."""
    for name in ("a.blend", "a.fbx", "a.glb"):
        (tmp_path / name).write_bytes(b"old " + name.encode())
    with pytest.raises(type(error)):
        with OutputTransaction() as tx:
            with open(tx.temp(tmp_path / "a.blend"), "wb") as fh:
                fh.write(b"new blend")
            with open(tx.temp(tmp_path / "a.fbx"), "wb") as fh:
                fh.write(b"partial")
                raise error
    assert _files(tmp_path) == ["a.blend", "a.fbx", "a.glb"]
    for name in ("a.blend", "a.fbx", "a.glb"):
        assert (tmp_path / name).read_bytes() == b"old " + name.encode()


def test_error_messages_name_the_real_file(tmp_path):
    with pytest.raises(ExportError) as info:
        with OutputTransaction() as tx:
            tmp = tx.temp(tmp_path / "take.fbx")
            raise ExportError(f"FBX export to '{tmp}' failed: disk full")
    assert str(tmp_path / "take.fbx") in str(info.value) and PART not in str(info.value)


PART = ".talkrig-part-"


def test_a_rename_failing_half_way_is_rolled_back(tmp_path, monkeypatch):
    for name in ("x.csv", "x.json", "x.npz"):
        (tmp_path / name).write_text("old " + name)
    real_replace, calls = os.replace, []

    def flaky_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.EIO, "Input/output error")
        return real_replace(src, dst)

    with pytest.raises(ExportError, match="no output was changed"):
        with OutputTransaction() as tx:
            for name in ("x.csv", "x.json", "x.npz"):
                with open(tx.temp(tmp_path / name), "w") as fh:
                    fh.write("new " + name)
            monkeypatch.setattr(os, "replace", flaky_replace)
    monkeypatch.setattr(os, "replace", real_replace)
    assert _files(tmp_path) == ["x.csv", "x.json", "x.npz"]
    for name in ("x.csv", "x.json", "x.npz"):
        assert (tmp_path / name).read_text() == "old " + name


def test_an_output_never_written_fails_the_commit(tmp_path):
    (tmp_path / "k.csv").write_text("old")
    with pytest.raises(ExportError, match="was not written"):
        with OutputTransaction() as tx:
            with open(tx.temp(tmp_path / "k.csv"), "w") as fh:
                fh.write("new")
            tx.temp(tmp_path / "k.glb")
    assert _files(tmp_path) == ["k.csv"] and (tmp_path / "k.csv").read_text() == "old"


@pytest.fixture
def ctrl_c_raises():
    """Ctrl-C as in a terminal, also where this run inherited an ignored SIGINT (a
    background job, as CI may start us)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_during_the_commit_is_held_until_it_is_done(tmp_path, monkeypatch, ctrl_c_raises):
    real_replace = os.replace

    def replace_then_interrupt(src, dst):
        real_replace(src, dst)
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        with OutputTransaction() as tx:
            for name in ("p.csv", "p.json"):
                with open(tx.temp(tmp_path / name), "w") as fh:
                    fh.write("new")
            monkeypatch.setattr(os, "replace", replace_then_interrupt)
    assert _files(tmp_path) == ["p.csv", "p.json"]       # both moved, then the interrupt


def test_stale_parts_of_a_dead_process_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    stale = part_name(tmp_path / "line.fbx", pid=dead_pid)
    stale_blend = part_name(tmp_path / "line.blend", pid=dead_pid) + "@"
    live = part_name(tmp_path / "line.csv")                  # this process: still writing
    other = part_name(tmp_path / "other.fbx", pid=dead_pid)  # not an output asked about
    nested = part_name(part_name(tmp_path / "line.mp4", pid=dead_pid), pid=dead_pid)
    for p in (stale, stale_blend, live, other, nested):
        open(p, "w").close()
    (tmp_path / "line.fbx").write_text("finished output")
    removed = remove_stale_parts([tmp_path / "line.fbx", tmp_path / "line.blend",
                                  tmp_path / "line.csv", tmp_path / "line.mp4"])
    assert sorted(removed) == sorted([stale, stale_blend, nested])
    assert sorted(_files(tmp_path)) == sorted([os.path.basename(live), os.path.basename(other),
                                               "line.fbx"])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="zombies are read from /proc")
def test_a_dead_writer_not_yet_reaped_counts_as_gone(tmp_path):
    """A writer killed together with its parent stays a zombie until init reaps it: its
    temporary is stale all the same (os.kill(pid, 0) alone would call it alive)."""
    import time as _time

    from talkrig.core.io.atomic import part_name, remove_stale_parts
    pid = os.fork()
    if pid == 0:                                     # the child ends at once, unreaped
        os._exit(0)
    try:
        deadline = _time.monotonic() + 10
        while _time.monotonic() < deadline:
            state = open(f"/proc/{pid}/stat", "rb").read().rsplit(b")", 1)[1].split()[0]
            if state == b"Z":
                break
            _time.sleep(0.01)
        assert state == b"Z"
        out = tmp_path / "line.json"
        stale = Path(part_name(out, pid=pid))
        stale.write_text("half")
        assert remove_stale_parts([out]) == [str(stale)] and not stale.exists()
    finally:
        os.waitpid(pid, 0)


def test_replace_text_leaves_the_old_file_whole_when_writing_fails(tmp_path):
    """A preset rewritten in place: a write that fails midway (here a character UTF-8
    cannot encode) leaves the old file as it was and no temporary beside it."""
    from talkrig.core.io.atomic import replace_text
    path = tmp_path / "preset.json"
    replace_text(path, '{"mapping": {}}\n')
    assert path.read_text(encoding="utf-8") == '{"mapping": {}}\n'
    with pytest.raises(UnicodeEncodeError):
        replace_text(path, '{"mapping": {"jawOpen": "' + "x" * 100000 + '\ud800"}}')
    assert path.read_text(encoding="utf-8") == '{"mapping": {}}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preset.json"]
