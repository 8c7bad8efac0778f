"""Placing takes on the timeline: sample-exact layout first, then one buffer per stem.

The layout walks the cues once and decides every clip's start (in output samples) and final
samples (resampled once, trimmed of engine padding, stretched for unison, faded where a line is
cut off). A clip is one sentence take; the sentences of a paragraph follow each other by
`sentence_gap`. Only then is the mix buffer allocated, and each clip is added in place into it; a
stem (the clips of one voice, or of the effects or beds) is rendered the same way when it is
first read, so the mix is the sum of the stems. The cost is linear in the number of cues, with no concatenation of growing buffers.
"""

from __future__ import annotations

import os
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Mapping, Sequence

import numpy as np

from radioplay.errors import CastError, InputError
from radioplay.mix.beds import (PINK, Beds, block_power, duck_block, duck_levels, duck_range, loop_range,
                                pink_noise)
from radioplay.mix.levels import (DIALOGUE_LUFS, LEVEL_BY_LINE, LEVELINGS, PEAK_OVER_DIALOGUE_DB, leveling_gain_db,
                                  limit_peaks, measure_take)
from radioplay.mix.dsp import (as_mono, audible_span, db_to_gain, fade_out, kept_span, pan_gains, resample, rms,
                               stretch_to_length)
from radioplay.mix.scratch import Scratch
from radioplay.mix.sounds import resolve_sound
from radioplay.mix.space import Heard, place_in_space
from radioplay.mix.timing import Timing
from radioplay.mix.unison import warp_together_timed
from radioplay.model import Casting, Cue, Delivery, Mix, Placement, Script, Take, TakeLevel

SFX_STEM = "_sfx"
"""Stem of the sound effects placed by `_[SFX: file]_` directions."""
BEDS_STEM = "_beds"
"""Stem of the room tone and the intro/outro music. Reserved names start with "_"; the stems
of the characters alone sum to the mix when no beds or effects are used."""

_SFX = re.compile(r"^\s*SFX\s*:\s*(?P<name>.+?)\s*$", re.IGNORECASE)
_ROOM_TONE_CROSSFADE_SECONDS = 0.05
_PINK_LOOP_SECONDS = 30
_UNISON_ONSET_BELOW_PEAK_DB = 30.0
_LIMIT_PASSES = 3
_KEEP_BATCH = 64
"""Placed clips held in memory before they go to the scratch file together."""
_LIMIT_TOLERANCE_DB = 0.1


def sfx_file(cue: Cue) -> str | None:
    """The sound file a standalone `_[SFX: door.wav]_` direction names, else None."""
    if cue.kind != "direction":
        return None
    match = _SFX.match(cue.text or "")
    return match.group("name") if match else None


class _Sentence:
    """One sentence take of a segment, at the mix rate and trimmed: made from its take when first
    asked for, and let go when the layout has placed it (the clip keeps it on disk)."""

    def __init__(self, take: Take, rate: int, margin: int):
        self.take, self.rate, self.margin = take, rate, margin
        self.written, self.clause = take.written, take.clause
        self._samples: np.ndarray | None = None
        self._level = take.level
        self._words: tuple[tuple[str, float, float], ...] = ()

    @property
    def samples(self) -> np.ndarray:
        if self._samples is None:
            raw = self.take.audio.samples  # a stored take is read here, once
            rate = self.take.audio.sample_rate
            samples = resample(as_mono(raw), rate, self.rate)
            first, end = kept_span(samples, self.margin)
            self._samples = samples[first:end]
            self._words = shift_words(self.take.words, self.rate, -first)  # take seconds -> samples of the trimmed take
            if self._level is None:
                self._level = measure_take(raw, rate)
        return self._samples

    @samples.setter
    def samples(self, value: np.ndarray) -> None:
        self._samples = value

    @property
    def level(self) -> TakeLevel:
        """The take's loudness measurement (at its own rate, before trimming: gating ignores the silence)."""
        if self._level is None:
            self.samples  # noqa: B018 (measures it)
        return self._level

    @level.setter
    def level(self, value: TakeLevel) -> None:
        self._level = value

    @property
    def words(self) -> tuple[tuple[str, float, float], ...]:
        """The take's timed words, (word, start, end) in samples of `samples`."""
        self.samples  # noqa: B018 (places them)
        return self._words


