"""Calls into documents on plain values: steps, readable text, sections, titles,
the glossary check. ``ONBOARDING_VTT`` is also the sample call of the other
knowledge-base tests."""

import pytest

from steward.knowledge.cleanup import readable
from steward.knowledge.glossary import GlossaryTerm, check_terms
from steward.knowledge.readers import parse_transcript
from steward.knowledge.segment import Tiling, topic_boundaries
from steward.knowledge.steps import find_steps
from steward.knowledge.structure import structure
from steward.knowledge.titles import distinctive, title_from

ONBOARDING_VTT = b"""WEBVTT

00:00:01.000 --> 00:00:06.000
<v Ana Lee>Hi Ben, um, thanks for joining. Today we set up single sign-on for your team.

00:00:06.500 --> 00:00:10.000
<v Ben Ortiz>Great, uh, we use Okta as our identity provider.

00:00:10.500 --> 00:00:16.000
<v Ana Lee>Perfect. First, open the admin console and go to Settings.

00:00:16.500 --> 00:00:21.000
<v Ana Lee>Then click Security and choose Single sign-on.

00:00:21.500 --> 00:00:27.000
<v Ana Lee>Next, paste the the metadata URL from Okta into the field.

00:00:27.500 --> 00:00:32.000
<v Ana Lee>Finally, click Save and test the login with a second account.

00:00:33.000 --> 00:00:38.000
<v Ben Ortiz>Okay, that worked. Mm-hmm. Can we talk about the renewal next?

00:00:38.500 --> 00:00:45.000
<v Ana Lee>Sure. For the renewal conversation we start from your goals and results.
"""
STEPS = [
    "First, open the admin console and go to Settings.",
    "Then click Security and choose Single sign-on.",
    "Next, paste the metadata URL from Okta into the field.",
    "Finally, click Save and test the login with a second account.",
]


def _onboarding() -> dict:
    return structure(parse_transcript(ONBOARDING_VTT, "sso-setup.vtt"))


def _turns(body: dict) -> list[dict]:
    return [
        turn
        for section in body["sections"]
        for paragraph in section["paragraphs"]
        for turn in paragraph["turns"]
    ]


def test_a_walkthrough_becomes_numbered_steps_at_their_moments():
    body = _onboarding()

    (section,) = body["sections"]

    assert [(s["number"], s["text"]) for s in section["steps"]] == list(
        enumerate(STEPS, start=1)
    )
    assert [s["start"] for s in section["steps"]] == [10.5, 16.5, 21.5, 27.5]
    assert [p["steps"] for p in section["paragraphs"]] == [[1, 2, 3, 4], []]


def test_every_turn_keeps_its_speaker_start_and_lines_in_the_file():
    turns = _turns(_onboarding())

    assert [(t["speaker"], t["start"], t["lines"]) for t in turns] == [
        ("Ana Lee", 1.0, [3, 3]),
        ("Ben Ortiz", 6.5, [6, 6]),
        ("Ana Lee", 10.5, [9, 18]),
        ("Ben Ortiz", 33.0, [21, 21]),
        ("Ana Lee", 38.5, [24, 24]),
    ]


def test_fillers_and_stutters_leave_the_readable_text_but_stay_in_the_source():
    turns = _turns(_onboarding())

    readable_text = " ".join(t["text"] for t in turns)
    source = " ".join(t["source"] for t in turns)
    for said in ("um,", "uh,", "Mm-hmm.", "the the"):
        assert said in source
        assert said not in readable_text
    assert turns[0]["text"] == (
        "Hi Ben, thanks for joining. Today we set up single sign-on for your team."
    )


@pytest.mark.parametrize(
    ("said", "read"),
    [
        ("Um, so we, uh, start here.", "So we, start here."),
        ("I I I think it works.", "I think it works."),
        ("we… we open the the console", "We open the console"),
        ("{vocalsound} Okay {disfmarker} fine .", "Okay fine."),
        ("[laughter] That had had an effect.", "That had had an effect."),
        ("Bye bye.", "Bye bye."),
        ("Hmm. Mm-hmm.", ""),
        ("You know, like, the so-called flow.", "You know, like, the so-called flow."),
    ],
)
def test_readable_text_drops_what_carries_nothing(said, read):
    assert readable(said) == read


