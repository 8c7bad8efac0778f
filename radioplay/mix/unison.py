"""Unison word by word: the takes of voices saying the same words warped onto one timing, the
mean of theirs, so that the same words start together.

Two voices saying the same words differ in tempo inside the sentence, not only in length, so a
uniform stretch leaves them hundreds of milliseconds apart in the middle. Here:

1. Every take becomes frames of cepstral features (log-mel energies, DCT, each coefficient
   normalized over the take: the voice's timbre cancels, the phonetic sequence stays), 10 ms apart.
2. Dynamic time warping finds the cheapest monotonic path from the first voice's frames to each
   other's, over their speech (first to last loud frame): the silences the engines leave around
   it differ, and matching them bends the path.
3. The anchors: each pause between words in any voice (a pause of the line, found in the other
   voices along the paths: their own pause there, else a dip of their running speech, else their
   quietest frame nearby), and the energy dips of the first voice's running speech; none falls
   mid-phoneme, and one that would make a stretch of speech far longer in one voice than in
   another (MAX_TEMPO_SPREAD) is taken for a mismatch and dropped.
4. The timing: each stretch of speech between anchors lasts the geometric mean of its lengths in
   the voices, each pause the mean of theirs. Speech is time-stretched (Rubber Band, pitch kept);
   pauses are not stretched but cut short or filled out with silence. The pieces join with short
   crossfades. Each stretch of speech is stretched with PREROLL_SECONDS of what comes before it,
   then cut off again: started cold on a word's onset, Rubber Band made Kokoro's drawn-out
   "Then" one that tiny.en heard as "but then".
"""

from __future__ import annotations

from typing import Callable

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
PREROLL_SECONDS = 0.05
"""Source before a stretched piece that Rubber Band starts on and the piece then drops."""


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


def speech_dips(energy_db: np.ndarray, first: int, end: int, pause_list: list[tuple[int, int]], rate: int
                ) -> list[int]:
    """The dips of running speech (`dips`) that lie in no pause and not next to one."""
    apart = DIP_REACH_SECONDS * rate
    return [d for d in dips(energy_db, first, end, rate)
            if all(d < a - apart or d > b + apart for a, b in pause_list)]


MAX_TEMPO_SPREAD = 2.5
"""An anchor is dropped where the speech since the previous one would last more than this many
times longer in one voice than in another: the same words are not said at such different tempi,
so the anchor is a mismatch (a dip of one word taken for another's)."""
SLOT_REACH_SECONDS = 0.05
"""Pauses of two voices are one pause of the line when, mapped onto the first voice's time, they
overlap or lie this close."""


