"""Documents over HTTP: issue (202, rendered by the worker), status, download by role, circulars."""

from __future__ import annotations

from core.services.documents import DocumentJobs

PROBLEM_JSON = "application/problem+json"
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
    assert early.status_code == 409 and early.headers["content-type"].startswith(PROBLEM_JSON)

    assert await DocumentJobs(clock).render(township.id, body["id"])
    status = await client.get(issued.headers["location"], headers=operator)
    assert status.json()["render_state"] == "ready"
    pdf = await client.get(body["pdf"], headers=supervisor)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["x-document-copy"] == "internal"
    html = await client.get(body["html"], headers=supervisor)
    assert html.headers["content-type"].startswith("text/html")
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
