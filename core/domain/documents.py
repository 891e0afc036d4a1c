"""Documents: templates filled from a case, laid out as blocks, and written out as HTML.

A template body is plain text with ``{placeholders}``. Three families may be used:

* the case's own fields (`CASE_PLACEHOLDERS`): ``{serial}``, ``{kind}``, ``{channel}``,
  ``{state}``, ``{title}``, ``{content}``, ``{received_at}`` (local, minutes), ``{category}``
  (by its label among the intake schema's choices), ``{severity}``, ``{unit}``, ``{cause}``
  and ``{opinion}`` (the dispatch's), ``{reply_mode}``, ``{reply_content}``, ``{owner}``
  (首问/首办责任人), ``{tenant}``, and ``{intake_facts}``: every intake field answered, one
  ``label：answer`` line each;
* the plugin's intake fields, as ``{field_<key>}`` (e.g. ``{field_respondent}``): every
  non-identity field of the case kind's intake schema, a choice printed by its label;
* facts read from the case's record by the service (`FACT_PLACEHOLDERS`), the latest of each
  kind of event: the document's ``{number}`` and ``{issued_at}``; who registered it and when;
  a refusal's reason; a referral's receiving body ``{referred_to}`` (with its phone, as the
  person is told), reason and time; the draft opinion put up for approval
  (``{draft_opinion}``), the approvals (``{approval_opinion}`` the last, ``{approval_opinions}``
  each approver's of the current round), the leader's ``{instruction}``; the handler, the
  dispatch, extension, return, investigation (``{investigators}``, ``{interviewee}``,
  ``{findings}``…), reply and feedback details, ``{reply_sections}`` (the sections the plugin
  requires of a reply, each with what the reply says under it), ``{deadline}``, a date agreed
  with the person (``{agreed_due_on}``, ``{agreed_reason}``); and the closing: its
  ``{closing_summary}``, ``{outcome}`` (by label), ``{respondent}``, ``{amount}`` (元);
* the complainant (`IDENTITY_PLACEHOLDERS`), which the service fills per recipient: withheld
  for a handling unit, masked for everyone else. Identity never reaches a template any other way.

Templates about no case (`CASE_FREE_TEMPLATES`, the duty handover) use `HANDOVER_PLACEHOLDERS`.
An unknown placeholder is an error, so a typo in a plugin's template fails its conformance run.

A filled-in body is laid out for print and the browser by `core.domain.layout`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

from core.domain.cases import Case, CaseKind
from core.domain.commands import Outcome, ReplyMode
from core.domain.decisions import DocumentTemplate, IntakeSchema
from core.domain.errors import InvalidCommand
from core.domain.events import CaseEvent, EventName
from core.domain.masking import mask_identity
from core.domain.redaction import WITHHELD
from core.domain.tenancy import TenantContext

__all__ = [
    "CASE_FREE_TEMPLATES",
    "CASE_PLACEHOLDERS",
    "FACT_PLACEHOLDERS",
    "FIELD_PREFIX",
    "HANDOVER_PLACEHOLDERS",
    "IDENTITY_PLACEHOLDERS",
    "NUMBER_PREFIXES",
    "PLACEHOLDERS",
    "WITHHELD",
    "FilledDocument",
    "blank_sections",
    "case_facts",
    "check_template",
    "document_number",
    "field_placeholders",
    "fill",
    "fill_document",
    "identity_values",
    "render_document",
    "resolve_templates",
    "split_reply_sections",
]

CASE_PLACEHOLDERS = frozenset(
    {
        "serial",
        "kind",
        "channel",
        "state",
        "title",
        "content",
        "received_at",
        "category",
        "severity",
        "unit",
        "cause",
        "opinion",
        "reply_mode",
        "reply_content",
        "owner",
        "tenant",
        "intake_facts",
    }
)
FACT_PLACEHOLDERS = frozenset(
    {
        "number",
        "issued_at",
        "handler",
        "dispatched_at",
        "dispatched_by",
        "deadline",
        "extension_reason",
        "extension_period",
        "extension_requested_by",
        "extension_requested_at",
        "extension_approved_by",
        "extension_approved_at",
        "return_reason",
        "returned_at",
        "returned_by",
        "investigated_at",
        "investigated_by",
        "investigators",
        "interviewee",
        "findings",
        "replied_at",
        "reply_sections",
        "satisfaction",
        "feedback_note",
        "feedback_at",
        "feedback_by",
        "agreed_due_on",
        "agreed_reason",
        "investigated_place",
        "registered_by",
        "registered_at",
        "refusal_reason",
        "refused_at",
        "referred_to",
        "referral_reason",
        "referred_at",
        "draft_opinion",
        "submitted_by",
        "submitted_at",
        "approval_opinion",
        "approved_by",
        "approved_at",
        "approval_opinions",
        "instruction",
        "instructed_by",
        "instructed_at",
        "closing_summary",
        "outcome",
        "respondent",
        "amount",
        "closed_by",
        "closed_at",
    }
)
IDENTITY_PLACEHOLDERS = frozenset({"complainant_name", "complainant_phone", "complainant_address"})
PLACEHOLDERS = CASE_PLACEHOLDERS | FACT_PLACEHOLDERS | IDENTITY_PLACEHOLDERS
"""Every placeholder a case document's template may use."""

