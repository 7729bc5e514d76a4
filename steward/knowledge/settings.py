"""Knowledge-base settings, from the environment like the rest of Steward's."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class KnowledgeSettings(BaseSettings):
    """``STEWARD_WHISPER_MODEL`` is a folder holding a faster-whisper model
    (CTranslate2 files: ``model.bin``, ``config.json``, tokenizer); audio and
    video are transcribed only when it is set. Nothing is downloaded.
    """

    model_config = SettingsConfigDict(env_prefix="STEWARD_", extra="ignore")

    whisper_model: Path | None = None
    whisper_device: str = "cpu"
    whisper_compute_type: str = "int8"
