"""Speech with known phone timing for the lip-sync benchmark.

Four corpora, each a list of :class:`Utterance` (wav on disk + truth segments in ARPAbet):

- ``espeak``: generated here with libespeak-ng through ctypes (PyPI ``espeakng-loader``);
  truth = the synthesiser's own phoneme events (sample position of every phoneme start).
- ``festival``: Debian ``festival`` voices (kal diphone, SLT HTS); truth = the segment end
  times Festival writes with ``utt.save.segs``. Skipped when ``festival`` is not installed.
- ``arctic``: CMU ARCTIC a0009 with its HTS phone labels (``examples/arctic/``, fetched by
  ``scripts/fetch_examples.py``). Skipped when absent.
- ``ljspeech``: 32 LJ Speech clips with Montreal Forced Aligner TextGrids, read in place
  from ``../shared/data/ljspeech32``. Skipped when absent.

Generated audio goes under ``bench/results/corpus/`` (gitignored), regenerated each run so
the numbers never depend on stale files.
"""
from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .phonesets import espeak_to_arpabet, festival_to_arpabet, normalize_arpabet
from .sentences import SENTENCES

REPO = Path(__file__).resolve().parent.parent
LJSPEECH_DIR = REPO.parent / "shared" / "data" / "ljspeech32"
ARCTIC_DIR = REPO / "examples" / "arctic"
ARCTIC_A0009_TEXT = "He turned sharply, and faced Gregson across the table."

ESPEAK_VOICES = ("en-us", "en-us+f3", "en-us+m3", "en-us+f5")
ESPEAK_RATES = (140, 190)            # words per minute
FESTIVAL_VOICES = ("voice_kal_diphone", "voice_cmu_us_slt_arctic_hts")


@dataclass
class Utterance:
    """One recording and its truth segmentation (lowercase ARPAbet, seconds)."""

    corpus: str
    name: str
    wav: Path
    text: str
    phones: list
    starts: np.ndarray
    ends: np.ndarray
    duration: float


# ------------------------------------------------------------------ espeak-ng (ctypes)
class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p),
                ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    # espeak_EVENT from speak_lib.h
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))
_EV_PHONEME = 7
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_ESPEAK_RATE = 1
_ENDPAUSE = 0x1000


class EspeakSynth:
    """libespeak-ng driven through ctypes: audio plus each phoneme's start sample."""

    def __init__(self):
        import espeakng_loader  # build-time dependency (requirements/dev.txt)
        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data = espeakng_loader.get_data_path().encode()
        self.sr = int(self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INIT_PHONEME_EVENTS | _INIT_DONT_EXIT))
        if self.sr <= 0:
            raise RuntimeError("espeak_Initialize failed (espeakng-loader data path?)")
        self._chunks, self._events = [], []
        self._cb = _CALLBACK(self._on_synth)      # keep a reference alive
        self._lib.espeak_SetSynthCallback(self._cb)

    def _on_synth(self, wav, n, events):
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != 0:
            ev = events[i]
            if ev.type == _EV_PHONEME:
                self._events.append((ev.id.string.decode("ascii", "replace"), ev.sample))
            i += 1
        return 0

    def synth(self, text: str, *, voice: str, rate: int):
        """Returns (int16 samples, [(mnemonic, start_sample), ...])."""
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise RuntimeError(f"espeak-ng voice {voice!r} not found")
        self._lib.espeak_SetParameter(_ESPEAK_RATE, int(rate), 0)
        self._chunks, self._events = [], []
        b = text.encode("utf-8")
        self._lib.espeak_Synth(b, len(b) + 1, 0, _POS_CHARACTER, 0, _ENDPAUSE, None, None)
        self._lib.espeak_Synchronize()
        x = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return x, list(self._events)


#: phones whose espeak phoneme event marks the release, not the closure before it
STOPS = frozenset({"p", "b", "t", "d", "k", "g", "ch", "jh"})


