"""Case files: a case as it leaves the system, redacted for whoever receives it.

A case file holds the case's fields, timers, events, documents and the descriptions of its
attachments (never their bytes). How much of the complainant it shows depends on the recipient:

``unit``
    A handling unit — possibly the department the complaint is about. No identity at all, not
    even masked; attachments only counted; the reasons given for reading the identity, and the
    names and digests of attachments, are dropped from the events.
``supervisor``
    The identity masked (``mask_identity``).
``archive``
    The full record, with the identity masked; in clear only for a caller holding
    ``identity:reveal`` who gives a reason, which is read through `CaseService.reveal_identity`
    and so recorded like any other reading.

Free text (title, content, replies, event data, document bodies, file names) is scrubbed too:
wherever the complainant's own name, phone, address or ID number appears in it, it is withheld
for a unit and masked for the others, and a unit's and a supervisor's copy also mask any other
phone or ID number. Only an archive file read with a reason is verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from core.domain.errors import InvalidCommand, NotPermitted
from core.domain.events import ATTACHMENT_ADDED, CaseEvent
from core.domain.masking import mask_identity, mask_text
from core.domain.roles import Actor, Permission
from core.services.cases import IDENTITY_REVEALED, CaseService
from core.store.repositories import CaseRepository, StoredDocument, StoredTimer
from core.store.tx import tenant_tx

__all__ = ["RECIPIENTS", "WITHHELD", "CaseExport", "clear_identity", "scrubber"]

RECIPIENTS = ("unit", "supervisor", "archive")
"""Who a case file can be made for, from the least to the most it may show."""

WITHHELD = "[已隐去]"
"""What a unit's copy shows where free text named the complainant."""

_CHOICES = "unit（承办单位，不含投诉人身份）、supervisor（督查，身份脱敏）、archive（归档）"
_PHONE_KEYS = frozenset({"phone", "mobile", "tel"})
# Event data a unit does not get: why someone read the identity, and which files were handed in.
_UNIT_DROPS = {IDENTITY_REVEALED: frozenset({"reason"}), ATTACHMENT_ADDED: frozenset({"filename", "sha256"})}


