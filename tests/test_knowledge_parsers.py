"""Transcript readers on real caption files and on the repairs they promise."""

import sys

import pytest

from steward.errors import ModelUnavailable, TranscriptInvalid
from steward.knowledge.readers import parse_transcript, read_transcript
from steward.knowledge.settings import KnowledgeSettings

WEBVTT_PY = "transcripts/parser_edge_cases_webvtt_py"
SRT_PKG = "transcripts/srt_pkg_samples"

# File -> (cues, first text, last text, speakers). Reasons where not obvious.
READ = {
    "captions_with_bom.vtt": (4, "Caption text #1", "Caption text #4", []),
    "comments.vtt": (
        3,
        "- Ta en kopp varmt te. - Det är inte varmt.",
        "- Ta en kopp",
        [],
    ),
    # mm:ss.ttt times and inline <00:17.500> timestamps and <c> classes.
    "cue_tags.vtt": (3, "When the moon hits your eye", "That's amore", []),
    # No WEBVTT line: the cues are well formed, so they are read (with a note).
    "invalid.vtt": (7, "Caption text #1", "Caption text #7", []),
    # A second time range where cue text should be: a missing blank line.
    "invalid_timeframe_in_cue_text.vtt": (3, "Caption text #1", "Caption text #3", []),
    "metadata_headers.vtt": (2, "Caption text #1", "Caption text #2", []),
    "metadata_headers_multiline.vtt": (2, "Caption text #1", "Caption text #2", []),
    # The empty cue is skipped; the last cue ends before it starts (kept).
    "missing_caption_text.sbv": (4, "Caption text #1", "Caption text #5", []),
    "missing_caption_text.srt": (4, "Caption text #1", "Caption text #5", []),
    "missing_caption_text.vtt": (4, "Caption text #1", "Caption text #5", []),
    "non_padded_timestamps.vtt": (
        3,
        "Good morning everyone.",
        "Thanks for joining.",
        ["Jane Doe", "John Smith"],
    ),
    "one_caption.srt": (1, "Caption text #1", "Caption text #1", []),
    "one_caption.vtt": (1, "Caption text #1", "Caption text #1", []),
    "regions.vtt": (2, "Hi, my name is Fred", "Hi, I’m Bill", ["Fred", "Bill"]),
    "sample.sbv": (5, "Caption text #1", "Caption text #5", []),
    "sample.srt": (5, "Caption text #1", "Caption text #5", []),
    "sample.vtt": (16, "Caption text #1", "Caption text #16", []),
    "styles.vtt": (1, "- Hello world.", "- Hello world.", []),
    # Two cues hold only "---" (music): no words, skipped.
    "styles_colours.srt": (4, "Musique douce", "-Euh, là-bas, au chêne.", []),
    "styles_colours.vtt": (4, "Musique douce", "-Euh, là-bas, au chêne.", []),
    "styles_with_comments.vtt": (1, "- Hello world.", "- Hello world.", []),
    "two_captions.sbv": (
        2,
        "Caption text #1",
        "Caption text #2 (line 1) Caption text #2 (line 2)",
        [],
    ),
    "using_identifiers.vtt": (6, "Caption text #1", "Caption text #6", []),
    # Rolling captions: repeated lines and a 0.3 s repeat cue are dropped.
    "youtube_dl.vtt": (3, "yeah", "this will happen is I'm telling", []),
    "ascii.srt": (3, "ascii", "ascii everywhere", []),
    "gb2312.srt": (3, "宇宙守护神 保护我们远离邪恶", "轻轻一跳就能飞跃高楼", []),
}

