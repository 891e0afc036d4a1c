"""Acceptance: the complainant's name, address and phone never leave the vault but where allowed.

One township case runs its whole life over HTTP — intake with an identity, an attachment, a
reveal, registration, acceptance, deadlines that breach (a reminder, a supervision notice,
ledger lines, notifications), dispatch, signing for, reply, feedback, closing, archiving,
exports for every recipient — next to a public submission by the same person followed with its
receipt. Then every caller (each tenant role, a platform admin, nobody) calls every GET route
the app serves, listed from the app itself so a new endpoint cannot be forgotten, and the raw
bytes of every answer are searched for the clear name, phone and street.

The only places the clear identity may appear are the answer to ``POST .../identity/reveal``,
an archive export and a case-list export with a reveal reason, all for roles holding
``identity:reveal`` (and all logged). The events, documents and notifications in the
database, every row the tenant has, and every log line written meanwhile must not hold them
either.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from core.domain.roles import Permission, Role, can
from core.services.documents import DocumentJobs
from core.services.timers import TimerJobs
from core.store.outbox import OutboxRepository
from core.store.tables import CaseRow
from core.store.tenant_store import TenantStore
from core.store.timers import TimerRepository
from core.store.tx import tenant_tx
from tests.helpers import PASSWORD, on_postgres, sign_in_platform

NAME, PHONE, ADDRESS = "钱多多", "13912345678", "南溪镇幸福路8号"
IDENTITY = {"name": NAME, "phone": PHONE, "address": ADDRESS}
NEEDLES = (NAME, PHONE, "幸福路")
MASKED_PHONE = "139****5678"
STAFF = ("admin", "operator", "leader", "handler", "supervisor")
CALLERS = (*STAFF, "platform", "anonymous")
PDF = b"%PDF-1.7\n" + b"0" * 2000  # material without the identity in it: see the separate test below
EXPORT = "/api/v1/cases/{case_id:int}/export"
LIST_EXPORTS = {"/api/v1/cases/export.csv", "/api/v1/cases/export.xlsx"}

# How the walk fills a GET route. A route with a parameter missing here fails the walk.
# from the case walked; `slug` and `file_path` are the pages' (core/web)
PATH_PARAMS = {
    "case_id",
    "attachment_id",
    "document_id",
    "fmt",
    "receipt",
    "tenant",
    "path",
    "slug",
    "file_path",
    "key",
}
QUERY_VALUES: dict[str, tuple[str | None, ...]] = {  # None: left out
    "recipient": ("unit", "supervisor", "archive"),
    "reveal_reason": (None, "归档核对"),
    "window": (None, "overdue", "today", "week"),
    "start": ("2026-09-01T00:00:00+08:00",),
    "end": ("2026-11-30T00:00:00+08:00",),
    "year": ("2026",),
    "month": ("9", "10"),
    "period": ("2026-10", "2026-Q4", "2026-09-01..2026-11-30"),
}
HEADER_PARAMS = {"x-receipt-secret"}  # from the case walked
NEVER_OK = {
    "/schema/{path:str}": "litestar's not-found handler for unknown schema pages",
    "/t/{slug:str}": "the staff pages' entry: redirects to the queue or to the sign-in page",
}
_PATH_PARAM = re.compile(r"\{(\w+)(?::[^}]+)?\}")


def _forms(needle: str) -> set[bytes]:
    """The needle as bytes in an answer: UTF-8, JSON escapes, percent-encoded (headers, URLs)."""
    escaped = json.dumps(needle)[1:-1]
    upper = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), escaped)
    return {
        needle.encode(),
        escaped.encode(),
        upper.encode(),
        quote(needle).encode(),
        quote(needle).lower().encode(),
    }


_FORMS = {needle: _forms(needle) for needle in NEEDLES}


def leaks(data: bytes | str) -> list[str]:
    """The clear identity values found in `data`."""
    raw = data.encode() if isinstance(data, str) else data
    return [needle for needle, forms in _FORMS.items() if any(form in raw for form in forms)]


def answer_bytes(response: httpx.Response) -> bytes:
    headers = "\n".join(f"{key}: {value}" for key, value in response.headers.multi_items())
    body = response.content
    if body.startswith(b"PK\x03\x04"):  # a zip (XLSX, archive bundle): search what it holds
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b"\n".join(archive.read(name) for name in archive.namelist())
    return headers.encode("utf-8", "surrogateescape") + b"\n\n" + body


@dataclass(frozen=True)
class Walked:
    """What the walk fills a case's routes with."""

    case_id: int
    attachment_id: int
    document_id: int
    receipt: str
    secret: str
    tenant: str

    def path_value(self, name: str) -> str:
        return {
            "case_id": str(self.case_id),
            "attachment_id": str(self.attachment_id),
            "document_id": str(self.document_id),
            "fmt": "html",  # the rendered text itself (a PDF's CID-encoded text would hide a leak)
            "receipt": self.receipt,
            "tenant": self.tenant,
            "slug": self.tenant,
            "path": "no-such-page",
            "file_path": "app.css",
            "key": "registration_form",  # a preview: the form with the complainant's slots
        }[name]


