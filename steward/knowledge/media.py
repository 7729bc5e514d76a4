"""Audio and video, transcribed by a local faster-whisper model when one is set."""

from __future__ import annotations

from pathlib import Path

from steward.errors import ModelUnavailable, TranscriptInvalid
from steward.knowledge.settings import KnowledgeSettings
from steward.knowledge.transcript import Cue, Transcript

AUDIO = (".aac", ".flac", ".m4a", ".mp3", ".oga", ".ogg", ".opus", ".wav", ".wma")
VIDEO = (".avi", ".m4v", ".mkv", ".mov", ".mp4", ".mpeg", ".webm")
MEDIA_SUFFIXES = frozenset(AUDIO + VIDEO)


def transcribe(path: Path, settings: KnowledgeSettings) -> Transcript:
    """Cues of a recording, one per segment faster-whisper finds."""
    model_path = settings.whisper_model
    if model_path is None:
        raise ModelUnavailable(
            f"{path.name} is a recording, and no speech model is configured: set "
            "STEWARD_WHISPER_MODEL to a local faster-whisper model folder and "
            "install the 'audio' extra (pip install 'steward[audio]'); see "
            "docs/knowledge.md. Or import its transcript (.vtt, .srt, .sbv, .txt, "
            ".json)"
        )
    if not (model_path / "model.bin").is_file():
        raise ModelUnavailable(
            f"STEWARD_WHISPER_MODEL={model_path} holds no faster-whisper model "
            "(model.bin is missing); point it at the folder of a converted model"
        )
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise ModelUnavailable(
            f"{path.name} needs faster-whisper to be transcribed; install the "
            "'audio' extra: pip install 'steward[audio]'"
        ) from None
    try:
        model = WhisperModel(
            str(model_path),
            device=settings.whisper_device,
            compute_type=settings.whisper_compute_type,
            local_files_only=True,
        )
    except (RuntimeError, ValueError, OSError) as error:
        raise ModelUnavailable(
            f"STEWARD_WHISPER_MODEL={model_path}: faster-whisper cannot load this "
            f"model ({error}); point it at the folder of a converted model"
        ) from None
    segments, _info = model.transcribe(str(path), vad_filter=True)
    cues = tuple(
        Cue(segment.text.strip(), segment.start, segment.end, None, number)
        for number, segment in enumerate(segments, start=1)
        if segment.text.strip()
    )
    if not cues:
        raise TranscriptInvalid(f"{path.name}: the speech model heard no words")
    return Transcript(path.name, "audio", cues)
