"""Word lookups in pocketsphinx's CMU dictionary without loading all of it.

Creating the alignment decoder with the whole dictionary (134,860 entries) costs about
0.09 s of CPU on every process start, more than aligning a 3-second line takes. The file
is sorted by word (byte order of the word without its ``(2)`` suffix; checked by
``tests/core/test_lexicon.py``), so a binary search over its bytes finds a word's entries
in microseconds, and the decoder starts with an empty dictionary and receives only the
words a transcript uses (:func:`talkrig.core.speech.align.ensure_words`).
"""
from __future__ import annotations

import threading

_lock = threading.Lock()
_data = None       # the dictionary file's bytes


def _bytes() -> bytes:
    global _data
    with _lock:
        if _data is None:
            from .g2p import cmudict_path
            _data = cmudict_path().read_bytes()
        return _data


def _line(data: bytes, start: int):
    """(word without its ``(n)`` suffix, phones, end) of the line starting at ``start``."""
    end = data.find(b"\n", start)
    end = len(data) if end < 0 else end
    name, _, phones = data[start:end].partition(b" ")
    return name.split(b"(")[0], phones, end


def pronunciations(word: str) -> list:
    """Every pronunciation of ``word`` in the dictionary, in file order.

    Parameters
    ----------
    word : str
        A lower-case dictionary word (``"read"``).

    Returns
    -------
    list of str
        Space-separated ARPAbet phones, the main entry first and ``word(2)``... after it;
        empty when the word is not in the dictionary.
    """
    key = word.encode("utf-8")
    if not key or any(c in key for c in b" \n("):
        return []
    data = _bytes()
    lo, hi = 0, len(data)        # lo and hi are line starts; the answer lies in [lo, hi]
    while lo < hi:
        mid = (lo + hi) // 2
        start = data.rfind(b"\n", 0, mid) + 1 if mid > lo else lo
        base, _, end = _line(data, start)
        if base < key:
            lo = end + 1
        else:
            hi = start
    out = []
    while lo < len(data):
        base, phones, end = _line(data, lo)
        if base != key:
            break
        out.append(phones.decode("utf-8").strip())
        lo = end + 1
    return out
