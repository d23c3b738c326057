"""The label guard: free text must describe conduct, never label a person.

Merseyside's instruction: staff must not "label or record individuals" with these words in
files and communications. The guard refuses, in any free-text input, the words below and
their inflections when they are applied to a person, naming the word and suggesting neutral
wording. The rule (docs/label-guard.md):

- "unreasonable customer" / "unreasonable complainant" (and caller, person, individual...)
  name a person by construction: always refused.
- "vexatious", "persistent", "abusive", "resource intensive" (with -ly, -ness forms) are
  refused unless the sentence plainly applies them to a thing or to conduct: the word
  directly qualifies a thing ("abusive language", "a persistent leak", "vexatious requests";
  a few words may come between: "abusive and threatening emails"), or a thing is the subject
  it is said of ("the calls were persistent"). A person word in between ("persistent
  customer complaints", "abusive in his language") means a person, and is refused. When in
  doubt the guard refuses: rewording costs a moment, a label stays on file for years.
- "persistence" is a plain noun ("the persistence of the damp") and refused only when it is
  someone's ("his persistence", "the customer's persistence").
- Text in quotation marks (straight or curly, double or single; a straight single quote
  only where it is not an apostrophe) is a verbatim quote and is allowed: a letter may
  quote what someone wrote.
- The text is read as it looks: compatibility forms folded (full-width letters), invisible
  format characters (soft hyphen, zero-width space, word joiner) and accents dropped, and
  Cyrillic and Greek letters that look Latin read as the Latin letter, so a word that reads
  as a label is one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from records.errors import ValidationFailed
from records.free_text import has_control_characters


@dataclass(frozen=True)
class Label:
    word: str  # as written, lowercased (one of the listed words or its inflection)
    listed: str  # the listed word it is a form of
    suggestion: str


_SUGGESTIONS = {
    "vexatious": (
        "describe the conduct and its effect, e.g. 'raised the same matter 9 times after it "
        "was closed' (concern category repeat_matter)"
    ),
    "persistent": (
        "describe the contact, e.g. 'contacted the service 14 times in one week' "
        "(concern category contact_volume)"
    ),
    "abusive": (
        "describe what was said or done, e.g. 'used offensive language towards staff on "
        "3 May' (concern category conduct_towards_staff)"
    ),
    "resource intensive": (
        "describe the demand, e.g. 'contact took 20 hours of officer time in March' "
        "(concern category contact_volume)"
    ),
    "unreasonable customer": (
        "refer to 'the customer' and describe the conduct (a managed contact case)"
    ),
}


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_PERSON_NOUNS = (
    "customer|complainant|caller|person|people|individual|man|woman|resident|tenant|client|"
    "requester|requestor|applicant|correspondent|citizen|claimant|member|user|visitor"
)
_ALWAYS = re.compile(rf"\bunreasonabl[ey][\s-]+(?:{_PERSON_NOUNS})s?\b", re.IGNORECASE)
_QUALIFIED = re.compile(
    r"\b(?:(?P<vexatious>vexatious(?:ly|ness)?)"
    r"|(?P<persistent>persistent(?:ly)?)"
    r"|(?P<abusive>abusive(?:ly|ness)?)"
    r"|(?P<resource>resource[\s-]+intensive(?:ly|ness)?))\b",
    re.IGNORECASE,
)
_PERSISTENCE = re.compile(
    rf"\b(?:his|her|their|your|(?:{_PERSON_NOUNS})s?['\u2019]s?)\s+(?P<word>persistence)\b",
    re.IGNORECASE,
)
_PERSON_WORDS = _word_set(
    _PERSON_NOUNS.replace("|", " ")
    + " he she him her his hers they them their theirs himself herself themselves you your"
    " mr mrs ms miss mx dr"
)
_THINGS = _word_set(
    """leak damp mould mold noise smell odour odor fault problem issue pain illness condition
    cough symptom infection rain flood flooding pest infestation defect error failure delay
    language behaviour behavior conduct remark comment call phone email e-mail message letter
    contact request complaint correspondence voicemail post threat demand question query
    enquiry inquiry allegation claim application appeal litigation proceeding process task
    approach pattern campaign tone content text visit attendance note word gesture"""
)
_WORD = re.compile(r"[a-z][a-z'\u2019-]*", re.IGNORECASE)
_QUOTES = re.compile(
    r"\"[^\"]*\"|\u201c[^\u201d]*\u201d|\u2018[^\u2019]*\u2019|(?<![\w'])'[^'\n]*'(?![\w'])"
)
_LOOK = 4  # words considered either side for "said of a thing"
_COPULAS = _word_set(
    "is are was were be been being seem seems seemed appear appears appeared remain remains "
    "remained become becomes became"
)
_INTENSIFIERS = _word_set(
    "very so quite extremely increasingly highly particularly often too rather"
)
# Words that end a qualified phrase: "persistent in emails" is said of someone, not emails.
_STOP_WORDS = _word_set(
    "in with about to by of on at for from towards toward against the a an this that these "
    "those who which when"
)


def as_read(text: str) -> str:
    """`text` as a reader sees it: compatibility forms folded (full-width letters become
    plain ones), format characters (a soft hyphen inside a word) and combining accents
    dropped, and Cyrillic and Greek look-alikes read as the Latin letter they look like.
    Only what the guard matches is folded: the text kept is the text given."""
    decomposed = unicodedata.normalize("NFKD", text)
    seen = "".join(c for c in decomposed if unicodedata.category(c) not in _UNSEEN)
    return seen.translate(_LOOK_ALIKES)


_UNSEEN = frozenset({"Cf", "Mn"})  # format characters; combining marks

# The Cyrillic and Greek letters that Unicode's confusables data (UTS #39, confusables.txt)
# gives one Latin letter as their prototype, grouped by that letter, and the Latin dotless i
# (which NFKD leaves as it is); capital iota and its
# Cyrillic twins read as "I" (the data's "l" is the skeleton of both). docs/label-guard.md
# says why a table and not a library. A whole word in another script folds to nonsense
# ("Борис" reads "Бopиc"), never to a listed word, so such names pass as before.
_LATIN_LOOK_ALIKES = {
    "A": "\u0391\u0410", "B": "\u0392\u0412", "C": "\u03f9\u0421", "E": "\u0395\u0415",
    "F": "\u03dc", "G": "\u050c", "H": "\u0397\u041d", "I": "\u0399\u0406\u04c0",
    "J": "\u037f\u0408", "K": "\u039a\u041a", "M": "\u039c\u03fa\u041c", "N": "\u039d",
    "O": "\u039f\u041e", "P": "\u03a1\u0420", "S": "\u0405", "T": "\u03a4\u0422",
    "V": "\u0474", "W": "\u051c", "X": "\u03a7\u0425", "Y": "\u03a5\u03d2\u0423\u04ae",
    "Z": "\u0396", "a": "\u03b1\u0430", "b": "\u042c", "c": "\u03f2\u0441", "d": "\u0501",
    "e": "\u0435\u04bd", "h": "\u04bb", "i": "\u0131\u03b9\u0456\u04cf\ua647", "j": "\u03f3\u0458",
    "o": "\u03bf\u03c3\u043e", "p": "\u03c1\u03f1\u0440", "q": "\u051b", "r": "\u0433\u1d26",
    "s": "\u0455", "u": "\u03c5", "v": "\u03bd\u0475", "w": "\u0461\u051d", "x": "\u0445",
    "y": "\u03b3\u0443\u04af",
}  # fmt: skip
_LOOK_ALIKES = str.maketrans(
    {alike: latin for latin, alikes in _LATIN_LOOK_ALIKES.items() for alike in alikes}
)


def find_label(text: str) -> Label | None:
    """The first label applied to a person in `text` outside quotation marks, or None."""
    plain = _QUOTES.sub(lambda m: " " * len(m.group()), as_read(text))
    found: list[tuple[int, Label]] = []
    if always := _ALWAYS.search(plain):
        found.append((always.start(), _label(always.group(), "unreasonable customer")))
    if owned := _PERSISTENCE.search(plain):
        found.append((owned.start("word"), _label(owned.group("word"), "persistent")))
    for match in _QUALIFIED.finditer(plain):
        if not _said_of_a_thing(plain[: match.start()], plain[match.end() :]):
            listed = "resource intensive" if match.group("resource") else match.lastgroup
            assert listed is not None
            found.append((match.start(), _label(match.group(), listed)))
            break
    return min(found, key=lambda f: f[0])[1] if found else None


def check_text(field: str, text: str | None) -> None:
    """Refuse `text` if it labels a person: VALIDATION_FAILED naming the field and the word,
    with neutral wording suggested. None and empty text pass. Every free text passes here,
    so here too it is refused with a control character (records/free_text.py: an escape
    sequence or a bell on file, in a letter or on a terminal that prints it)."""
    if not text:
        return
    if has_control_characters(text):
        raise ValidationFailed(field, "must not contain control characters")
    label = find_label(text)
    if label is not None:
        raise ValidationFailed(
            field,
            f"'{label.word}' labels a person; {label.suggestion}. Tact records conduct, not "
            "labels; quote a person's own words in quotation marks if they must be kept.",
        )


def check_fields(fields: Mapping[str, object], prefix: str = "") -> None:
    """check_text over an input object's free text: strings, lists of strings and nested
    mappings, each named by its path (`reasons`, `evidence.2`, `arrangement.note`)."""
    for name, value in fields.items():
        _check_value(f"{prefix}{name}", value)


def _check_value(field: str, value: object) -> None:
    if isinstance(value, str):
        check_text(field, value)
    elif isinstance(value, Mapping):
        check_fields(value, prefix=f"{field}.")
    elif isinstance(value, Iterable) and not isinstance(value, bytes):
        for index, item in enumerate(value):
            _check_value(f"{field}.{index}", item)


def _label(written: str, listed: str) -> Label:
    word = re.sub(r"[\s-]+", " ", written.lower())
    return Label(word=word, listed=listed, suggestion=_SUGGESTIONS[listed])


def _said_of_a_thing(before: str, after: str) -> bool:
    """True when the word plainly describes a thing: it qualifies one ("abusive and
    threatening emails"), or is said of one ("the calls were persistent")."""
    preceding = list(reversed(_words(_sentence_tail(before))))
    while preceding and preceding[0] in _INTENSIFIERS:
        preceding.pop(0)
    if preceding and preceding[0] in _COPULAS:
        return _thing_first(preceding[1 : 1 + _LOOK], stop=frozenset())
    return _thing_first(_words(_sentence_head(after))[:_LOOK], stop=_STOP_WORDS)


def _thing_first(words: list[str], stop: frozenset[str]) -> bool:
    for word in words:
        if word in _PERSON_WORDS or word in stop:
            return False
        if word in _THINGS:
            return True
    return False


def _sentence_tail(text: str) -> str:
    return re.split(r"[.;:!?\n]", text)[-1]


def _sentence_head(text: str) -> str:
    return re.split(r"[.;:!?\n]", text)[0]


def _words(text: str) -> list[str]:
    """Lowercased words, possessive and plural endings removed ("customer's" -> customer)."""
    out = []
    for raw in _WORD.findall(text):
        word = re.sub(r"['\u2019]s?$", "", raw.lower())
        if word.endswith("ies") and word[:-3] + "y" in _THINGS:
            word = word[:-3] + "y"
        elif word.endswith("s") and word[:-1] in _THINGS | _PERSON_WORDS:
            word = word[:-1]
        out.append(word)
    return out