@dataclass
class _Clip:
    """One clip on the timeline: final mono samples at the mix rate and where they go."""

    cue: int
    part: int
    segment: int
    stem: str
    start: int
    samples: np.ndarray
    """float32 (n,) for a voice, (n, channels) for a sound file (already panned)."""
    gain: float = 1.0
    """Linear: the character's gain, the delivery's gain and the unison balance together."""
    pan: float = 0.0
    sentence: int = 0
    text: str = ""
    """The sentence as written."""
    silent: bool = False
    """A beat of silence standing for a segment with nothing speakable; it has no placement."""
    tail: int = 0
    """Samples of room reverb after the words (radioplay.mix.space): in `samples`, not in its placement."""
    words: tuple[tuple[str, float, float], ...] = ()
    """Timed words, (word, start, end) in samples of `samples`: moved with every stretch and pad."""

    @property
    def end(self) -> int:
        return self.start + len(self.samples)


class _Layout:
    """Walks the cues once, keeping the cursor and what the next clip's gap will be."""

    def __init__(self, script: Script, casting: Casting, deliveries: Sequence[Delivery], timing: Timing,
                 sample_rate: int, channels: int, base_dir: Path | None, takes: dict,
                 silent: Collection[tuple[int, int, int]] = (), leveling: str | None = LEVEL_BY_LINE,
                 dialogue_lufs: float = DIALOGUE_LUFS, spaces: Mapping[tuple[int, int, int], Heard] | None = None):
        self.script, self.casting, self.deliveries = script, casting, deliveries
        self.leveling, self.dialogue_lufs = leveling, dialogue_lufs
        self.levels: dict[tuple[int, int] | int, float] = {}
        self.timing, self.rate, self.channels = timing, sample_rate, channels
        self.base_dir, self.takes, self.silent = base_dir, takes, silent
        self.clips: list[_Clip] = []
        self.spaces = spaces
        self.scratch = Scratch()
        self._kept = 0  # self.clips[:_kept] are in their spaces and in the scratch file

    def seconds(self, value: float) -> int:
        return int(round(value * self.rate))

    def run(self, start: int) -> None:
        """Lay out every cue, the first clip at sample `start`, into `self.clips`."""
        t = self.timing
        cursor = start
        pending = 0  # silence owed before the next clip, samples
        previous: str | None = None  # "line", "direction", "sfx"
        cut: list[_Clip] = []  # the end of an interrupted line, waiting for the line that cuts in
        for index, cue in enumerate(self.script.cues):
            delivery = self.deliveries[index]
            sound = sfx_file(cue)
            if cue.kind == "direction" and sound is None:
                # a stage direction is heard as a pause that replaces the turn gap
                pending = (pending if previous == "direction" else 0) + self.seconds(t.direction_pause)
                previous, cut = "direction", []
                self.keep(cut)
                continue
            pause = self.seconds(delivery.pause_before)
            if cut:
                # cut in `interrupt_overlap` before the cut line ends; a voice that is in both
                # lines cannot overlap itself, so then the next line follows with no gap
                shared = sound is None and bool(set(cue.speakers) & {c.stem for c in cut})
                overlap = 0 if shared else self.seconds(t.interrupt_overlap)
                start_at = max(max(c.start for c in cut), cursor - overlap) + pause
                self.cut_off(cut)
            else:
                beat = self.seconds(t.directed_beat) if cue.kind == "line" and cue.direction else 0
                start_at = cursor + pending + beat + pause
            if sound is not None:
                new = [self.place_sfx(index, sound, start_at)]
            else:
                new = self.place_line(index, cue, delivery, start_at)
            cursor = max([cursor] + [c.end for c in new])  # the next line waits for every voice
            pending = self.seconds(t.turn_gap)
            previous = "sfx" if sound is not None else "line"
            # the last sentence of each part is what the next line cuts in on
            cut = list({c.part: c for c in new}.values()) if cue.kind == "line" and cue.interrupted else []
            for part in range(len(cue.parts)):
                for segment in range(len(cue.parts[part].segments)):
                    for sentence in self.takes.pop((index, part, segment), ()):  # placed: let go
                        self.levels.pop(id(sentence), None)  # an id may be used again
            self.keep(cut)
        self.keep([], batch=0)

    def keep(self, pending: list[_Clip], batch: int = _KEEP_BATCH) -> None:
        """Put the placed clips in their spaces and move their samples to the scratch file, all but
        `pending` (a cut line's last sentences, which the next line still fades) and those after
        them; a batch at a time (the spaces make each room's response once per batch)."""
        done = next((n for n in range(self._kept, len(self.clips))
                     if any(self.clips[n] is c for c in pending)), len(self.clips))
        if done - self._kept < batch:
            return
        ready = self.clips[self._kept:done]
        if self.spaces:
            place_in_space(ready, self.spaces, self.rate, self.channels)
        for clip in ready:
            if isinstance(clip.samples, np.ndarray):
                clip.samples = self.scratch.put(clip.samples)
        self._kept = done

    def cut_off(self, clips: list[_Clip]) -> None:
        """End the cut voice abruptly: a quick `interrupt_fade` instead of its natural decay.

        The written words are all heard (the dash means the speaker would have gone on); the
        next line talks over their end."""
        fade = self.seconds(self.timing.interrupt_fade)
        for clip in clips:
            length = min(fade, len(clip.samples))
            clip.samples = fade_out(clip.samples, len(clip.samples) - length, length)

    def voice(self, speaker: str):
        spec = self.casting.characters.get(speaker)
        if spec is None:
            raise CastError(f"no voice is cast for {speaker!r}", path=self.casting.path)
        if not -1.0 <= spec.pan <= 1.0:
            raise CastError(f"{speaker}: pan must be between -1 and 1, got {spec.pan}",
                            path=self.casting.path)
        return spec

    def sentence_gap(self, sentence: _Sentence) -> int:
        return self.seconds(self.timing.clause_gap if sentence.clause else self.timing.sentence_gap)

    def segment_gap(self, cue: Cue, part: int, segment: int) -> int:
        if cue.parts[part].segments[segment].paragraph_break:
            return self.seconds(self.timing.paragraph_gap)
        return self.seconds(self.timing.direction_split_gap)

    def place_line(self, index: int, cue: Cue, delivery: Delivery, start: int) -> list[_Clip]:
        if not cue.parts:
            raise ValueError(f"cue {index} is a line with no parts")
        clips: list[_Clip] = []
        segment_counts = {len(p.segments) for p in cue.parts}
        if cue.simultaneous and (cue.unison or (delivery.unison and len(segment_counts) == 1)):
            # unison: sentence by sentence, every voice stretched to a common length
            position = start
            for s in range(segment_counts.pop()):
                if s:
                    position += self.segment_gap(cue, 0, s)
                said = [self.takes.get((index, p, s), []) for p in range(len(cue.parts))]  # [] is checked below
                if len({len(x) for x in said}) == 1 and said[0]:
                    for n in range(len(said[0])):
                        if n:
                            position += self.sentence_gap(said[0][n])
                        group = [self.sentence_clip(index, cue, delivery, p, s, n, said[p][n], position)
                                 for p in range(len(cue.parts))]
                        position = self.unite(group, words=cue.unison)
                        clips.extend(group)
                else:
                    # the voices split the words differently (or say nothing): align whole segments
                    group = [self.joined(self.segment_clips(index, cue, delivery, p, s, position))
                             for p in range(len(cue.parts))]
                    position = self.unite(group, words=cue.unison)
                    clips.extend(group)
        else:
            # one speaker, or dual dialogue: every part starts at `start` and runs its own course
            for p, part in enumerate(cue.parts):
                position = start
                for s in range(len(part.segments)):
                    if s:
                        position += self.segment_gap(cue, p, s)
                    new = self.segment_clips(index, cue, delivery, p, s, position)
                    clips.extend(new)
                    position = new[-1].end
        self.clips.extend(clips)
        return clips

    def segment_clips(self, index: int, cue: Cue, delivery: Delivery, part: int, segment: int,
                      start: int) -> list[_Clip]:
        """The sentences of one segment joined by the sentence (or clause) gap; a segment with
        nothing speakable is a silent beat."""
        said = self.takes.get((index, part, segment))
        if not said:
            if (index, part, segment) not in self.silent:
                raise ValueError(f"no take for cue {index}, part {part}, segment {segment}")
            beat = np.zeros(self.seconds(self.timing.unspoken_beat), dtype=np.float32)
            return [_Clip(index, part, segment, cue.parts[part].speaker, start, beat, silent=True)]
        clips: list[_Clip] = []
        for n, sentence in enumerate(said):
            if n:
                start = clips[-1].end + self.sentence_gap(sentence)
            clips.append(self.sentence_clip(index, cue, delivery, part, segment, n, sentence, start))
        return clips

    def level_db(self, index: int, cue: Cue, part: int, sentence: _Sentence) -> float:
        """The gain that brings this sentence's speech (or, per sentence, the sentence alone) to
        the dialogue level, before the cast's and the direction's gains."""
        if self.leveling is None:
            return 0.0
        key: tuple[int, int] | int = (index, part) if self.leveling == LEVEL_BY_LINE else id(sentence)
        if key not in self.levels:
            group = ([said for s in range(len(cue.parts[part].segments)) for said in self.takes.get((index, part, s), [])]
                     if self.leveling == LEVEL_BY_LINE else [sentence])
            self.levels[key] = self.level_group(group)
        return self.levels[key]

    def level_group(self, group: list[_Sentence]) -> float:
        """The leveling gain of sentences heard together; their peaks are first limited to
        PEAK_OVER_DIALOGUE_DB over the dialogue level at that gain (then measured again)."""
        gain = leveling_gain_db([s.level for s in group], self.dialogue_lufs)
        for _ in range(_LIMIT_PASSES):  # limiting lowers the loudness a little, so the gain rises
            ceiling = self.dialogue_lufs + PEAK_OVER_DIALOGUE_DB - gain
            limited = False
            for said in group:
                peak = float(np.abs(said.samples).max()) if said.samples.size else 0.0
                if peak > db_to_gain(ceiling + _LIMIT_TOLERANCE_DB):
                    said.samples = limit_peaks(said.samples, self.rate, ceiling)
                    said.level = measure_take(said.samples, self.rate)
                    limited = True
            if not limited:
                break
            gain = leveling_gain_db([s.level for s in group], self.dialogue_lufs)
        return gain

    def sentence_clip(self, index: int, cue: Cue, delivery: Delivery, part: int, segment: int, number: int,
                      sentence: _Sentence, start: int) -> _Clip:
        speaker = cue.parts[part].speaker
        spec = self.voice(speaker)
        gain_db = self.level_db(index, cue, part, sentence) + spec.gain + delivery.gain
        return _Clip(index, part, segment, speaker, start, sentence.samples,
                     gain=db_to_gain(gain_db), pan=spec.pan, sentence=number, text=sentence.written,
                     words=sentence.words)

    @staticmethod
    def joined(clips: list[_Clip]) -> _Clip:
        """One clip holding a segment's sentence clips where they lie."""
        first = clips[0]
        samples = np.zeros(clips[-1].end - first.start, dtype=np.float32)
        for clip in clips:  # sentences leveled one by one keep their gains relative to the first
            samples[clip.start - first.start:clip.end - first.start] = clip.samples * np.float32(
                clip.gain / first.gain if first.gain else 1.0)
        text = " ".join(c.text for c in clips if c.text)
        words = tuple(moved for c in clips for moved in shift_words(c.words, 1.0, c.start - first.start))
        return _Clip(first.cue, first.part, first.segment, first.stem, first.start, samples, first.gain,
                     first.pan, text=text, silent=all(c.silent for c in clips), words=words)

    def unite(self, group: list[_Clip], words: bool = False) -> int:
        """Align and balance simultaneous voices; returns where they end. With `words` (they say
        the same words) every voice is warped word by word onto the mean of their timings."""
        if not all(c.silent for c in group):
            if words and not any(c.silent for c in group):
                warped, moves = warp_together_timed([c.samples for c in group], self.rate)
                for clip, samples, move in zip(group, warped, moves):
                    clip.samples = samples
                    clip.words = tuple((w, move(start), move(end)) for w, start, end in clip.words)
            else:
                self.align(group)
            self.balance(group)
        return max(c.end for c in group)

    def align(self, group: list[_Clip]) -> None:
        """Stretch unison voices (keeping pitch) so that their speech proper, from the first to
        the last sample within 30 dB of each voice's peak, has the median length; then pad them
        so those onsets coincide and all clips have one start and one end.

        Aligning on the speech rather than on the take edges matters because engines begin
        differently: one voice's soft onset would otherwise lag another's by tens of ms."""
        spans = [audible_span(c.samples, _UNISON_ONSET_BELOW_PEAK_DB) for c in group]
        core = statistics.median(end - first for first, end in spans)
        onsets = []
        for clip, (first, end) in zip(group, spans):
            ratio = core / (end - first)
            length = int(round(len(clip.samples) * ratio))
            clip.words = shift_words(clip.words, length / len(clip.samples), 0.0)
            clip.samples = stretch_to_length(clip.samples, self.rate, length)
            onsets.append(int(round(first * ratio)))
        lead = max(onsets)
        length = max(lead - onset + len(c.samples) for c, onset in zip(group, onsets))
        for clip, onset in zip(group, onsets):
            padded = np.zeros(length, dtype=np.float32)
            padded[lead - onset:lead - onset + len(clip.samples)] = clip.samples
            clip.samples = padded
            clip.words = shift_words(clip.words, 1.0, lead - onset)

    @staticmethod
    def balance(group: list[_Clip]) -> None:
        """Scale unison voices so that together they are no louder (RMS) than the loudest alone:
        1/sqrt(n) for independent voices, less when they reinforce each other."""
        voices = [c.samples.astype(np.float64) * c.gain for c in group]
        together = rms(np.sum(voices, axis=0))
        loudest = max(rms(v) for v in voices)
        factor = 1.0 / np.sqrt(len(group))
        if together > 0:
            factor = min(factor, loudest / together)
        for clip in group:
            clip.gain *= factor

    def place_sfx(self, index: int, name: str, start: int) -> _Clip:
        if self.base_dir is None:
            raise InputError(f"{name}: cannot find sound files for a script that has no folder")
        path = resolve_sound(name, self.base_dir)
        clip = _Clip(index, 0, 0, SFX_STEM, start, self.scratch.sound(path, self.rate, self.channels))
        self.clips.append(clip)
        return clip