VTT_RANGE = "a time range like 00:01:02.500 --> 00:01:04.000"
SRT_RANGE = "a time range like 00:01:02,500 --> 00:01:04,000"
SBV_RANGE = "a time range like 0:01:02.500,0:01:04.000"
REJECTED = {
    "empty.vtt": "empty.vtt: the file is empty; there is nothing to import",
    "invalid_format.sbv": "invalid_format.sbv, line 1: 'some text' is not in a cue; "
    f"a cue starts with {SBV_RANGE}",
    "invalid_format1.srt": "invalid_format1.srt, line 1: cue 1 stops at its number; "
    f"{SRT_RANGE} must follow on the next line",
    "invalid_format2.srt": "invalid_format2.srt, line 1: 'some text' is not in a "
    f"cue; a cue starts with {SRT_RANGE}",
    "invalid_format3.srt": "invalid_format3.srt, line 2: cue 1 has no time range; "
    f"after its number comes {SRT_RANGE}, not 'some text'",
    "invalid_format4.srt": "invalid_format4.srt, line 1: 'some text' is not a cue "
    f"number; an SRT cue starts with its number, then {SRT_RANGE}",
    "invalid_timeframe.sbv": "invalid_timeframe.sbv, line 7: cannot read the time "
    "range '0:00:13.f89,0:00:15.489'; write it like 0:01:02.500,0:01:04.000",
    "invalid_timeframe.srt": "invalid_timeframe.srt, line 6: cannot read the time "
    "range '00:00:07,000 --> 00:00:11:890'; write it like "
    "00:01:02,500 --> 00:01:04,000",
    "invalid_timeframe.vtt": "invalid_timeframe.vtt, line 6: cannot read the time "
    "range '00:00:07.000 --> 00:00:1d.890'; write it like "
    "00:01:02.500 --> 00:01:04.000",
    "missing_timeframe.sbv": "missing_timeframe.sbv, line 4: 'Caption text #2' is "
    f"not in a cue; a cue starts with {SBV_RANGE}",
    "missing_timeframe.srt": "missing_timeframe.srt, line 6: cue 2 has no time "
    f"range; after its number comes {SRT_RANGE}, not 'Caption text #2'",
    "missing_timeframe.vtt": "missing_timeframe.vtt, line 6: 'Caption text #2' is "
    f"not in a cue; a cue starts with {VTT_RANGE}",
    "no_captions.vtt": "no_captions.vtt: no cues to import (the file holds no time "
    "range like 00:01:02.500 --> 00:01:04.000)",
}


def _folder_of(name: str) -> str:
    return SRT_PKG if name in ("ascii.srt", "gb2312.srt") else WEBVTT_PY


def test_every_sample_file_has_an_expected_outcome(shared_data):
    files = {p.name for d in (WEBVTT_PY, SRT_PKG) for p in (shared_data / d).iterdir()}

    assert files == set(READ) | set(REJECTED)


@pytest.mark.parametrize("name", sorted(READ))
def test_sample_file_is_read_with_its_cues_and_speakers(shared_data, name):
    count, first, last, speakers = READ[name]

    transcript = read_transcript(shared_data / _folder_of(name) / name)

    assert len(transcript.cues) == count
    assert transcript.cues[0].text == first
    assert transcript.cues[-1].text == last
    assert transcript.speakers == speakers
    starts = [cue.start for cue in transcript.cues]
    assert starts == sorted(starts)
    assert all(cue.end >= cue.start for cue in transcript.cues)


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_unreadable_sample_file_is_rejected_naming_the_line(shared_data, name):
    with pytest.raises(TranscriptInvalid) as raised:
        read_transcript(shared_data / _folder_of(name) / name)

    assert str(raised.value) == REJECTED[name]


def test_repairs_are_reported_with_their_lines(shared_data):
    folder = shared_data / WEBVTT_PY

    missing_text = read_transcript(folder / "missing_caption_text.sbv")
    no_header = read_transcript(folder / "invalid.vtt")
    overlapping = read_transcript(folder / "regions.vtt")

    assert missing_text.notes == (
        "1 empty cue skipped (line 4)",
        "1 cue ended before it started (line 12); the end was set to the start",
    )
    assert no_header.notes == (
        "line 1: the file does not start with 'WEBVTT'; its cues were read all "
        "the same",
    )
    assert overlapping.notes == (
        "1 cue overlapped the cue before (line 22); kept, as people talking at once",
    )


def test_non_padded_times_and_hours_are_read_as_written(shared_data):
    transcript = read_transcript(shared_data / WEBVTT_PY / "non_padded_timestamps.vtt")

    assert [(c.start, c.end) for c in transcript.cues] == [
        (0.0, 3.54),
        (3.54, 7.23),
        (65.2, 3727.95),
    ]


def test_the_gb2312_file_is_decoded_and_its_encoding_recorded(shared_data):
    transcript = read_transcript(shared_data / SRT_PKG / "gb2312.srt")

    assert transcript.metadata["encoding"] == "gb18030"


def test_hours_beyond_99_and_a_comma_before_milliseconds_in_webvtt():
    raw = b"WEBVTT\n\n120:00:01,500 --> 120:00:04,000\n<v Ana>Still here.\n"

    transcript = parse_transcript(raw, "long.vtt")

    assert transcript.cues[0].start == 432001.5
    assert transcript.cues[0].speaker == "Ana"


def test_srt_without_blank_lines_between_cues_is_split():
    raw = (
        b"1\n00:00:01,000 --> 00:00:02,000\nOne\n2\n00:00:02,000 --> 00:00:03,000\nTwo"
    )

    transcript = parse_transcript(raw, "tight.srt")

    assert [c.text for c in transcript.cues] == ["One", "Two"]


def test_windows_1252_text_is_decoded():
    raw = "Ana: On passe à l'étape suivante.\nBo: Très bien.\n".encode("cp1252")

    transcript = parse_transcript(raw, "call.txt")

    assert transcript.metadata["encoding"] == "cp1252"
    assert [(c.speaker, c.text) for c in transcript.cues] == [
        ("Ana", "On passe à l'étape suivante."),
        ("Bo", "Très bien."),
    ]


