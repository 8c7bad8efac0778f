"""Spaces and rooms (issue 9), each figure beside its goal, measured on the delivered file.

    .venv/bin/python bench/spaces.py [--engine tone|espeak|piper|kokoro] [--cache DIR]

* RT60      every built-in room: T20 and T30 of the 500 Hz and 1 kHz octave bands (ISO 3382,
            Schroeder backward integration) of an impulse through the mixer's room, against the
            room's rt60 (error <= 20%)
* phone     tests/fixtures/spaces.fountain rendered to MP3 and decoded; each line cut by its WebVTT
            times: the phone line's energy above 4 kHz against its whole energy (<= -30 dB), beside
            the same voice's line on mic
* off-stage the (O.S.) line against the same voice's on-mic lines (their median): integrated
            loudness at least 2 LU lower, spectral centroid at most 0.85x
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "spaces.fountain"
VOICES = {  # engine -> (Ada, Marlow, Quill) voices
    "tone": ("high", "low", "mid"),
    "espeak": ("en-us+f3", "en-gb", "en-us"),
}
"""Voices of a one-engine cast; "default" is radioplay's own auto-cast (Piper and Kokoro, as a render
without a cast file gets)."""
OFF_STAGE = "Down in the cellar"
PHONE = "Harbour board here"
QUILL_ON_MIC = "I'll put the kettle on"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="tone", choices=sorted([*VOICES, "default"]))
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    from radioplay.check.episode import read_vtt
    from radioplay.check.stage import CheckOptions
    from radioplay.master.loudness import integrated_loudness
    from radioplay.mix.space import Heard, SpaceRenderer, energy_above_db, mid_band_rt60, spectral_centroid
    from radioplay.mix.spaces import ON_MIC, SpaceTable
    from radioplay.pipeline import RenderOptions, render
    from radioplay.publish.audio import read_audio

    ok = True
    table, rate = SpaceTable.load(), 44_100
    impulse = np.zeros(rate // 10, dtype=np.float32)
    impulse[0] = 1.0
    print(f"{'room':16s} {'rt60':>6s} {'T20':>6s} {'T30':>6s} {'worst error':>12s}  (goal <= 20%)")
    for name, room in table.rooms.items():
        reverb = SpaceRenderer(rate, 2).hear(impulse, Heard(table.spaces[ON_MIC], room), 0.0)[1:, 0]
        t20, t30 = (mid_band_rt60(reverb, rate, fall) for fall in (20.0, 30.0))
        error = max(abs(t20 - room.rt60), abs(t30 - room.rt60)) / room.rt60
        ok &= error <= 0.2
        print(f"{name:16s} {room.rt60:6.2f} {t20:6.3f} {t30:6.3f} {100 * error:11.1f}%")

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        cast = None
        if args.engine in VOICES:
            cast = folder / "cast.toml"
            wave = 'wave = "buzz"\n' if args.engine == "tone" else ""
            cast.write_text("".join(f'[characters.{who}]\nengine = "{args.engine}"\nvoice = "{voice}"\n{wave}'
                                    for who, voice in zip(("Ada", "Marlow", "Quill"), VOICES[args.engine])),
                            encoding="utf-8")
        out = folder / "spaces.mp3"
        render(FIXTURE, RenderOptions(output=out, cast=cast, cache=args.cache or folder / "takes",
                                      check=CheckOptions(enabled=False)))
        samples, rate = read_audio(out)
        lines = [(c.speaker.casefold(), c.text, samples[int(c.start * rate):int(c.end * rate)])
                 for c in read_vtt(out.with_suffix(".vtt"))]

    def cut(speaker: str, starts: str, negate: bool = False) -> list[np.ndarray]:
        return [s for who, text, s in lines if who == speaker and text.startswith(starts) != negate]

    phone, quill = cut("quill", PHONE)[0], cut("quill", QUILL_ON_MIC)[0]
    band, band_on_mic = energy_above_db(phone, rate, 4000), energy_above_db(quill, rate, 4000)
    ok &= band <= -30
    print(f"\n{args.engine}: phone line, energy above 4 kHz: {band:.1f} dB (goal <= -30; same voice on mic "
          f"{band_on_mic:.1f} dB)")
    off, on_mic = cut("marlow", OFF_STAGE)[0], cut("marlow", OFF_STAGE, negate=True)
    on_lufs = float(np.median([integrated_loudness(s, rate) for s in on_mic]))
    on_centroid = float(np.median([spectral_centroid(s, rate) for s in on_mic]))
    quieter = on_lufs - integrated_loudness(off, rate)
    darker = spectral_centroid(off, rate) / on_centroid
    ok &= quieter >= 2.0 and darker <= 0.85
    print(f"{args.engine}: off-stage line {quieter:.1f} LU quieter than on mic (goal >= 2), "
          f"centroid {darker:.2f}x (goal <= 0.85; {spectral_centroid(off, rate):.0f} Hz against {on_centroid:.0f} Hz)")
    print("all goals met" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
