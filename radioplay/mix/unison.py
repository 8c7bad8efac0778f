"""Unison word by word: one take warped onto another so that the same words start together.

Two voices saying the same words differ in tempo inside the sentence, not only in length, so a
uniform stretch leaves them hundreds of milliseconds apart in the middle. Here:

1. Both takes become frames of cepstral features (log-mel energies, DCT, each coefficient
   normalized over the take: the voice's timbre cancels, the phonetic sequence stays), 10 ms apart.
2. Dynamic time warping finds the cheapest monotonic path between the two frame sequences.
3. The reference's pauses between words, and the energy dips of its running speech, are the cut
   points; each is mapped through the path into the other take and moved to the nearest pause or
   dip there (else its quietest frame nearby), so no cut falls mid-phoneme; where the other voice
   runs on through a pause of the reference, it is given the same silence.
4. Each piece of the other take is time-stretched (Rubber Band, pitch kept) to the length of the
   matching piece of the reference, and the pieces are joined with short crossfades.
"""

from __future__ import annotations

import numpy as np

from radioplay.mix.dsp import stretch_to_length

HOP_SECONDS = 0.01
WINDOW_SECONDS = 0.025
MEL_BANDS = 40
CEPSTRA = 13
PAUSE_BELOW_SPEECH_DB = 25.0
"""A frame this far under the take's loud frames (90th percentile energy) is a pause."""
MIN_PIECE_SECONDS = 0.015
"""Cuts closer than this are dropped: a piece must be long enough to stretch cleanly."""
SNAP_SECONDS = 0.08
"""How far from the mapped point the cut may move in the warped take, to its quietest frame."""
CROSSFADE_SECONDS = 0.005


def _mel_filters(rate: int, n_fft: int, bands: int) -> np.ndarray:
    def mel(hz):
        return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)

    def hz(m):
        return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(60.0), mel(min(7600.0, rate / 2)), bands + 2))
    bins = np.fft.rfftfreq(n_fft, 1.0 / rate)
    filters = np.zeros((bands, bins.size))
    for b in range(bands):
        low, centre, high = edges[b], edges[b + 1], edges[b + 2]
        rising = (bins - low) / (centre - low)
        falling = (high - bins) / (high - centre)
        filters[b] = np.maximum(0.0, np.minimum(rising, falling))
    return filters