def _takes_at_rate(takes: Sequence[Take], sample_rate: int,
                   margin: int) -> dict[tuple[int, int, int], list[_Sentence]]:
    """The sentences of each (cue, part, segment), in order; each is its take resampled to the mix
    rate exactly once and trimmed of the engine's silence (keeping `margin` samples) when laid out."""
    by_sentence: dict[tuple[int, int, int, int], Take] = {}
    for take in takes:
        key = (take.cue, take.part, take.segment, take.sentence)
        if key in by_sentence:
            raise ValueError(f"two takes for cue {take.cue}, part {take.part}, segment {take.segment}, "
                             f"sentence {take.sentence}")
        by_sentence[key] = take
    out: dict[tuple[int, int, int], list[_Sentence]] = {}
    for (cue, part, segment, sentence), take in sorted(by_sentence.items(), key=lambda item: item[0]):
        said = out.setdefault((cue, part, segment), [])
        if sentence != len(said):
            raise ValueError(f"no take for cue {cue}, part {part}, segment {segment}, sentence {len(said)}")
        said.append(_Sentence(take, sample_rate, margin))
    return out


def shift_words(words: Sequence[tuple[str, float, float]], scale: float,
                offset: float) -> tuple[tuple[str, float, float], ...]:
    """Timed words moved with their audio: every time t becomes t * scale + offset."""
    return tuple((w, start * scale + offset, end * scale + offset) for w, start, end in words)


