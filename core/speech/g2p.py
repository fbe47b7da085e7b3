"""Grapheme-to-phoneme fallback for words missing from the pronunciation dictionary.

A letter-context model learned from the CMU dictionary that ships with pocketsphinx:

1. Training aligns every word's letters to its phones with hard (Viterbi) EM: each letter
   emits nothing, one phone or two phones (``x -> K S``).
2. For every letter, the phone chunk it emits is tabulated against growing windows of
   neighbouring letters, from the letter alone up to four letters either side. A context is
   kept only where its majority answer differs from the next smaller window's, so the table
   stays small.
3. Prediction takes, letter by letter, the answer of the largest stored window.

The shipped table (``data/g2p_cmudict.json.gz``) is built with
``python -m talkrig.core.speech.g2p --train`` from the dictionary minus every 20th word
(CRC-32 of the word), which is held out to measure word accuracy (all phones right,
stress ignored); the script prints that number.
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import threading
import zlib
from collections import Counter, defaultdict
from pathlib import Path

from ..errors import AlignmentError

MODEL_PATH = Path(__file__).with_name("data") / "g2p_cmudict.json.gz"
#: context windows (letters left, letters right), smallest first
LEVELS = ((0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 3), (3, 3), (3, 4), (4, 4))
LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz'")
#: the 39 ARPAbet phones of the CMU dictionary (no stress digits)
ARPABET = frozenset("AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY "
                    "P R S SH T TH UH UW V W Y Z ZH".split())
PAD = "#"
HOLDOUT_EVERY = 20

_lock = threading.Lock()
_model = None


def cmudict_path() -> Path:
    """Path of the CMU dictionary bundled with pocketsphinx."""
    from pocketsphinx import get_model_path
    return Path(get_model_path()) / "en-us" / "cmudict-en-us.dict"


def read_cmudict(path=None) -> dict:
    """First pronunciation of each word: ``{word: tuple of ARPAbet phones}``.

    Alternates (``word(2)``) and stress digits are dropped.
    """
    out = {}
    with open(path or cmudict_path(), encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2 or "(" in parts[0]:
                continue
            out.setdefault(parts[0], tuple(p.rstrip("012") for p in parts[1:]))
    return out


def is_held_out(word: str) -> bool:
    """Whether ``word`` belongs to the held-out evaluation split (deterministic)."""
    return zlib.crc32(word.encode("utf-8")) % HOLDOUT_EVERY == 0


def _clean(word: str) -> str:
    return "".join(c for c in word.lower() if c in LETTERS)


# --------------------------------------------------------------------- alignment (EM)

def _viterbi(word: str, phones: tuple, logp: dict):
    """Best split of ``phones`` into one chunk (0-2 phones) per letter, or None."""
    n, m = len(word), len(phones)
    neg = -math.inf
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n):
        letter = word[i]
        row, nxt, bk = best[i], best[i + 1], back[i + 1]
        lo = max(0, m - 2 * (n - i))          # phones left must still fit
        for j in range(lo, min(m, 2 * i) + 1):
            s = row[j]
            if s == neg:
                continue
            for k in (0, 1, 2):
                if j + k > m:
                    break
                chunk = " ".join(phones[j:j + k])
                lp = logp.get((letter, chunk))
                if lp is None:
                    continue
                v = s + lp
                if v > nxt[j + k]:
                    nxt[j + k] = v
                    bk[j + k] = k
    if best[n][m] == neg:
        return None
    chunks, j = [], m
    for i in range(n, 0, -1):
        k = back[i][j]
        chunks.append(" ".join(phones[j - k:j]))
        j -= k
    return chunks[::-1]


def _initial_logp(pairs) -> dict:
    """Soft co-occurrence counts along the diagonal to seed EM."""
    counts = Counter()
    for word, phones in pairs:
        n, m = len(word), len(phones)
        for i, letter in enumerate(word):
            counts[(letter, "")] += 0.3
            centre = (i + 0.5) * m / n
            for j in range(m):
                if abs(j + 0.5 - centre) <= 1.5:
                    counts[(letter, phones[j])] += 1.0
                    if j + 1 < m:
                        counts[(letter, phones[j] + " " + phones[j + 1])] += 0.05
    return _normalise(counts)


def _normalise(counts: Counter) -> dict:
    totals = Counter()
    for (letter, _), c in counts.items():
        totals[letter] += c
    return {key: math.log(c / totals[key[0]]) for key, c in counts.items() if c > 0}


def align_dictionary(pairs, *, iterations: int = 3) -> list:
    """Letter-aligned chunks for each ``(word, phones)`` pair (hard EM).

    Returns a list of ``(word, chunks)`` where ``chunks[i]`` is the space-joined phones
    letter ``i`` emits ('' for silent letters); pairs that cannot be aligned are skipped.
    """
    pairs = [(w, p) for w, p in pairs if 0 < len(p) <= 2 * len(w)]
    logp = _initial_logp(pairs)
    aligned = []
    for _ in range(iterations):
        counts, aligned = Counter(), []
        for word, phones in pairs:
            chunks = _viterbi(word, phones, logp)
            if chunks is None:
                continue
            aligned.append((word, chunks))
            for letter, chunk in zip(word, chunks):
                counts[(letter, chunk)] += 1
        logp = _normalise(counts)
    return aligned


# --------------------------------------------------------------------- context table

def _key(padded: str, i: int, left: int, right: int) -> str:
    return padded[i - left:i] + "_" + padded[i] + "_" + padded[i + 1:i + 1 + right]


def build_table(aligned) -> dict:
    """Pruned context table ``{context key: chunk}`` from letter-aligned words."""
    width = max(max(lv) for lv in LEVELS)
    stats = [defaultdict(Counter) for _ in LEVELS]
    for word, chunks in aligned:
        padded = PAD * width + word + PAD * width
        for i, chunk in enumerate(chunks):
            for lvl, (left, right) in enumerate(LEVELS):
                stats[lvl][_key(padded, i + width, left, right)][chunk] += 1
    table = {}
    for lvl, (left, right) in enumerate(LEVELS):
        for key, counter in stats[lvl].items():
            answer = counter.most_common(1)[0][0]
            if lvl == 0:
                table[key] = answer
                continue
            parent = _parent_answer(table, key, lvl)
            if answer != parent:
                table[key] = answer
    return table


def _parent_answer(table: dict, key: str, lvl: int) -> str:
    left_s, letter, right_s = key.split("_")
    for plvl in range(lvl - 1, -1, -1):
        pl, pr = LEVELS[plvl]
        pkey = left_s[len(left_s) - pl:] + "_" + letter + "_" + right_s[:pr]
        if pkey in table:
            return table[pkey]
    return ""


def predict(word: str, table: dict) -> tuple:
    """ARPAbet phones for ``word`` from a context table (largest known window wins)."""
    word = _clean(word)
    width = max(max(lv) for lv in LEVELS)
    padded = PAD * width + word + PAD * width
    phones = []
    for i in range(width, width + len(word)):
        answer = ""
        for left, right in LEVELS:
            hit = table.get(_key(padded, i, left, right))
            if hit is not None:
                answer = hit
        if answer:
            phones.extend(answer.split())
    return tuple(phones)


def word_accuracy(table: dict, lexicon: dict) -> float:
    """Share of ``lexicon`` words whose predicted phones all match (stress ignored)."""
    if not lexicon:
        return float("nan")
    hits = sum(predict(w, table) == p for w, p in lexicon.items())
    return hits / len(lexicon)


# --------------------------------------------------------------------- runtime API

def load_model(path=None) -> dict:
    """The shipped context table (cached after the first call)."""
    global _model
    with _lock:
        if _model is None or path is not None:
            src = Path(path) if path is not None else MODEL_PATH
            if not src.is_file():
                raise AlignmentError(
                    f"grapheme-to-phoneme table {src} is missing; rebuild it with "
                    "'python -m talkrig.core.speech.g2p --train' or reinstall talkrig")
            with gzip.open(src, "rt", encoding="utf-8") as fh:
                data = json.load(fh)
            model = data["table"]
            if path is not None:
                return model
            _model = model
        return _model


def g2p(word: str) -> tuple:
    """Phones (ARPAbet, no stress digits) for a word the dictionary lacks.

    Parameters
    ----------
    word : str
        A normalised word (letters and apostrophes; accented Latin letters count as their
        base letters; anything else is ignored).

    Returns
    -------
    tuple of str
        At least one phone for any word with a letter; ``()`` for an empty word.
    """
    from .text import fold_latin
    table = load_model()
    word = fold_latin(word)                      # café -> cafe
    phones = predict(word, table)
    if not phones and _clean(word):
        phones = ("AH",)
    return phones


def train(dict_path=None, *, out=MODEL_PATH, iterations: int = 3) -> float:
    """Train on the dictionary minus the held-out split, save, return held-out accuracy."""
    lexicon = read_cmudict(dict_path)
    lexicon = {_clean(w): p for w, p in lexicon.items() if _clean(w)}
    train_pairs = sorted((w, p) for w, p in lexicon.items() if not is_held_out(w))
    held = {w: p for w, p in lexicon.items() if is_held_out(w)}
    table = build_table(align_dictionary(train_pairs, iterations=iterations))
    acc = word_accuracy(table, held)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"version": 1, "levels": LEVELS, "trained_on": len(train_pairs),
               "held_out": len(held), "held_out_word_accuracy": round(acc, 4),
               "table": dict(sorted(table.items()))}
    with gzip.GzipFile(out, "wb", mtime=0) as fh:
        fh.write(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    return acc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", action="store_true", help="rebuild the shipped table")
    ap.add_argument("--out", default=str(MODEL_PATH))
    ap.add_argument("words", nargs="*")
    args = ap.parse_args(argv)
    if args.train:
        acc = train(out=args.out)
        print(f"held-out word accuracy: {acc:.4f}  -> {args.out}")
    for w in args.words:
        print(w, " ".join(g2p(w)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