def test_plain_text_with_times_and_name_prefixes():
    raw = (
        b"[00:00:05] Ana Lee: Welcome.\nWe start with SSO.\n\n[00:01:10] Bo: Thanks.\n"
    )

    transcript = parse_transcript(raw, "notes.txt")

    assert [(c.speaker, c.start, c.text) for c in transcript.cues] == [
        ("Ana Lee", 5.0, "Welcome. We start with SSO."),
        ("Bo", 70.0, "Thanks."),
    ]


def test_a_text_file_that_is_webvtt_is_read_as_webvtt():
    raw = b"WEBVTT\n\n00:01.000 --> 00:02.000\n<v Bo>Hi\n"

    transcript = parse_transcript(raw, "export.txt")

    assert transcript.format == "webvtt"
    assert transcript.speakers == ["Bo"]


def test_speaker_turn_json_keeps_turn_numbers(shared_data):
    transcript = read_transcript(shared_data / "transcripts/meetings/ES2004a.json")

    assert len(transcript.cues) == 320
    assert transcript.cues[0].line == 1
    assert transcript.cues[-1].line == 320
    # In order of first turn: Marketing speaks at turn 5, the designer later.
    assert transcript.speakers == [
        "User Interface",
        "Project Manager",
        "Marketing",
        "Industrial Designer",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"turns": [\n{"text": "a"},\n}', "bad.json, line 3: not valid JSON "),
        (
            b'{"turns": [{"speaker": "A"}]}',
            "bad.json, turn 1 ($.turns[0]): no text; give the words as 'content' "
            "or 'text'",
        ),
        (
            b'[{"text": "hi", "start": "soon"}]',
            "bad.json, turn 1 ($[0]): the time 'soon' is neither seconds (12.5) "
            "nor a time like 00:01:02.500",
        ),
    ],
)
def test_broken_turn_json_is_rejected_with_where_and_why(content, message):
    with pytest.raises(TranscriptInvalid) as raised:
        parse_transcript(content, "bad.json")

    assert str(raised.value).startswith(message)


def test_an_unknown_suffix_names_the_readable_ones():
    with pytest.raises(TranscriptInvalid) as raised:
        parse_transcript(b"x", "call.docx")

    assert str(raised.value) == (
        "call.docx: Steward reads transcripts ending in .json, .md, .sbv, .srt, "
        ".text, .txt, .vtt, .webvtt, and recordings with a speech model; rename "
        "the file if it is one of these"
    )


def test_a_recording_without_a_speech_model_says_how_to_configure_one(tmp_path):
    recording = tmp_path / "kickoff.mp3"
    recording.write_bytes(b"ID3")

    with pytest.raises(ModelUnavailable) as raised:
        read_transcript(recording, KnowledgeSettings(whisper_model=None))

    assert str(raised.value) == (
        "kickoff.mp3 is a recording, and no speech model is configured: set "
        "STEWARD_WHISPER_MODEL to a local faster-whisper model folder and install "
        "the 'audio' extra (pip install 'steward[audio]'); see docs/knowledge.md. "
        "Or import its transcript (.vtt, .srt, .sbv, .txt, .json)"
    )


def test_a_speech_model_folder_without_a_model_is_refused(tmp_path):
    recording = tmp_path / "kickoff.wav"
    recording.write_bytes(b"RIFF")
    settings = KnowledgeSettings(whisper_model=tmp_path)

    with pytest.raises(ModelUnavailable) as raised:
        read_transcript(recording, settings)

    assert str(raised.value) == (
        f"STEWARD_WHISPER_MODEL={tmp_path} holds no faster-whisper model "
        "(model.bin is missing); point it at the folder of a converted model"
    )


def test_a_binary_file_is_not_taken_for_text():
    with pytest.raises(TranscriptInvalid) as raised:
        parse_transcript(bytes(range(256)) * 4, "blob.txt")

    assert str(raised.value) == (
        "blob.txt: the bytes are not text in any encoding Steward recognises (is "
        "it a binary file?); save the transcript as UTF-8 text"
    )


def test_a_model_without_faster_whisper_installed_names_the_extra(
    tmp_path, monkeypatch
):
    recording = tmp_path / "kickoff.wav"
    recording.write_bytes(b"RIFF")
    (tmp_path / "model.bin").write_bytes(b"weights")
    monkeypatch.setitem(sys.modules, "faster_whisper", None)

    with pytest.raises(ModelUnavailable) as raised:
        read_transcript(recording, KnowledgeSettings(whisper_model=tmp_path))

    assert str(raised.value) == (
        "kickoff.wav needs faster-whisper to be transcribed; install the 'audio' "
        "extra: pip install 'steward[audio]'"
    )
