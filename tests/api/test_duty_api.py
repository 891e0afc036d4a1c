"""Duty over HTTP: the roster, its gaps, who is on duty, confidential handovers, tenant isolation."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem, error_fields, sign_in_platform

DAY_SHIFT = {
    "starts_at": "2026-09-30T08:00:00+08:00",
    "ends_at": "2026-09-30T20:00:00+08:00",
    "leader": "leader",
    "officers": ["operator"],
}
DAY = {"start": "2026-09-30T00:00:00+08:00", "end": "2026-10-01T00:00:00+08:00"}
HANDOVER = {
    "cases_received": ["NX-2026-000001"],
    "pending": ["回访投诉人"],
    "documents": ["值班日志"],
    "equipment": "电话、录音设备、电脑运行正常",
    "notes": "",
}


@pytest.fixture
def headers(township, login):
    """Authorization headers of the township's demo users, by username."""
    cache: dict[str, dict[str, str]] = {}

    async def of(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = await login(township.slug, username)
        return cache[username]

    return of


@pytest.fixture
async def shift(client, headers) -> dict:
    """The day shift of 30 September (08:00–20:00 in Shanghai), which covers the app's clock."""
    response = await client.post("/api/v1/duty/shifts", headers=await headers("supervisor"), json=DAY_SHIFT)
    assert response.status_code == 201, response.text
    return response.json()


# --- shifts -----------------------------------------------------------------------------------


async def test_a_supervisor_plans_a_shift_and_everyone_sees_the_roster(client, headers, shift):
    assert shift["id"] >= 1
    assert {k: shift[k] for k in ("leader", "officers")} == {"leader": "leader", "officers": ["operator"]}
    assert shift["starts_at"].startswith("2026-09-30T00:00:00")  # the same instant, in UTC
    for reader in ("handler", "operator", "admin"):
        response = await client.get("/api/v1/duty/shifts", headers=await headers(reader), params=DAY)
        assert response.status_code == 200, response.text
        assert response.json() == [shift]
    later = {"start": "2026-09-30T20:00:00+08:00", "end": "2026-09-30T23:00:00+08:00"}
    response = await client.get("/api/v1/duty/shifts", headers=await headers("handler"), params=later)
    assert response.json() == []


async def test_the_admin_plans_too_but_duty_staff_and_handlers_may_not(client, headers):
    night = DAY_SHIFT | {"starts_at": "2026-09-30T20:00:00+08:00", "ends_at": "2026-10-01T08:00:00+08:00"}
    response = await client.post("/api/v1/duty/shifts", headers=await headers("admin"), json=night)
    assert response.status_code == 201, response.text
    for name in ("operator", "leader", "handler"):
        response = await client.post("/api/v1/duty/shifts", headers=await headers(name), json=DAY_SHIFT)
        assert_problem(response, 403)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"leader": "operator", "officers": ["leader"]}, "leader"),  # operator is no duty leader
        ({"leader": "nobody"}, "leader"),
        ({"officers": ["handler"]}, "officers"),
        ({"officers": ["operator", "supervisor"]}, "officers"),
        ({"officers": []}, "officers"),
        ({"officers": ["operator", "leader"]}, "officers"),
        ({"starts_at": "2026-09-30T08:00:00"}, "starts_at"),  # naive: refused, not guessed
        ({"ends_at": "2026-09-30T07:00:00+08:00"}, "ends_at"),
        ({"ends_at": "2026-10-01T08:00:01+08:00"}, "ends_at"),  # longer than 24 hours
    ],
)
async def test_a_wrong_shift_is_a_422_naming_the_field(client, headers, changes, field):
    response = await client.post(
        "/api/v1/duty/shifts", headers=await headers("supervisor"), json=DAY_SHIFT | changes
    )
    body = assert_problem(response, 422)
    assert error_fields(body) == [field]


@pytest.mark.parametrize(
    "body",
    [
        DAY_SHIFT | {"colour": "red"},  # unknown field
        {k: v for k, v in DAY_SHIFT.items() if k != "leader"},
        DAY_SHIFT | {"leader": "lead\x00er"},  # control character
        DAY_SHIFT | {"starts_at": "tomorrow"},
    ],
)
async def test_a_malformed_shift_is_a_400(client, headers, body):
    response = await client.post("/api/v1/duty/shifts", headers=await headers("supervisor"), json=body)
    assert_problem(response, 400)


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"start": "2026-09-30T00:00:00", "end": DAY["end"]}, 422, "start"),  # naive
        ({"start": DAY["start"], "end": "2026-10-01T00:00:00"}, 422, "end"),
        ({"start": DAY["end"], "end": DAY["start"]}, 422, "end"),
        ({"start": DAY["start"], "end": "2027-09-30T00:00:00+08:00"}, 422, "end"),  # over 93 days
        ({"start": DAY["start"]}, 400, None),
        ({"start": "yesterday", "end": DAY["end"]}, 400, None),
    ],
)
async def test_a_wrong_window_is_refused(client, headers, params, status, field):
    for path, reader in (("/api/v1/duty/shifts", "handler"), ("/api/v1/duty/coverage", "admin")):
        response = await client.get(path, headers=await headers(reader), params=params)
        body = assert_problem(response, status)
        if field:
            assert error_fields(body) == [field]


# --- coverage and on duty ---------------------------------------------------------------------