@dataclass(frozen=True)
class Request:
    route: str
    url: str
    params: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class GetRoute:
    path: str  # litestar's template, e.g. /api/v1/cases/{case_id:int}
    path_params: tuple[str, ...]
    query: dict[str, bool]  # name -> required
    header_params: tuple[str, ...]

    def requests(self, walked: Walked) -> Iterator[Request]:
        url = _PATH_PARAM.sub(lambda m: quote(walked.path_value(m.group(1)), safe=""), self.path)
        names = [name for name in self.query if name in QUERY_VALUES]
        headers = tuple((name, walked.secret) for name in self.header_params)
        for values in itertools.product(*(QUERY_VALUES[name] for name in names)):
            params = tuple(
                (name, value) for name, value in zip(names, values, strict=True) if value is not None
            )
            yield Request(self.path, url, params, headers)


async def get_routes(app, client: httpx.AsyncClient) -> list[GetRoute]:
    """Every GET route of the app, with what it needs; fails naming any parameter it cannot fill."""
    schema = (await client.get("/schema/openapi.json")).json()
    routes, unknown = [], []
    for route in app.routes:
        if "GET" not in getattr(route, "methods", ()):
            continue
        path_params = tuple(_PATH_PARAM.findall(route.path))
        operation = schema["paths"].get(_PATH_PARAM.sub(r"{\1}", route.path), {}).get("get", {})
        query, header_params = {}, []
        for parameter in operation.get("parameters", []):
            name, where, required = parameter["name"], parameter["in"], parameter.get("required", False)
            if where == "query":
                query[name] = required
                if required and name not in QUERY_VALUES:
                    unknown.append(f"{route.path}: query {name}")
            elif where == "header" and required:
                if name.lower() not in HEADER_PARAMS:
                    unknown.append(f"{route.path}: header {name}")
                header_params.append(name)
            elif where == "cookie" and required:
                unknown.append(f"{route.path}: cookie {name}")
        unknown += [f"{route.path}: path {name}" for name in path_params if name not in PATH_PARAMS]
        routes.append(GetRoute(route.path, path_params, query, tuple(header_params)))
    assert not unknown, f"the walk does not know how to fill these GET routes (teach it): {unknown}"
    assert len(routes) >= 20, [route.path for route in routes]
    return routes


@dataclass(frozen=True)
class Answer:
    caller: str
    request: Request
    status: int
    leaked: tuple[str, ...]


@pytest.fixture
def app(app):
    """The app with the export controller, registered here until `create_app` does it."""
    from core.api.controllers.export import ExportController

    if EXPORT not in {route.path for route in app.routes}:
        app.register(ExportController)
    return app


