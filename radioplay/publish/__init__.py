"""Publishing: audio files with tags and chapters, transcripts, chapters JSON, stems and a timeline.

Every file goes to a temporary name in its folder and is renamed into place (radioplay.io).
"""

from radioplay.publish.audio import SUPPORTED_SUFFIXES, EpisodeTags, write_audio
from radioplay.publish.stems import write_stems
from radioplay.publish.timeline import draw_timeline
from radioplay.publish.transcript import srt_text, vtt_text, write_chapters_json, write_srt, write_vtt

__all__ = ["SUPPORTED_SUFFIXES", "EpisodeTags", "write_audio", "write_stems", "draw_timeline", "srt_text",
           "vtt_text", "write_chapters_json", "write_srt", "write_vtt"]