async def test_coverage_lists_the_gaps_to_the_planners(client, headers, shift):
    response = await client.get("/api/v1/duty/coverage", headers=await headers("admin"), params=DAY)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["covered"] is False
    assert body["gaps"] == [
        {"start": "2026-09-29T16:00:00Z", "end": "2026-09-30T00:00:00Z"},
        {"start": "2026-09-30T12:00:00Z", "end": "2026-09-30T16:00:00Z"},
    ]
    inside = {"start": "2026-09-30T09:00:00+08:00", "end": "2026-09-30T10:00:00+08:00"}
    response = await client.get("/api/v1/duty/coverage", headers=await headers("supervisor"), params=inside)
    assert response.json()["covered"] is True and response.json()["gaps"] == []
    for name in ("operator", "leader", "handler"):
        response = await client.get("/api/v1/duty/coverage", headers=await headers(name), params=DAY)
        assert_problem(response, 403)


async def test_on_duty_names_the_leader_new_cases_go_to(client, headers):
    response = await client.get("/api/v1/duty/on-duty", headers=await headers("handler"))
    assert response.status_code == 200, response.text
    assert response.json() == {"at": "2026-09-30T02:00:00Z", "leader": None, "shift": None}
    planned = await client.post("/api/v1/duty/shifts", headers=await headers("admin"), json=DAY_SHIFT)
    response = await client.get("/api/v1/duty/on-duty", headers=await headers("operator"))
    assert response.json() == {"at": "2026-09-30T02:00:00Z", "leader": "leader", "shift": planned.json()}


# --- handovers --------------------------------------------------------------------------------


async def test_duty_staff_write_handovers_and_read_them(client, headers, shift):
    written = []
    for writer in ("operator", "leader", "supervisor"):
        response = await client.post(
            "/api/v1/duty/handovers", headers=await headers(writer), json=HANDOVER | {"shift_id": shift["id"]}
        )
        assert response.status_code == 201, response.text
        written.append(response.json())
    assert written[0] | {"id": 0} == HANDOVER | {
        "id": 0,
        "shift_id": shift["id"],
        "written_by": "operator",
        "at": "2026-09-30T02:00:00Z",
    }
    for reader in ("operator", "leader", "supervisor"):
        response = await client.get("/api/v1/duty/handovers", headers=await headers(reader))
        assert response.status_code == 200, response.text
        assert sorted(h["id"] for h in response.json()) == sorted(h["id"] for h in written)
        one_shift = await client.get(
            "/api/v1/duty/handovers", headers=await headers(reader), params={"shift_id": shift["id"]}
        )
        assert one_shift.json() == response.json()


async def test_handovers_are_confidential(client, headers, shift):
    body = HANDOVER | {"shift_id": shift["id"]}
    for name in ("handler", "admin"):
        assert_problem(await client.get("/api/v1/duty/handovers", headers=await headers(name)), 403)
        response = await client.post("/api/v1/duty/handovers", headers=await headers(name), json=body)
        assert_problem(response, 403)
    assert_problem(await client.get("/api/v1/duty/handovers"), 401)


async def test_a_wrong_handover_is_refused(client, headers, shift):
    supervisor = await headers("supervisor")
    body = HANDOVER | {"shift_id": shift["id"]}
    missing = await client.post(
        "/api/v1/duty/handovers", headers=supervisor, json=body | {"shift_id": 999_999}
    )
    assert_problem(missing, 404)
    blank = await client.post("/api/v1/duty/handovers", headers=supervisor, json=body | {"equipment": " "})
    assert error_fields(assert_problem(blank, 422)) == ["equipment"]
    for bad in (body | {"shift_id": 0}, body | {"pending": ["\x07"]}, body | {"log": "x"}):
        assert_problem(await client.post("/api/v1/duty/handovers", headers=supervisor, json=bad), 400)
    response = await client.get("/api/v1/duty/handovers", headers=supervisor, params={"shift_id": 0})
    assert_problem(response, 400)
    response = await client.get("/api/v1/duty/handovers", headers=supervisor, params={"shift_id": 999_999})
    assert_problem(response, 404)


# --- isolation --------------------------------------------------------------------------------


async def test_another_tenant_sees_nothing_of_ours(client, headers, shift, make_tenant, login):
    await client.post(
        "/api/v1/duty/handovers", headers=await headers("operator"), json=HANDOVER | {"shift_id": shift["id"]}
    )
    other = await make_tenant(demo=True)
    theirs = await login(other.slug, "supervisor")
    assert (await client.get("/api/v1/duty/shifts", headers=theirs, params=DAY)).json() == []
    assert (await client.get("/api/v1/duty/handovers", headers=theirs)).json() == []
    on_duty = await client.get("/api/v1/duty/on-duty", headers=theirs)
    assert on_duty.json()["leader"] is None
    coverage = await client.get("/api/v1/duty/coverage", headers=theirs, params=DAY)
    assert coverage.json()["gaps"] == [{"start": "2026-09-29T16:00:00Z", "end": "2026-09-30T16:00:00Z"}]
    response = await client.get("/api/v1/duty/handovers", headers=theirs, params={"shift_id": shift["id"]})
    assert_problem(response, 404)
    response = await client.post(
        "/api/v1/duty/handovers", headers=theirs, json=HANDOVER | {"shift_id": shift["id"]}
    )
    assert_problem(response, 404)


async def test_platform_admins_hold_no_duty_access(client, platform_admin):
    root = await sign_in_platform(client, platform_admin)
    assert_problem(await client.get("/api/v1/duty/on-duty", headers=root), 403)
    assert_problem(await client.get("/api/v1/duty/shifts", headers=root, params=DAY), 403)