def events_to_segments(events, n_samples: int, sr: int, samples=None, *,
                       closure_drop_db: float = 22.0, max_closure_s: float = 0.12,
                       min_prev_s: float = 0.02):
    """espeak phoneme start events -> (phones, starts, ends), ARPAbet, seconds; adjacent
    silences merged, a leading silence added when the first phoneme starts late.

    libespeak-ng emits a stop's phoneme event at its *release*: the closure before it (a
    stretch of near or exact digital silence, 30-90 ms) is written while the previous
    phoneme is still current, so the raw events give the closure to the vowel before the
    stop (a 'p' lasts its 30 ms burst). With ``samples`` (the synthesised int16 or float
    audio) every stop after a non-silence phone starts at the beginning of the quiet run
    that ends at its event: 5 ms frames more than ``closure_drop_db`` below the
    utterance's loud level (95th percentile), at most ``max_closure_s`` back, leaving the
    previous phone at least ``min_prev_s``. Measured over the 96 bench sentences with
    22 dB: voiceless-stop closures of 23-70 ms (10th-90th percentile, median 45 ms) in all
    four voices; voiced stops mostly keep their event (their closure is voiced, after it).
    """
    phones, starts = [], []
    for mn, sample in events:
        p = espeak_to_arpabet(mn)
        if p is None:
            continue
        t = sample / sr
        if phones and p == "sil" and phones[-1] == "sil":
            continue
        if phones and abs(t - starts[-1]) < 1e-9:   # zero-length: later one wins
            phones[-1] = p
            continue
        phones.append(p)
        starts.append(t)
    if not phones or starts[0] > 0:
        phones.insert(0, "sil")
        starts.insert(0, 0.0)
    starts = np.asarray(starts, dtype=np.float64)
    if samples is not None:
        starts = closure_starts(phones, starts, samples, sr, drop_db=closure_drop_db,
                                max_s=max_closure_s, min_prev_s=min_prev_s)
    ends = np.r_[starts[1:], n_samples / sr]
    return phones, starts, ends


