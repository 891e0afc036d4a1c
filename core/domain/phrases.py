"""Standard phrases 规范用语 as an operator reads them out: their placeholders filled from the case.

A plugin writes a phrase with placeholders where its seed text has a blank (``{department}``,
``{phone}``); the operator must never read a placeholder aloud. What the case knows fills it;
what it does not know yet shows as a blank to fill in, never as the placeholder's key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from core.domain.cases import Case
from core.domain.decisions import StandardPhrase
from core.domain.events import CaseEvent, EventName
from core.domain.tenancy import Unit

__all__ = ["BLANK", "fill_phrase", "phrase_values"]

BLANK = "＿＿＿＿"
"""What a placeholder the case cannot fill yet reads as: a blank the operator fills in."""

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_PHONE = re.compile(r"(?:电话|联系电话|tel\.?)\s*[：:]?\s*([0-9][0-9\- ]{2,}[0-9])", re.IGNORECASE)


def fill_phrase(phrase: StandardPhrase, values: Mapping[str, str]) -> StandardPhrase:
    """`phrase` with each ``{placeholder}`` replaced by its value, or by `BLANK`."""
    text = _PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or BLANK, phrase.text)
    return StandardPhrase(phrase.key, text, phrase.step)


def phrase_values(case: Case, events: Iterable[CaseEvent], units: Sequence[Unit]) -> dict[str, str]:
    """What the case can say into a phrase: the body it went to and that body's phone.

    The department is the body named in the latest referral 移送 (with its phone, as 12312's
    rules have it written), else the unit handling the case.
    """
    referral = next(
        (e.data.get("agency", "") for e in reversed(list(events)) if e.name == EventName.REFERRED_OUT), ""
    )
    phone = _PHONE.search(referral)
    department = re.sub(r"[（(][^）)]*(?:电话|tel)[^）)]*[）)]", "", referral, flags=re.IGNORECASE).strip()
    if not department and case.unit_code:
        department = next((u.name for u in units if u.code == case.unit_code), "")
    return {
        "department": department,
        "phone": phone.group(1).strip() if phone else "",
        "serial": case.serial,
        "title": case.title,
    }
