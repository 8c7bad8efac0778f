"""The offline speech-recognition check: is every take saying its words?"""

from radioplay.check.recognizer import CheckUnavailable, Heard, Recognizer, WhisperRecognizer
from radioplay.check.score import Score, score, score_text, sound_words, total_wer, words
from radioplay.check.stage import (DEFAULT_RETRIES, DEFAULT_THRESHOLD, CheckOptions, CheckResult, TakeCheck,
                                   check_takes, names_to_score_by_sound)

__all__ = ["CheckUnavailable", "Heard", "Recognizer", "WhisperRecognizer", "Score", "score", "score_text",
           "sound_words", "total_wer", "words", "DEFAULT_RETRIES", "DEFAULT_THRESHOLD", "CheckOptions",
           "CheckResult", "TakeCheck", "check_takes", "names_to_score_by_sound"]
