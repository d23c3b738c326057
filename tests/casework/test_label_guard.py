"""The label guard: the listed words and their inflections applied to a person are refused,
naming the field and the word and suggesting neutral wording; the same words said of a thing
or of conduct, and any verbatim quote in quotation marks, are allowed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.label_guard import check_fields, check_text, find_label
from records.errors import ValidationFailed

LABELS = [
    "vexatious", "vexatiously", "vexatiousness", "persistent", "persistently", "abusive",
    "abusively", "resource intensive", "resource-intensive",
]  # fmt: skip
PEOPLE = ["the customer", "He", "she", "Mr Jones", "the complainant", "they", "The caller"]
NEUTRAL_WORDS = [
    "the", "customer", "called", "three", "times", "about", "a", "leak", "and", "was",
    "told", "on", "Monday", "that", "matter", "is", "closed", "officer", "noted", "letter",
]  # fmt: skip
QUOTES = [('"', '"'), ("\u201c", "\u201d"), ("\u2018", "\u2019"), ("'", "'")]


def refused_word(text: str) -> str | None:
    label = find_label(text)
    return label.word if label else None


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("The customer is vexatious.", "vexatious"),
        ("He has been persistent since May.", "persistent"),
        ("A persistent complainant wrote again.", "persistent"),
        ("Letter from a persistent complainant", "persistent"),
        ("She was very abusive on the phone.", "abusive"),
        ("He is persistent in emails.", "persistent"),
        ("abusive in his language", "abusive"),
        ("a resource-intensive customer", "resource intensive"),
        ("Resource  intensive caller", "resource intensive"),
        ("He emailed vexatiously.", "vexatiously"),
        ("They wrote persistently.", "persistently"),
        ("An unreasonable customer.", "unreasonable customer"),
        ("unreasonable complainants", "unreasonable complainants"),
        ("Unreasonably persistent customers", "persistent"),
        ("We noted his persistence.", "persistence"),
        ("The customer's persistence", "persistence"),
        ("Mr Jones: vexatious", "vexatious"),
        ("VEXATIOUS", "vexatious"),
        ("The leak was fixed. The customer is abusive", "abusive"),
        ("abusiveness towards staff", "abusiveness"),
    ],
)
def test_a_label_applied_to_a_person_is_refused(text: str, word: str) -> None:
    assert refused_word(text) == word


@pytest.mark.parametrize(
    "text",
    [
        "Abusive language towards staff on 3 May.",
        "abusive and threatening emails",
        "the persistent leak in the roof",
        "The customer's calls were persistent.",
        "the enquiries were persistent",
        "vexatious requests under the Freedom of Information Act",
        "a resource intensive process",
        "the persistence of the damp",
        "unreasonable behaviour",
        "contacted the service 14 times in one week",
        "He persisted with the same complaint.",
        "",
    ],
)
def test_the_words_said_of_a_thing_or_of_conduct_are_allowed(text: str) -> None:
    assert refused_word(text) is None


@pytest.mark.parametrize(("open_", "close"), QUOTES)
def test_a_verbatim_quote_in_quotation_marks_is_allowed(open_: str, close: str) -> None:
    assert refused_word(f"The customer wrote {open_}you are vexatious{close} on 3 May.") is None
    assert refused_word(f"The officer said {open_}ok{close}; he is vexatious.") == "vexatious"


@pytest.mark.parametrize(
    "disguised",
    [
        "vexa\u00adtious",  # soft hyphen
        "vexa\u200btious",  # zero-width space
        "vexa\u2060tious",  # word joiner
        "\uff56\uff45\uff58\uff41\uff54\uff49\uff4f\uff55\uff53",  # full-width letters
        "ve\u0301xatious",  # a combining accent
        "v\u00e9xatious",  # an accented letter
        "v\u0435xatious",  # a Cyrillic e
        "\u03bdexat\u03b9\u03bfus",  # Greek nu, iota and omicron
        "\u0475\u0435\u0445\u0430tious",  # Cyrillic izhitsa, ie, ha and a
        "VEXAT\u0406OUS",  # a Cyrillic capital I
        "V\u0395\u03a7\u0391TIOUS",  # Greek capital epsilon, chi and alpha
        "vexat\u0131ous",  # a Latin dotless i
    ],
)
def test_a_label_is_read_as_it_looks(disguised: str) -> None:
    assert refused_word(f"The customer is {disguised}.") == "vexatious"
    assert refused_word(f"The customer wrote \u201cyou are {disguised}\u201d.") is None


def test_reading_as_it_looks_leaves_other_words_alone() -> None:
    assert refused_word("Rhif ff\u00f4n y cwsmer: the persistent leak in the flat") is None


# Folding look-alikes changes only what is matched: real words in other scripts, Welsh with
# its diacritics and Latin text beside them read as before.
@pytest.mark.parametrize(
    "text",
    [
        "Ysgrifennodd Siân Ŵyn at y gwasanaeth dwywaith; atebodd y swyddog yn Gymraeg.",
        "Letter from Олена Коваль about the persistent leak.",
        "Καταγγελία: διαρροή στο σπίτι.",
        "Сергей called about abusive and threatening emails.",
        "Звонил Сергей: жалоба на протечку.",
    ],
)
def test_welsh_and_text_in_other_scripts_are_still_allowed(text: str) -> None:
    assert refused_word(text) is None


def test_an_apostrophe_does_not_open_a_quote() -> None:
    assert refused_word("the customer's vexatious, and the caller's") == "vexatious"
    assert refused_word('an unclosed "quote: he is abusive') == "abusive"


def test_check_text_names_the_field_and_the_word_and_suggests_neutral_wording() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_text("reasons", "The customer is persistent.")
    assert caught.value.field == "reasons"
    assert caught.value.code == "VALIDATION_FAILED"
    assert "'persistent'" in caught.value.message
    assert "contacted the service 14 times in one week" in caught.value.message
    check_text("reasons", None)
    check_text("reasons", "Contacted the service 14 times in one week.")


def test_the_message_never_echoes_the_rest_of_the_text() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_text("note", "Jane Doe of 1 High Street is vexatious")
    assert "Jane" not in caught.value.message and "High Street" not in caught.value.message


def test_check_fields_walks_an_input_object_naming_each_path() -> None:
    check_fields({"reasons": "calls on 3 days", "count": 3, "evidence": ["a letter"]})
    with pytest.raises(ValidationFailed) as caught:
        check_fields({"reasons": "ok", "evidence": ["a letter", "he is abusive"]})
    assert caught.value.field == "evidence.1"
    with pytest.raises(ValidationFailed) as caught:
        check_fields({"arrangement": {"note": "an unreasonable customer"}})
    assert caught.value.field == "arrangement.note"


@given(
    person=st.sampled_from(PEOPLE),
    verb=st.sampled_from(["is", "was", "has been", "seems", "is being", "became"]),
    label=st.sampled_from(LABELS),
    upper=st.booleans(),
)
def test_any_person_said_to_be_any_listed_word_is_refused(
    person: str, verb: str, label: str, upper: bool
) -> None:
    text = f"{person} {verb} {label}."
    found = find_label(text.upper() if upper else text)
    assert found is not None
    assert found.listed in {"vexatious", "persistent", "abusive", "resource intensive"}


@given(
    label=st.sampled_from(LABELS),
    noun=st.sampled_from(["customer", "complainant", "caller", "person", "individual"]),
)
def test_any_listed_word_qualifying_a_person_is_refused(label: str, noun: str) -> None:
    assert find_label(f"Notes on a {label} {noun}") is not None


@given(
    before=st.lists(st.sampled_from(NEUTRAL_WORDS), max_size=12),
    after=st.lists(st.sampled_from(NEUTRAL_WORDS), max_size=12),
    label=st.sampled_from(LABELS),
    quotes=st.sampled_from(QUOTES),
)
def test_any_quoted_label_amid_neutral_words_is_allowed(
    before: list[str], after: list[str], label: str, quotes: tuple[str, str]
) -> None:
    open_, close = quotes
    text = " ".join([*before, f"{open_}{label}{close}", *after])
    assert find_label(text) is None


@given(words=st.lists(st.sampled_from(NEUTRAL_WORDS), max_size=30))
def test_neutral_text_is_never_refused(words: list[str]) -> None:
    assert find_label(" ".join(words)) is None
