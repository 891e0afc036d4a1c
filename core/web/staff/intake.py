"""Intake at the desk: the form for a call, a letter or a visit, and the repeat-caller hint."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core.domain.cases import CaseKind, Channel
from core.domain.errors import DomainError, InvalidCommand
from core.domain.intake import IntakeDraft, identity_problems, text_problems
from core.domain.roles import Permission
from core.services.root import Services
from core.web.pages import form_data
from core.web.session import check_csrf
from core.web.staff.base import StaffPages, console_for

__all__ = ["IntakePages", "field_errors", "intake_draft"]


class IntakePages(StaffPages):
    """The intake form and what it posts."""

    @get("/intake")
    async def intake_form(
        self,
        request: Request,
        slug: FromPath[str],
        services: NamedDependency[Services],
        kind: FromQuery[str] = "complaint",
    ) -> Template:
        principal, _, context = await self._page(request, slug, services)
        chosen = CaseKind(kind) if kind in CaseKind.__members__.values() else CaseKind.COMPLAINT
        form = await console_for(services).intake_form(principal.tenant_id, principal.actor, chosen)
        return self._intake(context, form, {"kind": chosen.value, "channel": "phone"}, {}, "", 200)

    @staticmethod
    def _intake(context, form, values, errors, error, status) -> Template:
        return Template(
            "staff/intake.html",
            context=context
            | {
                "form": form,
                "values": values,
                "errors": errors,
                "error": error,
                "kinds": list(CaseKind),
                "channels": [(c.value, c.label) for c in Channel],
                "repeat_hint": context["user"].actor.can(Permission.IDENTITY_REVEAL),
            },
            status_code=status,
        )

    @post("/intake")
    async def intake(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Response:
        principal, csrf, context = await self._page(request, slug, services)
        raw, _ = await form_data(request)
        check_csrf(request, raw, csrf)
        values = {key: str(value) for key, value in raw.items() if key != "_csrf"}
        kind = CaseKind(values["kind"]) if values.get("kind") in CaseKind.__members__.values() else None
        form = await console_for(services).intake_form(
            principal.tenant_id, principal.actor, kind or CaseKind.COMPLAINT
        )
        draft, errors = intake_draft(form, values, context["zone"], channel=values.get("channel", ""))
        if draft is None:
            return self._intake(context, form, values, errors, "请检查标红的内容", 422)
        try:
            created = await services.cases.intake(principal.tenant_id, draft, principal.actor)
        except InvalidCommand as exc:
            errors = field_errors(form, draft, exc)
            return self._intake(context, form, values, errors, str(exc), 422)
        except DomainError as exc:
            return self._intake(context, form, values, {}, str(exc), 422)
        if values.get("receipt"):
            receipt = await console_for(services).issue_receipt(principal.tenant_id, created, principal.actor)
            return Template(
                "staff/receipt.html",
                context=context
                | {"case": created.case, "receipt": receipt.receipt, "secret": receipt.secret},
                status_code=201,
                headers={"Cache-Control": "no-store"},
            )
        return Redirect(f"/t/{slug}/cases/{created.case.id}?created=1")

    @post("/intake/repeat-caller")
    async def repeat_caller(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Template:
        """The htmx hint beside the phone field: this number's recent cases (count and serials only).

        A POST, so the number stays out of URLs and access logs; the CSRF token comes in the
        ``X-CSRF-Token`` header htmx sends.
        """
        principal, csrf, _ = await self._page(request, slug, services)
        form, _ = await form_data(request)
        check_csrf(request, form, csrf)
        hint = await console_for(services).repeat_caller(
            principal.tenant_id, principal.actor, str(form.get("phone", ""))[:40]
        )
        return Template(
            "staff/_repeat_caller.html", context={"hint": hint}, headers={"Cache-Control": "no-store"}
        )

    # --- the case page --------------------------------------------------------------------------


def intake_draft(
    form, values: dict[str, str], zone: ZoneInfo, *, channel: str
) -> tuple[IntakeDraft | None, dict]:
    """An intake draft from the form, or the per-field problems of its shape (choices, dates).

    Whether required fields are filled is the domain's call (`check_intake`), not the form's.
    """
    errors: dict[str, str] = {}
    try:
        kind = CaseKind(values.get("kind", ""))
    except ValueError:
        errors["kind"] = "请选择类型"
        kind = CaseKind.COMPLAINT
    try:
        chosen_channel = Channel(channel)
    except ValueError:
        errors["channel"] = "请选择来源渠道"
        chosen_channel = Channel.PHONE
    received_at = None
    raw_time = values.get("received_at", "").strip()
    if raw_time:
        try:
            received_at = datetime.fromisoformat(raw_time).replace(tzinfo=zone)
        except ValueError:
            errors["received_at"] = "收件时间格式应为 2026-09-30 10:00"
    if errors:
        return None, errors
    anonymous = bool(values.get("anonymous"))
    identity = {
        s.key: values.get(s.key, "").strip()
        for s in form.fields
        if s.identity and values.get(s.key, "").strip()
    }
    fields = {
        s.key: values.get(s.key, "").strip()
        for s in form.fields
        if not s.identity and values.get(s.key, "").strip()
    }
    draft = IntakeDraft(
        kind=kind,
        channel=chosen_channel,
        title=values.get("title", ""),
        content=values.get("content", ""),
        received_at=received_at,
        anonymous=anonymous,
        identity={} if anonymous else identity,
        fields=fields,
    )
    return draft, {}


def field_errors(form, draft: IntakeDraft, exc: InvalidCommand) -> dict[str, str]:
    """Put the domain's intake refusal next to the fields it is about.

    The missing fields are the schema's own answer (`IntakeSchema.missing`), so the page and
    `check_intake` cannot disagree.
    """
    errors: dict[str, str] = {}
    if not draft.title.strip():
        errors["title"] = "请填写标题"
    if not draft.content.strip():
        errors["content"] = "请填写内容"
    values = {**draft.fields, **draft.identity}
    for spec in form.schema.missing(draft.kind, values, anonymous=draft.anonymous):
        errors[spec.key] = f"请填写{spec.label}"
    if exc.field in ("received_at", "anonymous"):
        errors[exc.field] = str(exc)
    errors |= dict(identity_problems(draft, form.schema)) | dict(text_problems(draft, form.schema))
    return errors
