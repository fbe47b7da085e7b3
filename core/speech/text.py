"""Transcript normalisation: written text to the spoken words an aligner needs.

Numbers, ordinals, years, currency, percentages, times and common abbreviations become
words; punctuation goes; case is folded. Emphasis markup (``*word*`` or
``*several words*``) is removed and reported as word indices, so the face layer can
stress those words.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..errors import TranscriptError

ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                 "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
            "£": ("pound", "pounds", "penny", "pence"), "¥": ("yen", "yen", "sen", "sen")}
ABBREVIATIONS = {
    "mr": "mister", "mrs": "missus", "ms": "miz", "dr": "doctor", "st": "saint",
    "prof": "professor", "jr": "junior", "sr": "senior", "vs": "versus", "etc": "et cetera",
    "e.g": "for example", "i.e": "that is", "approx": "approximately",
    "mt": "mount", "ft": "feet", "lb": "pounds", "lbs": "pounds", "km": "kilometers",
    "kg": "kilograms", "min": "minutes", "sec": "seconds", "hr": "hours", "gen": "general",
    "capt": "captain", "lt": "lieutenant", "col": "colonel", "sgt": "sergeant",
}
SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "=": " equals ", "@": " at ",
           "#": " number "}
# abbreviations only expanded when written with a trailing dot (no -> number, not "no")
DOT_ONLY = {"st", "min", "sec", "ft", "gen", "col"}

#: Latin letters NFKD does not split into a base letter and marks
LATIN_SPECIAL = {"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o",
                 "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "th", "Ð": "Th",
                 "þ": "th", "Þ": "Th", "ı": "i", "ŋ": "ng", "Ŋ": "Ng", "ħ": "h", "Ħ": "H"}

_TOKEN = re.compile(r"[$€£¥]?\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th|s|%)?|[A-Za-z][A-Za-z'.]*|[^\W\d_]+|\S")


@dataclass(frozen=True)
class Transcript:
    """A normalised transcript.

    words : tuple of str
        Lower-case spoken words (letters and apostrophes only).
    emphasis : tuple of int
        Indices into ``words`` of the words marked as emphasised.
    """

    words: tuple
    emphasis: tuple = ()

    @property
    def text(self) -> str:
        return " ".join(self.words)


def fold_latin(text: str) -> str:
    """Accented Latin letters to their base letters: ``"Café naïve José" -> "Cafe naive Jose"``.

    Every letter whose compatibility decomposition (NFKD) is ASCII letters plus combining
    marks loses the marks (é, à, ü, ñ, ç, ﬁ); ß, æ, œ, ø, ł, ð, þ and a few others have fixed
    spellings (:data:`LATIN_SPECIAL`). Letters of other scripts (Chinese, Greek, Cyrillic,
    ...) and every non-letter are kept as they are.
    """
    if text.isascii():
        return text
    out = []
    for c in text:
        if c.isascii() or not c.isalpha():
            out.append(c)
        elif c in LATIN_SPECIAL:
            out.append(LATIN_SPECIAL[c])
        else:
            base = "".join(b for b in unicodedata.normalize("NFKD", c)
                           if not unicodedata.combining(b))
            out.append(base if base.isascii() and base.isalpha() else c)
    return "".join(out)


def has_latin_spelling(word: str) -> bool:
    """Whether a normalised word is spelled in (folded) Latin letters only.

    Such words have dictionary or g2p phones; others (``"你好"``) cannot be aligned.
    """
    return bool(word) and word.isascii() and any(c.isalpha() for c in word)


def number_words(n: int) -> list:
    """Cardinal number as words: ``1234 -> one thousand two hundred thirty four``."""
    if n < 0:
        return ["minus"] + number_words(-n)
    if n < 20:
        return [ONES[n]]
    if n < 100:
        return [TENS[n // 10]] + ([ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        return [ONES[n // 100], "hundred"] + (number_words(n % 100) if n % 100 else [])
    for scale, name in SCALES:
        if n >= scale:
            head = number_words(n // scale) + [name]
            return head + (number_words(n % scale) if n % scale else [])
    raise TranscriptError(f"number {n} is too large to read out; write it in words")


def ordinal_words(n: int) -> list:
    """Ordinal as words: ``21 -> twenty first``."""
    words = number_words(n)
    last = words[-1]
    if last in ORDINAL_WORDS:
        words[-1] = ORDINAL_WORDS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return words


def year_words(n: int) -> list:
    """Year as read aloud: ``1984 -> nineteen eighty four``, ``2005 -> two thousand five``."""
    if 2000 <= n <= 2009:
        return number_words(n)
    hi, lo = divmod(n, 100)
    if lo == 0:
        return number_words(hi) + ["hundred"]
    return number_words(hi) + (["oh"] + number_words(lo) if lo < 10 else number_words(lo))


def _digits(s: str) -> list:
    return [ONES[int(c)] if c != "0" else "oh" for c in s]


def _number_token(tok: str, prev_word: str) -> list:
    cur = None
    if tok[0] in CURRENCY:
        cur, tok = CURRENCY[tok[0]], tok[1:]
    suffix = ""
    m = re.match(r"^([\d,]*\d(?:\.\d+)?)(st|nd|rd|th|s|%)?$", tok)
    if not m:
        raise TranscriptError(f"cannot read the number {tok!r}; write it in words")
    num, suffix = m.group(1), (m.group(2) or "")
    whole, _, frac = num.replace(",", "").partition(".")
    if len(whole) > 9 and "," not in num:           # ids, phone numbers: digit by digit
        return _digits(whole) + (["point"] + _digits(frac) if frac else [])
    value = int(whole)
    if cur is not None:
        words = number_words(value) + [cur[0] if value == 1 else cur[1]]
        if frac:
            cents = int((frac + "0")[:2])
            if cents:
                words += ["and"] + number_words(cents) + [cur[2] if cents == 1 else cur[3]]
        return words
    if suffix in ("st", "nd", "rd", "th"):
        return ordinal_words(value)
    is_year = ("," not in num and not frac and len(whole) == 4 and 1100 <= value <= 2099
               and prev_word not in ("number", "minus"))
    words = year_words(value) if is_year else number_words(value)
    if frac:
        words += ["point"] + _digits(frac)
    if suffix == "s":                              # 1990s, 30s
        last = words[-1]
        words[-1] = last[:-1] + "ies" if last.endswith("y") else last + "s"
    elif suffix == "%":
        words.append("percent")
    return words


def _word_token(tok: str) -> list:
    low = tok.lower()
    bare = low.rstrip(".")
    if low.endswith(".") and bare in ABBREVIATIONS:
        return ABBREVIATIONS[bare].split()
    if bare in ABBREVIATIONS and bare not in DOT_ONLY:
        return ABBREVIATIONS[bare].split()
    if re.fullmatch(r"(?:[a-z]\.){2,}", low):        # U.S.A. -> u s a
        return list(low.replace(".", ""))
    words = []
    for part in re.split(r"[.]+", bare):
        part = part.strip("'")
        if part:
            words.append(part)
    return words


def normalize_transcript(text: str) -> Transcript:
    """Turn written text into spoken words plus emphasised word indices.

    Parameters
    ----------
    text : str
        Free text. ``*word*`` or ``*a few words*`` marks emphasis.

    Returns
    -------
    Transcript
        Empty ``words`` if the text holds nothing speakable. Accented Latin letters are
        folded to their base letters (:func:`fold_latin`); words in other scripts are kept
        (see :func:`has_latin_spelling`) for the aligner to recognise instead.

    Raises
    ------
    TranscriptError
        If ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TranscriptError(f"transcript must be a string, got {type(text).__name__}")
    text = fold_latin(text.replace("\u2019", "'").replace("\u2018", "'"))
    text = re.sub(r"(\d{1,2}):(\d{2})", _time_sub, text)
    text = re.sub(r"(?<=\w)-(?=\w)", " ", text)      # well-known, 20-30
    text = re.sub(r"\b[Nn]o\.\s*(?=\d)", "number ", text)
    words, emphasis = [], []
    emph = False
    prev = ""
    for piece in re.split(r"(\*+)", text):
        if piece.startswith("*"):             # *word* and markdown **word** alike
            emph = not emph
            continue
        for tok in _TOKEN.findall(piece):
            if tok in SYMBOLS:
                out = SYMBOLS[tok].split()
            elif tok[0].isdigit() or (tok[0] in CURRENCY and len(tok) > 1):
                out = _number_token(tok, prev)
            elif tok[0].isalpha():
                out = _word_token(tok)
            else:
                continue
            for w in out:
                w = "".join(c for c in w if c.isalpha() or c == "'")
                if not w:
                    continue
                if emph:
                    emphasis.append(len(words))
                words.append(w)
                prev = w
    return Transcript(tuple(words), tuple(emphasis))


def _time_sub(m) -> str:
    h, mnt = int(m.group(1)), int(m.group(2))
    if mnt == 0:
        return f"{h} o'clock"
    return f"{h} {'oh ' + ONES[mnt] if mnt < 10 else mnt}"
