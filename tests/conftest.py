"""Session-wide hooks for every tier.

The ``bpy`` 4.2 LTS module (PyPI wheel 4.2.23) crashes with SIGSEGV when the process exits
once any Python class with a callback (a property ``update``, an operator, a panel) has been
registered, even if it was unregistered again: a C++ static destructor frees the class after
Python has finalised (``bpy_class_free`` -> ``PyGILState_Ensure`` with no interpreter). The
Blender 4.2 application quits through its own window-manager exit and is not affected; bpy
5.0.1 is not affected either. pytest has printed its summary by then, but the crash would
turn a green run into exit status 139, so on bpy 4.2 the process ends with pytest's own exit
status right after pytest is done (``os._exit``: streams are flushed first).
"""
from __future__ import annotations

import os
import sys

import pytest

_EXIT_STATUS: list[int] = []


def _bpy_exit_crashes() -> bool:
    bpy = sys.modules.get("bpy")
    version = getattr(getattr(bpy, "app", None), "version", None)
    return version is not None and tuple(version[:2]) < (4, 4)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    if _EXIT_STATUS and _bpy_exit_crashes():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])
