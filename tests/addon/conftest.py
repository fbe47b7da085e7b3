"""Tier 2 fixtures: the real ``bpy`` module, the add-on registered once per session, and
a factory-fresh scene for every test."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
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
    from scipy.signal import lfilter

    rng = np.random.default_rng(7)
    parts = [np.zeros(int(SR * 0.2))]
    for i, (f1, f2) in enumerate([(700, 1200), (300, 2300), (500, 900), (600, 1800)] * 2):
        n = int(SR * 0.18)
        pulses = np.zeros(n)
        pulses[np.arange(0, n, SR / rng.uniform(110, 140)).astype(int)] = 1.0
        sig = pulses
        for f, bw in ((f1, 90), (f2, 120)):
            r = np.exp(-np.pi * bw / SR)
            sig = lfilter([1.0], [1, -2 * r * np.cos(2 * np.pi * f / SR), r * r], sig)
        parts.append(0.3 * sig / np.abs(sig).max() * np.sin(np.linspace(0, np.pi, n)) ** 0.6)
        parts.append(np.zeros(int(SR * 0.08)) if i % 2 else
                     0.02 * rng.standard_normal(int(SR * 0.07)))
    parts.append(np.zeros(int(SR * 0.2)))
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    sf.write(path, np.concatenate(parts).astype(np.float32), SR, subtype="PCM_16")
    return path


@pytest.fixture
def demo_head(factory_scene):
    """The demo head mesh, selected and active."""
    from talkrig.addon.demo_head import create_demo_head

    obj = create_demo_head()
    obj.select_set(True)
    bpy.context.view_layer.objects.active = obj
    return obj
