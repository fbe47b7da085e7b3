"""pocketsphinx 5.1.1's acoustic front end, in numpy.

Reproduces, for the US English model bundled with pocketsphinx 5.1.1 (its
``feat.params``: ``-lowerf 130 -upperf 6800 -nfilt 25 -transform dct -lifter 22
-feat 1s_c_d_dd -svspec 0-12/13-25/26-38 -agc none -cmn batch -varnorm no
-remove_noise yes``, every other option at pocketsphinx's default: 16 kHz, 100
frames/s, ``-wlen 0.025625``, FFT size 512, ``-alpha 0.97``, no dither, no DC removal,
``-round_filters yes``, ``-unit_area yes``), what the decoder computes from a whole
utterance given at once (``process_raw(pcm, full_utt=True)``):

- :func:`cepstra`: the 13 MFCCs per 10 ms frame of ``src/fe`` (``fe_sigproc.c``,
  ``fe_noise.c``, ``fe_interface.c``): pre-emphasis, a 410-sample Hamming window every
  160 samples, 512-point FFT power spectrum, 25 mel filters (edges rounded to FFT bins,
  unit area), spectral noise removal, natural log (plus 1e-4), unitary DCT-II and sine
  liftering, with the same frames: one per full window plus the tail frame
  ``fe_end_utt`` always adds (the last 250-409 samples, zero-padded).
- :func:`features`: what ``src/feat`` (``feat.c``, ``cmn.c``) builds from them: batch
  cepstral mean normalisation over the utterance (frames with c0 < 0 left out of the
  mean) and the ``1s_c_d_dd`` vector [c(t), c(t+2) - c(t-2),
  (c(t+3) - c(t-1)) - (c(t+1) - c(t-3))], the first and last frames repeated three
  times at the edges: the 39 values of the streams 0-12/13-25/26-38, in that order.

The arithmetic follows the C code's types operation by operation: float64 where
pocketsphinx computes in double (signal, spectra, noise statistics, log spectrum),
float32 where it stores ``mfcc_t`` (filter weights, cosines, each partial sum of the
DCT, the CMN sums, dynamic features), constants built the way the C code builds them.
What numpy computes in a different order (its FFT, the filter-bank matrix product, the
log) differs from pocketsphinx's doubles in the last bits only, below what a float32
cepstrum can show.

pocketsphinx keeps its noise statistics from one utterance to the next (``start_utt``
does not reset them; a new decoder or ``reinit_feat`` does): :func:`cepstra` computes
what a fresh front end computes; ``_cepstra(pcm, state)`` takes and returns that state
for the cepstra of a front end that already heard other audio.

How it was checked (against pocketsphinx 5.1.1 itself; not part of the test suite):
the cepstra pocketsphinx logs (``mfclogdir``) equal these bit for bit for the 20 LJ
Speech clips of ``tests/data`` (resampled to 16 kHz), cuts of 0 to 731 samples (every
frame-count boundary), silence, DC offset, clipping, white noise, a pure tone, a
minute of digital silence, a minute of speech with white noise at 10 and 0 dB SNR, and
utterances decoded one after another on one front end (``_cepstra`` with the state).
:func:`features` equals pocketsphinx's own ``feat_s2mfc2feat_live`` (called through
ctypes) bit for bit, for those cepstra and for short inputs and inputs whose c0 is
negative. Forced alignments (word pass, then ``set_alignment`` phone pass) decoded from
the audio (``process_raw``) and from these cepstra (``process_cep``) have the same best
path scores, word segments and phone starts, durations and scores for all 20 clips.

Speed (one core, ``time.process_time``): a minute of speech in about 0.04-0.05 s (as one
array; about 0.07 s as 20 utterances of 2-10 s); the noise recursion is the part that
cannot be vectorised over frames, see :func:`_noise_recursion`.
"""
from __future__ import annotations

import math

import numpy as np