def closure_starts(phones, starts, samples, sr: int, *, drop_db: float = 22.0,
                   max_s: float = 0.12, min_prev_s: float = 0.02,
                   hop_s: float = 0.005) -> np.ndarray:
    """Stop starts moved back to the beginning of their (quiet) closure; see
    :func:`events_to_segments`. Returns a new float64 array of starts."""
    x = np.asarray(samples, dtype=np.float64)
    if np.issubdtype(np.asarray(samples).dtype, np.integer):
        x = x / 32768.0
    hop = max(1, int(round(hop_s * sr)))
    n = len(x) // hop
    if n == 0:
        return np.asarray(starts, dtype=np.float64).copy()
    env = 10 * np.log10(np.mean(x[:n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    quiet = env < np.percentile(env, 95) - drop_db
    out = np.asarray(starts, dtype=np.float64).copy()
    for i in range(1, len(phones)):
        if phones[i] not in STOPS or phones[i - 1] == "sil":
            continue
        k = min(int(out[i] * sr) // hop, n)          # first frame at / after the event
        lo = max(int(np.ceil((out[i - 1] + min_prev_s) * sr / hop)),
                 int(np.ceil((out[i] - max_s) * sr / hop)), 0)
        j = k
        while j - 1 >= lo and quiet[j - 1]:
            j -= 1
        if j < k:
            out[i] = min(out[i], j * hop / sr)
    return out


def espeak_corpus(out_dir: Path, *, n_sentences: int, voices=ESPEAK_VOICES,
                  rates=ESPEAK_RATES) -> list[Utterance]:
    import soundfile as sf
    out_dir.mkdir(parents=True, exist_ok=True)
    syn = EspeakSynth()
    utts = []
    for voice in voices:
        for rate in rates:
            for k, text in enumerate(SENTENCES[:n_sentences]):
                x, events = syn.synth(text, voice=voice, rate=rate)
                name = f"{voice.replace('+', '_')}_r{rate}_s{k:02d}"
                wav = out_dir / f"{name}.wav"
                sf.write(wav, x, syn.sr, subtype="PCM_16")
                ph, st, en = events_to_segments(events, len(x), syn.sr, x)
                utts.append(Utterance("espeak", name, wav, text, ph, st, en, len(x) / syn.sr))
    return utts


# ------------------------------------------------------------------ Festival
def festival_available() -> bool:
    return shutil.which("festival") is not None


def read_segs(path: Path):
    """Festival ``utt.save.segs`` file (header, then ``end 100 phone``) -> segments."""
    phones, ends = [], []
    body = Path(path).read_text().split("#", 1)[-1]
    for line in body.strip().splitlines():
        parts = line.split()
        if len(parts) >= 3:
            ends.append(float(parts[0]))
            phones.append(festival_to_arpabet(parts[2]))
    ends = np.asarray(ends)
    return phones, np.r_[0.0, ends[:-1]], ends


def festival_corpus(out_dir: Path, *, n_sentences: int,
                    voices=FESTIVAL_VOICES) -> list[Utterance]:
    import soundfile as sf
    out_dir.mkdir(parents=True, exist_ok=True)
    utts = []
    for voice in voices:
        lines = [f"({voice})"]
        names = []
        for k, text in enumerate(SENTENCES[:n_sentences]):
            name = f"{voice.replace('voice_', '')}_s{k:02d}"
            names.append((name, text))
            safe = text.replace('"', "")
            lines += [f'(set! utt (Utterance Text "{safe}"))', "(utt.synth utt)",
                      f'(utt.save.wave utt "{out_dir / name}.wav" \'riff)',
                      f'(utt.save.segs utt "{out_dir / name}.segs")']
        scm = out_dir / f"{voice}.scm"
        scm.write_text("\n".join(lines) + "\n")
        r = subprocess.run(["festival", "-b", str(scm)], capture_output=True, text=True,
                           timeout=600)
        for name, text in names:
            wav, segs = out_dir / f"{name}.wav", out_dir / f"{name}.segs"
            if not (wav.exists() and segs.exists()):
                raise RuntimeError(f"festival {voice} produced no {name}: {r.stderr[-300:]}")
            ph, st, en = read_segs(segs)
            dur = sf.info(str(wav)).duration
            utts.append(Utterance("festival", name, wav, text, ph, st, en, dur))
    return utts


# ------------------------------------------------------------------ real speech
def read_lab(path: Path):
    """HTS / ARCTIC label file: ``start end phone`` per line; times in 100 ns units when
    integers (HTS), seconds otherwise; full-context labels reduced to the centre phone."""
    phones, starts, ends = [], [], []
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        lab = parts[2]
        m = re.search(r"-([^+]+)\+", lab)
        if m:
            lab = m.group(1)
        scale = 1e-7 if re.fullmatch(r"\d+", parts[0]) and re.fullmatch(r"\d+", parts[1]) else 1.0
        phones.append(festival_to_arpabet(lab))
        starts.append(float(parts[0]) * scale)
        ends.append(float(parts[1]) * scale)
    return phones, np.asarray(starts), np.asarray(ends)


def arctic_corpus(arctic_dir: Path = ARCTIC_DIR) -> list[Utterance]:
    import soundfile as sf
    labs = sorted(Path(arctic_dir).glob("*a0009*.lab")) if Path(arctic_dir).is_dir() else []
    wavs = sorted(Path(arctic_dir).glob("*a0009*.wav")) if labs else []
    if not (labs and wavs):
        return []
    ph, st, en = read_lab(labs[0])
    txt = Path(arctic_dir) / "arctic_a0009.txt"
    text = txt.read_text().strip() if txt.exists() else ARCTIC_A0009_TEXT
    return [Utterance("arctic", "arctic_a0009", wavs[0], text, ph, st, en,
                      sf.info(str(wavs[0])).duration)]


def read_textgrid_tier(path: Path, tier: str):
    """Intervals of one IntervalTier of a Praat TextGrid (long text format)."""
    txt = Path(path).read_text()
    blocks = re.split(r"item \[\d+\]:", txt)
    for b in blocks:
        if re.search(r'name = "%s"' % re.escape(tier), b):
            iv = re.findall(r'xmin = ([\d.]+)\s+xmax = ([\d.]+)\s+text = "([^"]*)"', b)
            return [(float(a), float(c), t) for a, c, t in iv]
    raise ValueError(f"{path}: no tier {tier!r}")


def ljspeech_corpus(root: Path = LJSPEECH_DIR, *, limit: int | None = None) -> list[Utterance]:
    import soundfile as sf
    if not (root / "metadata.csv").exists():
        return []
    utts = []
    for line in (root / "metadata.csv").read_text().splitlines():
        if "|" not in line:
            continue
        uid, words = line.split("|", 1)
        tg, wav = root / "TextGrid" / f"{uid}.TextGrid", root / "wavs" / f"{uid}.wav"
        if not (tg.exists() and wav.exists()):
            continue
        iv = read_textgrid_tier(tg, "phones")
        ph = [normalize_arpabet(t) for _, _, t in iv]
        utts.append(Utterance("ljspeech", uid, wav, words, ph,
                              np.array([a for a, _, _ in iv]), np.array([b for _, b, _ in iv]),
                              sf.info(str(wav)).duration))
        if limit and len(utts) >= limit:
            break
    return utts


def concat_utterances(utts: list, out_wav: Path, *, min_s: float, name: str) -> Utterance:
    """Clips read back to back (same sample rate) until at least ``min_s`` seconds, as one
    utterance: labels shifted by each clip's offset, transcripts joined with spaces."""
    import soundfile as sf
    xs, phones, starts, ends, words, t, sr = [], [], [], [], [], 0.0, None
    for u in utts:
        x, r = sf.read(str(u.wav), dtype="int16")
        if sr is None:
            sr = r
        if r != sr or x.ndim != 1:
            continue
        xs.append(x)
        phones += list(u.phones)
        starts.append(np.asarray(u.starts) + t)
        ends.append(np.asarray(u.ends) + t)
        words.append(u.text)
        t += len(x) / sr
        if t >= min_s:
            break
    out_wav.parent.mkdir(parents=True, exist_ok=True)
    sf.write(out_wav, np.concatenate(xs), sr, subtype="PCM_16")
    text = " ".join(words)
    out_wav.with_suffix(".txt").write_text(text)
    return Utterance(utts[0].corpus, name, out_wav, text, phones, np.concatenate(starts),
                     np.concatenate(ends), t)
