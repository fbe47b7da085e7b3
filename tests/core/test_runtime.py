"""core.runtime: lazy onnxruntime sessions, model cards, clear errors for what is missing."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from talkrig.core import runtime
from talkrig.core.errors import ModelRuntimeError, TalkrigError
from talkrig.core.runtime import cards, sessions


def test_the_shipped_card_matches_its_files():
    card = runtime.model_card("phonemes_hama17")
    assert card.path.is_file() and card.path.suffix == ".onnx"
    assert runtime.file_sha256(card.path) == card.sha256
    assert len(card.tokens) == 191 == card.data["outputs"]["log_probs"]["shape"][-1]
    assert card.tokens[-2:] == ("<wb>", "<blank>")
    assert card.sample_rate == 16000 and card.frame_s == 0.02
    assert card.data["licence"] == "Apache-2.0"
    notice = (cards.MODELS_DIR / card.data["notice"]).read_text()
    assert "Apache License" in notice and "hama 1.7.0" in notice
    assert (cards.MODELS_DIR / "LICENSE-Apache-2.0.txt").is_file()


def test_session_is_created_once_and_runs_the_network():
    sess, card = runtime.session("phonemes_hama17")
    again, _ = runtime.session("phonemes_hama17")
    assert again is sess and runtime.loaded("phonemes_hama17")
    x = np.zeros(16000, np.float32)
    lp, n = sess.run(None, {"waveform": x[None], "waveform_lengths": np.array([16000])})
    assert lp.shape == (1, 16000 // 320 + 1, 191) and int(n[0]) == lp.shape[1]
    probs = np.exp(lp[0]).sum(axis=1)                   # log-probabilities per frame
    np.testing.assert_allclose(probs, 1.0, atol=1e-3)


def test_threads_setting_gives_a_new_session_and_is_checked():
    before = runtime.threads()
    try:
        sess1, _ = runtime.session("phonemes_hama17")
        runtime.set_threads(2)
        sess2, _ = runtime.session("phonemes_hama17")
        assert sess2 is not sess1
        with pytest.raises(ModelRuntimeError):
            runtime.set_threads(0)
    finally:
        runtime.set_threads(before)


def _copy_models(tmp_path):
    for name in ("phonemes_hama17.json", "phonemes_hama17.tokens.json", "phonemes_hama17.onnx"):
        shutil.copy(cards.MODELS_DIR / name, tmp_path / name)
    return tmp_path


def test_missing_model_file_is_a_model_runtime_error(tmp_path):
    d = _copy_models(tmp_path)
    (d / "phonemes_hama17.onnx").unlink()
    with pytest.raises(ModelRuntimeError, match="missing; reinstall"):
        runtime.session("phonemes_hama17", models_dir=d)
    assert issubclass(ModelRuntimeError, TalkrigError)


def test_damaged_model_file_is_refused(tmp_path):
    d = _copy_models(tmp_path)
    data = bytearray((d / "phonemes_hama17.onnx").read_bytes())
    data[1000] ^= 0xFF
    (d / "phonemes_hama17.onnx").write_bytes(bytes(data))
    with pytest.raises(ModelRuntimeError, match="damaged or replaced"):
        runtime.session("phonemes_hama17", models_dir=d)


def test_missing_card_is_a_model_runtime_error(tmp_path):
    with pytest.raises(ModelRuntimeError, match="model card"):
        runtime.model_card("no_such_model", models_dir=tmp_path)
    d = _copy_models(tmp_path)
    card = json.loads((d / "phonemes_hama17.json").read_text())
    card["tokens_file"] = "gone.json"
    (d / "broken.json").write_text(json.dumps(card))
    with pytest.raises(ModelRuntimeError, match="token table"):
        runtime.model_card("broken", models_dir=d)


def test_missing_onnxruntime_is_reported_not_raised_as_import_error(monkeypatch):
    monkeypatch.setattr(sessions, "_ort", None)
    monkeypatch.setattr(sessions, "_ort_error", None)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)     # import now fails
    monkeypatch.setattr(sessions, "_sessions", {})
    ok, why = runtime.runtime_status()
    assert not ok and "onnxruntime cannot be loaded" in why
    with pytest.raises(ModelRuntimeError, match="onnxruntime cannot be loaded"):
        runtime.session("phonemes_hama17")


def test_importing_core_runtime_loads_neither_onnxruntime_nor_a_model():
    code = ("import sys, talkrig.core.runtime, talkrig.core.speech.recognize, "
            "talkrig.core.speech.align\n"
            "print('onnxruntime' in sys.modules, 'pocketsphinx' in sys.modules, "
            "'scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out == ["False", "False", "False"], out


def _fresh_session(monkeypatch, cache):
    monkeypatch.setenv("TALKRIG_CACHE_DIR", str(cache))
    monkeypatch.setattr(sessions, "_sessions", {})
    return runtime.session("phonemes_hama17")


def _log_probs(sess, x):
    return sess.run(None, {"waveform": x[None], "waveform_lengths": np.array([len(x)])})[0]


def test_the_optimised_graph_is_cached_and_gives_the_same_log_probs(monkeypatch, tmp_path):
    x = (np.random.default_rng(3).standard_normal(48000) * 0.1).astype(np.float32)
    first, card = _fresh_session(monkeypatch, tmp_path)          # optimises, writes the copy
    cached = sessions.optimized_cache_path(card, sessions.onnxruntime_module().__version__)
    assert cached.startswith(str(tmp_path)) and __import__("os").path.isfile(cached)
    second, _ = _fresh_session(monkeypatch, tmp_path)            # loads the copy
    assert second is not first
    a, b = _log_probs(first, x), _log_probs(second, x)
    assert np.array_equal(a, b)
    # the basic graph (no cache involved) computes the same numbers
    ort = sessions.onnxruntime_module()
    basic = sessions._create(ort, str(card.path),
                             sessions._options(ort, ort.GraphOptimizationLevel.ORT_ENABLE_BASIC))
    assert np.array_equal(_log_probs(basic, x), a)


def test_a_damaged_or_unwritable_cache_only_costs_time(monkeypatch, tmp_path):
    x = (np.random.default_rng(4).standard_normal(16000) * 0.1).astype(np.float32)
    ref, card = _fresh_session(monkeypatch, tmp_path / "ok")
    want = _log_probs(ref, x)
    cached = sessions.optimized_cache_path(card, sessions.onnxruntime_module().__version__)
    with open(cached, "wb") as fh:
        fh.write(b"not a model")                                 # damaged copy: rebuilt
    again, _ = _fresh_session(monkeypatch, tmp_path / "ok")
    assert np.array_equal(_log_probs(again, x), want)
    assert open(cached, "rb").read(11) != b"not a model"
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    nowhere, _ = _fresh_session(monkeypatch, blocker / "sub")    # cannot be created
    assert np.array_equal(_log_probs(nowhere, x), want)


def test_the_shipped_file_is_hashed_again_only_when_it_changed(monkeypatch, tmp_path):
    (tmp_path / "models").mkdir()
    d = _copy_models(tmp_path / "models")
    monkeypatch.setenv("TALKRIG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(sessions, "_sessions", {})
    monkeypatch.setattr(cards, "_verified", set())
    runtime.session("phonemes_hama17", models_dir=d)             # hashed, cached, stamped
    calls = []
    real = cards.file_sha256
    monkeypatch.setattr(cards, "file_sha256", lambda p: calls.append(p) or real(p))
    for _ in range(2):                                           # a new process each time
        monkeypatch.setattr(sessions, "_sessions", {})
        monkeypatch.setattr(cards, "_verified", set())
        runtime.session("phonemes_hama17", models_dir=d)
    assert calls == []
    model = d / "phonemes_hama17.onnx"
    data = bytearray(model.read_bytes())
    data[1000] ^= 0xFF                                           # replaced: same size, new time
    model.write_bytes(bytes(data))
    monkeypatch.setattr(sessions, "_sessions", {})
    monkeypatch.setattr(cards, "_verified", set())
    with pytest.raises(ModelRuntimeError, match="damaged or replaced"):
        runtime.session("phonemes_hama17", models_dir=d)
    assert len(calls) == 1