# --- front-end parameters (fe_interface.c defaults and the model's feat.params) ---
SAMPLE_RATE = 16000             # Hz (-samprate)
FRAME_SHIFT = 160               # samples between frames: int(16000 / 100 + 0.5) (-frate 100)
FRAME_SIZE = 410                # window length in samples: int(0.025625 * 16000 + 0.5) (-wlen)
FFT_SIZE = 512                  # smallest power of 2 >= FRAME_SIZE (-nfft 0)
PRE_EMPHASIS = float(np.float32(0.97))  # -alpha: fe_t keeps it as a float32, used in double
N_FILTERS = 25                  # mel filters (-nfilt)
N_CEP = 13                      # cepstra per frame (-ncep)
LOWER_HZ = 130.0                # lower edge of the first filter (-lowerf)
UPPER_HZ = 6800.0               # upper edge of the last filter (-upperf)
LIFTER = 22                     # sine lifter length (-lifter)
LOG_FLOOR = 1e-4                # added to the mel spectrum before the log (fe_sigproc.c)

# --- noise removal (fe_noise.c, -remove_noise yes), as the C code's doubles ---
LAMBDA_POWER = 0.7              # smoothing of the power
COMP_LAMBDA_POWER = 1 - 0.7     # its complement, computed in double as in C (0.30000000000000004)
LAMBDA_A = 0.995                # lower envelope: weight of the old value when rising
LAMBDA_B = 0.5                  # lower envelope: weight of the old value when falling
LAMBDA_T = 0.85                 # temporal masking: peak decay per frame
MU_T = 0.2                      # temporal masking: masked level relative to the peak
MAX_GAIN = 20.0                 # gain ceiling; the initial noise estimate is mfspec / MAX_GAIN
INV_MAX_GAIN = 1.0 / 20.0       # gain floor
SMOOTH_WINDOW = 4               # gains averaged over +-4 neighbouring filters

# --- dynamic features (feat.c, 1s_c_d_dd) ---
DELTA_WIN = 2                   # FEAT_DCEP_WIN: delta = c(t+2) - c(t-2)
FEAT_PAD = DELTA_WIN + 1        # frames repeated at each edge (feat_window_size)

# --- implementation details (not pocketsphinx parameters) ---
SPECTRA_BLOCK = 128             # frames per FFT block (buffers reused, cache-sized)
NOISE_CHUNK = 128               # frames per chunk run side by side in the noise recursion
MERGE_CHECK = 16                # steps between checks that a pass has rejoined the last one
PARALLEL_ROUNDS = 16            # passes over all chunks before the rest goes chunk by chunk

_F32 = np.float32


def _mel(hz) -> np.float32:
    """fe_mel: Hz to mel (float32 in and out, double inside; warping is the identity)."""
    return _F32(2595.0 * math.log10(1.0 + float(hz) / 700.0))


def _mel_inv(mel) -> np.float32:
    """fe_melinv: mel to Hz (float32 in and out, double inside)."""
    return _F32(700.0 * (math.pow(10.0, float(mel) / 2595.0) - 1.0))


def _filter_edges(i: int, melmin, melbw, fftfreq) -> list:
    """Left, centre, right frequency of filter ``i``, rounded to FFT bins (float32)."""
    out = []
    for j in range(3):
        hz = _mel_inv(_F32(_F32(i + j) * melbw) + melmin)
        # -round_filters yes: ((int)(freq / fftfreq + 0.5)) * fftfreq
        out.append(_F32(_F32(int(float(_F32(hz / fftfreq)) + 0.5)) * fftfreq))
    return out