HANDOVER_PLACEHOLDERS = frozenset(
    {"tenant", "number", "shift", "written_by", "written_at", "cases_received", "pending", "documents"}
    | {"equipment", "notes"}
)
CASE_FREE_TEMPLATES = frozenset({"handover_record"})
"""Template keys about no case: rendered from their own record, never offered for a case."""

NUMBER_PREFIXES = MappingProxyType(
    {
        "registration_form": "登记",
        "transfer_slip": "转办",
        "supervision_notice": "督办",
        "extension": "延期",
        "reply": "答复",
        "return_request": "退信",
        "phone_feedback": "回访",
        "handover_record": "交接",
        "monthly_circular": "通报",
    }
)
"""The number prefix of each core document kind; another kind is numbered after its title."""

ANONYMOUS = "匿名"
_MISSING_SECTION = "（答复未载明此项）"


def check_template(body: str, allowed: frozenset[str] = PLACEHOLDERS) -> None:
    """Refuse a template body with an unknown, indexed, attribute or positional placeholder.

    Raises:
        InvalidCommand: naming the offending placeholder, or the stray brace.
    """
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(body) if field is not None]
    except ValueError as exc:
        raise InvalidCommand(
            f"文书模板格式错误（{exc}）；字面的花括号请写成 {{{{ 或 }}}}", field="body"
        ) from None
    for field in fields:
        if field not in allowed:
            names = "、".join(sorted(allowed))
            raise InvalidCommand(f"文书模板使用了未知占位符 {{{field}}}；可用：{names}", field=field)


def fill(body: str, values: Mapping[str, str], allowed: frozenset[str]) -> str:
    """`body` with its placeholders filled from `values`; a placeholder with no value is left blank."""
    check_template(body, allowed)
    complete = {name: "" for name in allowed} | {k: v for k, v in values.items() if k in allowed}
    # Placeholders were checked above: plain names only, so format_map cannot reach attributes.
    return body.format_map(complete)


FIELD_PREFIX = "field_"


def field_placeholders(schema: IntakeSchema | None, kind: CaseKind) -> dict[str, str]:
    """``field_<key>`` for each non-identity intake field of `kind`, with its label."""
    if schema is None:
        return {}
    return {
        f"{FIELD_PREFIX}{spec.key}": spec.label
        for spec in schema.fields
        if kind in spec.kinds and not spec.identity
    }


@dataclass(frozen=True, slots=True)
class FilledDocument:
    """A template filled in, and the sections of it that came out blank (by their label)."""

    text: str
    blank: tuple[str, ...]


