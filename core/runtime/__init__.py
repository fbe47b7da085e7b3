"""Running shipped networks: onnxruntime sessions (lazy, cached per process) and model
cards. Importing this package imports neither onnxruntime nor any model file."""
from __future__ import annotations

from .cards import MODELS_DIR, ModelCard, file_sha256, model_card, verify_model_file
from .sessions import (loaded, onnxruntime_module, release, runtime_status, session,
                       set_threads, threads)

__all__ = ["MODELS_DIR", "ModelCard", "file_sha256", "loaded", "model_card",
           "onnxruntime_module", "release", "runtime_status", "session", "set_threads",
           "threads", "verify_model_file"]
