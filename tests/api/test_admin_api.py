"""Tenant administration over HTTP: users and roles, units, plugin settings — tenant admins only."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem, error_fields, request_token

DEMO_ROLES = {
    "admin": ["tenant_admin"],
    "operator": ["intake_officer"],
    "leader": ["approver", "duty_leader"],
    "handler": ["handler"],
    "dzb-handler": ["handler"],
    "supervisor": ["supervisor"],
}
COMPLAINT = {
    "kind": "complaint",
    "channel": "phone",
    "title": "村务公开栏未更新",
    "content": "三个月未更新",
    "identity": {"name": "张三", "phone": "13812345678"},
    "fields": {"situation": "not_compiled", "respondent": "南溪村委会"},
}


@pytest.fixture
async def admin(township, login):
    return await login(township.slug, "admin")


# --- users ------------------------------------------------------------------------------------


async def test_the_user_list_shows_the_demo_users_with_their_roles(client, township, admin):
    response = await client.get("/api/v1/admin/users", headers=admin)
    assert response.status_code == 200, response.text
    users = {user["username"]: user for user in response.json()}
    assert {name: user["roles"] for name, user in users.items()} == DEMO_ROLES
    assert users["handler"]["unit_code"] == "jcs"
    assert users["operator"]["unit_code"] is None
    assert all(user["active"] and not user["locked"] for user in users.values())
    assert "password" not in response.text


async def test_the_user_list_shows_a_locked_account(client, township, admin):
    for _ in range(5):
        assert_problem(await request_token(client, township.slug, "supervisor", "wrong-pass"), 401)
    users = {u["username"]: u for u in (await client.get("/api/v1/admin/users", headers=admin)).json()}
    assert users["supervisor"]["locked"] is True
    assert users["operator"]["locked"] is False


async def test_a_user_created_with_a_password_can_sign_in(client, township, admin):
    response = await client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={
            "username": "wang.wu",
            "display_name": "王五",
            "roles": ["handler", "unit_head"],
            "unit_code": "dzb",
            "password": "s3cret-pass",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "username": "wang.wu",
        "display_name": "王五",
        "roles": ["handler", "unit_head"],
        "unit_code": "dzb",
        "active": True,
        "locked": False,
    }
    signed_in = await request_token(client, township.slug, "wang.wu", "s3cret-pass")
    assert signed_in.status_code == 200, signed_in.text
    listed = [u["username"] for u in (await client.get("/api/v1/admin/users", headers=admin)).json()]
    assert "wang.wu" in listed


async def test_a_user_created_without_a_password_cannot_sign_in(client, township, admin):
    response = await client.post(
        "/api/v1/admin/users", headers=admin, json={"username": "zhao", "roles": ["auditor"]}
    )
    assert response.status_code == 201, response.text
    assert response.json()["display_name"] == "zhao"
    # An empty password is invalid.
    assert_problem(await request_token(client, township.slug, "zhao", ""), 400)
    assert_problem(await request_token(client, township.slug, "zhao", "anything-at-all"), 401)
    # Once a password is set, the user can sign in.
    response = await client.patch("/api/v1/admin/users/zhao", headers=admin, json={"password": "new-pass-1"})
    assert response.status_code == 200, response.text
    assert (await request_token(client, township.slug, "zhao", "new-pass-1")).status_code == 200


async def test_a_duplicate_username_is_refused_naming_the_field(client, admin):
    response = await client.post(
        "/api/v1/admin/users", headers=admin, json={"username": "operator", "roles": ["auditor"]}
    )
    body = assert_problem(response, 422)
    assert error_fields(body) == ["username"]
    assert "operator" in body["detail"]


async def test_an_unknown_role_is_a_bad_request(client, admin):
    response = await client.post(
        "/api/v1/admin/users", headers=admin, json={"username": "li", "roles": ["emperor"]}
    )
    body = assert_problem(response, 400)
    assert error_fields(body) == ["roles[0]"]
    assert "emperor" in body["detail"]


async def test_an_unknown_unit_is_refused(client, township, admin):
    response = await client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={"username": "li", "roles": ["handler"], "unit_code": "nowhere"},
    )
    body = assert_problem(response, 422)
    assert error_fields(body) == ["unit_code"]
    users = [u["username"] for u in (await client.get("/api/v1/admin/users", headers=admin)).json()]
    assert "li" not in users
    response = await client.patch("/api/v1/admin/users/handler", headers=admin, json={"unit_code": "nowhere"})
    assert error_fields(assert_problem(response, 422)) == ["unit_code"]


async def test_a_too_short_password_is_refused(client, admin):
    response = await client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={"username": "li", "roles": ["handler"], "password": "short"},
    )
    body = assert_problem(response, 400)
    assert "password" in body["detail"]


async def test_unknown_fields_are_refused(client, admin):
    response = await client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={"username": "li", "roles": ["handler"], "superuser": True},
    )
    body = assert_problem(response, 400)
    assert "superuser" in body["detail"]


async def test_a_role_change_applies_to_the_next_request(client, township, admin, login):
    handler = await login(township.slug, "handler")
    assert_problem(await client.post("/api/v1/cases", headers=handler, json=COMPLAINT), 403)
    response = await client.patch(
        "/api/v1/admin/users/handler", headers=admin, json={"roles": ["handler", "intake_officer"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["handler", "intake_officer"]
    created = await client.post("/api/v1/cases", headers=handler, json=COMPLAINT)  # the same token
    assert created.status_code == 201, created.text
    # Taking the role away applies at once too.
    response = await client.patch("/api/v1/admin/users/handler", headers=admin, json={"roles": ["handler"]})
    assert response.status_code == 200, response.text
    assert_problem(await client.post("/api/v1/cases", headers=handler, json=COMPLAINT), 403)


async def test_a_password_reset_replaces_the_old_password_and_unlocks(client, township, admin):
    for _ in range(5):
        assert_problem(await request_token(client, township.slug, "operator", "wrong-pass"), 401)
    assert_problem(await request_token(client, township.slug, "operator"), 429)
    response = await client.patch(
        "/api/v1/admin/users/operator", headers=admin, json={"password": "brand-new-pass"}
    )
    assert response.status_code == 200, response.text
    assert "brand-new-pass" not in response.text
    users = {u["username"]: u for u in (await client.get("/api/v1/admin/users", headers=admin)).json()}
    assert users["operator"]["locked"] is False
    assert_problem(await request_token(client, township.slug, "operator"), 401)
    assert (await request_token(client, township.slug, "operator", "brand-new-pass")).status_code == 200


async def test_the_answer_to_a_password_reset_shows_the_account_unlocked(client, township, admin):
    for _ in range(5):
        assert_problem(await request_token(client, township.slug, "operator", "wrong-pass"), 401)
    users = {u["username"]: u for u in (await client.get("/api/v1/admin/users", headers=admin)).json()}
    assert users["operator"]["locked"] is True
    response = await client.patch(
        "/api/v1/admin/users/operator", headers=admin, json={"password": "brand-new-pass"}
    )
    assert response.status_code == 200, response.text
    # The reset cleared the lock (the user list and a sign-in agree); the answer must say so too.
    assert (await request_token(client, township.slug, "operator", "brand-new-pass")).status_code == 200
    assert response.json()["locked"] is False


async def test_patching_an_unknown_user_is_not_found(client, admin):
    response = await client.patch("/api/v1/admin/users/ghost", headers=admin, json={"display_name": "鬼"})
    assert_problem(response, 404)
    response = await client.patch("/api/v1/admin/users/ghost", headers=admin, json={"password": "ghost-pass"})
    assert_problem(response, 404)


async def test_an_admin_cannot_lock_themselves_out(client, township, admin):
    body = assert_problem(
        await client.patch("/api/v1/admin/users/admin", headers=admin, json={"roles": ["auditor"]}), 422
    )
    assert error_fields(body) == ["roles"]
    assert_problem(
        await client.patch("/api/v1/admin/users/admin", headers=admin, json={"active": False}), 422
    )
    users = {u["username"]: u for u in (await client.get("/api/v1/admin/users", headers=admin)).json()}
    assert users["admin"]["active"] is True and users["admin"]["roles"] == ["tenant_admin"]
    # Adding a role to oneself is fine.
    response = await client.patch(
        "/api/v1/admin/users/admin", headers=admin, json={"roles": ["auditor", "tenant_admin"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["auditor", "tenant_admin"]


async def test_refusing_self_deactivation_names_the_field_that_was_sent(client, admin):
    # Field errors point a form at the offending input: here `active`, the only field sent.
    response = await client.patch("/api/v1/admin/users/admin", headers=admin, json={"active": False})
    assert error_fields(assert_problem(response, 422)) == ["active"]


# --- units ------------------------------------------------------------------------------------


async def test_units_can_be_listed_added_and_renamed(client, admin):
    response = await client.get("/api/v1/admin/units", headers=admin)
    assert response.status_code == 200, response.text
    assert {u["code"]: u["name"] for u in response.json()} == {"jcs": "镇监察室", "dzb": "党政办"}

    response = await client.post(
        "/api/v1/admin/units", headers=admin, json={"code": "czs", "name": "财政所", "parent": "dzb"}
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"code": "czs", "name": "财政所", "parent": "dzb"}

    body = assert_problem(
        await client.post("/api/v1/admin/units", headers=admin, json={"code": "czs", "name": "另一个"}), 422
    )
    assert error_fields(body) == ["code"]

    response = await client.put("/api/v1/admin/units/czs", headers=admin, json={"name": "镇财政所"})
    assert response.status_code == 200, response.text
    assert response.json() == {"code": "czs", "name": "镇财政所", "parent": None}
    units = {u["code"]: u for u in (await client.get("/api/v1/admin/units", headers=admin)).json()}
    assert units["czs"] == {"code": "czs", "name": "镇财政所", "parent": None}


async def test_renaming_an_unknown_unit_is_a_problem(client, admin):
    response = await client.put("/api/v1/admin/units/nowhere", headers=admin, json={"name": "无"})
    body = assert_problem(response, 404)
    assert "nowhere" in body["detail"]


async def test_a_unit_with_an_unknown_parent_is_refused(client, admin):
    response = await client.post(
        "/api/v1/admin/units", headers=admin, json={"code": "x1", "name": "某所", "parent": "nowhere"}
    )
    assert_problem(response, 422)
    response = await client.put(
        "/api/v1/admin/units/jcs", headers=admin, json={"name": "监察室", "parent": "jcs"}
    )
    assert error_fields(assert_problem(response, 422)) == ["parent"]


async def test_a_new_unit_can_take_users(client, township, admin):
    response = await client.post("/api/v1/admin/units", headers=admin, json={"code": "nbs", "name": "农办"})
    assert response.status_code == 201, response.text
    response = await client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={"username": "nb.handler", "roles": ["handler"], "unit_code": "nbs"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["unit_code"] == "nbs"


# --- settings ---------------------------------------------------------------------------------


async def test_settings_list_the_plugins_declarations_with_defaults(client, admin):
    response = await client.get("/api/v1/admin/settings", headers=admin)
    assert response.status_code == 200, response.text
    settings = {s["key"]: s for s in response.json()}
    assert {"general_working_days", "complex_working_days", "extension_cap_working_days"} <= settings.keys()
    general = settings["general_working_days"]
    assert (general["type"], general["default"], general["value"]) == ("int", 5, 5)
    assert general["description"]
    assert (settings["complex_working_days"]["default"], settings["complex_working_days"]["value"]) == (
        10,
        10,
    )


async def test_settings_can_be_changed(client, admin):
    response = await client.patch(
        "/api/v1/admin/settings", headers=admin, json={"values": {"general_working_days": 4}}
    )
    assert response.status_code == 200, response.text
    changed = {s["key"]: s for s in response.json()}
    assert (changed["general_working_days"]["value"], changed["general_working_days"]["default"]) == (4, 5)
    assert changed["complex_working_days"]["value"] == 10
    listed = {
        s["key"]: s["value"] for s in (await client.get("/api/v1/admin/settings", headers=admin)).json()
    }
    assert listed["general_working_days"] == 4
    # A second change keeps the first.
    response = await client.patch(
        "/api/v1/admin/settings", headers=admin, json={"values": {"complex_working_days": 8}}
    )
    assert response.status_code == 200, response.text
    values = {s["key"]: s["value"] for s in response.json()}
    assert (values["general_working_days"], values["complex_working_days"]) == (4, 8)


async def test_a_changed_setting_drives_new_deadlines(client, township, admin, login):
    response = await client.patch(
        "/api/v1/admin/settings", headers=admin, json={"values": {"general_working_days": 3}}
    )
    assert response.status_code == 200, response.text
    operator = await login(township.slug, "operator")
    created = await client.post("/api/v1/cases", headers=operator, json=COMPLAINT)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    for action, payload in (("register", {"category": "not_compiled"}), ("accept", {})):
        response = await client.post(
            f"/api/v1/cases/{case_id}/actions/{action}", headers=operator, json=payload
        )
        assert response.status_code == 200, response.text
    handling = next(t for t in response.json()["timers"] if t["kind"] == "handling")
    assert handling["period"] == "3 working days"  # 5 by default


async def test_an_unknown_setting_is_refused_naming_it(client, admin):
    response = await client.patch(
        "/api/v1/admin/settings", headers=admin, json={"values": {"lunch_break_minutes": 90}}
    )
    body = assert_problem(response, 422)
    assert error_fields(body) == ["lunch_break_minutes"]
    assert "lunch_break_minutes" in body["detail"]
    values = {
        s["key"]: s["value"] for s in (await client.get("/api/v1/admin/settings", headers=admin)).json()
    }
    assert "lunch_break_minutes" not in values


@pytest.mark.parametrize("value", ["five", True, 4.5, None])
async def test_a_mistyped_setting_is_refused(client, admin, value):
    response = await client.patch(
        "/api/v1/admin/settings", headers=admin, json={"values": {"general_working_days": value}}
    )
    body = assert_problem(response, 422)
    assert error_fields(body) == ["general_working_days"]
    values = {
        s["key"]: s["value"] for s in (await client.get("/api/v1/admin/settings", headers=admin)).json()
    }
    assert values["general_working_days"] == 5


# --- who may ----------------------------------------------------------------------------------

ADMIN_REQUESTS = (
    ("GET", "/api/v1/admin/users", None),
    (
        "POST",
        "/api/v1/admin/users",
        {"username": "intruder", "roles": ["tenant_admin"], "password": "x" * 10},
    ),
    ("PATCH", "/api/v1/admin/users/operator", {"roles": ["tenant_admin"]}),
    ("PATCH", "/api/v1/admin/users/admin", {"active": False}),
    ("POST", "/api/v1/admin/units", {"code": "evil", "name": "冒名单位"}),
    ("PUT", "/api/v1/admin/units/jcs", {"name": "改名"}),
    ("GET", "/api/v1/admin/settings", None),
    ("PATCH", "/api/v1/admin/settings", {"values": {"general_working_days": 1}}),
)


@pytest.mark.parametrize("username", ["operator", "handler", "leader", "supervisor"])
async def test_only_tenant_admins_administer(client, township, admin, login, username):
    headers = await login(township.slug, username)
    for method, path, body in ADMIN_REQUESTS:
        response = await client.request(method, path, headers=headers, json=body)
        assert_problem(response, 403)
    # Nothing changed.
    users = {u["username"]: u for u in (await client.get("/api/v1/admin/users", headers=admin)).json()}
    assert "intruder" not in users
    assert users["operator"]["roles"] == ["intake_officer"] and users["admin"]["active"]
    units = {u["code"]: u["name"] for u in (await client.get("/api/v1/admin/units", headers=admin)).json()}
    assert units == {"jcs": "镇监察室", "dzb": "党政办"}
    values = {
        s["key"]: s["value"] for s in (await client.get("/api/v1/admin/settings", headers=admin)).json()
    }
    assert values["general_working_days"] == 5


@pytest.mark.parametrize("username", ["operator", "handler", "leader", "supervisor"])
async def test_case_staff_may_read_the_unit_list(client, township, login, username):
    # Units are what cases are dispatched to: every case reader sees them (but cannot change them).
    headers = await login(township.slug, username)
    response = await client.get("/api/v1/admin/units", headers=headers)
    assert response.status_code == 200, response.text
    assert {u["code"] for u in response.json()} == {"jcs", "dzb"}


async def test_admin_endpoints_need_a_token(client):
    for method, path, body in ADMIN_REQUESTS:
        assert_problem(await client.request(method, path, json=body), 401)


async def test_an_admin_sees_and_changes_only_their_own_tenant(client, township, make_tenant, login, admin):
    other = await make_tenant(demo=True)
    response = await client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={"username": "only.in.a", "roles": ["auditor"], "password": "only-in-a-1"},
    )
    assert response.status_code == 201, response.text
    admin_b = await login(other.slug, "admin")
    response = await client.get("/api/v1/admin/users", headers=admin_b)
    assert response.status_code == 200, response.text
    assert sorted(u["username"] for u in response.json()) == sorted(DEMO_ROLES)
    # Tenant A's user is not found from tenant B, and B's changes never reach A.
    response = await client.patch("/api/v1/admin/users/only.in.a", headers=admin_b, json={"active": False})
    assert_problem(response, 404)
    response = await client.patch("/api/v1/admin/users/handler", headers=admin_b, json={"active": False})
    assert response.status_code == 200, response.text
    users_a = {u["username"]: u for u in (await client.get("/api/v1/admin/users", headers=admin)).json()}
    assert users_a["handler"]["active"] is True and users_a["only.in.a"]["active"] is True
    response = await client.patch(
        "/api/v1/admin/settings", headers=admin_b, json={"values": {"general_working_days": 2}}
    )
    assert response.status_code == 200, response.text
    values = {
        s["key"]: s["value"] for s in (await client.get("/api/v1/admin/settings", headers=admin)).json()
    }
    assert values["general_working_days"] == 5
    # Tenant A's user cannot sign in to tenant B.
    assert_problem(await request_token(client, other.slug, "only.in.a", "only-in-a-1"), 401)