def render_document(
    template: DocumentTemplate,
    case: Case,
    ctx: TenantContext,
    facts: Mapping[str, str] | None = None,
    identity: Mapping[str, str] | None = None,
    schema: IntakeSchema | None = None,
) -> str:
    """The template's body filled in from `case` in the tenant's time zone (see `fill_document`)."""
    return fill_document(template, case, ctx, facts, identity, schema).text


def fill_document(
    template: DocumentTemplate,
    case: Case,
    ctx: TenantContext,
    facts: Mapping[str, str] | None = None,
    identity: Mapping[str, str] | None = None,
    schema: IntakeSchema | None = None,
) -> FilledDocument:
    """The template's body filled in from `case`, with the sections left blank.

    `facts` fill `FACT_PLACEHOLDERS` (see `case_facts`); `identity` fills
    `IDENTITY_PLACEHOLDERS` with values already redacted for the recipient (see
    `identity_values`). Without them those placeholders are blank — never the identity.
    `schema` (the plugin's intake schema for the case kind) opens the ``{field_<key>}``
    placeholders.
    """
    values = _values(case, ctx, facts, identity, schema)
    allowed = PLACEHOLDERS | frozenset(field_placeholders(schema, case.kind))
    text = fill(template.body, values, allowed)
    return FilledDocument(text, blank_sections(template.body, values))


_LABELLED_RE = re.compile(r"([^　：\n{}]+)：\{(\w+)\}")


def blank_sections(body: str, values: Mapping[str, str]) -> tuple[str, ...]:
    """The sections of `body` whose placeholder has no value: ``标签：{x}`` by its label, else ``{x}``."""
    labels = {name: label.strip() for label, name in _LABELLED_RE.findall(body)}
    names = [name for _, name, _, _ in string.Formatter().parse(body) if name]
    blank = [name for name in names if not str(values.get(name, "")).strip()]
    return tuple(dict.fromkeys(labels.get(name, f"{{{name}}}") for name in blank))


def _values(
    case: Case,
    ctx: TenantContext,
    facts: Mapping[str, str] | None,
    identity: Mapping[str, str] | None,
    schema: IntakeSchema | None,
) -> dict[str, str]:
    """Every placeholder's value for `case`: its own fields, the facts, the identity given, intake."""
    unit = ctx.unit(case.unit_code) if case.unit_code else None
    values = dict(
        serial=case.serial,
        kind=case.kind.label,
        channel=case.channel.label,
        state=case.state.label,
        title=case.title,
        content=case.content,
        received_at=_local(case.received_at, ctx.timezone),
        category=schema.label_of(case.category) if schema else case.category,
        severity=case.severity.label,
        unit=unit.name if unit else "",
        cause=case.cause,
        opinion=case.opinion,
        reply_mode=ReplyMode(case.reply_mode).label if case.reply_mode else "",
        reply_content=case.reply_content,
        owner=case.owner,
        tenant=ctx.name,
    )
    values |= {k: v for k, v in (facts or {}).items() if k in FACT_PLACEHOLDERS}
    values |= {k: v for k, v in (identity or {}).items() if k in IDENTITY_PLACEHOLDERS}
    specs = {spec.key: spec for spec in (schema.fields if schema else ()) if not spec.identity}
    values["intake_facts"] = "\n".join(
        f"{spec.label}：{text}"
        for spec in specs.values()
        if case.kind in spec.kinds and (text := spec.text(case.fields.get(spec.key)))
    )
    values |= {
        name: specs[name.removeprefix(FIELD_PREFIX)].text(case.fields.get(name.removeprefix(FIELD_PREFIX)))
        for name in field_placeholders(schema, case.kind)
    }
    return values


def resolve_templates(templates: Iterable[DocumentTemplate]) -> dict[str, DocumentTemplate]:
    """Templates by key; a later one replaces an earlier one (the core's come first, so a plugin wins)."""
    return {template.key: template for template in templates}


def document_number(kind: str, title: str, year: int, n: int) -> str:
    """A document's number, e.g. ``转办-2026-0007``: gap-free per tenant, kind and year."""
    prefix = NUMBER_PREFIXES.get(kind) or re.sub(r"\s+", "", title)[:12] or "文书"
    return f"{prefix}-{year}-{n:04d}"