def frame_features(samples: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(frames, CEPSTRA) normalized cepstra and (frames,) energy in dB, one frame per HOP_SECONDS."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    hop = int(round(HOP_SECONDS * rate))
    window = int(round(WINDOW_SECONDS * rate))
    n_fft = 1 << int(np.ceil(np.log2(window)))
    frames = max(1, -(-len(x) // hop))
    padded = np.concatenate([np.zeros(window // 2), x, np.zeros(window + hop)])
    index = np.arange(frames)[:, None] * hop + np.arange(window)[None, :]
    chunks = padded[index] * np.hanning(window)
    power = np.abs(np.fft.rfft(chunks, n_fft, axis=1)) ** 2
    energy_db = 10.0 * np.log10(power.sum(axis=1) + 1e-12)
    log_mel = np.log(power @ _mel_filters(rate, n_fft, MEL_BANDS).T + 1e-10)
    k = np.arange(MEL_BANDS)
    dct = np.cos(np.pi / MEL_BANDS * (k[None, :] + 0.5) * np.arange(1, CEPSTRA + 1)[:, None])
    cepstra = log_mel @ dct.T
    # the frame's level (floored 50 dB under the take's loudest frames) tells pauses from speech
    level = np.maximum(energy_db, energy_db.max() - 50.0)[:, None]
    features = np.hstack([cepstra, level, np.gradient(cepstra, axis=0)])
    features = (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-8)
    return features, energy_db


def dtw_path(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(k, 2) frame pairs of the cheapest monotonic path from (0, 0) to (len(a)-1, len(b)-1),
    Euclidean frame distance, steps (1,0), (0,1), (1,1); computed one anti-diagonal at a time."""
    n, m = len(a), len(b)
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    total = np.full((n + 1, m + 1), np.inf)
    total[0, 0] = 0.0
    for d in range(2, n + m + 1):  # cells (i, j) with i + j = d, 1-based
        i = np.arange(max(1, d - m), min(n, d - 1) + 1)
        j = d - i
        best = np.minimum(np.minimum(total[i - 1, j - 1], total[i - 1, j]), total[i, j - 1])
        total[i, j] = cost[i - 1, j - 1] + best
    path = [(n - 1, m - 1)]
    i, j = n, m
    while (i, j) != (1, 1):
        steps = ((i - 1, j - 1), (i - 1, j), (i, j - 1))
        i, j = min((s for s in steps if s[0] >= 1 and s[1] >= 1), key=lambda s: total[s])
        path.append((i - 1, j - 1))
    return np.array(path[::-1])


def mapped_frames(path: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """For frames of the first sequence, the mean matching frame of the second along the path."""
    out = np.empty(len(frames))
    for n, f in enumerate(frames):
        out[n] = path[path[:, 0] == f, 1].mean()
    return out


ENVELOPE_SECONDS = 0.005
MIN_PAUSE_SECONDS = 0.03
GUARD_SECONDS = 0.005
"""Cuts sit this far inside a pause from the word next to it."""


def loud_samples(samples: np.ndarray, rate: int) -> np.ndarray:
    """Per sample, whether its 5 ms RMS is within PAUSE_BELOW_SPEECH_DB of the take's speech
    level (the 90th percentile)."""
    x = np.asarray(samples, dtype=np.float64)
    width = max(1, int(round(ENVELOPE_SECONDS * rate)))
    if len(x) < width:
        return np.zeros(len(x), dtype=bool)
    power = np.convolve(x * x, np.ones(width) / width, mode="same")
    level = 10.0 * np.log10(power + 1e-12)
    return level >= np.percentile(level, 90) - PAUSE_BELOW_SPEECH_DB


def pauses(samples: np.ndarray, rate: int) -> list[tuple[int, int]]:
    """(first, end) samples of each pause inside the speech: quiet runs (`loud_samples`) of at
    least MIN_PAUSE_SECONDS."""
    loud = loud_samples(samples, rate)
    if not loud.any():
        return []
    edges = np.flatnonzero(np.diff(loud.astype(np.int8)))
    out = []
    falls = edges[loud[edges]] + 1  # first quiet sample after speech
    rises = edges[~loud[edges]] + 1  # first loud sample after a pause
    for first in falls:
        later = rises[rises > first]
        if later.size and later[0] - first >= MIN_PAUSE_SECONDS * rate:
            out.append((int(first), int(later[0])))
    return out


DIP_DB = 6.0
"""A dip between syllables in running speech: this far under the loudest frame within DIP_REACH."""
DIP_REACH_SECONDS = 0.1


def dips(energy_db: np.ndarray, loud_first: int, loud_end: int, rate: int) -> list[int]:
    """Samples (frame centres) of the energy dips inside running speech where words and
    syllables join without a pause: local minima of the frame energy DIP_DB under the loudest
    frame within DIP_REACH_SECONDS on each side."""
    hop = HOP_SECONDS * rate
    reach = int(round(DIP_REACH_SECONDS / HOP_SECONDS))
    e = energy_db
    out = []
    for f in range(max(1, reach), len(e) - max(1, reach)):
        if not (e[f] <= e[f - 1] and e[f] < e[f + 1]):
            continue
        if min(e[f - reach:f].max(), e[f + 1:f + reach + 1].max()) - e[f] < DIP_DB:
            continue
        position = int(round(f * hop))
        if loud_first < position < loud_end:
            out.append(position)
    return out


def speech_span(samples: np.ndarray, rate: int) -> tuple[int, int]:
    """(first, end) of the loud samples (`loud_samples`); the whole take when none is loud."""
    loud = np.flatnonzero(loud_samples(samples, rate))
    return (int(loud[0]), int(loud[-1]) + 1) if loud.size else (0, len(samples))


def cut_points(pause_list: list[tuple[int, int]], rate: int) -> list[tuple[int, str]]:
    """(sample, kind) cuts in pauses: just after a word ends ("end") and just before the next
    begins ("start"); a pause too short for both gets only the "start" cut."""
    guard = int(round(GUARD_SECONDS * rate))
    cuts = []
    for first, end in pause_list:
        if end - first >= 4 * guard:
            cuts.append((first + guard, "end"))
        cuts.append((end - guard, "start"))
    return cuts


def all_cuts(samples: np.ndarray, energy_db: np.ndarray, first: int, end: int, rate: int
             ) -> list[tuple[int, str]]:
    """Every place a take may be cut, in order: in its pauses, and at the dips of running speech
    that are not next to a pause."""
    cuts = cut_points(pauses(samples, rate), rate)
    apart = DIP_REACH_SECONDS * rate
    cuts += [(d, "dip") for d in dips(energy_db, first, end, rate) if all(abs(d - c) > apart for c, _ in cuts)]
    return sorted(cuts)


def warp_onto(reference: np.ndarray, other: np.ndarray, rate: int) -> np.ndarray:
    """`other` (mono) warped piecewise, pitch kept, so that its words fall where the same words
    fall in `reference`; the result has len(reference) samples."""
    ref_features, ref_energy = frame_features(reference, rate)
    other_features, other_energy = frame_features(other, rate)
    path = dtw_path(ref_features, other_features)
    hop = HOP_SECONDS * rate
    snap = SNAP_SECONDS * rate
    least = int(round(MIN_PIECE_SECONDS * rate))
    guard = int(round(GUARD_SECONDS * rate))
    (ref_first, ref_end), (other_first, other_end) = speech_span(reference, rate), speech_span(other, rate)
    ref_cuts = all_cuts(reference, ref_energy, ref_first, ref_end, rate)
    other_cuts = all_cuts(other, other_energy, other_first, other_end, rate)
    # the speech starts and ends together, whatever silence or breath each take has around it
    lead = min(guard, ref_first, other_first)
    ref_points, other_points = [0, ref_first - lead], [0, other_first - lead]
    if ref_cuts:
        mapped = mapped_frames(path, np.array([round(c / hop) for c, _ in ref_cuts])) * hop
        previous_kind = ""
        for (cut, kind), target in zip(ref_cuts, mapped):
            # the same kind of place in the other voice, else where its running speech dips
            near = ([c for c, k in other_cuts if k == kind and abs(c - target) <= snap]
                    or [c for c, k in other_cuts if k == "dip" and abs(c - target) <= snap])
            if near:
                chosen = min(near, key=lambda c: abs(c - target))
            else:  # no pause and no dip there: its quietest frame nearby
                lo = max(int(round((target - snap) / hop)), 0)
                hi = min(int(round((target + snap) / hop)) + 1, other_energy.size)
                if hi <= lo:
                    continue
                chosen = int(round((lo + int(np.argmin(other_energy[lo:hi]))) * hop))
            # where the other voice runs on through the reference's pause, it pauses too:
            # the pause's two cuts meet at one point of it, and the piece between is silence
            pause_here = kind == "start" and previous_kind == "end" and chosen == other_points[-1]
            if (cut - ref_points[-1] >= least and (chosen - other_points[-1] >= least or pause_here)
                    and ref_end - cut >= least and other_end - chosen >= least):
                ref_points.append(cut)
                other_points.append(chosen)
                previous_kind = kind
    tail = min(guard, len(reference) - ref_end, len(other) - other_end)
    ref_points += [ref_end + tail, len(reference)]
    other_points += [other_end + tail, len(other)]
    return stretch_pieces(other, rate, other_points, ref_points, int(round(CROSSFADE_SECONDS * rate)))


def stretch_pieces(source: np.ndarray, rate: int, source_points: list[int], target_points: list[int],
                   fade: int) -> np.ndarray:
    """`source` cut at `source_points` (starting 0, ending len(source)), each piece time-stretched
    (pitch kept) to span the matching interval of `target_points`, overlapped and joined with a
    linear crossfade of `fade` samples: each piece but the last runs on `fade` samples past its
    end (stretched from the source that follows it), fading out while the next fades in."""
    out = np.zeros(target_points[-1], dtype=np.float32)
    last = len(target_points) - 2
    for k in range(last + 1):
        s0, s1 = source_points[k], source_points[k + 1]
        t0, t1 = target_points[k], target_points[k + 1]
        if t1 <= t0:
            continue  # nothing of the target here (a take with no silence before its speech)
        extra = fade if k < last else 0
        source_extra = int(round(extra * (s1 - s0) / max(t1 - t0, 1)))
        # no source here: the other take had no silence where the reference has some
        piece = (stretch_to_length(source[s0:min(s1 + source_extra, len(source))], rate, t1 - t0 + extra)
                 if s1 > s0 else np.zeros(t1 - t0 + extra, dtype=np.float32))
        window = np.ones(len(piece), dtype=np.float32)
        if k > 0 and fade:
            head = min(fade, len(piece))
            window[:head] = np.linspace(0.0, 1.0, head + 2, dtype=np.float32)[1:-1]
        if extra:
            window[len(piece) - extra:] *= np.linspace(1.0, 0.0, extra + 2, dtype=np.float32)[1:-1]
        stop = min(t0 + len(piece), len(out))
        out[t0:stop] += piece[:stop - t0] * window[:stop - t0]
    return out


def onset_offsets(reference: np.ndarray, other: np.ndarray, rate: int) -> np.ndarray:
    """Seconds by which `other` lags `reference` at each word onset of the reference (the first
    loud frame after each pause, and the first of all), mapped through a DTW path."""
    ref_features, ref_energy = frame_features(reference, rate)
    other_features, _ = frame_features(other, rate)
    path = dtw_path(ref_features, other_features)
    speech = np.percentile(ref_energy, 90)
    loud = ref_energy >= speech - PAUSE_BELOW_SPEECH_DB
    onsets = np.flatnonzero(loud[1:] & ~loud[:-1]) + 1
    if loud[0]:
        onsets = np.r_[0, onsets]
    if onsets.size == 0:
        return np.empty(0)
    return (mapped_frames(path, onsets) - onsets) * HOP_SECONDS