def test_a_speakers_list_of_points_is_not_a_procedure():
    said = [
        "First, revenue grew eleven percent. Second, margins improved. "
        "Third, we hired four hundred people. Finally, cash flow was strong."
    ]

    assert find_steps(said) == []


def test_instructions_without_a_sequence_word_are_not_a_procedure():
    said = ["Click here. Open that one. Save it.", "Select the box."]

    assert find_steps(said) == []


def test_steps_far_apart_are_separate_procedures():
    said = [
        "First, open the console. Then click Users. Next, select Invite.",
        "That is all for users. It took a while. We had questions. Fine.",
        "Now go to Billing. Then click Plans. Finally, choose Annual.",
    ]

    procedures = find_steps(said)

    assert [[(s.number, s.unit) for s in p] for p in procedures] == [
        [(1, 0), (2, 0), (3, 0)],
        [(1, 2), (2, 2), (3, 2)],
    ]


def _sentences(words: list[str], count: int, offset: int) -> list[str]:
    return [
        " ".join(words[(i * 3 + j + offset) % len(words)] for j in range(12)) + "."
        for i in range(count)
    ]


def test_texttiling_starts_a_section_where_the_vocabulary_changes():
    billing = [
        "invoice",
        "billing",
        "payment",
        "card",
        "currency",
        "refund",
        "tax",
        "receipt",
        "plan",
        "annual",
        "discount",
        "pricing",
    ]
    security = [
        "password",
        "token",
        "okta",
        "saml",
        "certificate",
        "identity",
        "provider",
        "audit",
        "encryption",
        "login",
        "session",
        "firewall",
    ]
    units = _sentences(billing, 40, 0) + _sentences(security, 40, 5)

    starts = topic_boundaries(units, Tiling(w=20, k=4, min_words=100))

    assert starts == [40]


def test_a_short_call_is_one_section():
    assert topic_boundaries(["We met.", "We talked about SSO briefly."]) == []


def test_a_section_under_the_minimum_is_merged_into_a_neighbour():
    billing = [
        "invoice",
        "billing",
        "payment",
        "card",
        "currency",
        "refund",
        "tax",
        "receipt",
    ]
    security = [
        "password",
        "token",
        "okta",
        "saml",
        "certificate",
        "identity",
        "audit",
        "login",
    ]
    units = _sentences(billing, 40, 0) + _sentences(security, 6, 0)
    units += _sentences(billing, 40, 2)

    starts = topic_boundaries(units, Tiling(w=20, k=4, min_words=200, cutoff=-0.5))

    sizes = [
        sum(len(u.split()) for u in units[a:b])
        for a, b in zip([0, *starts], [*starts, len(units)], strict=True)
    ]
    assert min(sizes) >= 200


def test_titles_leave_out_phrases_every_section_says():
    texts = [
        "Acme cloud revenue grew.",
        "Acme margins and hiring.",
        "Acme guidance for next year.",
    ]
    phrases = [["acme", "cloud revenue"], ["acme", "margins"], ["acme", "guidance"]]

    kept = distinctive(phrases, texts)

    assert kept == [["cloud revenue"], ["margins"], ["guidance"]]
    assert title_from(kept[0], "Part 1") == "Cloud revenue"
    assert title_from([], "Part 2") == "Part 2"


def test_the_glossary_flags_other_spellings_and_listed_variants():
    terms = [
        GlossaryTerm("SSO", ("single sign-on",)),
        GlossaryTerm("login"),
    ]
    sections = [
        "Set up single sign-on, then sso. Login works; log-in did not.",
        "SSO is on. Login is fine.",
    ]

    flags = check_terms(sections, terms)

    # Per section, term by term, each term's findings in alphabetical order.
    assert [f.message() for f in flags] == [
        "section 1: 'single sign-on' (once); the glossary says 'SSO'",
        "section 1: 'sso' (once); the glossary says 'SSO'",
        "section 1: 'log-in' (once); the glossary says 'login'",
    ]
