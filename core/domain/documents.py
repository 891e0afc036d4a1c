"""Rendering a document template for a case. Identity never enters a document from here.

Placeholders a template body may use: ``{serial}``, ``{kind}``, ``{channel}``, ``{state}``,
``{title}``, ``{content}``, ``{received_at}`` (local, minutes), ``{category}``, ``{severity}``,
``{unit}``, ``{cause}``, ``{opinion}``, ``{reply_mode}``, ``{reply_content}``, ``{tenant}``.
An unknown placeholder is an error, so a typo in a plugin's template fails its conformance run.
"""

from __future__ import annotations

import string
from zoneinfo import ZoneInfo

from core.domain.cases import Case
from core.domain.decisions import DocumentTemplate
from core.domain.errors import InvalidCommand
from core.domain.tenancy import TenantContext

__all__ = ["PLACEHOLDERS", "check_template", "render_document"]

PLACEHOLDERS = frozenset(
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
        "tenant",
    }
)


def check_template(body: str) -> None:
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
        if field not in PLACEHOLDERS:
            allowed = "、".join(sorted(PLACEHOLDERS))
            raise InvalidCommand(f"文书模板使用了未知占位符 {{{field}}}；可用：{allowed}", field=field)


def render_document(template: DocumentTemplate, case: Case, ctx: TenantContext) -> str:
    """The template's body filled in from `case` in the tenant's time zone."""
    check_template(template.body)
    unit = ctx.unit(case.unit_code) if case.unit_code else None
    values = dict(
        serial=case.serial,
        kind=case.kind.label,
        channel=case.channel.label,
        state=case.state.label,
        title=case.title,
        content=case.content,
        received_at=case.received_at.astimezone(ZoneInfo(ctx.timezone)).strftime("%Y-%m-%d %H:%M"),
        category=case.category,
        severity=case.severity.value,
        unit=unit.name if unit else "",
        cause=case.cause,
        opinion=case.opinion,
        reply_mode=case.reply_mode,
        reply_content=case.reply_content,
        tenant=ctx.name,
    )
    # Placeholders were checked above: plain names only, so format_map cannot reach attributes.
    return template.body.format_map(values)
