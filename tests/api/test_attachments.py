"""Attachments: staff and the public add files within limits; only the case's tenant reads them."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import assert_problem, sign_in

PDF = b"%PDF-1.7\n" + b"0" * 2000
CASE = {
    "kind": "report",
    "channel": "web",
    "title": "公开栏照片",
    "content": "附照片",
    "anonymous": True,
    "fields": {"respondent": "南溪村委会"},
}


def upload(name: str, content: bytes, media_type: str) -> dict:
    return {"file": (name, content, media_type)}


async def new_case(client, headers) -> int:
    response = await client.post("/api/v1/cases", json=CASE, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_staff_upload_list_and_download(client, township, login):
    operator = await login(township.slug, "operator")
    case_id = await new_case(client, operator)
    sent = await client.post(
        f"/api/v1/cases/{case_id}/attachments",
        files=upload("../../现场照片.pdf", PDF, "application/pdf"),
        headers=operator,
    )
    assert sent.status_code == 201, sent.text
    attachment = sent.json()
    assert attachment["filename"] == "现场照片.pdf" and attachment["size"] == len(PDF)
    listed = await client.get(f"/api/v1/cases/{case_id}/attachments", headers=operator)
    assert [a["id"] for a in listed.json()] == [attachment["id"]]
    got = await client.get(f"/api/v1/cases/{case_id}/attachments/{attachment['id']}", headers=operator)
    assert got.content == PDF
    assert got.headers["content-type"].startswith("application/pdf")
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    events = (await client.get(f"/api/v1/cases/{case_id}/events", headers=operator)).json()
    assert events[-1]["name"] == "case_attachment_added" and events[-1]["data"]["size"] == len(PDF)


@pytest.mark.parametrize(
    ("name", "content", "media_type", "message"),
    [
        ("a.exe", b"MZ\x90\x00", "application/octet-stream", "不支持的附件类型"),
        ("fake.pdf", b"<html>not a pdf</html>", "application/pdf", "不符"),
        ("empty.png", b"", "image/png", "为空"),
        ("latin1.txt", "投诉".encode("gb18030"), "text/plain", "UTF-8"),
    ],
)
async def test_refused_files_are_explained(client, township, login, name, content, media_type, message):
    operator = await login(township.slug, "operator")
    case_id = await new_case(client, operator)
    response = await client.post(
        f"/api/v1/cases/{case_id}/attachments", files=upload(name, content, media_type), headers=operator
    )
    assert_problem(response, 422, mentions=(message,))


async def test_size_limit_and_json_body_are_refused(registry, clock, make_tenant):
    from core.api.config import ApiConfig
    from core.app import create_app

    from .conftest import SECRET

    app = create_app(
        config=ApiConfig(secret_key=SECRET, attachment_max_bytes=1000), registry=registry, clock=clock
    )
    tenant = await make_tenant(demo=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        headers = await sign_in(client, tenant.slug, "operator")
        case_id = await new_case(client, headers)
        too_big = await client.post(
            f"/api/v1/cases/{case_id}/attachments",
            files=upload("a.pdf", PDF, "application/pdf"),
            headers=headers,
        )
        assert too_big.status_code == 422 and "上限" in too_big.json()["detail"]
        huge = await client.post(
            f"/api/v1/cases/{case_id}/attachments",
            files=upload("a.pdf", b"%PDF-" + b"0" * 100_000, "application/pdf"),
            headers=headers,
        )
        assert huge.status_code == 413
        as_json = await client.post(
            f"/api/v1/cases/{case_id}/attachments", json={"file": "x"}, headers=headers
        )
        assert as_json.status_code == 415


async def test_other_tenants_and_read_only_roles(client, make_tenant, login):
    a, b = await make_tenant(demo=True), await make_tenant(demo=True)
    mine, theirs = await login(a.slug, "operator"), await login(b.slug, "operator")
    case_id = await new_case(client, mine)
    sent = await client.post(
        f"/api/v1/cases/{case_id}/attachments", files=upload("a.pdf", PDF, "application/pdf"), headers=mine
    )
    attachment_id = sent.json()["id"]
    for path in (
        f"/api/v1/cases/{case_id}/attachments",
        f"/api/v1/cases/{case_id}/attachments/{attachment_id}",
    ):
        assert (await client.get(path, headers=theirs)).status_code == 404
    cross = await client.post(
        f"/api/v1/cases/{case_id}/attachments", files=upload("b.pdf", PDF, "application/pdf"), headers=theirs
    )
    assert cross.status_code == 404
    admin = await login(a.slug, "admin")  # tenant admins read cases but add no material
    refused = await client.post(
        f"/api/v1/cases/{case_id}/attachments", files=upload("c.pdf", PDF, "application/pdf"), headers=admin
    )
    assert refused.status_code == 403


async def test_the_public_adds_material_with_receipt_and_secret(client, township):
    submitted = await client.post(f"/api/v1/public/{township.slug}/cases", json=CASE)
    receipt = submitted.json()
    path = f"/api/v1/public/{township.slug}/cases/{receipt['receipt']}/attachments"
    png = b"\x89PNG\r\n\x1a\n" + b"1" * 100
    wrong = await client.post(
        path, files=upload("p.png", png, "image/png"), headers={"X-Receipt-Secret": "nope"}
    )
    assert wrong.status_code == 404
    sent = await client.post(
        path, files=upload("p.png", png, "image/png"), headers={"X-Receipt-Secret": receipt["secret"]}
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["added_by"] == "public"
    status = await client.get(
        f"/api/v1/public/{township.slug}/cases/{receipt['receipt']}",
        headers={"X-Receipt-Secret": receipt["secret"]},
    )
    assert [m["label"] for m in status.json()["milestones"]] == ["已收到", "已补充材料"]


async def test_the_download_is_documented_as_a_file(client):
    schema = (await client.get("/schema/openapi.json")).json()
    answer = schema["paths"]["/api/v1/cases/{case_id}/attachments/{attachment_id}"]["get"]["responses"]["200"]
    assert list(answer["content"]) == ["application/octet-stream"]
    assert "application/pdf" in answer["description"] and "attachment" in answer["description"]
