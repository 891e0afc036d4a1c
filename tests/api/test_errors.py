"""Bad input always gets a clear 4xx ``application/problem+json``, never a 500 or a traceback.

Every answer here is checked the same way (`tests.helpers.assert_problem`): the status is the one
expected, the media type is ``application/problem+json``, ``type`` is a ``urn:huiying:problem:``
URN, ``status`` repeats the HTTP status and ``detail`` is a non-empty message with Chinese in it.
When a single field is at fault, its name appears in ``detail`` or in ``errors[].field``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from core.api.config import ApiConfig
from tests.helpers import assert_problem, sign_in

CASES = "/api/v1/cases"
INTAKE: dict[str, Any] = {
    "kind": "complaint",
    "channel": "phone",
    "title": "村务公开栏三个月未更新",
    "content": "南溪村政务公开栏自七月以来未更新，财务收支未公开。",
    "identity": {"name": "张三", "phone": "13812345678"},
    "fields": {"situation": "not_compiled", "respondent": "南溪村委会"},
}


def intake(**changes: Any) -> dict[str, Any]:
    """The valid intake body with `changes` applied (a value of ``...`` removes the key)."""
    body = {**INTAKE, **changes}
    return {key: value for key, value in body.items() if value is not ...}


@pytest.fixture
async def operator(township, login) -> dict[str, str]:
    """The township operator's Authorization header (intake officer)."""
    return await login(township.slug, "operator")


@pytest.fixture
async def case_id(client, operator) -> int:
    """A new case (state "received", version 0) taken in by the operator."""
    response = await client.post(CASES, headers=operator, json=INTAKE)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def act_url(case_id):
    def url(action: str = "register") -> str:
        return f"{CASES}/{case_id}/actions/{action}"

    return url


@pytest.fixture(params=["intake", "action"])
def body_url(request, act_url) -> str:
    """Both endpoints that take a JSON body: intake and a lifecycle action."""
    return CASES if request.param == "intake" else act_url("register")


# --- the body itself -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"kind": "complaint", "title": ',
        b"{'kind': 'complaint'}",
        b'{"kind": "complaint",}',
        b"not json at all",
        b"",
    ],
    ids=["truncated", "single-quotes", "trailing-comma", "text", "empty"],
)
async def test_malformed_json_is_400(client, operator, body_url, raw):
    headers = {**operator, "Content-Type": "application/json"}
    assert_problem(await client.post(body_url, headers=headers, content=raw), 400)


@pytest.mark.parametrize("value", [[INTAKE], [], 42, "complaint", None, True], ids=repr)
async def test_a_json_value_that_is_not_an_object_is_400(client, operator, body_url, value):
    headers = {**operator, "Content-Type": "application/json"}
    response = await client.post(body_url, headers=headers, content=json.dumps(value).encode())
    assert_problem(response, 400)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
    ids=["text", "form", "multipart", "missing"],
)
async def test_a_body_that_is_not_json_is_415(client, operator, body_url, content_type):
    raw = json.dumps(INTAKE).encode()
    if content_type == "application/x-www-form-urlencoded":
        raw = b"kind=complaint&channel=phone&title=x&content=y"
    request = client.build_request("POST", body_url, headers=operator, content=raw)
    if content_type is None:
        request.headers.pop("content-type", None)
    else:
        request.headers["content-type"] = content_type
    body = assert_problem(await client.send(request), 415)
    assert body["type"] == "urn:huiying:problem:media_type"
    assert "application/json" in body["detail"]


@pytest.mark.parametrize("target", ["intake", "action"])
async def test_an_oversized_body_is_413(registry, clock, api_config, township, case_id, target):
    from core.app import create_app

    small = create_app(
        config=ApiConfig(secret_key=api_config.secret_key, max_body_bytes=1000),
        registry=registry,
        clock=clock,
    )
    transport = httpx.ASGITransport(app=small)
    async with httpx.AsyncClient(transport=transport, base_url="http://huiying.test") as client:
        headers = await sign_in(client, township.slug, "operator")
        if target == "intake":
            url, payload = CASES, intake(content="很长的内容" * 400)
        else:
            url, payload = f"{CASES}/{case_id}/actions/register", {"category": "类别" * 600}
        assert len(json.dumps(payload).encode()) > 1000
        body = assert_problem(await client.post(url, headers=headers, json=payload), 413)
        assert body["type"] == "urn:huiying:problem:too_large"
        # Under the limit still works: the limit is not a blanket refusal.
        fine = await client.get(f"{CASES}/{case_id}", headers=headers)
        assert fine.status_code == 200, fine.text


