"""Documents over HTTP: issue (202, rendered by the worker), status, download by role, circulars."""

from __future__ import annotations

from core.services.documents import DocumentJobs
from tests.helpers import assert_problem

IDENTITY = {"name": "钱多多", "phone": "13912345678", "address": "南溪镇幸福路8号"}


async def new_case(client, login, slug: str) -> int:
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
    return created.json()["id"]


async def test_a_document_is_issued_rendered_later_and_handed_out_by_role(client, township, login, clock):
    case_id = await new_case(client, login, township.slug)
    operator = await login(township.slug, "operator")
    supervisor = await login(township.slug, "supervisor")
    templates = await client.get(f"/api/v1/cases/{case_id}/documents/templates", headers=operator)
    assert templates.status_code == 200 and "registration_form" in {t["key"] for t in templates.json()}

    issued = await client.post(
        f"/api/v1/cases/{case_id}/documents", headers=operator, json={"key": "registration_form"}
    )
    assert issued.status_code == 202, issued.text
    body = issued.json()
    assert body["render_state"] == "pending" and body["number"].startswith("登记-2026-")
    assert issued.headers["location"] == f"/api/v1/cases/{case_id}/documents/{body['id']}"
    early = await client.get(body["pdf"], headers=supervisor)
    assert_problem(early, 409)

    assert await DocumentJobs(clock).render(township.id, body["id"])
    status = await client.get(issued.headers["location"], headers=operator)
    assert status.json()["render_state"] == "ready"
    pdf = await client.get(body["pdf"], headers=supervisor)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["x-document-copy"] == "internal"
    html = await client.get(body["html"], headers=supervisor)
    assert html.headers["content-type"].startswith("text/html")
    # Shown inline, so it runs no script and loads nothing, as on the pages.
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert html.headers["x-content-type-options"] == "nosniff"
    assert html.headers["content-disposition"].startswith("inline;")
    assert pdf.headers["content-disposition"].startswith("attachment;")
    page = html.content.decode()
    assert "钱**" in page and "钱多多" not in page and "13912345678" not in page
    unit = await client.get(body["html"] + "?copy=unit", headers=supervisor)
    assert "钱**" not in unit.content.decode() and "[已隐去]" in unit.content.decode()

    unknown = await client.post(f"/api/v1/cases/{case_id}/documents", headers=operator, json={"key": "nope"})
    assert unknown.status_code == 422
    bad = await client.get(f"/api/v1/cases/{case_id}/documents/{body['id']}/docx", headers=supervisor)
    assert bad.status_code == 422
    elsewhere = await client.get(
        f"/api/v1/cases/{case_id + 1000}/documents/{body['id']}/pdf", headers=supervisor
    )
    assert elsewhere.status_code == 404


async def test_monthly_statistics_download_as_csv_and_xlsx_and_a_circular_on_demand(
    client, township, login, clock
):
    await new_case(client, login, township.slug)
    supervisor = await login(township.slug, "supervisor")
    csv = await client.get("/api/v1/stats/monthly/?year=2026&month=9&format=csv", headers=supervisor)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").splitlines()[0].startswith("名次,单位,收件")
    xlsx = await client.get("/api/v1/stats/monthly/?year=2026&month=9&format=xlsx", headers=supervisor)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    issued = await client.post("/api/v1/stats/monthly/circulars?year=2026&month=9", headers=supervisor)
    assert issued.status_code == 202, issued.text
    assert issued.json()["number"] == "通报-2026-09"
    assert await DocumentJobs(clock).render(township.id, issued.json()["id"])
    pdf = await client.get(issued.json()["pdf"], headers=supervisor)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    handler = await login(township.slug, "handler")
    assert (await client.get(issued.json()["pdf"], headers=handler)).status_code == 403


async def test_an_archive_bundle_is_asked_for_built_by_the_worker_and_downloaded_as_zip(
    client, township, login, clock, registry, actors
):
    import io
    import zipfile

    from core.domain.commands import CloseCase
    from core.services.archive import verify_bundle
    from core.services.cases import CaseService
    from tests.services.test_documents import PLUGINS, act, drive

    cases = CaseService(registry, clock)
    case_id, _ = await drive(cases, township, actors, PLUGINS["township"])
    supervisor, handler = await login(township.slug, "supervisor"), await login(township.slug, "handler")
    early = await client.post(f"/api/v1/cases/{case_id}/archive", headers=supervisor)
    assert early.status_code == 422 and "尚未办结" in early.json()["detail"]
    await act(cases, township.id, case_id, CloseCase(summary="已整改"), actors, ("supervisor",))
    refused = await client.post(f"/api/v1/cases/{case_id}/archive", headers=handler)
    assert_problem(refused, 403)

    asked = await client.post(f"/api/v1/cases/{case_id}/archive", headers=supervisor)
    assert asked.status_code == 202, asked.text
    body = asked.json()
    assert body["kind"] == "archive_bundle" and body["render_state"] == "pending"
    zip_url = f"{asked.headers['location']}/zip"
    assert (await client.get(zip_url, headers=supervisor)).status_code == 409  # the worker builds it
    assert await DocumentJobs(clock).render(township.id, body["id"])
    assert (await client.get(asked.headers["location"], headers=supervisor)).json()["render_state"] == "ready"

    download = await client.get(zip_url, headers=supervisor)
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["cache-control"] == "no-store"
    assert verify_bundle(download.content).problems == ()
    assert "case-file.pdf" in zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert (await client.get(zip_url, headers=handler)).status_code == 403
    case_file = await client.get(body["pdf"], headers=handler)  # the unit's copy of the summary
    assert case_file.status_code == 200 and case_file.headers["x-document-copy"] == "unit"
    other = await client.post(f"/api/v1/cases/{case_id}/documents", headers=supervisor, json={"key": "reply"})
    assert other.status_code == 202
    not_a_bundle = await client.get(f"{other.headers['location']}/zip", headers=supervisor)
    assert not_a_bundle.status_code == 404


