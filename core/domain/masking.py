"""Masking of personal data for display to people who may not see it in full (脱敏).

Every function is safe on empty input: None or "" gives "".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "IDENTITY_KEYS",
    "PHONE_KEYS",
    "mask_address",
    "mask_id_number",
    "mask_identity",
    "mask_name",
    "mask_phone",
    "mask_text",
]

_MOBILE_RE = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")
_LANDLINE_RE = re.compile(r"^(0\d{2,3})-?(\d{7,8})$")
_ID_RE = re.compile(r"^(?:\d{17}[\dXx]|\d{15})$")
_ADDRESS_PART_RE = re.compile(r"街道|[区县市镇乡]")

# Inside free text: ID numbers first (an 18-digit ID contains 11-digit runs), then mobiles
# (optionally +86 and spaced/dashed 3-4-4), then landlines written with a dash after the area code.
# ASCII classes on purpose: \b and \w treat Chinese characters as word characters.
_IN_TEXT_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"(?P<id>\d{17}[\dXx]|\d{15})"
    r"|(?P<mobile>(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4})"
    r"|(?P<landline>0\d{2,3}-\d{7,8})"
    r")(?![0-9A-Za-z])",
    re.ASCII,
)


def mask_name(name: str | None) -> str:
    """Keep the first character of a name and mask the rest: "张三丰" -> "张**", "John" -> "J***".

    A one-character name is fully masked ("*").
    """
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str | None) -> str:
    """Mask a phone number.

    A mobile (11 digits, optional +86) keeps the first 3 and last 4 digits: "138****5678". A
    landline keeps the area code and the last 2 digits: "0571-******88". Anything else keeps only
    its last 2 characters.
    """
    phone = (phone or "").strip()
    compact = re.sub(r"[\s()-]", "", phone)
    if mobile := _MOBILE_RE.match(compact):
        number = mobile.group(1)
        return f"{number[:3]}****{number[-4:]}"
    landline = _LANDLINE_RE.match(re.sub(r"[\s()]", "", phone))
    if landline:
        area, local = landline.groups()
        return f"{area}-{'*' * (len(local) - 2)}{local[-2:]}"
    return _keep_last(phone, 2)


def mask_id_number(id_number: str | None) -> str:
    """Mask a Chinese resident ID (18 or 15 characters): first 6 and last 4 stay, e.g. "110101********4258".

    Anything else keeps only its last 4 characters (a short value is masked entirely).
    """
    id_number = (id_number or "").strip()
    if _ID_RE.match(id_number):
        return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]
    return _keep_last(id_number, 4)


def mask_address(address: str | None) -> str:
    """Keep an address up to and including its first 区/县/市/镇/乡/街道, then "****".

    "浙江省杭州市西湖区文三路90号" -> "浙江省杭州市****". Without any of those parts the first 3
    characters stay.
    """
    address = (address or "").strip()
    if not address:
        return ""
    part = _ADDRESS_PART_RE.search(address)
    return (address[: part.end()] if part else address[:3]) + "****"


def mask_text(text: str | None) -> str:
    """Mask the phone and ID numbers found inside free text; the rest is unchanged."""

    def masked(match: re.Match[str]) -> str:
        if match.group("id"):
            return mask_id_number(match.group("id"))
        return mask_phone(match.group(0))

    return _IN_TEXT_RE.sub(masked, text or "")


def _keep_last(value: str, keep: int) -> str:
    """Mask all but the last `keep` characters; a value no longer than `keep` is masked entirely."""
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]


PHONE_KEYS = ("phone", "mobile", "tel")
"""The keys a phone number goes under, the usual first (masked and blind-indexed as one)."""

# Which masking a known identity field gets; anything else is scrubbed as free text.
_FIELD_MASKS = {
    "name": mask_name,
    **dict.fromkeys(PHONE_KEYS, mask_phone),
    "id_number": mask_id_number,
    "address": mask_address,
}

IDENTITY_KEYS = frozenset({*_FIELD_MASKS, "work_unit", "email"})
"""The complainant's details every intake takes under `identity` (a plugin may declare more)."""


def mask_identity(identity: Mapping[str, Any]) -> dict[str, str]:
    """Every value of an identity masked, by what its key says it is."""
    return {
        key: _FIELD_MASKS.get(key, mask_text)(None if value is None else str(value))
        for key, value in identity.items()
    }