@pytest.fixture
def server_log(caplog):
    """Every log record of the test, at every level, including litestar's own (it does not propagate)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="litestar")
    litestar = logging.getLogger("litestar")
    litestar.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        litestar.removeHandler(caplog.handler)


class Township:
    """The HTTP side of the lifecycle: signed-in callers and small helpers."""

    def __init__(self, client: httpx.AsyncClient, slug: str, headers: dict[str, dict[str, str]]) -> None:
        self.client, self.slug, self.headers = client, slug, headers

    async def act(self, case_id: int, action: str, payload: dict, who: str) -> dict:
        response = await self.client.post(
            f"/api/v1/cases/{case_id}/actions/{action}", json=payload, headers=self.headers[who]
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def attach(self, case_id: int, who: str, name: str = "现场照片.pdf") -> int:
        response = await self.client.post(
            f"/api/v1/cases/{case_id}/attachments",
            files={"file": (name, PDF, "application/pdf")},
            headers=self.headers[who],
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]


def set_cookie(response: httpx.Response, name: str) -> str:
    """``name=value`` of a cookie the response sets (Secure ones too, which the test client drops)."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0]
    raise AssertionError(f"no {name} cookie set")


async def fire_due_timers(registry, clock, tenant_id: int, case_id: int) -> list[str]:
    """What a worker would do now: fire every timer of the case; returns the phases that fired."""
    async with tenant_tx(tenant_id):
        timers = await TimerRepository(tenant_id).of_case(case_id)
    jobs = TimerJobs(registry, clock)
    return [
        f"{stored.timer.kind}:{phase.value}"
        for stored in timers
        for phase in await jobs.fire(tenant_id, stored.id)
    ]