@pytest.mark.parametrize(
    "raw",
    [
        b'{"kind": "complaint", "channel": "phone", "title": "\xff\xfe", "content": "x"}',
        b'{"category": "\xc3\x28"}',
        b"\xef\xbb\xbf\xff{}",
    ],
    ids=["ff-fe", "bad-continuation", "bom-garbage"],
)
async def test_invalid_utf8_is_400(client, operator, body_url, raw):
    headers = {**operator, "Content-Type": "application/json"}
    assert_problem(await client.post(body_url, headers=headers, content=raw), 400)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f"], ids=repr)
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "村务公开栏{c}未更新"}, "title"),
        ({"content": "内容{c}"}, "content"),
        ({"identity": {"name": "张{c}三", "phone": "13812345678"}}, "identity"),
        ({"fields": {"situation": "not_compiled", "respondent": "南溪{c}村委会"}}, "fields"),
    ],
    ids=["title", "content", "identity", "fields"],
)
async def test_control_characters_in_intake_are_400_naming_the_field(client, operator, changes, field, char):
    body = json.loads(json.dumps(changes).replace("{c}", json.dumps(char)[1:-1]))
    response = await client.post(CASES, headers=operator, json=intake(**body))
    assert_problem(response, 400, field=field)


@pytest.mark.parametrize("char", ["\x00", "\x07"], ids=repr)
@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        ("refuse", {"reason": "不属于受理范围{c}"}, "reason"),
        ("register", {"category": "村务{c}公开"}, "category"),
        ("accept", {"note": "已受理{c}"}, "note"),
    ],
    ids=["refuse-reason", "register-category", "accept-note"],
)
async def test_control_characters_in_action_payloads_are_refused_naming_the_field(
    client, operator, act_url, action, payload, field, char
):
    if action != "register":  # refuse and accept need a registered case
        registered = await client.post(act_url("register"), headers=operator, json={})
        assert registered.status_code == 200, registered.text
    body = json.loads(json.dumps(payload).replace("{c}", json.dumps(char)[1:-1]))
    response = await client.post(act_url(action), headers=operator, json=body)
    assert_problem(response, 400, 422, field=field)


async def test_an_unknown_top_level_field_is_400_naming_it(client, operator):
    response = await client.post(CASES, headers=operator, json=intake(priority="high"))
    assert_problem(response, 400, field="priority")
    response = await client.post(CASES, headers=operator, json=intake(tenant_id=1))
    assert_problem(response, 400, field="tenant_id")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "praise"}, "kind"),
        ({"channel": "pigeon"}, "channel"),
        ({"kind": 1}, "kind"),
        ({"title": "长" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"title": ...}, "title"),
        ({"content": ...}, "content"),
        ({"anonymous": "yes"}, "anonymous"),
        ({"identity": ["张三"]}, "identity"),
        ({"fields": {"nested": {"a": 1}}}, "fields"),
    ],
    ids=[
        "kind-praise",
        "channel-pigeon",
        "kind-number",
        "title-201",
        "title-empty",
        "title-missing",
        "content-missing",
        "anonymous-string",
        "identity-list",
        "fields-nested",
    ],
)
async def test_wrong_values_in_intake_are_400_naming_the_field(client, operator, changes, field):
    response = await client.post(CASES, headers=operator, json=intake(**changes))
    assert_problem(response, 400, field=field)


@pytest.mark.parametrize(
    "received_at",
    [
        "1900-01-01T00:00:00+08:00",
        "9999-12-31T00:00:00+08:00",
        "2026-10-30T10:00:00+08:00",
        "2026-09-30T10:00:00",
        "not a date",
        "2026-02-30T10:00:00+08:00",
        "",
        12345,
    ],
)
async def test_absurd_received_at_is_a_clear_4xx(client, operator, received_at):
    response = await client.post(CASES, headers=operator, json=intake(received_at=received_at))
    assert_problem(response, 400, 422, field="received_at")


async def test_a_title_of_200_characters_is_fine_and_201_is_not(client, operator):
    ok = await client.post(CASES, headers=operator, json=intake(title="长" * 200))
    assert ok.status_code == 201, ok.text
    response = await client.post(CASES, headers=operator, json=intake(title="长" * 201))
    assert_problem(response, 400, field="title")