def identity_values(identity: Mapping[str, object] | None, *, anonymous: bool, shown: str) -> dict[str, str]:
    """The identity placeholders for one recipient.

    `shown` is ``"withheld"`` (a handling unit: nothing of the person, not even masked) or
    ``"masked"`` (everyone else). An anonymous case says so; clear values are never returned.
    """
    if anonymous or not identity:
        return dict.fromkeys(_IDENTITY_KEYS, ANONYMOUS if anonymous else "")
    values = {
        slot: next((str(identity[k]) for k in keys if identity.get(k)), "")
        for slot, keys in _IDENTITY_KEYS.items()
    }
    if shown == "withheld":
        return {slot: WITHHELD if value else "" for slot, value in values.items()}
    masked = mask_identity(
        {
            "name": values["complainant_name"],
            "phone": values["complainant_phone"],
            "address": values["complainant_address"],
        }
    )
    return {
        "complainant_name": masked["name"],
        "complainant_phone": masked["phone"],
        "complainant_address": masked["address"],
    }


_IDENTITY_KEYS = {
    "complainant_name": ("name",),
    "complainant_phone": ("phone", "mobile", "tel"),
    "complainant_address": ("address",),
}


def split_reply_sections(content: str, sections: Sequence[str]) -> str:
    """The reply's required sections, each with what the reply says under it.

    A section is found where the reply names it (``调查经过：…`` or ``【调查经过】…``) and runs to
    the next named section. A section the reply does not name is printed as missing, so the
    reviewer sees the gap rather than a silently incomplete reply. Text before the first named
    section (all of it when none is named: an oral reply, which the sections do not bind) comes
    first, so the answer itself is never dropped.
    """
    if not sections:
        return content
    marks = []
    for section in sections:
        match = re.search(rf"(?:【{re.escape(section)}】|{re.escape(section)}\s*[：:])", content)
        if match:
            marks.append((match.start(), match.end(), section))
    marks.sort()
    found: dict[str, str] = {}
    for i, (_, end, section) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(content)
        found[section] = content[end:stop].strip().rstrip("；;")
    numerals = "一二三四五六七八九十"
    leading = content[: marks[0][0] if marks else len(content)].strip()
    lines = [leading] if leading else []
    for i, section in enumerate(sections):
        numeral = numerals[i] if i < len(numerals) else str(i + 1)
        lines.append(f"{numeral}、{section}\n{found.get(section) or _MISSING_SECTION}")
    return "\n".join(lines)


