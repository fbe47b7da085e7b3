"""Tier 2 fixtures: the real ``bpy`` module, the add-on registered once per session, and
a factory-fresh scene for every test."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

bpy = pytest.importorskip("bpy", reason="the bpy module (requirements/dev.txt) is needed")

ROOT = Path(__file__).resolve().parents[2]
# readback.py sits beside the tests (tests/ is not a package)
sys.path.insert(0, str(Path(__file__).resolve().parent))
SR = 16000


@pytest.fixture(scope="session")
def talkrig_addon():
    """Register the add-on (imported as the ``talkrig`` package) once; unregister at the end."""
    import talkrig

    talkrig.register()
    yield talkrig
    if hasattr(bpy.types, "TALKRIG_OT_bake"):
        talkrig.unregister()


@pytest.fixture(autouse=True)
def factory_scene(talkrig_addon):
    """Empty factory scene per test. Factory settings do not touch our registered classes
    (they are registered from Python, not as a user add-on), but the Scene pointer must be
    re-created if it went away."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    if not hasattr(bpy.types, "TALKRIG_OT_bake"):
        talkrig_addon.register()
    yield bpy.context.scene


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory) -> Path:
    """A short, deterministic speech-like wav (voiced syllables, closures, fricatives)."""
    import soundfile as sf
    from synth import speech_like

    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    sf.write(path, speech_like(2.6, seed=7), SR, subtype="PCM_16")
    return path


@pytest.fixture
def demo_head(factory_scene):
    """The demo head mesh, selected and active."""
    from talkrig.addon.demo_head import create_demo_head

    obj = create_demo_head()
    obj.select_set(True)
    bpy.context.view_layer.objects.active = obj
    return obj