# --- actions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["fly", "REGISTER", "register%20", "case_registered", "%00"])
async def test_an_unknown_action_is_400_or_404(client, operator, case_id, action):
    response = await client.post(f"{CASES}/{case_id}/actions/{action}", headers=operator, json={})
    assert_problem(response, 400, 404)


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        ("dispatch", {"cause": "村务公开", "opinion": "请核查"}, "unit_code"),
        ("dispatch", {"unit_code": "", "cause": "村务公开", "opinion": "请核查"}, "unit_code"),
        ("refuse", {"reason": 5}, "reason"),
        ("refuse", {}, "reason"),
        ("refuse", {"reason": ["a"]}, "reason"),
        ("extend", {"period": "3 weeks", "reason": "情况复杂"}, "period"),
        ("extend", {"period": 10, "reason": "情况复杂"}, "period"),
        ("extend", {"period": "0 working days", "reason": "情况复杂"}, "period"),
        ("register", {"severity": "apocalyptic"}, "severity"),
        ("register", {"flags": "urgent"}, "flags"),
        ("register", {"colour": "red"}, "colour"),
        ("archive", {"reason": "done"}, "reason"),
        ("request_supplement", {"items": []}, "items"),
        ("reply", {"mode": "telepathy", "content": "答复"}, "mode"),
    ],
    ids=[
        "dispatch-no-unit",
        "dispatch-empty-unit",
        "refuse-reason-number",
        "refuse-no-reason",
        "refuse-reason-list",
        "extend-3-weeks",
        "extend-period-number",
        "extend-zero",
        "register-bad-severity",
        "register-flags-string",
        "register-unknown-field",
        "archive-unknown-field",
        "supplement-no-items",
        "reply-bad-mode",
    ],
)
async def test_a_wrong_action_payload_is_422_naming_the_field(
    client, operator, act_url, action, payload, field
):
    response = await client.post(act_url(action), headers=operator, json=payload)
    body = assert_problem(response, 422, field=field)
    assert body["type"] == "urn:huiying:problem:invalid_command"


async def test_an_illegal_transition_is_409_naming_state_and_action(client, operator, case_id, act_url):
    state_label = (await client.get(f"{CASES}/{case_id}", headers=operator)).json()["state_label"]
    response = await client.post(act_url("archive"), headers=operator, json={})
    body = assert_problem(response, 409, mentions=(state_label, "归档", "received", "archive"))
    assert body["type"] == "urn:huiying:problem:illegal_transition"
    unchanged = await client.get(f"{CASES}/{case_id}", headers=operator)
    assert unchanged.json()["state"] == "received" and unchanged.json()["version"] == 0


async def test_if_match_that_is_not_a_version_is_422(client, operator, act_url):
    for value in ('"abc"', "abc", '"-1"', '""', "*", '"1.5"'):
        response = await client.post(act_url("register"), headers={**operator, "If-Match": value}, json={})
        assert_problem(response, 422, field="If-Match")


async def test_a_stale_if_match_is_412(client, operator, act_url):
    first = await client.post(act_url("register"), headers={**operator, "If-Match": '"0"'}, json={})
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"1"'
    stale = await client.post(act_url("accept"), headers={**operator, "If-Match": '"0"'}, json={})
    body = assert_problem(stale, 412)
    assert body["type"] == "urn:huiying:problem:conflict"
    fresh = await client.post(act_url("accept"), headers={**operator, "If-Match": 'W/"1"'}, json={})
    assert fresh.status_code == 200, fresh.text


# --- query parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"sort": "title"}, "sort"),
        ({"sort": "-title; DROP TABLE case"}, "sort"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "eyJzIjogMX0"}, "cursor"),
        ({"cursor": "x" * 501}, "cursor"),
        ({"due_before": "2026-10-01T00:00:00"}, "due_before"),
        ({"received_from": "2026-10-01T00:00:00"}, "received_from"),
        ({"received_before": "yesterday"}, "received_before"),
        ({"state": "bogus"}, "state"),
        ({"kind": "praise"}, "kind"),
        ({"overdue": "maybe"}, "overdue"),
        ({"q": "长" * 101}, "q"),
    ],
    ids=lambda value: (
        value if isinstance(value, str) else "&".join(f"{k}={v}"[:24] for k, v in value.items())
    ),
)
async def test_bad_query_parameters_are_400_or_422(client, operator, params, field):
    response = await client.get(CASES, headers=operator, params=params)
    assert_problem(response, 400, 422, field=field)