class _Voice:
    """One take and what the aligner reads in it: features, speech span, pauses, dips."""

    def __init__(self, samples: np.ndarray, rate: int):
        self.samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        self.features, self.energy = frame_features(self.samples, rate)
        self.first, self.end = speech_span(self.samples, rate)
        self.pauses = pauses(self.samples, rate)
        self.dips = speech_dips(self.energy, self.first, self.end, self.pauses, rate)

    def speech_frames(self, rate: int) -> tuple[int, int]:
        """(first, end) frames of the speech span, at least one frame."""
        hop = HOP_SECONDS * rate
        first = min(int(self.first // hop), len(self.features) - 1)
        return first, min(max(int(-(-self.end // hop)), first + 1), len(self.features))

    def snap(self, target: float, rate: int) -> int | None:
        """The cut nearest `target` (a sample) in running speech: a dip within SNAP_SECONDS, else
        the quietest frame there."""
        snap = SNAP_SECONDS * rate
        near = [d for d in self.dips if abs(d - target) <= snap]
        if near:
            return min(near, key=lambda d: abs(d - target))
        hop = HOP_SECONDS * rate
        lo = max(int(round((target - snap) / hop)), 0)
        hi = min(int(round((target + snap) / hop)) + 1, self.energy.size)
        if hi <= lo:
            return None
        return int(round((lo + int(np.argmin(self.energy[lo:hi]))) * hop))


def _anchors(voices: list[_Voice], rate: int) -> list[list[tuple[int, int]]]:
    """Per anchor, per voice, the (end of speech, start of speech) samples around one pause of the
    line (equal where that voice runs on without pausing), in order. A pause of any voice is a pause
    of the line; the first voice's dips in running speech are anchors too (a pause of no length).
    Positions move between voices along DTW paths from the first voice."""
    hop = HOP_SECONDS * rate
    guard = int(round(GUARD_SECONDS * rate))
    spans = [v.speech_frames(rate) for v in voices]
    (first0, end0) = spans[0]
    # the paths run from speech start to speech end: the engines' silences around the speech differ
    # (Kokoro leads with half a second), and matching them bends the path near the ends
    paths = [None] + [dtw_path(voices[0].features[first0:end0], v.features[first:end]) + [first0, first]
                      for v, (first, end) in zip(voices[1:], spans[1:])]

    def to_first(v: int, samples: list[float]) -> np.ndarray:
        frames = np.array([round(x / hop) for x in samples])
        if v == 0:
            return frames * hop
        frames = np.clip(frames, spans[v][0], spans[v][1] - 1)
        return mapped_frames(paths[v][:, ::-1], frames) * hop

    def from_first(v: int, sample: float) -> float:
        if v == 0:
            return sample
        frame = min(max(int(round(sample / hop)), first0), end0 - 1)
        return float(mapped_frames(paths[v], np.array([frame]))[0] * hop)

    # every voice's pauses on the first voice's time, grouped into the line's pauses
    mapped = sorted((*to_first(v, [a, b]), v, a, b) for v, voice in enumerate(voices) for a, b in voice.pauses)
    slots: list[dict] = []
    reach = SLOT_REACH_SECONDS * rate
    for lo, hi, v, a, b in mapped:
        slot = slots[-1] if slots else None
        if slot is None or lo > slot["hi"] + reach or v in slot["voices"]:
            slot = {"lo": lo, "hi": hi, "voices": {}}
            slots.append(slot)
        slot["hi"] = max(slot["hi"], hi)
        slot["voices"][v] = (a + guard, b - guard)
    candidates = []
    for slot in slots:
        middle = (slot["lo"] + slot["hi"]) / 2
        cut = []
        for v, voice in enumerate(voices):
            if v in slot["voices"]:
                cut.append(slot["voices"][v])
            else:
                point = voice.snap(from_first(v, middle), rate)
                if point is None:
                    break
                cut.append((point, point))
        else:
            candidates.append((middle, cut))
    apart = DIP_REACH_SECONDS * rate
    for dip in voices[0].dips:
        if any(slot["lo"] - apart <= dip <= slot["hi"] + apart for slot in slots):
            continue
        points = [dip] + [voice.snap(from_first(v, dip), rate) for v, voice in enumerate(voices) if v]
        if None not in points:
            candidates.append((float(dip), [(p, p) for p in points]))
    return accepted_anchors([cut for _, cut in sorted(candidates, key=lambda c: c[0])],
                            [v.first for v in voices], [v.end for v in voices], rate)


def accepted_anchors(candidates: list[list[tuple[int, int]]], firsts: list[int], ends: list[int], rate: int
                     ) -> list[list[tuple[int, int]]]:
    """The candidate anchors (in order; per voice an (end of speech, start of speech) pair) that
    leave every voice at least MIN_PIECE_SECONDS of speech before and after them, keep the order of
    its words, and make no stretch of speech since the previous anchor last more than
    MAX_TEMPO_SPREAD times longer in one voice than in another. `firsts` and `ends` bound each
    voice's speech."""
    least = int(round(MIN_PIECE_SECONDS * rate))
    anchors: list[list[tuple[int, int]]] = []
    last = list(firsts)
    for cut in candidates:
        spoken = [a - previous for (a, _), previous in zip(cut, last)]
        if (all(a - previous >= least and b >= a and end - b >= least
                for (a, b), previous, end in zip(cut, last, ends))
                and max(spoken) <= MAX_TEMPO_SPREAD * min(spoken)):
            anchors.append(cut)
            last = [b for _, b in cut]
    return anchors


SPEECH, PAUSE, LEAD = "speech", "pause", "lead"


def warp_together(takes: list[np.ndarray], rate: int, weights: list[float] | None = None) -> list[np.ndarray]:
    """`warp_together_timed` without the time maps."""
    return warp_together_timed(takes, rate, weights)[0]


def warp_together_timed(takes: list[np.ndarray], rate: int, weights: list[float] | None = None
                        ) -> tuple[list[np.ndarray], list[Callable[[float], float]]]:
    """The takes (mono) of voices saying the same words, each warped piecewise (pitch kept) onto one
    timing, so that the same words start together; all results have the same length.

    The timing is the weighted mean of the voices' (`weights`, default equal): each stretch of
    speech between two anchors lasts the weighted geometric mean of its lengths in the voices (a
    voice twice as fast as another meets it half way, each warped by the same ratio), each pause
    the weighted mean of the voices' pauses there. Pauses are not stretched: a voice pauses as long
    as it did, then is silent, or is cut short with a fade; no voice drawls a breath to fill
    another's pause."""
    if weights is None:
        weights = [1.0] * len(takes)
    w = np.asarray(weights, dtype=np.float64) / float(np.sum(weights))
    voices = [_Voice(t, rate) for t in takes]
    guard = int(round(GUARD_SECONDS * rate))
    lead = min([guard] + [v.first for v in voices])
    tail = min([guard] + [len(v.samples) - v.end for v in voices])
    points = [[0, v.first - lead] for v in voices]
    kinds = [LEAD]
    for cut in _anchors(voices, rate):
        for voice_points, (a, b) in zip(points, cut):
            voice_points += [a, b]
        kinds += [SPEECH, PAUSE]
    for voice_points, v in zip(points, voices):
        voice_points += [v.end + tail, len(v.samples)]
    kinds += [SPEECH, PAUSE]
    lengths = np.diff(np.array(points, dtype=np.float64), axis=1)  # (voices, pieces)
    target = np.empty(lengths.shape[1])
    for k, kind in enumerate(kinds):
        if kind == SPEECH:
            target[k] = np.exp(np.sum(w * np.log(np.maximum(lengths[:, k], 1.0))))
        else:
            target[k] = np.sum(w * lengths[:, k])
    target_points = [0] + [int(round(x)) for x in np.cumsum(target)]
    fade = int(round(CROSSFADE_SECONDS * rate))
    return ([join_pieces(v.samples, rate, p, target_points, kinds, fade) for v, p in zip(voices, points)],
            [time_map(p, target_points, kinds) for p in points])


def time_map(source_points: list[int], target_points: list[int], kinds: list[str]) -> Callable[[float], float]:
    """Where a time (in samples) of a take lands once `join_pieces` has made it: proportionally
    inside a stretched SPEECH piece; unmoved from a PAUSE piece's start (from a LEAD piece's end),
    as far as the piece reaches."""
    def moved(x: float) -> float:
        k = min(max(int(np.searchsorted(source_points, x, side="right")) - 1, 0), len(kinds) - 1)
        s0, s1, t0, t1 = source_points[k], source_points[k + 1], target_points[k], target_points[k + 1]
        if kinds[k] == SPEECH:
            return t0 + (x - s0) * (t1 - t0) / max(s1 - s0, 1)
        if kinds[k] == LEAD:
            return max(t0, t1 - (s1 - x))
        return min(t1, t0 + (x - s0))

    return moved


def warp_onto(reference: np.ndarray, other: np.ndarray, rate: int) -> np.ndarray:
    """`other` (mono) warped piecewise, pitch kept, so that its words fall where the same words
    fall in `reference`; the result has len(reference) samples."""
    return warp_together([reference, other], rate, weights=[1.0, 0.0])[1]


def join_pieces(source: np.ndarray, rate: int, source_points: list[int], target_points: list[int],
                kinds: list[str], fade: int) -> np.ndarray:
    """`source` cut at `source_points` (starting 0, ending len(source)), each piece made to span the
    matching interval of `target_points`, overlapped and joined with a linear crossfade of `fade`
    samples: each piece but the last runs on `fade` samples past its end (from the source that
    follows it), fading out while the next fades in. SPEECH pieces are time-stretched (pitch kept,
    with PREROLL_SECONDS of pre-roll); PAUSE pieces keep their start and LEAD pieces their end,
    unstretched, cut short with a fade or filled out with silence."""
    out = np.zeros(target_points[-1], dtype=np.float32)
    last = len(target_points) - 2
    for k in range(last + 1):
        s0, s1 = source_points[k], source_points[k + 1]
        t0, t1 = target_points[k], target_points[k + 1]
        if t1 <= t0:
            continue  # nothing of the target here (a take with no silence before its speech)
        extra = fade if k < last else 0
        span = t1 - t0
        if kinds[k] == SPEECH:
            ratio = span / max(s1 - s0, 1)
            source_extra = int(round(extra / ratio))
            before = min(s0, int(round(PREROLL_SECONDS * rate)))
            lead_in = int(round(before * ratio))
            piece = stretch_to_length(source[s0 - before:min(s1 + source_extra, len(source))], rate,
                                      lead_in + span + extra)[lead_in:]
        else:
            piece = quiet_piece(source, s0, s1, span, extra, fade, keep_end=kinds[k] == LEAD)
        window = np.ones(len(piece), dtype=np.float32)
        if k > 0 and fade:
            head = min(fade, len(piece))
            window[:head] = np.linspace(0.0, 1.0, head + 2, dtype=np.float32)[1:-1]
        if extra:
            window[len(piece) - extra:] *= np.linspace(1.0, 0.0, extra + 2, dtype=np.float32)[1:-1]
        stop = min(t0 + len(piece), len(out))
        out[t0:stop] += piece[:stop - t0] * window[:stop - t0]
    return out


def quiet_piece(source: np.ndarray, s0: int, s1: int, span: int, extra: int, fade: int, keep_end: bool
                ) -> np.ndarray:
    """A pause (or the quiet before the speech) of `span` samples plus `extra` of run-on, from
    source[s0:s1] unstretched: its start (or, `keep_end`, its end and what follows) as far as it
    reaches, faded where it is cut short, silence for the rest."""
    piece = np.zeros(span + extra, dtype=np.float32)
    if keep_end:
        begin = max(s0, s1 - span)
        taken = source[begin:min(s1 + extra, len(source))]
        piece[len(piece) - len(taken):] = taken
        if begin > s0 and fade:  # cut short: fade in what is kept
            n = min(fade, len(taken))
            piece[len(piece) - len(taken):len(piece) - len(taken) + n] *= np.linspace(0.0, 1.0, n, dtype=np.float32)
        return piece
    taken = source[s0:s0 + min(s1 - s0, span)]
    piece[:len(taken)] = taken
    if len(taken) < s1 - s0 and fade:  # cut short: fade out what is kept
        n = min(fade, len(taken))
        piece[len(taken) - n:len(taken)] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
    elif span == s1 - s0:  # the pause as it was: it runs on into what follows, as a stretch would
        run_on = source[s1:min(s1 + extra, len(source))]
        piece[span:span + len(run_on)] = run_on
    return piece


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


BETWEEN_WORDS_SECONDS = 0.08
"""A quiet run this long is a pause between words; shorter ones are also the closures of stops
inside a word ("whi|ch"), where no word begins."""
RESUME_REACH_SECONDS = 0.25
"""How far after a pause a recognized word may start and still be the one the pause ends on: on
the seed's takes as voiced, a tenth of tiny.en's onsets after pauses between words lie 260 ms or
more before where the speech resumes, and a tenth 200 ms or more after it (bench/levels.py prints
this per voice)."""


def word_resumes(words: list[tuple[str, float]], samples: np.ndarray, rate: int) -> list[float | None]:
    """For each recognized (word, onset seconds) of `samples`, where the speech resumes (seconds)
    when the word starts inside a pause between words (BETWEEN_WORDS_SECONDS) or at most
    RESUME_REACH_SECONDS after its end; None for a word with no such pause. Pauses and words pair
    off nearest first, each at most once, so a word after a pause is left alone when a nearer word
    claims the pause.

    A recognizer places the word after a pause by the voice, not by the sound (Whisper's word
    times come from its cross-attention over 20 ms frames): one voice's word starts inside the
    pause, another's 200 ms into the speech. The sound says where the word begins; the recognizer
    says which word it is."""
    reach = RESUME_REACH_SECONDS * rate
    pairs = sorted((abs(onset * rate - end), k, end)
                   for first, end in pauses(samples, rate) if end - first >= BETWEEN_WORDS_SECONDS * rate
                   for k, (_, onset) in enumerate(words) if first <= onset * rate <= end + reach)
    out: list[float | None] = [None] * len(words)
    claimed = set()
    for _, k, end in pairs:
        if out[k] is None and end not in claimed:
            out[k] = end / rate
            claimed.add(end)
    return out


def onset_gaps(a: list[tuple[str, float]], b: list[tuple[str, float]],
               a_resumes: list[float | None] | None = None, b_resumes: list[float | None] | None = None
               ) -> np.ndarray:
    """Seconds between the onsets of the words two voices say alike (recognized (word, onset)
    lists, matched in order by difflib). With `word_resumes` of both, a word that follows a pause
    in both voices is timed by where each voice resumes; a word that does in one voice only keeps
    both recognized onsets, so a threshold that finds a pause in one voice and not in the other
    mixes no two kinds of time."""
    import difflib

    matcher = difflib.SequenceMatcher(a=[w for w, _ in a], b=[w for w, _ in b], autojunk=False)
    gaps = []
    for block in matcher.get_matching_blocks():
        for i, j in zip(range(block.a, block.a + block.size), range(block.b, block.b + block.size)):
            resumed = a_resumes is not None and b_resumes is not None and None not in (a_resumes[i], b_resumes[j])
            gaps.append(abs(a_resumes[i] - b_resumes[j]) if resumed else abs(a[i][1] - b[j][1]))
    return np.array(gaps)
