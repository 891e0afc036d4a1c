"""Case files and documents over HTTP: GET /api/v1/cases/{id}/export and GET /api/v1/cases/{id}/documents."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from core.services.timers import TimerJobs
from core.store.timers import TimerRepository
from core.store.tx import tenant_tx
from tests.helpers import assert_problem, sign_in_platform

IDENTITY = {"name": "钱多多", "phone": "13912345678", "address": "南溪镇幸福路8号"}
CLEAR = ("钱多多", "13912345678", "幸福路")
PDF = b"%PDF-1.7\n" + b"0" * 2000


@pytest.fixture
def app(app):
    """The app with the export controller, registered here until `create_app` does it."""
    from core.api.controllers.export import ExportController

    if "/api/v1/cases/{case_id:int}/export" not in {route.path for route in app.routes}:
        app.register(ExportController)
    return app


def assert_no_identity(response: httpx.Response) -> None:
    for clear in CLEAR:
        assert clear.encode() not in response.content, clear


async def accepted_case(client, login, slug: str) -> int:
    """A named complaint with an attachment, registered and accepted at the clock's 2026-09-30 10:00."""
    operator = await login(slug, "operator")
    created = await client.post(
        "/api/v1/cases",
        headers=operator,
        json={
            "kind": "complaint",
            "channel": "visit",
            "title": "政务公开栏信息不真实",
            "content": "我是钱多多，电话13912345678。公开栏公布的补贴名单与实际发放不一致。",
            "identity": IDENTITY,
            "fields": {"situation": "untrue", "respondent": "南溪村委会"},
        },
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    sent = await client.post(
        f"/api/v1/cases/{case_id}/attachments",
        files={"file": ("举报信.pdf", PDF, "application/pdf")},
        headers=operator,
    )
    assert sent.status_code == 201, sent.text
    for action in ("register", "accept"):
        response = await client.post(f"/api/v1/cases/{case_id}/actions/{action}", json={}, headers=operator)
        assert response.status_code == 200, response.text
    return case_id


async def dispatch_to_jcs(client, login, slug: str, case_id: int) -> None:
    """Send the case to the handler's unit, so the handling unit may open it."""
    leader = await login(slug, "leader")
    dispatch = {"unit_code": "jcs", "cause": "政务公开", "opinion": "请核实"}
    response = await client.post(f"/api/v1/cases/{case_id}/actions/dispatch", json=dispatch, headers=leader)
    assert response.status_code == 200, response.text


async def export(client, case_id: int, who: dict, **params: str) -> httpx.Response:
    return await client.get(f"/api/v1/cases/{case_id}/export", params=params, headers=who)


async def test_a_unit_export_holds_no_identity_at_all(client, township, login):
    case_id = await accepted_case(client, login, township.slug)
    await dispatch_to_jcs(client, login, township.slug, case_id)
    response = await export(client, case_id, await login(township.slug, "handler"), recipient="unit")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")
    assert_no_identity(response)
    assert b"139****5678" not in response.content and "钱*".encode() not in response.content
    body = response.json()
    assert body["redaction"] == "unit" and "identity" not in body
    assert body["attachments"] == {"count": 1}
    assert body["case"]["content"].startswith("我是[已隐去]，电话[已隐去]。")


async def test_a_supervisor_export_is_masked(client, township, login):
    case_id = await accepted_case(client, login, township.slug)
    response = await export(client, case_id, await login(township.slug, "supervisor"), recipient="supervisor")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert_no_identity(response)
    body = response.json()
    assert body["identity"]["disclosure"] == "masked"
    assert body["identity"]["values"] == {"name": "钱**", "phone": "139****5678", "address": "南溪镇****"}
    (attachment,) = body["attachments"]["items"]
    assert set(attachment) == {"filename", "size", "sha256"} and attachment["size"] == len(PDF)


async def test_an_archive_with_a_reason_reveals_and_is_logged(client, township, login):
    case_id = await accepted_case(client, login, township.slug)
    operator, supervisor = await login(township.slug, "operator"), await login(township.slug, "supervisor")

    masked = await export(client, case_id, operator, recipient="archive")
    assert masked.status_code == 200 and masked.json()["identity"]["disclosure"] == "masked"
    assert_no_identity(masked)
    log = f"/api/v1/cases/{case_id}/identity/reveals"
    assert (await client.get(log, headers=supervisor)).json() == []

    clear = await export(client, case_id, operator, recipient="archive", reveal_reason="归档备查")
    assert clear.status_code == 200, clear.text
    assert clear.headers["cache-control"] == "no-store"
    assert clear.json()["identity"] == {
        "anonymous": False,
        "disclosure": "clear",
        "values": IDENTITY,
        "related_cases": [],
    }
    logged = (await client.get(log, headers=supervisor)).json()
    assert [(r["reader"], r["reason"]) for r in logged] == [("operator", "归档导出：归档备查")]
    events = (await client.get(f"/api/v1/cases/{case_id}/events", headers=supervisor)).json()
    assert events[-1]["name"] == "case_identity_revealed" and events[-1]["actor"] == "operator"


async def test_a_reason_without_the_reveal_permission_is_forbidden(client, township, login):
    case_id = await accepted_case(client, login, township.slug)
    await dispatch_to_jcs(client, login, township.slug, case_id)
    for username in ("handler", "admin"):
        response = await export(
            client, case_id, await login(township.slug, username), recipient="archive", reveal_reason="想看看"
        )
        body = assert_problem(response, 403)
        assert "identity:reveal" in body["detail"]
        assert_no_identity(response)
    supervisor = await login(township.slug, "supervisor")
    assert (await client.get(f"/api/v1/cases/{case_id}/identity/reveals", headers=supervisor)).json() == []


async def test_requests_that_make_no_sense_are_refused(client, township, login):
    case_id = await accepted_case(client, login, township.slug)
    operator = await login(township.slug, "operator")
    body = assert_problem(await export(client, case_id, operator, recipient="press"), 422)
    assert all(choice in body["detail"] for choice in ("unit", "supervisor", "archive"))
    assert body["errors"][0]["field"] == "recipient"
    body = assert_problem(
        await export(client, case_id, operator, recipient="unit", reveal_reason="归档"), 422
    )
    assert body["errors"][0]["field"] == "reveal_reason"
    assert_problem(await export(client, case_id, operator), 400)  # recipient is required
    assert_problem(await export(client, 0, operator, recipient="unit"), 400)


async def test_another_tenants_case_is_not_found(client, township, make_tenant, login):
    case_id = await accepted_case(client, login, township.slug)
    other = await make_tenant(demo=True)
    for username in ("supervisor", "operator", "handler"):
        who = await login(other.slug, username)
        for recipient in ("unit", "supervisor", "archive"):
            assert_problem(await export(client, case_id, who, recipient=recipient), 404)
        response = await export(client, case_id, who, recipient="archive", reveal_reason="归档备查")
        assert_problem(response, 404)
        assert_problem(await client.get(f"/api/v1/cases/{case_id}/documents", headers=who), 404)


async def test_only_tenant_users_get_in(client, township, login, platform_admin):
    case_id = await accepted_case(client, login, township.slug)
    token = await sign_in_platform(client, platform_admin)
    for path in (f"/api/v1/cases/{case_id}/export?recipient=unit", f"/api/v1/cases/{case_id}/documents"):
        assert_problem(await client.get(path), 401)
        assert_problem(await client.get(path, headers=token), 403)


async def test_documents_list_the_supervision_notices(client, township, login, registry, clock):
    case_id = await accepted_case(client, login, township.slug)
    handler, supervisor = await login(township.slug, "handler"), await login(township.slug, "supervisor")
    assert (await client.get(f"/api/v1/cases/{case_id}/documents", headers=supervisor)).json() == []
    not_yet = await client.get(f"/api/v1/cases/{case_id}/documents", headers=handler)
    assert not_yet.status_code == 404  # not yet sent to the handler's unit

    clock.advance(timedelta(days=9))  # 2026-10-09 10:00: the transfer deadline (10-08) has passed
    async with tenant_tx(township.id):
        timers = await TimerRepository(township.id).of_case(case_id)
    for stored in timers:
        await TimerJobs(registry, clock).fire(township.id, stored.id)
    await dispatch_to_jcs(client, login, township.slug, case_id)

    response = await client.get(f"/api/v1/cases/{case_id}/documents", headers=handler)
    assert response.status_code == 200, response.text
    (notice,) = response.json()
    assert set(notice) == {"id", "kind", "number", "title", "body", "render_state"}
    assert notice["kind"] == "supervision_notice" and notice["title"] == "督办通知单"
    assert notice["number"].startswith("督办-2026-") and notice["number"] in notice["body"]
    assert_no_identity(response)
    unit_file = (await export(client, case_id, handler, recipient="unit")).json()
    assert [d["number"] for d in unit_file["documents"]] == [notice["number"]]


async def test_the_case_list_downloads_as_csv_and_xlsx_redacted_by_role(client, township, login):
    import csv
    import io

    from openpyxl import load_workbook

    case_id = await accepted_case(client, login, township.slug)
    supervisor, handler = await login(township.slug, "supervisor"), await login(township.slug, "handler")
    response = await client.get("/api/v1/cases/export.csv", headers=supervisor)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "no-store" and response.headers["x-identity"] == "masked"
    assert "attachment" in response.headers["content-disposition"]
    assert_no_identity(response)
    header, *lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(lines) == 1 and lines[0][header.index("投诉人")] == "钱**"

    # The list's filters apply: nothing accepted was received before the case.
    empty = await client.get(
        "/api/v1/cases/export.csv",
        params={"state": "accepted", "received_before": "2026-01-01T00:00:00+08:00"},
        headers=supervisor,
    )
    assert empty.status_code == 200 and len(empty.content.decode("utf-8-sig").splitlines()) == 1

    unit = await client.get("/api/v1/cases/export.xlsx", headers=handler)
    assert unit.status_code == 200, unit.text
    assert unit.headers["x-identity"] == "none"
    sheet = load_workbook(io.BytesIO(unit.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "投诉人" not in rows[1] and len(rows) == 2  # title, header: the case is not the unit's yet
    assert_no_identity(unit)

    refused = await client.get(
        "/api/v1/cases/export.csv", params={"reveal_reason": "想看看"}, headers=handler
    )
    assert "identity:reveal" in assert_problem(refused, 403)["detail"]
    assert (await client.get("/api/v1/cases/export.pdf", headers=supervisor)).status_code == 404
    clear = await client.get(
        "/api/v1/cases/export.csv", params={"reveal_reason": "归档核对"}, headers=supervisor
    )
    assert clear.status_code == 200 and clear.headers["x-identity"] == "clear"
    assert IDENTITY["phone"].encode() in clear.content
    logged = (await client.get(f"/api/v1/cases/{case_id}/identity/reveals", headers=supervisor)).json()
    assert [(r["reader"], r["reason"]) for r in logged] == [("supervisor", "导出案件清单：归档核对")]


async def test_the_exports_check_the_lists_filters_as_the_list_does(client, township, login):
    supervisor = await login(township.slug, "supervisor")
    for path in ("/api/v1/cases", "/api/v1/cases/export.csv", "/api/v1/cases/export.xlsx"):
        naive = await client.get(path, params={"received_from": "2026-10-01T00:00:00"}, headers=supervisor)
        assert naive.status_code == 422 and "须带时区" in naive.json()["detail"], path
        ancient = await client.get(
            path, params={"due_before": "0001-01-01T00:00:00+08:00"}, headers=supervisor
        )
        assert ancient.status_code == 422 and "2000 年至 2100 年" in ancient.json()["detail"], path
    for path in ("/api/v1/cases", "/api/v1/cases/export.csv"):
        for name in ("q", "handler", "unit"):
            nul = await client.get(path, params={name: "a\x00b"}, headers=supervisor)
            assert nul.status_code == 422 and "控制字符" in nul.json()["detail"], (path, name)