async def test_a_cursor_from_another_sort_is_refused(client, operator, case_id):
    await client.post(CASES, headers=operator, json=INTAKE)
    page = await client.get(CASES, headers=operator, params={"limit": 1, "sort": "id"})
    assert page.status_code == 200, page.text
    cursor = page.json()["next_cursor"]
    assert cursor
    response = await client.get(CASES, headers=operator, params={"cursor": cursor, "sort": "-id"})
    assert_problem(response, 400, 422, field="cursor")


# --- routing and ids ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v2/cases", "/api/v1/cases/1/nope", "/nope", "/api/v1/cases/abc"]
)
async def test_an_unknown_route_is_a_404_problem(client, operator, path):
    body = assert_problem(await client.get(path, headers=operator), 404)
    assert body["type"] == "urn:huiying:problem:not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", CASES),
        ("PUT", CASES),
        ("PATCH", "/api/v1/cases/1"),
        ("GET", "/api/v1/cases/1/actions/register"),
        ("DELETE", "/api/v1/auth/token"),
    ],
)
async def test_a_wrong_method_is_a_405_problem(client, operator, method, path):
    response = await client.request(method, path, headers=operator)
    body = assert_problem(response, 405)
    assert body["type"] == "urn:huiying:problem:method_not_allowed"


@pytest.mark.parametrize(
    "path",
    [
        CASES,
        f"{CASES}/1",
        "/api/v1/admin/users",
        "/api/v1/platform/tenants",
        "/api/v1/platform/tenants/x/suspend",
    ],
)
async def test_options_is_never_a_server_error(client, operator, path):
    response = await client.options(path, headers=operator)
    if response.status_code >= 400:
        assert_problem(response, 400, 401, 403, 404, 405)
    else:
        assert response.status_code in (200, 204), response.text


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("GET", "/events"), ("GET", "/actions"), ("POST", "/actions/register")],
    ids=["case", "events", "actions", "act"],
)
async def test_a_missing_case_is_a_404_problem(client, operator, method, suffix):
    payload = {} if method == "POST" else None
    response = await client.request(method, f"{CASES}/999999999{suffix}", headers=operator, json=payload)
    body = assert_problem(response, 404)
    assert body["type"] == "urn:huiying:problem:not_found"


@pytest.mark.parametrize(
    "case_path", ["2147483648", "9223372036854775808", "99999999999999999999999", "-1", "0"]
)
@pytest.mark.parametrize("suffix", ["", "/events", "/actions"], ids=["case", "events", "actions"])
async def test_absurd_case_ids_are_4xx(client, operator, case_path, suffix):
    response = await client.get(f"{CASES}/{case_path}{suffix}", headers=operator)
    assert_problem(response, 400, 404)
    if not suffix:
        response = await client.post(f"{CASES}/{case_path}/actions/register", headers=operator, json={})
        assert_problem(response, 400, 404)


def _shape(body: dict[str, Any], case_id: int) -> dict[str, Any]:
    return {**body, "detail": body["detail"].replace(str(case_id), "<id>")}


async def test_another_tenants_case_is_exactly_like_a_missing_one(client, login, township, make_tenant):
    other = await make_tenant(demo=True)
    theirs = await login(other.slug, "operator")
    ours = await login(township.slug, "operator")
    created = await client.post(CASES, headers=theirs, json=INTAKE)
    assert created.status_code == 201, created.text
    their_id = created.json()["id"]
    # An id no tenant has: ids come from one sequence, far below this one.
    missing_id = their_id + 10_000_000
    for method, suffix, payload in (
        ("GET", "", None),
        ("GET", "/events", None),
        ("GET", "/actions", None),
        ("POST", "/actions/register", {}),
        ("POST", "/actions/refuse", {"reason": "不属于受理范围"}),
    ):
        foreign = await client.request(method, f"{CASES}/{their_id}{suffix}", headers=ours, json=payload)
        missing = await client.request(method, f"{CASES}/{missing_id}{suffix}", headers=ours, json=payload)
        foreign_body = assert_problem(foreign, 404)
        missing_body = assert_problem(missing, 404)
        assert _shape(foreign_body, their_id) == _shape(missing_body, missing_id)
        assert set(foreign.headers) == set(missing.headers)
    # The foreign case is untouched.
    still = await client.get(f"{CASES}/{their_id}", headers=theirs)
    assert still.status_code == 200 and still.json()["state"] == "received" and still.json()["version"] == 0