async def tenant_rows(tenant_id: int) -> list[tuple[str, dict[str, Any]]]:
    """Every row of every table the tenant can see (its own rows, and the platform's tables)."""
    if on_postgres():
        tables = await CaseRow.raw(
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    else:
        tables = await CaseRow.raw("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    found = []
    for table in (row["name"] for row in tables):
        if on_postgres():
            columns = await CaseRow.raw(
                "SELECT column_name AS name FROM information_schema.columns WHERE table_name = {}", table
            )
        else:
            columns = await CaseRow.raw(f"SELECT name FROM pragma_table_info('{table}')")
        scoped = "tenant_id" in {column["name"] for column in columns}
        where = f" WHERE tenant_id = {int(tenant_id)}" if scoped else ""
        found += [(table, row) for row in await CaseRow.raw(f'SELECT * FROM "{table}"{where}')]
    return found


def row_bytes(row: dict[str, Any]) -> bytes:
    parts = []
    for value in row.values():
        if isinstance(value, bytes | bytearray | memoryview):
            parts.append(bytes(value))
        else:
            parts.append(str(value).encode())
    return b"\x1f".join(parts)


async def test_the_identity_never_leaves_the_vault(
    app, client, township, login, clock, registry, platform_admin, server_log
):
    headers = {username: await login(township.slug, username) for username in STAFF}
    headers["platform"] = await sign_in_platform(client, platform_admin)
    headers["anonymous"] = {}
    # The pages (core/web) read a browser session, not a bearer token: each caller gets one too.
    for username in STAFF:
        session = await client.post(
            "/api/v1/auth/session",
            json={"tenant": township.slug, "username": username, "password": PASSWORD},
        )
        assert session.status_code == 200, session.text
        headers[username] = {**headers[username], "Cookie": set_cookie(session, "huiying_session")}
    form = await client.get("/admin/login")
    page_login = await client.post(
        "/admin/login",
        data={
            "_csrf": re.search(r'name="_csrf" value="([^"]+)"', form.text).group(1),
            "username": platform_admin,
            "password": PASSWORD,
        },
    )
    assert page_login.status_code == 302, page_login.text
    headers["platform"] = {**headers["platform"], "Cookie": set_cookie(page_login, "huiying_admin_session")}
    client.cookies.clear()  # each caller sends only its own
    town = Township(client, township.slug, headers)
    users = (await client.get("/api/v1/admin/users", headers=headers["admin"])).json()
    revealers = {
        u["username"] for u in users if can({Role(r) for r in u["roles"]}, Permission.IDENTITY_REVEAL)
    }
    assert revealers == {"operator", "leader", "supervisor"}

    # The leader is on duty when the case comes in, so it is reported to them at once (接报).
    shift = await client.post(
        "/api/v1/duty/shifts",
        headers=headers["supervisor"],
        json={
            "starts_at": "2026-09-30T08:00:00+08:00",
            "ends_at": "2026-10-01T08:00:00+08:00",
            "leader": "leader",
            "officers": ["operator"],
        },
    )
    assert shift.status_code == 201, shift.text

    # --- intake, attachment, a reveal -------------------------------------------------------
    created = await client.post(
        "/api/v1/cases",
        headers={**headers["operator"], "Idempotency-Key": "visit-2026-0930-01"},
        json={
            "kind": "complaint",
            "channel": "visit",
            "title": "南溪村政务公开栏补贴名单不实",
            "content": "公开栏公布的补贴名单与实际发放不一致，请核查。",
            "identity": IDENTITY,
            "fields": {"situation": "untrue", "respondent": "南溪村委会"},
        },
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    attachment_id = await town.attach(case_id, "operator")

    revealed = await client.post(
        f"/api/v1/cases/{case_id}/identity/reveal",
        json={"reason": "核实投诉人联系方式"},
        headers=headers["operator"],
    )
    assert revealed.status_code == 200, revealed.text
    assert revealed.headers["cache-control"] == "no-store"
    assert leaks(answer_bytes(revealed)) == list(NEEDLES)  # the detector sees what it looks for
    refused = await client.post(
        f"/api/v1/cases/{case_id}/identity/reveal", json={"reason": "想看看"}, headers=headers["handler"]
    )
    # Not sent to the handler's unit: "not found", like another tenant's case.
    assert refused.status_code == 404 and not leaks(answer_bytes(refused))

    # --- registration, acceptance; the transfer deadline breaches over National Day ------------
    await town.act(case_id, "register", {"category": "untrue"}, "operator")
    await town.act(case_id, "accept", {}, "operator")
    clock.advance(timedelta(days=9))  # 2026-10-09 10:00: transfer was due 10-08 23:59:59
    assert "transfer:breach" in await fire_due_timers(registry, clock, township.id, case_id)

    # --- dispatch, signing for, a reminder, the reply; the feedback deadline breaches -----------
    await town.act(
        case_id, "dispatch", {"unit_code": "jcs", "cause": "公开信息不实", "opinion": "请核实"}, "leader"
    )
    await town.act(case_id, "sign_for", {"handler": "handler"}, "handler")
    clock.advance(timedelta(days=3))  # Monday 10-12 10:00: past the handling deadline's warning point
    assert "handling:warning" in await fire_due_timers(registry, clock, township.id, case_id)
    await town.act(
        case_id, "reply", {"mode": "in_person", "content": "经核查，名单已更正并重新公示。"}, "handler"
    )
    clock.advance(timedelta(days=2))  # 10-14 10:00: feedback was due 10-13 23:59:59
    assert "feedback:breach" in await fire_due_timers(registry, clock, township.id, case_id)

    # --- feedback, closing, archiving --------------------------------------------------------
    await town.act(
        case_id, "record_feedback", {"satisfaction": "satisfied", "note": "当事人签字"}, "operator"
    )
    await town.act(case_id, "close", {"summary": "已办结"}, "operator")
    assert (await town.act(case_id, "archive", {}, "operator"))["state"] == "archived"

    # --- the same person submits on the portal and follows the case ----------------------------
    submitted = await client.post(
        f"/api/v1/public/{township.slug}/cases",
        json={
            "kind": "complaint",
            "title": "补贴名单仍未更正",
            "content": "上次反映的公开栏问题仍未解决。",
            "identity": IDENTITY,
            "fields": {"situation": "not_corrected", "respondent": "南溪村委会"},
        },
    )
    assert submitted.status_code == 201, submitted.text
    receipt, secret = submitted.json()["receipt"], submitted.json()["secret"]
    portal = {"X-Receipt-Secret": secret}
    public_attachment = await client.post(
        f"/api/v1/public/{township.slug}/cases/{receipt}/attachments",
        files={"file": ("照片.pdf", PDF, "application/pdf")},
        headers=portal,
    )
    assert public_attachment.status_code == 201, public_attachment.text
    found = (
        await client.get("/api/v1/cases", params={"q": "补贴名单仍未更正"}, headers=headers["operator"])
    ).json()
    (public_case,) = found["items"]
    public_id = public_case["id"]
    await town.act(public_id, "register", {"category": "not_corrected"}, "operator")
    await town.act(public_id, "accept", {}, "operator")
    await town.act(
        public_id, "dispatch", {"unit_code": "jcs", "cause": "复诉", "opinion": "请核实"}, "leader"
    )
    await town.act(public_id, "sign_for", {"handler": "handler"}, "handler")
    await town.act(public_id, "reply", {"mode": "written", "content": "已责成村委会更正。"}, "handler")
    feedback = await client.post(
        f"/api/v1/public/{township.slug}/cases/{receipt}/feedback",
        json={"satisfaction": "basically_satisfied"},
        headers=portal,
    )
    assert feedback.status_code == 200, feedback.text
    status = await client.get(f"/api/v1/public/{township.slug}/cases/{receipt}", headers=portal)
    assert status.status_code == 200 and status.json()["reply_content"] == "已责成村委会更正。"
    assert not leaks(answer_bytes(status))

    # --- supervisors see the phone masked; the exports redact as their recipient may see -------
    masked = await client.get(f"/api/v1/cases/{case_id}/identity", headers=headers["supervisor"])
    assert masked.json()["identity"]["phone"] == MASKED_PHONE
    assert masked.json()["related_cases"] == [receipt]  # the same phone, by blind index only
    supervised = await client.get(
        f"/api/v1/cases/{case_id}/export", params={"recipient": "supervisor"}, headers=headers["supervisor"]
    )
    assert supervised.json()["identity"]["values"]["phone"] == MASKED_PHONE
    unit_file = await client.get(
        f"/api/v1/cases/{case_id}/export", params={"recipient": "unit"}, headers=headers["handler"]
    )
    assert "identity" not in unit_file.json() and MASKED_PHONE.encode() not in unit_file.content

    # --- every caller, every GET route -----------------------------------------------------
    routes = await get_routes(app, client)
    documents = (await client.get(f"/api/v1/cases/{case_id}/documents", headers=headers["supervisor"])).json()
    for document in documents:  # rendered as the workers would, so downloads answer with content
        assert await DocumentJobs(clock).render(township.id, document["id"])
    document_id = documents[0]["id"]
    circular = await client.post(
        "/api/v1/stats/monthly/circulars", params={"year": 2026, "month": 10}, headers=headers["supervisor"]
    )
    assert circular.status_code == 202, circular.text
    assert await DocumentJobs(clock).render(township.id, circular.json()["id"])
    walks = [
        Walked(case_id, attachment_id, document_id, receipt, secret, township.slug),
        Walked(
            public_id, public_attachment.json()["id"], circular.json()["id"], receipt, secret, township.slug
        ),
    ]
    requests = list(
        dict.fromkeys(request for walked in walks for route in routes for request in route.requests(walked))
    )
    answers: list[Answer] = []
    for caller in CALLERS:
        for request in requests:
            response = await client.get(
                request.url, params=dict(request.params), headers={**headers[caller], **dict(request.headers)}
            )
            assert response.status_code < 500, (caller, request, response.text)
            answers.append(
                Answer(caller, request, response.status_code, tuple(leaks(answer_bytes(response))))
            )

    def allowed(answer: Answer) -> bool:
        params = dict(answer.request.params)
        archive = answer.request.route == EXPORT and params.get("recipient") == "archive"
        return (
            answer.caller in revealers
            and (archive or answer.request.route in LIST_EXPORTS)
            and "reveal_reason" in params
        )

    leaked = [a for a in answers if a.leaked and not allowed(a)]
    assert not leaked, "the identity leaked:\n" + "\n".join(
        f"  {a.caller} GET {a.request.url}?{dict(a.request.params)} -> {a.status}: {a.leaked}" for a in leaked
    )
    archived = [a for a in answers if allowed(a) and a.request.route == EXPORT]
    assert archived and all(a.status == 200 and a.leaked == NEEDLES for a in archived)
    listed = [a for a in answers if allowed(a) and a.request.route in LIST_EXPORTS]
    assert listed and all(a.status == 200 and a.leaked for a in listed)  # the list has no address
    answered = {a.request.route for a in answers if a.status == 200}
    never = {route.path for route in routes} - answered - set(NEVER_OK)
    assert not never, f"no caller got a 200 from these GET routes, so the walk proved nothing there: {never}"

    # --- the record itself: events, documents, notifications, every row of the tenant ----------
    async with tenant_tx(township.id):
        repo, outbox = TenantStore(township.id), OutboxRepository(township.id)
        record = {
            walked.case_id: (
                await repo.events.of_case(walked.case_id),
                await repo.documents.with_bodies(walked.case_id),
                await outbox.for_case(walked.case_id),
            )
            for walked in walks
        }
        rows = await tenant_rows(township.id)
    events, documents, notifications = record[case_id]
    assert [d.kind for d in documents].count("supervision_notice") == 2  # transfer and feedback
    assert {n.recipient for n in notifications} >= {"leader", "supervisor", "handler"}
    assert any(n.subject.startswith("新案件") for n in notifications)  # reported to the leader on duty
    assert {e.name for e in events} >= {"case_supervision_notice_issued", "case_identity_revealed"}
    for events, documents, notifications in record.values():
        for event in events:
            assert not leaks(json.dumps(dict(event.data), ensure_ascii=False, default=str)), event
        for document in documents:
            assert not leaks(f"{document.title}\n{document.body}"), document
        for note in notifications:
            assert not leaks(f"{note.recipient}\n{note.subject}\n{note.body}\n{note.last_error}"), note
    at_rest = [(table, row.get("id")) for table, row in rows if leaks(row_bytes(row))]
    assert not at_rest, f"the identity is stored in clear in: {at_rest}"
    assert {table for table, _ in rows} >= {"case", "case_event", "complainant_identity", "notification"}

    # --- and nothing was logged ------------------------------------------------------------
    assert server_log.records, "the log capture saw nothing: is it wired?"
    logged = [r for r in server_log.records if leaks(f"{r.getMessage()}\n{r.exc_text or ''}")]
    assert not logged, [f"{r.name}: {r.getMessage()}" for r in logged]
    assert not leaks(server_log.text)


async def test_complaint_materials_never_reach_the_handling_unit(client, township, login):
    """The unit a case is sent to may be the one complained about: it never gets the materials."""
    operator = await login(township.slug, "operator")
    leader = await login(township.slug, "leader")
    handler = await login(township.slug, "handler")
    submitted = await client.post(
        f"/api/v1/public/{township.slug}/cases",
        json={
            "kind": "complaint",
            "title": "村务公开栏不更新",
            "content": "详见所附举报信。",
            "identity": IDENTITY,
            "fields": {"situation": "not_compiled", "respondent": "南溪村委会"},
        },
    )
    assert submitted.status_code == 201, submitted.text
    receipt, secret = submitted.json()["receipt"], submitted.json()["secret"]
    letter = f"举报信\n我叫{NAME}，住{ADDRESS}，电话{PHONE}。村委会公开栏三个月没有更新。\n".encode()
    sent = await client.post(
        f"/api/v1/public/{township.slug}/cases/{receipt}/attachments",
        files={"file": ("举报信.txt", letter, "text/plain")},
        headers={"X-Receipt-Secret": secret},
    )
    assert sent.status_code == 201, sent.text
    attachment_id = sent.json()["id"]
    found = (await client.get("/api/v1/cases", params={"q": "村务公开栏不更新"}, headers=operator)).json()
    case_id = found["items"][0]["id"]
    for action, payload, who in (
        ("register", {"category": "not_compiled"}, operator),
        ("accept", {}, operator),
        ("dispatch", {"unit_code": "jcs", "cause": "政务公开", "opinion": "请核实"}, leader),
        ("sign_for", {"handler": "handler"}, handler),
    ):
        response = await client.post(f"/api/v1/cases/{case_id}/actions/{action}", json=payload, headers=who)
        assert response.status_code == 200, response.text

    unit_file = await client.get(
        f"/api/v1/cases/{case_id}/export", params={"recipient": "unit"}, headers=handler
    )
    assert unit_file.json()["attachments"] == {"count": 1} and not leaks(answer_bytes(unit_file))
    download = await client.get(f"/api/v1/cases/{case_id}/attachments/{attachment_id}", headers=handler)
    assert download.status_code in (403, 404) and not leaks(answer_bytes(download)), (
        f"the handling unit downloaded the complainant's letter ({download.status_code}), "
        f"holding {leaks(answer_bytes(download))}"
    )
