"""HTML forms for the lifecycle actions, drawn from the command classes themselves.

The form's fields are the command's dataclass fields, so a new field or a new action shows up
without a template change; what is sent is turned back into the plain mapping
`command_from_payload` takes, so the form and the JSON API share one validation.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from core.domain.calendar import Period
from core.domain.commands import COMMANDS
from core.domain.lifecycle import Action
from core.web.labels import CHOICE_LABELS, FIELD_LABELS

__all__ = ["FormField", "action_fields", "payload_from_form"]

# Fields a form never shows: set by the system, or too rarely used to clutter the form.
# Short answers: one line, not a text area.
_ONE_LINE = frozenset({"cause", "agency", "respondent", "category", "timer", "place", "accused"})
# A supplement's intake answers come through the intake fields, not a free-text box.
_HIDDEN: Mapping[Action, frozenset[str]] = {Action.SUPPLY: frozenset({"fields"})}


@dataclass(frozen=True, slots=True)
class FormField:
    """One input of an action form."""

    name: str
    label: str
    widget: str  # text, textarea, select, checkboxes, checkbox, lines, number
    choices: tuple[tuple[str, str], ...] = ()
    value: str = ""
    optional_choice: bool = False  # a select whose first option is "not given"


def _unwrap(hint: Any) -> tuple[Any, bool]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return args[0], True
    return hint, False


def _enum_choices(name: str, members: Sequence[enum.Enum]) -> tuple[tuple[str, str], ...]:
    labels = CHOICE_LABELS.get(name, {})
    return tuple((str(m.value), labels.get(str(m.value), str(m.value))) for m in members)


def action_fields(
    action: Action,
    *,
    units: Sequence[tuple[str, str]] = (),
    handlers: Sequence[str] = (),
    reply_modes: Sequence[str] = (),
    reply_sections: Sequence[str] = (),
    me: str = "",
    current: Mapping[str, Any] | None = None,
) -> tuple[FormField, ...]:
    """The inputs of `action`'s form, with the choices the tenant offers (units, reply modes).

    `current` prefills the fields the case already has a value for (its classification on the
    register form), so submitting the form unchanged changes nothing.
    """
    cls = COMMANDS[action]
    hints = typing.get_type_hints(cls)
    fields: list[FormField] = []
    for spec in dataclasses.fields(cls):
        name = spec.name
        if name in _HIDDEN.get(action, frozenset()):
            continue
        hint, optional = _unwrap(hints[name])
        label = FIELD_LABELS.get(name, name)
        if name == "unit_code":
            fields.append(FormField(name, label, "select", tuple(units), optional_choice=True))
        elif name == "handler" and action is Action.SIGN_FOR:
            choices = tuple((user, user) for user in dict.fromkeys([me, *handlers]) if user)
            fields.append(FormField(name, label, "select", choices, value=me))
        elif name == "mode" and action is Action.REPLY:
            members = [m for m in hint if not reply_modes or m.value in reply_modes]
            fields.append(FormField(name, label, "select", _enum_choices(name, members)))
        elif name == "content" and action is Action.REPLY:
            template = "\n\n".join(f"【{section}】\n" for section in reply_sections)
            fields.append(FormField(name, label, "textarea", value=template))
        elif isinstance(hint, type) and issubclass(hint, enum.Enum):
            default = "" if optional else str(getattr(spec.default, "value", ""))
            fields.append(
                FormField(name, label, "select", _enum_choices(name, list(hint)), default, optional)
            )
        elif typing.get_origin(hint) is frozenset:
            (member,) = typing.get_args(hint)
            fields.append(FormField(name, label, "checkboxes", _enum_choices(name, list(member))))
        elif typing.get_origin(hint) is tuple:
            fields.append(FormField(name, label, "lines"))
        elif hint is bool:
            fields.append(FormField(name, label, "checkbox"))
        elif hint is Decimal:
            fields.append(FormField(name, label, "number"))
        elif hint in (Period, date) or name in _ONE_LINE:
            fields.append(FormField(name, label, "text"))
        else:
            fields.append(FormField(name, label, "textarea"))
    if current:
        fields = [
            dataclasses.replace(f, value=str(getattr(current[f.name], "value", current[f.name])))
            if f.name in current and f.widget in ("text", "select") and current[f.name] not in (None, "")
            else f
            for f in fields
        ]
    return tuple(fields)


def payload_from_form(action: Action, form: Mapping[str, Any], multi: Mapping[str, list[str]]) -> dict:
    """The plain mapping for `command_from_payload` from what the form sent.

    Blank inputs are left out, so the command's own default applies and a required one is
    reported by the command's validation, with its message.
    """
    cls = COMMANDS[action]
    hints = typing.get_type_hints(cls)
    payload: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):
        name = spec.name
        hint, _ = _unwrap(hints[name])
        origin = typing.get_origin(hint)
        if hint is bool:
            if form.get(name):
                payload[name] = True
            continue
        if origin is frozenset:
            values = [value for value in multi.get(name, []) if value]
            if values:
                payload[name] = values
            continue
        raw = form.get(name)
        if not isinstance(raw, str) or not raw.strip():
            continue
        if origin is tuple:
            payload[name] = [line.strip() for line in raw.splitlines() if line.strip()]
        else:
            payload[name] = raw.replace("\r\n", "\n")
    return payload