async def test_a_failed_document_is_queued_again_over_http(client, township, login, clock, monkeypatch):
    import core.services.rendering as rendering

    case_id = await new_case(client, login, township.slug)
    operator, admin = await login(township.slug, "operator"), await login(township.slug, "admin")
    issued = await client.post(
        f"/api/v1/cases/{case_id}/documents", headers=operator, json={"key": "registration_form"}
    )
    location = issued.headers["location"]

    def broken(**_):
        raise RuntimeError("renderer down")

    monkeypatch.setattr(rendering, "render_pdf", broken)
    for _ in range(3):
        await DocumentJobs(clock).render(township.id, issued.json()["id"])
    monkeypatch.undo()
    status = (await client.get(location, headers=operator)).json()
    assert status["render_state"] == "failed"
    failed = await client.get(status["pdf"], headers=operator)
    assert failed.status_code == 409 and "生成失败" in failed.json()["detail"]

    assert (await client.post(f"{location}/render", headers=admin)).status_code == 403
    assert (
        await client.post(f"/api/v1/cases/{case_id + 1000}/documents/{status['id']}/render", headers=operator)
    ).status_code == 404
    again = await client.post(f"{location}/render", headers=operator)
    assert again.status_code == 202, again.text
    assert again.json()["render_state"] == "pending"
    assert (await client.post(f"{location}/render", headers=operator)).status_code == 422  # not failed now
    assert await DocumentJobs(clock).render(township.id, status["id"])
    assert (await client.get(status["pdf"], headers=operator)).content.startswith(b"%PDF")


async def test_a_handover_record_is_issued_over_http_for_duty_staff_only(client, township, login, clock):
    operator, handler = await login(township.slug, "operator"), await login(township.slug, "handler")
    supervisor = await login(township.slug, "supervisor")
    shift = await client.post(
        "/api/v1/duty/shifts",
        headers=supervisor,
        json={
            "starts_at": "2026-09-30T08:00:00+08:00",
            "ends_at": "2026-09-30T20:00:00+08:00",
            "leader": "leader",
            "officers": ["operator"],
        },
    )
    assert shift.status_code == 201, shift.text
    written = await client.post(
        "/api/v1/duty/handovers",
        headers=operator,
        json={"shift_id": shift.json()["id"], "pending": ["回访投诉人"], "equipment": "正常"},
    )
    assert written.status_code == 201, written.text
    path = f"/api/v1/documents/handovers/{written.json()['id']}"
    assert (await client.post(path, headers=handler)).status_code == 403
    issued = await client.post(path, headers=operator)
    assert issued.status_code == 202, issued.text
    body = issued.json()
    assert (
        body["kind"] == "handover_record" and body["case_id"] is None and body["number"].startswith("交接-")
    )
    assert await DocumentJobs(clock).render(township.id, body["id"])
    pdf = await client.get(body["pdf"], headers=supervisor)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (await client.get(body["pdf"], headers=handler)).status_code in (403, 404)
    assert (
        await client.post(f"/api/v1/documents/handovers/{written.json()['id'] + 999}", headers=operator)
    ).status_code == 404


async def test_a_preview_shows_the_form_filled_and_names_what_is_still_blank(client, township, login):
    case_id = await new_case(client, login, township.slug)
    operator = await login(township.slug, "operator")
    base = f"/api/v1/cases/{case_id}/documents/templates"
    before = await client.get(f"{base}/registration_form/preview", headers=operator)
    assert before.status_code == 200, before.text
    assert "登记人" in before.json()["blank"]  # not registered yet
    assert "不真实" in before.json()["text"]  # the situation by its words, not the key "untrue"
    registered = await client.post(f"/api/v1/cases/{case_id}/actions/register", headers=operator, json={})
    assert registered.status_code == 200, registered.text
    after = (await client.get(f"{base}/registration_form/preview", headers=operator)).json()
    assert "登记人" not in after["blank"] and "登记人：operator" in after["text"]
    assert "钱多多" not in after["text"] and "13912345678" not in after["text"]
    # Nothing was issued: a preview is not a document.
    assert (await client.get(f"/api/v1/cases/{case_id}/documents", headers=operator)).json() == []
    assert_problem(await client.get(f"{base}/nope/preview", headers=operator), 422)