class CaseExport:
    """Case files for a recipient, through the case service (its permissions, its reveal log)."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    async def case_file(
        self,
        tenant_id: int,
        case_id: int,
        actor: Actor,
        recipient: str,
        *,
        reveal_reason: str | None = None,
    ) -> dict[str, Any]:
        """The case file for `recipient` ("unit", "supervisor" or "archive"), JSON-ready.

        With `reveal_reason` (archive only), the identity is read in clear and the reading is
        recorded with that reason; the file then includes the reveal's own event.

        Raises:
            InvalidCommand: an unknown recipient, or a reveal reason that is empty or not for an
                archive file.
            NotPermitted: the actor may not read cases, or gave a reason without holding
                ``identity:reveal``.
            CaseNotFound: no such case in this tenant.
        """
        if recipient not in RECIPIENTS:
            raise InvalidCommand(f"未知的案卷接收方“{recipient}”；可选：{_CHOICES}", field="recipient")
        if reveal_reason is not None:
            if recipient != "archive":
                raise InvalidCommand(
                    "只有归档案卷（recipient=archive）可以说明理由后载明投诉人身份原文", field="reveal_reason"
                )
            if len(reveal_reason.strip()) < 2:
                raise InvalidCommand("载明投诉人身份原文须说明理由", field="reveal_reason")
        async with tenant_tx(tenant_id):
            view = await self.cases.get(tenant_id, case_id, actor)  # CASE_READ; another tenant's: 404
            if reveal_reason is not None and not actor.can(Permission.IDENTITY_REVEAL):
                raise NotPermitted(
                    f"您的角色无权在案卷中载明投诉人身份（需要权限 {Permission.IDENTITY_REVEAL.value}）"
                )
            repo = CaseRepository(tenant_id)
            clear = await clear_identity(self.cases, repo, tenant_id, case_id)
            revealed = clear is not None and reveal_reason is not None
            if revealed:
                # Through the service, so the reading is logged and becomes an event like any other.
                clear = await self.cases.reveal_identity(
                    tenant_id, case_id, actor, f"归档导出：{reveal_reason.strip()}"
                )
            if recipient != "unit" and not actor.can(Permission.CASE_MATERIALS):
                raise NotPermitted("您的角色只能导出交办单位版案卷（不含投诉材料和投诉人信息）")
            events = await self.cases.events(tenant_id, case_id, actor)
            if recipient == "unit":
                masked = None
                attachments = await repo.attachments(case_id)  # counted only, never listed
            else:
                masked = await self.cases.identity(tenant_id, case_id, actor)
                attachments = await self.cases.attachments(tenant_id, case_id, actor)
            documents = await repo.documents(case_id)
        case = view.case
        body: dict[str, Any] = {
            "redaction": recipient,
            "exported_at": self.cases.clock.now().isoformat(),
            "exported_by": actor.username,
            "case": {
                "id": case.id,
                "serial": case.serial,
                "kind": case.kind.value,
                "channel": case.channel.value,
                "state": case.state.value,
                "state_label": case.state.label,
                "title": case.title,
                "content": case.content,
                "received_at": case.received_at.isoformat(),
                "severity": case.severity.value,
                "flags": sorted(flag.value for flag in case.flags),
                "complexity": case.complexity.value,
                "category": case.category,
                "anonymous": case.anonymous,
                "unit_code": case.unit_code,
                "handler": case.handler,
                "cause": case.cause,
                "opinion": case.opinion,
                "reply_mode": case.reply_mode,
                "reply_content": case.reply_content,
                "satisfaction": case.satisfaction.value if case.satisfaction else None,
                "approvals": list(case.approvals),
                "extensions": case.extensions,
                "version": case.version,
                "fields": dict(case.fields),
            },
            "timers": [_timer(stored) for stored in view.timers],
            "events": [_event(seq, event, recipient) for seq, event in enumerate(events, start=1)],
            "documents": [_document(document) for document in documents],
            "attachments": {"count": len(attachments)},
        }
        if recipient != "unit":
            body["attachments"]["items"] = [
                {"filename": a.filename, "size": a.size, "sha256": a.sha256} for a in attachments
            ]
        if not revealed:
            body = _scrubbed(body, scrubber(clear, recipient))
        if recipient != "unit":
            if clear is None:
                disclosure, values = "none", {}
            elif revealed:
                disclosure, values = "clear", dict(clear)
            else:
                disclosure, values = "masked", dict(masked.masked)
            body["identity"] = {
                "anonymous": case.anonymous,
                "disclosure": disclosure,
                "values": values,
                "related_cases": list(masked.related),
            }
        return body

    async def documents(self, tenant_id: int, case_id: int, actor: Actor) -> list[StoredDocument]:
        """The documents issued on the case (supervision notices …), oldest first.

        Raises:
            NotPermitted: the actor may not read cases.
            CaseNotFound: no such case in this tenant.
        """
        async with tenant_tx(tenant_id):
            await self.cases.get(tenant_id, case_id, actor)
            return await CaseRepository(tenant_id).documents(case_id)


async def clear_identity(
    cases: CaseService, repo: CaseRepository, tenant_id: int, case_id: int
) -> dict[str, Any] | None:
    """The identity in clear, to scrub it out of free text (shown to nobody, so not a reveal)."""
    sealed = await repo.identity(case_id)
    stored = await repo.data_key()
    if sealed is None or stored is None:
        return None
    _, wrapped, nonce, master_key_id = stored
    vault = cases.vault
    return vault.open(vault.unwrap(wrapped, nonce, master_key_id), tenant_id, case_id, sealed)


def _timer(stored: StoredTimer) -> dict[str, Any]:
    timer = stored.timer
    return {
        "kind": timer.kind,
        "label": stored.label,
        "basis": timer.basis,
        "period": str(timer.period),
        "state": timer.state.value,
        "started_at": timer.started_at.isoformat(),
        "due_at": timer.due_at.isoformat(),
        "warn_at": timer.warn_at.isoformat(),
        "stopped_at": timer.stopped_at.isoformat() if timer.stopped_at else None,
        "provisional": timer.provisional,
        "paused_seconds": timer.paused_seconds,
        "extended": timer.extended,
    }


def _event(seq: int, event: CaseEvent, recipient: str) -> dict[str, Any]:
    drops = _UNIT_DROPS.get(event.name, frozenset()) if recipient == "unit" else frozenset()
    return {
        "seq": seq,
        "name": event.name,
        "action": event.action,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "from_state": event.from_state.value if event.from_state else None,
        "to_state": event.to_state.value,
        "data": {key: value for key, value in event.data.items() if key not in drops},
    }


def _document(document: StoredDocument) -> dict[str, Any]:
    return {"kind": document.kind, "number": document.number, "title": document.title, "body": document.body}


def scrubber(identity: Mapping[str, Any] | None, recipient: str) -> Callable[[str], str]:
    """A function taking the complainant's own details out of a text, as `recipient` may see it."""
    shown = mask_identity(identity or {})
    patterns: list[tuple[int, re.Pattern[str], str]] = []
    for key, value in (identity or {}).items():
        text = "" if value is None else str(value).strip()
        if len(text) < 2:
            continue  # a one-character value would take that character out of every word
        replacement = WITHHELD if recipient == "unit" else shown[key]
        patterns.append((len(text), re.compile(re.escape(text)), replacement))
        national = re.sub(r"\D", "", text)
        national = national.removeprefix("86") if len(national) > 11 else national
        if key in _PHONE_KEYS and len(national) >= 7:
            # The number as a text may write it: spaced or dashed, with or without +86.
            spaced = r"[-\s]?".join(national)
            phone = re.compile(rf"(?<!\d)(?:\+?86[-\s]?)?{spaced}(?!\d)")
            patterns.append((len(text), phone, replacement))
    patterns.sort(key=lambda entry: entry[0], reverse=True)  # an address before a name inside it
    masks_numbers = recipient != "archive"

    def scrub(text: str) -> str:
        for _, pattern, replacement in patterns:
            text = pattern.sub(lambda _match, shown=replacement: shown, text)
        return mask_text(text) if masks_numbers else text

    return scrub


def _scrubbed(value: Any, scrub: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {
            scrub(key) if isinstance(key, str) else key: _scrubbed(item, scrub) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrubbed(item, scrub) for item in value]
    return value