def case_facts(
    case: Case,
    events: Sequence[CaseEvent],
    ctx: TenantContext,
    *,
    number: str,
    issued_at: datetime,
    reply_sections: Sequence[str] = (),
    deadline: datetime | None = None,
) -> dict[str, str]:
    """The `FACT_PLACEHOLDERS` for a document on `case`, read from its events (latest wins)."""
    zone = ctx.timezone
    facts: dict[str, str] = {
        "number": number,
        "issued_at": _local(issued_at, zone),
        "handler": case.handler or "",
        "deadline": _local(deadline, zone) if deadline else "",
        "reply_sections": split_reply_sections(case.reply_content, reply_sections),
        "satisfaction": case.satisfaction.label if case.satisfaction else "",
    }
    approvals: list[str] = []
    for event in events:
        data = event.data
        when, who = _local(event.at, zone), event.actor
        match event.name:
            case EventName.DISPATCHED:
                facts |= {"dispatched_at": when, "dispatched_by": who}
            case EventName.EXTENSION_REQUESTED:
                facts |= {
                    "extension_reason": str(data.get("reason", "")),
                    "extension_period": _period(data.get("period")),
                    "extension_requested_by": who,
                    "extension_requested_at": when,
                }
            case EventName.EXTENDED:
                facts |= {
                    "extension_approved_by": who,
                    "extension_approved_at": when,
                    "extension_period": _period(data.get("period")) or facts.get("extension_period", ""),
                    # The leader's grant states its reason too; the request's stays when it has one.
                    "extension_reason": facts.get("extension_reason") or str(data.get("reason", "")),
                }
            case EventName.RETURNED:
                facts |= {
                    "return_reason": str(data.get("reason", "")),
                    "returned_at": when,
                    "returned_by": who,
                }
            case EventName.INVESTIGATED:  # 调查取证: the record a 调查笔录 prints
                facts |= {
                    "investigated_at": when,
                    "investigated_by": who,
                    "investigators": "、".join(str(name) for name in data.get("investigators") or ()),
                    "interviewee": str(data.get("interviewee", "")),
                    "investigated_place": str(data.get("place", "")),
                    "findings": str(data.get("findings", "")),
                }
            case EventName.DEADLINE_SET:  # 约定/承诺期限: the date told to the person, and why
                facts |= {
                    "agreed_due_on": str(data.get("due_on", "")),
                    "agreed_reason": str(data.get("reason", "")),
                }
            case EventName.REGISTERED:
                facts |= {"registered_by": who, "registered_at": when}
            case EventName.REFUSED:
                facts |= {"refusal_reason": str(data.get("reason", "")), "refused_at": when}
            case EventName.REFERRED_OUT:  # 移送: the receiving body, as the person is told it
                facts |= {
                    "referred_to": str(data.get("agency", "")),
                    "referral_reason": str(data.get("reason", "")),
                    "referred_at": when,
                }
            case EventName.SUBMITTED_FOR_APPROVAL:  # 拟办意见 put to the approvers
                facts |= {
                    "draft_opinion": str(data.get("opinion", "")),
                    "submitted_by": who,
                    "submitted_at": when,
                }
                # A new round of approval (after a rejection) starts afresh.
                approvals = []
                for key in ("approval_opinion", "approved_by", "approved_at", "approval_opinions"):
                    facts.pop(key, None)
            case EventName.APPROVED:
                opinion = str(data.get("opinion", ""))
                approvals.append(f"{who}（{when}）：{opinion or '同意'}")
                facts |= {"approval_opinion": opinion or "同意", "approved_by": who, "approved_at": when}
                facts["approval_opinions"] = "；".join(approvals)
            case EventName.INSTRUCTED:  # 领导批示
                facts |= {
                    "instruction": str(data.get("instruction", "")),
                    "instructed_by": who,
                    "instructed_at": when,
                }
            case EventName.CLOSED:
                facts |= {
                    "closing_summary": str(data.get("summary", "")),
                    "outcome": _outcome(data.get("outcome")),
                    "respondent": str(data.get("respondent", "")),
                    "amount": _amount(data.get("amount")),
                    "closed_by": who,
                    "closed_at": when,
                }
            case EventName.REPLIED:
                facts |= {"replied_at": when}
            case EventName.FEEDBACK_RECORDED:
                facts |= {"feedback_note": str(data.get("note", "")), "feedback_at": when, "feedback_by": who}
    return facts


def _outcome(value: object) -> str:
    try:
        return Outcome(str(value)).label if value else ""
    except ValueError:
        return str(value)


def _amount(value: object) -> str:
    """An amount of money as written on a form: 1200.00 元; none (or 0) prints nothing."""
    try:
        amount = Decimal(str(value or "0"))
    except ArithmeticError:
        return str(value)
    return f"{amount:.2f} 元" if amount else ""


def _period(value: object) -> str:
    """A period in Chinese: "10 working days" (the event's canonical form) -> "10个工作日"."""
    text = str(value or "").strip()
    for english, chinese in (
        ("working days", "个工作日"),
        ("working day", "个工作日"),
        ("calendar days", "日"),
        ("calendar day", "日"),
        ("hours", "小时"),
        ("hour", "小时"),
        ("minutes", "分钟"),
        ("minute", "分钟"),
    ):
        if text.endswith(english):
            return text.removesuffix(english).strip() + chinese
    return text


def _local(instant: datetime | None, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") if instant else ""
