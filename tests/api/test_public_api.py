"""The public portal over HTTP: submit without signing in, follow with receipt and secret, give feedback."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from core.api.config import ApiConfig
from core.app import create_app
from tests.helpers import assert_problem, sign_in, sign_in_platform

SECRET_KEY = "public-portal-test-key-" + "z" * 32

NAME, PHONE = "张三丰", "13912345678"
CAUSE = "政务公开栏长期未更新案由"
OPINION = "请镇监察室核实并限期整改的转办意见"
REPLY = "经核实，已责成村委会三日内更新公开栏。"
NAMED = {
    "kind": "complaint",
    "channel": "web",
    "title": "村务公开栏三个月未更新",
    "content": "南溪村政务公开栏自七月以来未更新，财务收支未公开。",
    "identity": {"name": NAME, "phone": PHONE},
    "fields": {"situation": "not_compiled", "respondent": "南溪村委会"},
}
ANONYMOUS = {
    "kind": "complaint",
    "channel": "web",
    "title": "低保评定不公",
    "content": "村里低保评定不公开。",
    "anonymous": True,
    "fields": {"situation": "not_compiled", "respondent": "北坡村委会"},
}


def cases_path(slug: str) -> str:
    return f"/api/v1/public/{slug}/cases"


async def submit(client: httpx.AsyncClient, slug: str, body: dict = NAMED, **headers: str) -> dict:
    response = await client.post(cases_path(slug), json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def status_of(client: httpx.AsyncClient, slug: str, receipt: str, secret: str) -> httpx.Response:
    return await client.get(f"{cases_path(slug)}/{receipt}", headers={"X-Receipt-Secret": secret})


async def feedback(client: httpx.AsyncClient, slug: str, receipt: dict, body: dict) -> httpx.Response:
    return await client.post(
        f"{cases_path(slug)}/{receipt['receipt']}/feedback",
        headers={"X-Receipt-Secret": receipt["secret"]},
        json=body,
    )


async def staff_case(client: httpx.AsyncClient, headers: dict[str, str], serial: str) -> dict:
    response = await client.get("/api/v1/cases", headers=headers)
    assert response.status_code == 200, response.text
    return next(case for case in response.json()["items"] if case["serial"] == serial)


async def act(client: httpx.AsyncClient, headers: dict[str, str], case_id: int, action: str, payload: dict):
    response = await client.post(f"/api/v1/cases/{case_id}/actions/{action}", headers=headers, json=payload)
    assert response.status_code == 200, response.text
    return response.json()


async def dispatch(client, township, login, case_id: int) -> None:
    operator = await login(township.slug, "operator")
    leader = await login(township.slug, "leader")
    await act(client, operator, case_id, "register", {"category": "not_compiled"})
    await act(client, operator, case_id, "accept", {})
    await act(client, leader, case_id, "dispatch", {"unit_code": "jcs", "cause": CAUSE, "opinion": OPINION})


async def reply(client, township, login, case_id: int) -> None:
    handler = await login(township.slug, "handler")
    await act(client, handler, case_id, "sign_for", {"handler": "handler"})
    await act(client, handler, case_id, "reply", {"mode": "written", "content": REPLY})


def assert_nothing_internal(text: str) -> None:
    for secret in ("operator", "leader", "handler", "jcs", "镇监察室", CAUSE, OPINION, NAME, PHONE):
        assert secret not in text, (secret, text)


# --- submitting and following -----------------------------------------------------------------


async def test_a_named_submission_gets_a_receipt_and_a_secret(client, township, login):
    receipt = await submit(client, township.slug)
    assert receipt["receipt"] == "NX-2026-000001"
    assert len(receipt["secret"]) >= 20
    assert receipt["notice"]
    assert NAME not in str(receipt) and PHONE not in str(receipt)
    operator = await login(township.slug, "operator")
    case = await staff_case(client, operator, receipt["receipt"])
    assert (case["state"], case["channel"], case["anonymous"]) == ("received", "web", False)
    assert NAME not in str(case)  # the identity is kept apart from the case


async def test_an_anonymous_submission_gets_a_receipt_and_a_secret(client, township, login):
    receipt = await submit(client, township.slug, ANONYMOUS)
    assert receipt["receipt"].startswith("NX-2026-") and receipt["secret"]
    response = await status_of(client, township.slug, receipt["receipt"], receipt["secret"])
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "received"
    operator = await login(township.slug, "operator")
    assert (await staff_case(client, operator, receipt["receipt"]))["anonymous"] is True


async def test_two_submissions_get_different_receipts_and_secrets(client, township):
    first = await submit(client, township.slug)
    second = await submit(client, township.slug, ANONYMOUS)
    assert first["receipt"] != second["receipt"] and first["secret"] != second["secret"]
    assert_problem(await status_of(client, township.slug, second["receipt"], first["secret"]), 404)


async def test_the_status_shows_state_and_milestones(client, township):
    receipt = await submit(client, township.slug)
    response = await status_of(client, township.slug, receipt["receipt"], receipt["secret"])
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["receipt"] == receipt["receipt"]
    assert (status["kind"], status["state"], status["state_label"]) == ("complaint", "received", "已接收")
    assert status["received_at"] == "2026-09-30T02:00:00Z"
    assert [m["label"] for m in status["milestones"]] == ["已收到"]
    assert (status["reply_content"], status["satisfaction"], status["can_give_feedback"]) == ("", None, False)
    assert_nothing_internal(response.text)


async def test_a_wrong_secret_and_an_unknown_receipt_look_the_same(client, township, make_tenant):
    receipt = await submit(client, township.slug)
    wrong = assert_problem(await status_of(client, township.slug, receipt["receipt"], "guessed-secret"), 404)
    unknown = assert_problem(await status_of(client, township.slug, "NX-2026-999999", "guessed-secret"), 404)
    assert wrong == {
        key: value.replace("NX-2026-999999", receipt["receipt"]) if isinstance(value, str) else value
        for key, value in unknown.items()
    }
    # The same receipt number in a tenant that never issued it: byte for byte the same answer.
    other = await make_tenant(demo=True)
    elsewhere = await status_of(client, other.slug, receipt["receipt"], receipt["secret"])
    assert assert_problem(elsewhere, 404) == wrong
    # An empty-looking or missing secret is refused too.
    assert_problem(await client.get(f"{cases_path(township.slug)}/{receipt['receipt']}"), 400)


async def test_staff_progress_shows_without_staff_units_or_notes(client, township, login):
    receipt = await submit(client, township.slug)
    operator = await login(township.slug, "operator")
    case_id = (await staff_case(client, operator, receipt["receipt"]))["id"]

    await dispatch(client, township, login, case_id)
    response = await status_of(client, township.slug, receipt["receipt"], receipt["secret"])
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["state"] == "dispatched"
    assert [m["label"] for m in status["milestones"]] == ["已收到", "已受理", "已转有关单位办理"]
    assert all(m["detail"] == {} for m in status["milestones"])
    assert status["can_give_feedback"] is False
    assert_nothing_internal(response.text)

    await reply(client, township, login, case_id)
    response = await status_of(client, township.slug, receipt["receipt"], receipt["secret"])
    status = response.json()
    assert status["state"] == "replied"
    assert (status["reply_mode"], status["reply_content"]) == ("written", REPLY)
    assert status["milestones"][-1]["label"] == "已答复"
    assert status["can_give_feedback"] is True
    assert_nothing_internal(response.text)


async def test_a_refusal_reason_is_told_to_the_public(client, township, login):
    receipt = await submit(client, township.slug)
    operator = await login(township.slug, "operator")
    case_id = (await staff_case(client, operator, receipt["receipt"]))["id"]
    await act(client, operator, case_id, "register", {"category": "not_compiled"})
    await act(client, operator, case_id, "refuse", {"reason": "不属于本镇受理范围"})
    status = (await status_of(client, township.slug, receipt["receipt"], receipt["secret"])).json()
    assert status["state"] == "refused"
    assert status["milestones"][-1] == {
        "label": "不予受理",
        "at": "2026-09-30T02:00:00Z",
        "detail": {"reason": "不属于本镇受理范围"},
    }
    assert_nothing_internal(str(status))


# --- feedback ---------------------------------------------------------------------------------


async def test_feedback_on_a_reply_is_recorded(client, township, login):
    receipt = await submit(client, township.slug)
    operator = await login(township.slug, "operator")
    case_id = (await staff_case(client, operator, receipt["receipt"]))["id"]
    await dispatch(client, township, login, case_id)
    await reply(client, township, login, case_id)

    response = await feedback(client, township.slug, receipt, {"satisfaction": "satisfied"})
    assert response.status_code == 200, response.text
    status = response.json()
    assert (status["state"], status["satisfaction"], status["can_give_feedback"]) == (
        "feedback",
        "satisfied",
        False,
    )
    assert status["milestones"][-1]["label"] == "已评价"
    assert_nothing_internal(response.text)

    seen = await client.get(f"/api/v1/cases/{case_id}", headers=operator)
    assert seen.status_code == 200, seen.text
    assert (seen.json()["state"], seen.json()["satisfaction"]) == ("feedback", "satisfied")
    events = (await client.get(f"/api/v1/cases/{case_id}/events", headers=operator)).json()
    assert (events[-1]["action"], events[-1]["actor"]) == ("record_feedback", "public")

    # Once given, feedback cannot be given again.
    assert_problem(await feedback(client, township.slug, receipt, {"satisfaction": "dissatisfied"}), 409)


async def test_feedback_before_a_reply_is_a_conflict(client, township, login):
    receipt = await submit(client, township.slug)
    body = assert_problem(await feedback(client, township.slug, receipt, {"satisfaction": "satisfied"}), 409)
    assert body["type"] == "urn:huiying:problem:illegal_transition"
    operator = await login(township.slug, "operator")
    case = await staff_case(client, operator, receipt["receipt"])
    assert (case["state"], case["satisfaction"]) == ("received", None)


async def test_feedback_needs_the_secret(client, township, login):
    receipt = await submit(client, township.slug)
    operator = await login(township.slug, "operator")
    case_id = (await staff_case(client, operator, receipt["receipt"]))["id"]
    await dispatch(client, township, login, case_id)
    await reply(client, township, login, case_id)
    forged = receipt | {"secret": "guessed-secret"}
    assert_problem(await feedback(client, township.slug, forged, {"satisfaction": "dissatisfied"}), 404)
    assert (await client.get(f"/api/v1/cases/{case_id}", headers=operator)).json()["state"] == "replied"


async def test_feedback_with_an_unknown_satisfaction_is_refused(client, township):
    receipt = await submit(client, township.slug)
    assert_problem(await feedback(client, township.slug, receipt, {"satisfaction": "thrilled"}), 400)


# --- tenants ----------------------------------------------------------------------------------


async def test_an_unknown_tenant_has_no_portal(client, township):
    receipt = await submit(client, township.slug)
    body = assert_problem(await client.post(cases_path("no-such-town"), json=NAMED), 404)
    assert "no-such-town" in body["detail"]
    assert_problem(await status_of(client, "no-such-town", receipt["receipt"], receipt["secret"]), 404)


async def test_a_suspended_tenant_has_no_portal_until_resumed(client, township, platform_admin):
    receipt = await submit(client, township.slug)
    root = await sign_in_platform(client, platform_admin)
    suspended = await client.post(
        f"/api/v1/platform/tenants/{township.slug}/suspend", headers=root, json={"reason": "暂停服务"}
    )
    assert suspended.status_code == 200, suspended.text

    assert_problem(await client.post(cases_path(township.slug), json=NAMED), 404)
    gone = assert_problem(await status_of(client, township.slug, receipt["receipt"], receipt["secret"]), 404)
    unknown = assert_problem(
        await status_of(client, "no-such-town", receipt["receipt"], receipt["secret"]), 404
    )
    assert gone["type"] == unknown["type"]
    assert "暂停服务" not in gone["detail"]
    assert_problem(await feedback(client, township.slug, receipt, {"satisfaction": "satisfied"}), 404)

    resumed = await client.post(f"/api/v1/platform/tenants/{township.slug}/resume", headers=root, json={})
    assert resumed.status_code == 200, resumed.text
    assert (await status_of(client, township.slug, receipt["receipt"], receipt["secret"])).status_code == 200


# --- abuse ------------------------------------------------------------------------------------


@pytest.fixture
def portal(registry, clock):
    """A client (use it with ``async with``) on an app of its own, built with `ApiConfig` overrides."""

    def make(**config) -> httpx.AsyncClient:
        app = create_app(config=ApiConfig(secret_key=SECRET_KEY, **config), registry=registry, clock=clock)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal.test")

    return make


async def test_the_portal_is_rate_limited(portal, township):
    async with portal(public_rate_per_minute=3) as client:
        first = await submit(client, township.slug)
        assert (await status_of(client, township.slug, first["receipt"], first["secret"])).status_code == 200
        await submit(client, township.slug, ANONYMOUS)
        fourth = await client.post(cases_path(township.slug), json=NAMED)
        body = assert_problem(fourth, 429)
        assert body["type"] == "urn:huiying:problem:rate_limited"
        assert_problem(await status_of(client, township.slug, first["receipt"], first["secret"]), 429)
        # Staff are not throttled by the portal's limit, and the refused submission made no case.
        operator = await sign_in(client, township.slug, "operator")
        listed = await client.get("/api/v1/cases", headers=operator)
        assert listed.status_code == 200, listed.text
        assert len(listed.json()["items"]) == 2


async def test_an_oversized_public_body_is_refused(portal, township, client):
    big = NAMED | {"content": "x" * 5000}
    async with portal(public_max_body_bytes=2000) as small:
        body = assert_problem(await small.post(cases_path(township.slug), json=big), 413)
        assert body["type"] == "urn:huiying:problem:too_large"
        # A body under the limit is fine, and the staff API keeps its own, larger limit.
        assert (await small.post(cases_path(township.slug), json=NAMED)).status_code == 201
        operator = await sign_in(small, township.slug, "operator")
        staff = await small.post("/api/v1/cases", headers=operator, json=big)
        assert staff.status_code == 201, staff.text
    # With the default limit (64 KB) the same body is accepted on the portal.
    assert (await client.post(cases_path(township.slug), json=big)).status_code == 201


async def test_a_non_json_body_is_refused(client, township):
    response = await client.post(
        cases_path(township.slug), content=b"kind=complaint", headers={"Content-Type": "text/plain"}
    )
    assert_problem(response, 415)


async def test_the_same_idempotency_key_returns_the_same_receipt(client, township, login):
    key = {"Idempotency-Key": "portal-retry-0001"}
    first = await submit(client, township.slug, **key)
    again = await submit(client, township.slug, **key)
    # The retry is the same submission: the same receipt and the same secret, which works.
    assert (again["receipt"], again["secret"]) == (first["receipt"], first["secret"])
    assert (await status_of(client, township.slug, again["receipt"], again["secret"])).status_code == 200
    other = await submit(client, township.slug, **{"Idempotency-Key": "portal-retry-0002"})
    assert other["receipt"] != first["receipt"]
    operator = await login(township.slug, "operator")
    listed = (await client.get("/api/v1/cases", headers=operator)).json()["items"]
    assert sorted(case["serial"] for case in listed) == sorted({first["receipt"], other["receipt"]})


async def test_fifty_submissions_at_once_with_one_key_make_one_case_with_one_secret(
    client, registry, clock, township, login
):
    # A phone on a bad connection sends the same form again and again, all at once (with a rate
    # limit high enough to let all fifty through to the race).
    from core.api.config import ApiConfig
    from core.app import create_app
    from tests.api.conftest import SECRET

    app = create_app(
        config=ApiConfig(secret_key=SECRET, public_rate_per_minute=1000), registry=registry, clock=clock
    )
    key = {"Idempotency-Key": "portal-burst-0001"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://huiying.test"
    ) as burst:
        answers = await asyncio.gather(
            *(burst.post(cases_path(township.slug), json=NAMED, headers=key) for _ in range(50))
        )
    failed = [answer.text for answer in answers if answer.status_code != 201]
    assert not failed, failed[:3]
    handed_out = {(answer.json()["receipt"], answer.json()["secret"]) for answer in answers}
    assert len(handed_out) == 1, handed_out
    ((receipt, secret),) = handed_out
    assert (await status_of(client, township.slug, receipt, secret)).status_code == 200
    operator = await login(township.slug, "operator")
    listed = (await client.get("/api/v1/cases", headers=operator)).json()["items"]
    assert [case["serial"] for case in listed] == [receipt]  # one case


async def test_the_public_cannot_back_date_a_submission(client, township, login):
    # `received_at` is for staff logging a letter or a call late; on the portal a case is received when
    # it is submitted. Refusing the field or ignoring it are both fine; honouring it is not.
    backdated = NAMED | {"received_at": "2026-09-12T10:00:00+08:00"}
    response = await client.post(cases_path(township.slug), json=backdated)
    if response.status_code != 201:
        assert response.status_code in (400, 422), response.text
        assert "received_at" in assert_problem(response, response.status_code)["detail"]
        return
    receipt = response.json()
    status = (await status_of(client, township.slug, receipt["receipt"], receipt["secret"])).json()
    assert status["received_at"] == "2026-09-30T02:00:00Z"
    operator = await login(township.slug, "operator")
    case = await staff_case(client, operator, receipt["receipt"])
    assert case["received_at"] == "2026-09-30T02:00:00Z"
    events = (await client.get(f"/api/v1/cases/{case['id']}/events", headers=operator)).json()
    assert "backdated" not in events[0]["data"]


async def test_an_idempotency_key_reused_for_another_submission_is_refused(client, township):
    key = {"Idempotency-Key": "portal-retry-0003"}
    await submit(client, township.slug, **key)
    response = await client.post(cases_path(township.slug), json=ANONYMOUS, headers=key)
    assert_problem(response, 422)


async def test_an_anonymous_reporter_answers_questions_with_the_secret(client, township, login):
    submitted = await client.post(
        f"/api/v1/public/{township.slug}/cases",
        json={
            "kind": "report",
            "title": "违规收费",
            "content": "公开信息要收费",
            "anonymous": True,
            "fields": {"respondent": "某站所"},
        },
    )
    receipt = submitted.json()
    path = f"/api/v1/public/{township.slug}/cases/{receipt['receipt']}/messages"
    wrong = await client.post(path, json={"text": "补充"}, headers={"X-Receipt-Secret": "guess"})
    assert wrong.status_code == 404
    answered = await client.post(
        path, json={"text": "收费时间是十月八日上午"}, headers={"X-Receipt-Secret": receipt["secret"]}
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["milestones"][-1]["label"] == "已补充说明"
    operator = await login(township.slug, "operator")
    listed = await client.get("/api/v1/cases", headers=operator)
    case_id = listed.json()["items"][0]["id"]
    events = (await client.get(f"/api/v1/cases/{case_id}/events", headers=operator)).json()
    assert (
        events[-1]["name"] == "case_complainant_message"
        and events[-1]["data"]["text"] == "收费时间是十月八日上午"
    )
