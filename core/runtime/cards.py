"""Model cards: what a shipped model file is, where it came from, and how to check it.

Every network talkrig ships lives in the package's ``models/`` folder as ``<name>.onnx``
with a card ``<name>.json`` beside it (source, licence, sha256, inputs and outputs,
measured speed and quality) and a human-readable section in ``models/README.md``. The
card is the single place code reads a model's facts from: file name, checksum, sample
rate, frame hop and token table.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ModelRuntimeError
from ..io.digest import file_sha256  # noqa: F401  (re-exported)

#: The package's ``models/`` folder (the repository root is the package root).
MODELS_DIR = Path(__file__).resolve().parent.parent.parent / "models"

_lock = threading.Lock()
_cards: dict = {}
_verified: set = set()


@dataclass(frozen=True)
class ModelCard:
    """The facts of one shipped model, read from ``models/<name>.json``.

    Attributes
    ----------
    name : str
        Card name (the JSON file's stem).
    path : Path
        The model file.
    sha256 : str
        Expected sha256 of the model file (hex).
    sample_rate : int
        Input sample rate in Hz (0 when the input is not audio).
    frame_s : float
        Output frame hop in seconds (0 when not framed).
    tokens : tuple of str
        Output token table (empty when the model has none).
    data : dict
        The whole card as read (source, licence, inputs, outputs, speed, quality, ...).
    """

    name: str
    path: Path
    sha256: str
    sample_rate: int = 0
    frame_s: float = 0.0
    tokens: tuple = ()
    data: dict = field(default_factory=dict, compare=False, repr=False)


def model_card(name: str, *, models_dir: Path | None = None) -> ModelCard:
    """The card of a shipped model (read once per process).

    Raises
    ------
    ModelRuntimeError
        If the card or the files it names are missing or unreadable.
    """
    root = Path(models_dir) if models_dir is not None else MODELS_DIR
    key = (name, str(root))
    with _lock:
        if key in _cards:
            return _cards[key]
        card_path = root / f"{name}.json"
        try:
            data = json.loads(card_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ModelRuntimeError(
                f"model card {card_path} is missing or unreadable ({err}); reinstall talkrig "
                "or restore the models/ folder") from err
        tokens = ()
        if data.get("tokens_file"):
            tok_path = root / data["tokens_file"]
            try:
                tokens = tuple(json.loads(tok_path.read_text(encoding="utf-8"))["tokens"])
            except (OSError, ValueError, KeyError) as err:
                raise ModelRuntimeError(
                    f"token table {tok_path} of model {name!r} is missing or unreadable "
                    f"({err}); reinstall talkrig or run scripts/export_hama17_onnx.py") from err
        card = ModelCard(name=name, path=root / data["file"], sha256=data.get("sha256", ""),
                         sample_rate=int(data.get("sample_rate", 0)),
                         frame_s=float(data.get("frame_s", 0.0)), tokens=tokens, data=data)
        _cards[key] = card
        return card


def verify_model_file(card: ModelCard) -> Path:
    """Check that the card's model file exists and matches its sha256 (once per process).

    Returns
    -------
    Path
        The verified model file.

    Raises
    ------
    ModelRuntimeError
        If the file is missing or its checksum differs from the card's.
    """
    path = card.path
    with _lock:
        if str(path) in _verified:
            return path
        if not path.is_file():
            raise ModelRuntimeError(
                f"model file {path} of {card.name!r} is missing; reinstall talkrig (the "
                "extension zip and the wheel carry it) or run scripts/export_hama17_onnx.py "
                "in a source checkout")
        got = file_sha256(path)
        if card.sha256 and got != card.sha256:
            raise ModelRuntimeError(
                f"model file {path} is damaged or replaced: sha256 {got[:12]}... differs "
                f"from its card's {card.sha256[:12]}...; reinstall talkrig")
        _verified.add(str(path))
        return path