def _base_dir(script: Script, base_dir: str | os.PathLike | None) -> Path | None:
    if base_dir is not None:
        return Path(base_dir)
    if script.path and not script.path.startswith("<"):
        return Path(script.path).parent
    return None


def mix(script: Script, takes: Sequence[Take], casting: Casting, deliveries: Sequence[Delivery] | None,
        timing: Timing | None = None, sample_rate: int = 44_100, channels: int = 2,
        base_dir: str | os.PathLike | None = None, beds: Beds | None = None,
        silent: Collection[tuple[int, int, int]] = (), leveling: str | None = LEVEL_BY_LINE,
        dialogue_lufs: float = DIALOGUE_LUFS, spaces: Mapping[tuple[int, int, int], Heard] | None = None) -> Mix:
    """Assemble the episode: every take placed to the sample, panned, gained, in stems.

    `takes` holds one take per sentence of each (cue, part, segment) at any rate; a segment's
    sentences are joined by `timing.sentence_gap`. `silent` names the segments planning found
    nothing speakable in: they have no take and are heard as `timing.unspoken_beat` of silence.
    `deliveries` holds one Delivery per cue (None: no directions). Sound files (SFX, beds) are found in `base_dir`, by default the
    script's folder. Returns a Mix whose `stems` hold one (n, channels) array per character,
    plus SFX_STEM and BEDS_STEM when used; all stems sum to `samples`.

    `leveling` brings every speech ("line": all its sentence takes with one gain; "sentence": each
    take alone; None: as the engine made it) to `dialogue_lufs` before the cast's and the
    directions' gains (radioplay.mix.levels). `spaces` says how each (cue, part, segment) is
    heard (radioplay.mix.spaces.hear_script): its clips go through their space and room, and a
    room's tail rings past the clip's words (the episode's length allows for it).
    """
    if leveling not in LEVELINGS:
        raise ValueError(f"leveling must be one of {LEVELINGS}, got {leveling!r}")
    if channels not in (1, 2):
        raise ValueError(f"channels must be 1 or 2, got {channels}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    timing = timing or Timing()
    if deliveries is None:
        deliveries = [Delivery()] * len(script.cues)
    if len(deliveries) != len(script.cues):
        raise ValueError(f"{len(deliveries)} deliveries for {len(script.cues)} cues")
    folder = _base_dir(script, base_dir)
    if beds is not None and not beds.enabled:
        beds = None  # no stem of silence
    bed_folder = Path(beds.sounds_dir) if beds is not None and beds.sounds_dir else folder
    bed_place = "the cast file's folder" if beds is not None and beds.sounds_dir else "the script's folder"
    seconds = lambda value: int(round(value * sample_rate))  # noqa: E731

    layout = _Layout(script, casting, deliveries, timing, sample_rate, channels, folder,
                     _takes_at_rate(takes, sample_rate, seconds(timing.take_margin)), silent, leveling,
                     dialogue_lufs, spaces)

    def music(name: str | None):
        if not name:
            return None
        if bed_folder is None:
            raise InputError(f"{name}: cannot find sound files for a script that has no folder")
        return layout.scratch.sound(resolve_sound(name, bed_folder, bed_place), sample_rate, channels,
                                    db_to_gain(beds.music_db))

    intro = outro = None
    if beds is not None:
        intro, outro = music(beds.intro), music(beds.outro)

    start = seconds(timing.lead_in)
    if intro is not None:
        start = max(start, len(intro) - seconds(beds.intro_overlap))
    layout.run(start)  # each clip is put in its space as it is kept
    clips = layout.clips
    last_end = max((c.end - c.tail for c in clips), default=start)
    length = max([last_end + seconds(timing.tail)] + [c.end for c in clips])
    outro_start = 0
    if outro is not None:
        outro_start = max(len(intro) if intro is not None else 0, last_end - seconds(beds.outro_overlap))
        length = max(length, outro_start + len(outro))

    timeline = Timeline(clips, length, channels)
    bed = None
    if beds is not None:
        bed = _BedTimeline(beds, timeline, intro, outro, outro_start, length, sample_rate, channels,
                           bed_folder, bed_place, layout.scratch)
    placements = [Placement(c.cue, c.part, c.segment, c.stem, c.start, c.end - c.tail, c.sentence, c.text,
                            shift_words(c.words, 1.0 / sample_rate, c.start / sample_rate))
                  for c in clips if not c.silent]
    return Mix(sample_rate=sample_rate, placements=placements, source=_MixSource(timeline, bed),
               stems=_Stems(timeline, bed, script.speakers()))


def _clip_range(clip: _Clip, channels: int, start: int, stop: int) -> np.ndarray:
    """Frames [start, stop) of the clip (relative to the clip) as it sounds in the mix: gained and panned."""
    if clip.samples.ndim == 1:
        gains = (clip.gain * pan_gains(clip.pan, channels)).astype(np.float32)
        return clip.samples[start:stop][:, np.newaxis] * gains
    return clip.samples[start:stop] * np.float32(clip.gain)


class Timeline:
    """The placed clips, any frame range of which is rendered on demand: clips sorted by start,
    found for a range by bisection (a clip overlaps [a, b) when a - longest < start < b and end > a).

    A range is the sum of its clips added in one fixed order, so every range render equals the
    same frames of a whole render, bit for bit."""

    def __init__(self, clips: Sequence[_Clip], frames: int, channels: int):
        self.clips = sorted(clips, key=lambda c: c.start)
        self.starts = np.array([c.start for c in self.clips], dtype=np.int64)
        self.longest = max((len(c.samples) for c in self.clips), default=0)
        self.frames, self.channels = frames, channels

    def add(self, out: np.ndarray, start: int, stems: frozenset[str] | str | None = None) -> np.ndarray:
        """Add the clips (of `stems` only, when given) that sound in frames [start, start + len(out))
        into `out`."""
        stop = start + len(out)
        lo = int(np.searchsorted(self.starts, start - self.longest, side="right"))
        hi = int(np.searchsorted(self.starts, stop, side="left"))
        for clip in self.clips[lo:hi]:
            if clip.end <= start or (stems is not None and
                                     (clip.stem != stems if isinstance(stems, str) else clip.stem not in stems)):
                continue
            a, b = max(start, clip.start), min(stop, clip.end)
            out[a - start:b - start] += _clip_range(clip, self.channels, a - clip.start, b - clip.start)
        return out

    def render(self, start: int, stop: int, stems: frozenset[str] | str | None = None) -> np.ndarray:
        return self.add(np.zeros((stop - start, self.channels), dtype=np.float32), start, stems)


@dataclass
class _MixSource:
    """The mix, or one stem of it, as a stream.Source: the clips (of `stem` only, when given), then
    the beds, added into each range."""

    timeline: Timeline
    bed: "_BedTimeline | None" = None
    stem: str | None = None

    @property
    def frames(self) -> int:
        return self.timeline.frames

    @property
    def channels(self) -> int:
        return self.timeline.channels

    def render(self, start: int, stop: int) -> np.ndarray:
        out = self.timeline.render(start, stop, self.stem)
        if self.bed is not None:
            out += self.bed.render(start, stop)
        return out


class _Stems(Mapping):
    """The stems of a mix by name (the speakers, then other stems in order of first use). Reading
    one renders it whole; `source(name)` gives it by range, for writing in blocks."""

    def __init__(self, timeline: Timeline, bed: "_BedTimeline | None", speakers: Sequence[str]):
        self.timeline, self.bed = timeline, bed
        names: dict[str, None] = {name: None for name in speakers}
        for clip in sorted(timeline.clips, key=lambda c: (c.cue, c.part, c.segment)):
            names.setdefault(clip.stem, None)
        if bed is not None:
            names[BEDS_STEM] = None
        self.names = list(names)

    def source(self, name: str):
        if name not in self.names:
            raise KeyError(name)
        return self.bed if name == BEDS_STEM else _MixSource(self.timeline, stem=name)

    def __getitem__(self, name: str) -> np.ndarray:
        from radioplay.stream import gather

        return gather(self.source(name))

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


def spilled_rms(sound) -> float:
    """`rms` of a long array (a Spilled sound file), read a block at a time."""
    from radioplay.stream import spans

    total = 0.0
    for a, b in spans(len(sound)):
        total += float(np.square(sound[a:b], dtype=np.float64).sum())
    return float(np.sqrt(total / sound.size)) if sound.size else 0.0


class _BedTimeline:
    """Room tone under everything, plus the intro and outro ducked under the speech, by range.

    The ducking gain is decided once, from the speech's power in 10 ms blocks (one pass over the
    voices by range); any range of the bed is then rendered from it."""

    def __init__(self, beds: Beds, timeline: Timeline, intro, outro, outro_start: int, length: int,
                 sample_rate: int, channels: int, folder: Path | None, place: str, scratch: Scratch):
        from radioplay.stream import spans

        self.frames, self.channels = length, channels
        self.music = [(0, intro), (outro_start, outro)]
        self.music = [(at, sound) for at, sound in self.music if sound is not None]
        self.duck = None
        if self.music and beds.duck_db > 0:
            voices = frozenset(n for n in {c.stem for c in timeline.clips} if not n.startswith("_"))
            block = duck_block(sample_rate)
            power = np.empty(-(-length // block))
            for a, b in spans(length, block * 256):  # whole 10 ms blocks
                speech = timeline.render(a, b, voices)
                mono = speech[:, 0].copy()
                for channel in range(1, channels):
                    mono += speech[:, channel]
                mono /= np.float32(channels)
                power[a // block:-(-b // block)] = block_power(mono, block)
            self.duck = duck_levels(power, sample_rate, beds)
        self.block = duck_block(sample_rate)
        self.tone = None
        if beds.room_tone:
            if beds.room_tone == PINK:
                # a loop of pink noise is as good as endless noise 55 dB down, and far cheaper
                tone = pink_noise(min(length, _PINK_LOOP_SECONDS * sample_rate), channels, 0.0, beds.seed)
                level = rms(tone)
                if level > 0:
                    tone *= np.float32(db_to_gain(beds.room_tone_db) / level)
                    self.tone = tone
            elif folder is None:
                raise InputError(f"{beds.room_tone}: cannot find sound files for a script that has no folder")
            else:
                path = resolve_sound(beds.room_tone, folder, place)
                level = spilled_rms(scratch.sound(path, sample_rate, channels))
                if level > 0:  # the file once more, levelled as it is converted
                    self.tone = scratch.sound(path, sample_rate, channels, db_to_gain(beds.room_tone_db) / level)
        self.crossfade = int(round(_ROOM_TONE_CROSSFADE_SECONDS * sample_rate))

    def render(self, start: int, stop: int) -> np.ndarray:
        out = np.zeros((stop - start, self.channels), dtype=np.float32)
        if self.music:
            for at, sound in self.music:
                a, b = max(start, at), min(stop, at + len(sound))
                if b > a:
                    out[a - start:b - start] += sound[a - at:b - at]
            if self.duck is not None:
                out *= duck_range(self.duck, self.block, start, stop)[:, np.newaxis]
        if self.tone is not None:
            loop_range(self.tone, self.frames, self.crossfade, start, out)
        return out
