"""The one rule for taking identity out of free text (the complainant's, and what looks like any).

A handling unit, possibly the body complained about, must never read who complained
(质量技术监督局 二: "任何人不得泄露投诉举报人姓名和地址"). The identity is sealed in the vault, but
people type it into titles, contents, replies and notes too. `Redactor` takes it out again on
the way out of every read by someone without identity access:

* every identity value of the case, by exact match and by its obvious variants: a name split by
  spaces or a middle dot, a number written with separators or in full-width digits;
* and whatever is identity on its face: mainland mobile and landline numbers, 18-digit resident
  ID numbers whose checksum holds, e-mail addresses, bank card numbers that pass the Luhn check.

The complainant's own values become their masks (``张**``, ``138****5678``) or, for a reader who
may see nothing of the person (a handling unit), `WITHHELD`; identity on its face is masked.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from core.domain.cases import Case
from core.domain.events import CaseEvent
from core.domain.masking import mask_id_number, mask_identity, mask_phone

__all__ = [
    "WITHHELD",
    "Redactor",
    "id_number_checks",
    "luhn_checks",
    "redact_patterns",
    "redacted_case",
    "redacted_event",
]

WITHHELD = "[已隐去]"
"""What a reader without any right to the identity sees in its place."""

_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_SEPARATOR = r"[\s·•・.\-－—]*"  # between the characters of a name or the digits of a number
_DIGIT = {str(d): f"[{d}{chr(0xFF10 + d)}]" for d in range(10)}
_DIGITS = r"[0-9０-９]"

# Identity on its face, in free text. ASCII look-arounds: Chinese characters count as word
# characters for \b, so a number written right after a character would not match.
_FACE = re.compile(
    r"(?P<email>[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})"
    rf"|(?<![0-9０-９A-Za-z])(?P<number>(?:\+?86{_SEPARATOR})?{_DIGITS}(?:{_SEPARATOR}{_DIGITS}){{6,18}}[Xx]?)"
    r"(?![0-9０-９A-Za-z])",
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_checks(number: str) -> bool:
    """Whether an 18-character resident ID number's last character is its checksum (GB 11643)."""
    if not re.fullmatch(r"\d{17}[\dXx]", number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_checks(number: str) -> bool:
    """Whether a card number passes the Luhn check (bank cards: 13 to 19 digits)."""
    if not re.fullmatch(r"\d{13,19}", number):
        return False
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _is_mobile(digits: str) -> bool:
    national = digits.removeprefix("86") if len(digits) == 13 else digits
    return bool(re.fullmatch(r"1[3-9]\d{9}", national))


def _is_landline(digits: str) -> bool:
    return bool(re.fullmatch(r"0\d{9,11}", digits))


def _face_value(match: re.Match[str]) -> str:
    """The mask of an identity-on-its-face match, or the match itself when it is none."""
    text = match.group(0)
    if match.group("email"):
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = re.sub(r"\D", "", text.translate(_FULL_WIDTH).upper().replace("X", "9"))
    raw = re.sub(r"[^0-9Xx]", "", text.translate(_FULL_WIDTH))
    if len(raw) == 18 and id_number_checks(raw):
        return mask_id_number(raw)
    if _is_mobile(digits) or _is_landline(digits):
        return mask_phone(digits[-11:] if _is_mobile(digits) else digits)
    if luhn_checks(digits):
        return f"****{digits[-4:]}"
    return text  # a serial, an amount, a date: not identity


def _variants(value: str) -> re.Pattern[str] | None:
    """A pattern for `value` as people write it: spaced or dotted, digits half- or full-width."""
    text = value.strip()
    if len(text) < 2:
        return None  # one character would take that character out of every word
    parts = [_DIGIT.get(char, re.escape(char)) for char in text.translate(_FULL_WIDTH) if not char.isspace()]
    if not parts:
        return None
    body = _SEPARATOR.join(parts)
    if text.translate(_FULL_WIDTH).isdigit():  # a number: with or without the country code
        body = rf"(?:\+?86{_SEPARATOR})?{body}"
    return re.compile(body)


def redact_patterns(identity: Mapping[str, Any]) -> list[tuple[str, re.Pattern[str]]]:
    """The identity's values as patterns, (key, pattern), longest value first."""
    found = [
        (key, pattern, len(str(value)))
        for key, value in identity.items()
        if value is not None and (pattern := _variants(str(value)))
    ]
    found.sort(key=lambda entry: entry[2], reverse=True)  # an address before a name inside it
    return [(key, pattern) for key, pattern, _ in found]


@dataclass(frozen=True, slots=True)
class Redactor:
    """Takes a case's identity, and identity on its face, out of a text.

    `withheld`: the reader may see nothing of the complainant (a handling unit): their values
    become `WITHHELD`; otherwise their masks. `on_its_face`: also mask what is identity whatever
    the case — someone else's number in the text stays recognisable as a number, masked (off
    for the archive, which keeps the text as written).
    """

    identity: Mapping[str, Any]
    withheld: bool = True
    on_its_face: bool = True

    def __call__(self, text: str | None) -> str:
        result = text or ""
        shown = mask_identity(self.identity)
        for key, pattern in redact_patterns(self.identity):
            replacement = WITHHELD if self.withheld else shown.get(key, WITHHELD)
            result = pattern.sub(lambda _match, value=replacement: value, result)
        if self.on_its_face:
            result = _FACE.sub(_face_value, result)
        return result

    @staticmethod
    def walker(redact: Callable[[str], str]) -> Callable[[Any], Any]:
        """`redact` over a JSON-like value: every string in it, keys included."""

        def walk(value: Any) -> Any:
            if isinstance(value, str):
                return redact(value)
            if isinstance(value, Mapping):
                return {walk(key) if isinstance(key, str) else key: walk(item) for key, item in value.items()}
            if isinstance(value, list | tuple):
                return [walk(item) for item in value]
            return value

        return walk


def redacted_case(case: Case, redact: Callable[[str], str]) -> Case:
    """`case` with what people wrote in it (title, content, dispatch, reply, intake answers) redacted."""
    return dataclasses.replace(
        case,
        title=redact(case.title),
        content=redact(case.content),
        cause=redact(case.cause),
        opinion=redact(case.opinion),
        reply_content=redact(case.reply_content),
        fields=MappingProxyType(
            {key: redact(value) if isinstance(value, str) else value for key, value in case.fields.items()}
        ),
    )


def redacted_event(event: CaseEvent, redact: Callable[[str], str]) -> CaseEvent:
    """`event` with the words in its data (reasons, notes, opinions) redacted."""
    walk = Redactor.walker(redact)
    return dataclasses.replace(event, data=MappingProxyType(walk(dict(event.data))))
