"""Fetch the phoneme recogniser that talkrig ships in ``models/`` and verify it.

The network is hama's waveform phoneme recogniser, ``hama/assets/asr_waveform_fp16.onnx``
inside the ``hama==1.3.13`` wheel on PyPI (Apache-2.0, by Seongmin Park; see
``models/NOTICE``). Its output token table (189 decoder tokens of the wheel's
``hama/assets/g2p_vocab.json`` plus ``<wb>`` and ``<blank>``: 191 outputs) is written next
to it as ``phonemes_hama.tokens.json``.

This script runs once, by a developer, with network access to PyPI: ``pip download`` gets
the wheel, both files are extracted, and their sha256 are checked against the model card
``models/phonemes_hama.json`` (``--write-card`` records them instead, for a new model).
Nothing at run time downloads anything: the files are committed.

    python scripts/fetch_phoneme_model.py             # fetch + verify (exit 1 on mismatch)
    python scripts/fetch_phoneme_model.py --check     # verify the committed files only
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
CARD = MODELS / "phonemes_hama.json"
WHEEL_REQ = "hama==1.3.13"
WHEEL_SHA256 = "753ca05c6b3c99f9c8c415776848f84ebb72823f70c11fd46dd7eff5df338dbd"
MEMBER_ONNX = "hama/assets/asr_waveform_fp16.onnx"
MEMBER_VOCAB = "hama/assets/g2p_vocab.json"
#: hama 1.3.13's ASRModel appends these to the vocabulary's decoder tokens (asr.py)
EXTRA_TOKENS = ["<wb>", "<blank>"]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download_wheel(dest: Path) -> Path:
    """``pip download`` the hama 1.3.13 wheel (no dependencies) into ``dest``."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           "--disable-pip-version-check", "-q", "-d", str(dest), WHEEL_REQ]
    subprocess.run(cmd, check=True)
    found = sorted(dest.glob("hama-1.3.13-*.whl"))
    if not found:
        raise SystemExit(f"pip download gave no hama 1.3.13 wheel in {dest}")
    return found[0]


def extract(wheel: Path, out_dir: Path) -> tuple[Path, Path]:
    """Write the ONNX file and the 191-entry token table from ``wheel`` into ``out_dir``."""
    with zipfile.ZipFile(wheel) as zf:
        onnx_bytes = zf.read(MEMBER_ONNX)
        vocab = json.loads(zf.read(MEMBER_VOCAB).decode("utf-8"))
    tokens = list(vocab["decoder"]) + EXTRA_TOKENS
    onnx_path = out_dir / "phonemes_hama.onnx"
    tok_path = out_dir / "phonemes_hama.tokens.json"
    onnx_path.write_bytes(onnx_bytes)
    tok_path.write_text(json.dumps({"source": f"{WHEEL_REQ}:{MEMBER_VOCAB} ['decoder'] + "
                                    f"{EXTRA_TOKENS}", "tokens": tokens},
                                   ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return onnx_path, tok_path


def verify(card: dict, onnx_path: Path, tok_path: Path) -> list[str]:
    """Mismatches between the files and the card (empty when all is well)."""
    bad = []
    for path, key in ((onnx_path, "sha256"), (tok_path, "tokens_sha256")):
        got = sha256(path)
        if got != card.get(key):
            bad.append(f"{path.name}: sha256 {got} != card {key} {card.get(key)}")
    n = len(json.loads(tok_path.read_text(encoding="utf-8"))["tokens"])
    if n != card["outputs"]["log_probs"]["shape"][-1]:
        bad.append(f"{tok_path.name}: {n} tokens, the network has "
                   f"{card['outputs']['log_probs']['shape'][-1]} outputs")
    return bad


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="verify the committed files only")
    ap.add_argument("--write-card", action="store_true",
                    help="record the fetched files' sha256 in the card instead of checking")
    a = ap.parse_args(argv)
    card = json.loads(CARD.read_text(encoding="utf-8"))
    onnx_path, tok_path = MODELS / card["file"], MODELS / card["tokens_file"]
    if not a.check:
        with tempfile.TemporaryDirectory() as tmp:
            wheel = download_wheel(Path(tmp))
            got = sha256(wheel)
            if got != WHEEL_SHA256:
                print(f"MISMATCH: wheel sha256 {got} != {WHEEL_SHA256} (not the published "
                      "hama 1.3.13 wheel)")
                return 1
            onnx_path, tok_path = extract(wheel, MODELS)
        print(f"wrote {onnx_path.relative_to(ROOT)} and {tok_path.relative_to(ROOT)}")
    if a.write_card:
        card["sha256"], card["tokens_sha256"] = sha256(onnx_path), sha256(tok_path)
        CARD.write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"recorded sha256 in {CARD.relative_to(ROOT)}")
        return 0
    bad = verify(card, onnx_path, tok_path)
    for b in bad:
        print("MISMATCH:", b)
    if not bad:
        print(f"ok: {onnx_path.name} sha256 {card['sha256']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