def _mel_filters() -> np.ndarray:
    """fe_build_melfilters: the (FFT_SIZE // 2 + 1, N_FILTERS) filter matrix.

    Triangles between rounded edges, scaled to unit area, every step in float32 as in
    the C code; returned as float64 (the C code multiplies them into a double sum).
    """
    melmin = _mel(_F32(LOWER_HZ))
    melmax = _mel(_F32(UPPER_HZ))
    melbw = _F32(_F32(melmax - melmin) / _F32(N_FILTERS + 1))
    fftfreq = _F32(_F32(SAMPLE_RATE) / _F32(FFT_SIZE))
    n_bins = FFT_SIZE // 2 + 1
    weights = np.zeros((n_bins, N_FILTERS), np.float64)
    for i in range(N_FILTERS):
        f0, f1, f2 = _filter_edges(i, melmin, melbw, fftfreq)
        start, width = -1, 0
        for j in range(n_bins):
            hz = _F32(_F32(j) * fftfreq)
            if hz < f0:
                continue
            if hz > f2 or j == FFT_SIZE // 2:
                width = j - start
                break
            if start == -1:
                start = j
        for j in range(width):
            hz = _F32(_F32(start + j) * fftfreq)
            lo = _F32(_F32(hz - f0) / _F32(f1 - f0))
            hi = _F32(_F32(f2 - hz) / _F32(f2 - f1))
            area = _F32(_F32(2) / _F32(f2 - f0))            # -unit_area yes
            lo, hi = _F32(lo * area), _F32(hi * area)
            weights[start + j, i] = float(lo if lo < hi else hi)
    return weights


