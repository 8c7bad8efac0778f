"""The mixer: timing model, sample-exact placement, interruptions, unison, stereo, beds and SFX.

    mix(script, takes, casting, deliveries, timing) -> Mix
    cue_timings(script, mix) -> list[CueTiming]
    chapter_timings(script, mix, cue_timings) -> list[ChapterTiming]

Heavy libraries (soxr, pedalboard, soundfile) are imported only when a function needs them.
"""

from radioplay.mix.beds import Beds
from radioplay.mix.dsp import pitch_shift, resample, stretch_to_length
from radioplay.mix.mixer import BEDS_STEM, SFX_STEM, mix, sfx_file
from radioplay.mix.sounds import read_sound, resolve_sound
from radioplay.mix.timing import Timing
from radioplay.mix.timings import chapter_timings, cue_timings

__all__ = [
    "BEDS_STEM", "SFX_STEM", "Beds", "Timing", "chapter_timings", "cue_timings", "mix", "pitch_shift",
    "read_sound", "resample", "resolve_sound", "sfx_file", "stretch_to_length",
]