def _hamming() -> np.ndarray:
    """fe_create_hamming: the symmetric FRAME_SIZE-point window (double)."""
    half = [0.54 - 0.46 * math.cos(2 * math.pi * i / (FRAME_SIZE - 1.0))
            for i in range(FRAME_SIZE // 2)]
    return np.array(half + half[::-1], np.float64)


def _dct_tables() -> tuple:
    """fe_compute_melcosine: ``(cosines, scale, lifter)``.

    ``cosines`` (N_CEP, N_FILTERS): the float32 table as float64 values (row 0 all
    ones); ``scale`` (N_CEP,) float32: the unitary DCT's sqrt(1/N) for c0, sqrt(2/N)
    for the others; ``lifter`` (N_CEP,) float32: 1 + 11 sin(i pi / 22).
    """
    step = math.pi / N_FILTERS
    cos = np.array([[float(_F32(math.cos(step * i * (j + 0.5)))) for j in range(N_FILTERS)]
                    for i in range(N_CEP)], np.float64)
    cos[0] = 1.0        # fe_dct2 sums c0 without multiplying (its cosine is 1 anyway)
    scale = np.array([math.sqrt(1.0 / N_FILTERS)]
                     + [math.sqrt(2.0 / N_FILTERS)] * (N_CEP - 1), np.float32)
    lifter = np.array([1 + LIFTER // 2 * math.sin(i * math.pi / LIFTER) for i in range(N_CEP)],
                      np.float32)
    return cos, scale, lifter


MEL_FILTERS = _mel_filters()    # (257, 25) filter weights (float32 values as float64)
MEL_BINS = int(np.flatnonzero(MEL_FILTERS.any(axis=1))[-1]) + 1  # FFT bins the filters use
HAMMING = _hamming()            # (410,) Hamming window
DCT_COS, DCT_SCALE, LIFTER_WEIGHTS = _dct_tables()  # (13, 25) cosines, (13,) scales, (13,) lifter
_SMOOTH_LO = np.maximum(np.arange(N_FILTERS) - SMOOTH_WINDOW, 0)
_SMOOTH_HI = np.minimum(np.arange(N_FILTERS) + SMOOTH_WINDOW, N_FILTERS - 1)
SMOOTH_COUNT = (_SMOOTH_HI - _SMOOTH_LO + 1).astype(np.float64)  # filters in each gain window
_MEL_FILTERS_REIM = np.repeat(MEL_FILTERS[:MEL_BINS], 2, axis=0)  # rows for re, im interleaved


def n_frames(n_samples: int) -> int:
    """Frames pocketsphinx makes from ``n_samples`` given with ``full_utt=True``.

    One per full window (``fe_process_frames``) plus the tail frame of ``fe_end_utt``,
    which always holds the last FRAME_SIZE - FRAME_SHIFT samples or more (a whole
    utterance shorter than a window is one frame; an empty one none).
    """
    if n_samples <= 0:
        return 0
    if n_samples < FRAME_SIZE:
        return 1
    return 2 + (n_samples - FRAME_SIZE) // FRAME_SHIFT


def _as_int16(pcm) -> np.ndarray:
    """The int16 samples pocketsphinx would read (others clipped, truncated toward zero)."""
    if isinstance(pcm, (bytes, bytearray, memoryview)):
        return np.frombuffer(pcm, "<i2")
    x = np.asarray(pcm).reshape(-1)
    if x.dtype != np.int16:
        x = np.clip(x, -32768, 32767).astype(np.int16)   # floats: like astype('<i2')
    return x


def _mel_spectra(x: np.ndarray) -> np.ndarray:
    """Pre-emphasis, framing, window, FFT power spectrum and mel filters: (n_frames, 25).

    Frames go through SPECTRA_BLOCK at a time, in buffers that are reused.
    """
    n = n_frames(len(x))
    out = np.empty((n, N_FILTERS), np.float64)
    block = min(SPECTRA_BLOCK, n)
    span = FRAME_SHIFT * (block - 1) + FRAME_SIZE         # samples a block of frames covers
    raw = np.empty(span + 1, np.float64)                  # [previous sample, samples...]
    y = np.empty(span, np.float64)
    win = np.zeros((block, FFT_SIZE), np.float64)         # frames, zero-padded to the FFT size
    for a in range(0, n, block):
        b = min(a + block, n)
        start = a * FRAME_SHIFT
        seg = x[start:start + FRAME_SHIFT * (b - a - 1) + FRAME_SIZE]
        k = len(seg)
        raw[0] = x[start - 1] if start else 0
        raw[1:k + 1] = seg
        # fe_pre_emphasis_int16: x[i] - x[i-1] * alpha, in double with alpha a float32;
        # the sample before the first frame counts as 0
        np.multiply(raw[:k], PRE_EMPHASIS, out=y[:k])
        np.subtract(raw[1:k + 1], y[:k], out=y[:k])
        y[k:] = 0.0             # the tail frame (and a short utterance) is zero-padded
        frames = np.lib.stride_tricks.as_strided(
            y, shape=(b - a, FRAME_SIZE), strides=(FRAME_SHIFT * y.strides[0], y.strides[0]))
        np.multiply(frames, HAMMING, out=win[:b - a, :FRAME_SIZE])
        # re and im interleaved: re^2 and im^2 both go through the filter weights
        spec = np.fft.rfft(win[:b - a], axis=1).view(np.float64)[:, :2 * MEL_BINS]
        np.square(spec, out=spec)
        np.matmul(spec, _MEL_FILTERS_REIM, out=out[a:b])
    return out


def _noise_pass(z, peak, dk, bx, init):
    """``run(compare)``: one pass of fe_remove_noise's recursion over chunks side by side.

    Arrays are indexed [step, ..., chunk, filter] (see :func:`_noise_recursion`);
    ``init`` (4, K, F) holds power, noise, floor and peak before each chunk. With
    ``compare`` a pass stops as soon as every chunk's state equals the one already in
    the arrays at the same step (the rest would be computed again identically). The
    views and constants are made once, for all passes.
    """
    size, k, nf = bx.shape
    add, sub, mul, maximum = np.add, np.subtract, np.multiply, np.maximum
    # constants as whole arrays (faster than scalars in these small operations)
    one, lam_p, lam_t = (np.full((k, nf), c) for c in (1.0, LAMBDA_POWER, LAMBDA_T))
    one2, lam_a, lam_b = (np.full((2, k, nf), c) for c in (1.0, LAMBDA_A, LAMBDA_B))
    diff = np.empty((2, k, nf), np.float64)
    coef = np.empty((2, 2, k, nf), np.float64)          # weights of [old, new] value
    prod = np.empty((2, 2, k, nf), np.float64)
    (c_old, c_new), (p_old, p_new) = coef, prod
    saved = np.empty((2, 2, k, nf), np.float64), np.empty((k, nf)), np.empty((k, nf))
    last = size - 1
    steps = [(t, z[t], z[t, 1], z[t, 0], z[t, 1, 0], z[t - 1, 1, 0] if t else init[0],
              bx[min(t, last)], z[t + 1, 0], z[t + 1, 0, 0], z[t + 1, 1, 1],
              peak[t], dk[min(t, last)], peak[min(t + 1, size)]) for t in range(size + 1)]

    def run(compare: bool) -> None:
        z[0, 0, 0] = init[1]                            # noise[-1]
        peak[0] = init[3]                               # peak[-1]
        for t, zt, new, old, pt, p0, bxt, env, nt, sig, pk0, dkt, pk1 in steps:
            check = compare and t % MERGE_CHECK == MERGE_CHECK - 1 and t < size
            if check:
                np.copyto(saved[0], env)
                np.copyto(saved[1], pt)
                np.copyto(saved[2], pk1)
            if t < size:                                # smoothed power
                mul(p0, lam_p, pt)
                add(pt, bxt, pt)
            # fe_lower_envelope of both: weights LAMBDA_A, 1 - LAMBDA_A where the new
            # value is >= the old one (new - old has no sign bit), else LAMBDA_B,
            # 1 - LAMBDA_B; 1 - x in double, as the C code computes its complements
            sub(new, old, diff)
            np.copysign(lam_a, diff, c_old)
            maximum(c_old, lam_b, c_old)
            sub(one2, c_old, c_new)
            mul(zt, coef, prod)
            add(p_old, p_new, env)
            if t == 0:
                z[1, 0, 1] = init[2]                    # floor[-1]
            if t == size:
                return
            sub(pt, nt, sig)                            # signal: power - noise, at least 1
            maximum(sig, one, sig)
            mul(pk0, lam_t, dkt)                        # fe_temp_masking's peak
            maximum(dkt, sig, pk1)
            if check and not ((saved[0] != env).any() or (saved[1] != pt).any()
                              or (saved[2] != pk1).any()):
                return

    return run


def _noise_recursion(xs: np.ndarray, start: np.ndarray) -> tuple:
    """fe_remove_noise's recursion over frames, exactly, chunks side by side.

    ``xs`` (L, K, F): the mel spectra cut into K chunks of L frames, [step, chunk,
    filter]; ``start``: (4, F) power, noise, floor, peak before the first frame.
    Returns ``(z, peak, dk)``: ``z`` (L + 2, 2, 2, K, F) holds, at step t,
    ``z[t, 0] = (noise[t-1], floor[t-2])`` and ``z[t, 1] = (power[t], signal[t-1])``
    (signal = power - noise, at least 1); ``peak`` (L + 1, K, F) has peak[t-1] at [t];
    ``dk`` (L, K, F) the decayed peak fe_temp_masking compares the signal with. With
    that layout the two lower envelopes (noise of the power; floor of the signal, one
    frame behind) take the same few array operations per step.

    Every chunk is computed from a start state, at first a guess, then again whenever
    the previous chunk's end state differs from it, until none does: every value is
    then the one the frame-by-frame recursion computes, operation for operation as in
    fe_noise.c (in double). The noise state forgets its past: trajectories started
    from different states become identical, bit for bit, within some hundreds of frames
    (about 300 in clean speech, 700 and more in noisy speech), so a few passes over all
    chunks side by side do (4 for clean speech, 12 at 0 dB SNR). Where they do not
    within PARALLEL_ROUNDS passes (a level that never drops: a steady tone, digital
    silence), the remaining chunks are computed one after another, about as fast as a
    plain frame-by-frame loop (a minute of that takes about 0.1 s).
    """
    size, k, nf = xs.shape
    bx = xs * COMP_LAMBDA_POWER
    z = np.ones((size + 2, 2, 2, k, nf), np.float64)
    peak = np.empty((size + 1, k, nf), np.float64)
    dk = np.empty((size, k, nf), np.float64)
    # first guess for the chunks after the first: the fresh-start rule on their first frame
    init = np.stack([xs[0], xs[0] / MAX_GAIN, xs[0] / MAX_GAIN, np.zeros_like(xs[0])])
    init[:, 0] = start
    run_all = _noise_pass(z, peak, dk, bx, init)
    stale = np.ones(k, bool)                            # not computed from their start state
    rounds = 0
    while stale.any():
        if rounds < PARALLEL_ROUNDS:
            run_all(rounds > 0)
            stale[:] = False
        else:                                           # the first stale chunk alone
            c = int(np.flatnonzero(stale)[0])
            one = slice(c, c + 1)
            zc, pc, dc = z[..., one, :].copy(), peak[:, one].copy(), dk[:, one].copy()
            _noise_pass(zc, pc, dc, bx[:, one].copy(), init[:, one].copy())(True)
            z[..., one, :], peak[:, one], dk[:, one] = zc, pc, dc
            stale[c] = False
        rounds += 1
        end = np.stack([z[size - 1, 1, 0], z[size, 0, 0], z[size + 1, 0, 1], peak[size]])
        changed = (end[:, :-1] != init[:, 1:]).any(axis=(0, 2))
        init[:, 1:][:, changed] = end[:, :-1][:, changed]
        stale[1:] |= changed
    return z, peak, dk


def _log_mel(mfspec: np.ndarray, state=None) -> tuple:
    """fe_remove_noise and the log: ``(log mel spectra (25, n_frames), state)``.

    The recursion over frames runs in chunks of NOISE_CHUNK frames side by side
    (:func:`_noise_recursion`); its output (temporal masking, signal floor, gain, gain
    smoothing over the filters) is computed for all frames at once.

    ``state``: (4, N_FILTERS) power, noise, floor and peak carried from an earlier
    utterance; None for a fresh front end (pocketsphinx's "undefined" start: the first
    frame's spectrum as power, a twentieth of it as noise and floor, peak 0). The
    returned state is the one after the last frame.
    """
    n, nf = mfspec.shape
    if state is None:
        state = np.stack([mfspec[0], mfspec[0] / MAX_GAIN, mfspec[0] / MAX_GAIN,
                          np.zeros(nf)])
    size = min(NOISE_CHUNK, n)
    k = -(-n // size)
    xs = np.empty((k * size, nf), np.float64)
    xs[:n] = mfspec
    xs[n:] = mfspec[-1]                                 # padding after the end, never used
    xs = np.ascontiguousarray(xs.reshape(k, size, nf).transpose(1, 0, 2))  # [step, chunk, filter]
    z, peak, dk = _noise_recursion(xs, state)
    step, chunk = (n - 1) % size, (n - 1) // size       # the last frame
    state = np.stack([z[step, 1, 0, chunk], z[step + 1, 0, 0, chunk],
                      z[step + 2, 0, 1, chunk], peak[step + 1, chunk]])
    # fe_temp_masking's output, the floor, the gain (fe_remove_noise), vectorised
    p, s, fl = z[:size, 1, 0], z[1:size + 1, 1, 1], z[2:, 0, 1]
    sig = np.where(s < LAMBDA_T * dk, dk * MU_T, s)
    sig = np.where(sig < fl, fl, sig)
    with np.errstate(divide="ignore", invalid="ignore"):   # sig / p is only used where p > 0
        gain = np.where(sig < MAX_GAIN * p, sig / p, MAX_GAIN)
    gain = np.where(gain < INV_MAX_GAIN, INV_MAX_GAIN, gain)
    # fe_weight_smooth: sum of the gains j = lo..hi in that order, from 0 (zero padding
    # outside the filters adds exact zeros first)
    padded = np.zeros((size, k, nf + 2 * SMOOTH_WINDOW), np.float64)
    padded[..., SMOOTH_WINDOW:SMOOTH_WINDOW + nf] = gain
    smooth = np.zeros_like(xs)
    for d in range(2 * SMOOTH_WINDOW + 1):
        smooth += padded[..., d:d + nf]
    smooth /= SMOOTH_COUNT
    smooth *= xs
    smooth += LOG_FLOOR
    logspec = np.log(smooth, out=smooth)                # fe_mel_cep: log(mfspec + 1e-4)
    return logspec.transpose(2, 1, 0).reshape(nf, k * size)[:, :n], state


def _dct(logspec: np.ndarray) -> np.ndarray:
    """fe_dct2 + fe_lifter of (25, n) log spectra: (n, 13) float32.

    Each partial sum is rounded to float32, one filter at a time, as the C loop stores
    them (``mfcep[i] += mflogspec[j] * mel_cosine[i][j]`` into a float32).
    """
    acc = np.zeros((N_CEP, logspec.shape[1]), np.float32)
    prod = np.empty(acc.shape, np.float64)
    for j in range(N_FILTERS):
        np.multiply(DCT_COS[:, j, None], logspec[j], out=prod)
        np.add(acc, prod, out=acc, casting="unsafe")    # double sum stored to float32
    acc *= DCT_SCALE[:, None]
    acc *= LIFTER_WEIGHTS[:, None]
    return np.ascontiguousarray(acc.T)


def _cepstra(pcm, state=None) -> tuple:
    """:func:`cepstra` with the noise statistics in and out: ``(cepstra, state)``.

    ``state`` None is a fresh front end; passing the state an earlier call returned
    gives the cepstra of a pocketsphinx front end that processed that audio before.
    """
    x = _as_int16(pcm)
    if len(x) == 0:
        return np.zeros((0, N_CEP), np.float32), state
    logspec, state = _log_mel(_mel_spectra(x), state)
    return _dct(logspec), state


def cepstra(pcm) -> np.ndarray:
    """MFCCs of a whole utterance, as pocketsphinx 5.1.1 computes them.

    Parameters
    ----------
    pcm : np.ndarray or bytes
        16 kHz mono samples: int16 (or the little-endian bytes ``process_raw`` takes),
        or numbers on the int16 scale, clipped to it and converted like
        ``astype(np.int16)`` (floats truncated toward zero) into what pocketsphinx
        would be given.

    Returns
    -------
    np.ndarray
        (n_frames, 13) float32: the cepstra ``process_raw(pcm, full_utt=True)`` computes
        on a fresh decoder (noise statistics not yet adapted to earlier audio); feed them
        to ``Decoder.process_cep(cep.tobytes(), full_utt=True)`` to decode the same.
        ``n_frames`` is :func:`n_frames` of the sample count.
    """
    return _cepstra(pcm)[0]


def features(cep) -> np.ndarray:
    """The 39-dimensional features pocketsphinx's acoustic model scores.

    Parameters
    ----------
    cep : np.ndarray
        (n_frames, 13) cepstra of a whole utterance (:func:`cepstra`).

    Returns
    -------
    np.ndarray
        (n_frames, 39) float32: batch-CMN cepstra, deltas and double deltas (streams
        0-12, 13-25, 26-38), as ``feat_s2mfc2feat_live`` computes them for a full
        utterance. The mean is the float32 running sum over the frames whose c0 is not
        negative, divided by their count (NaN when there are none, as in pocketsphinx).
    """
    c = np.array(cep, dtype=np.float32).reshape(-1, N_CEP)
    n = len(c)
    if n == 0:
        return np.zeros((0, 3 * N_CEP), np.float32)
    keep = ~(c[:, 0] < 0)                               # cmn(): skip frames with c0 < 0
    total = (np.add.accumulate(c[keep], axis=0)[-1] if keep.any()
             else np.zeros(N_CEP, np.float32))          # sequential float32 sum
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / np.float32(keep.sum())
    c -= mean
    pad = np.concatenate([np.repeat(c[:1], FEAT_PAD, axis=0), c,
                          np.repeat(c[-1:], FEAT_PAD, axis=0)])

    def at(offset):                                     # c(t + offset) for every frame t
        return pad[FEAT_PAD + offset:FEAT_PAD + offset + n]

    delta = at(DELTA_WIN) - at(-DELTA_WIN)
    ddelta = (at(DELTA_WIN + 1) - at(-DELTA_WIN + 1)) - (at(DELTA_WIN - 1) - at(-DELTA_WIN - 1))
    return np.concatenate([c, delta, ddelta], axis=1)
