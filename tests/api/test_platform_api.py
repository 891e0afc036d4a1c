"""Platform administration over HTTP: list, onboard, suspend and resume tenants — platform admins only."""

from __future__ import annotations

import httpx
import pytest

from core.services.passwords import hash_password
from core.store.directory import TenantDirectory
from core.store.tenants import TenantRepository
from core.store.tx import platform_tx, tenant_tx
from tests.helpers import PASSWORD, assert_problem, error_fields, request_token, sign_in, sign_in_platform


@pytest.fixture
async def root(client, platform_admin):
    return await sign_in_platform(client, platform_admin)


@pytest.fixture
def tenant_file(unique_slug):
    """A JSON body shaped like a tenant file, with a fresh slug."""

    def make(**overrides):
        return {
            "slug": unique_slug("onb"),
            "name": "北山镇人民政府",
            "plugin": "township",
            "serial_prefix": "BS",
            "settings": {"general_working_days": 4},
            "units": [{"code": "jcs", "name": "镇监察室"}, {"code": "sfs", "name": "司法所"}],
            "users": [
                {"username": "admin", "display_name": "管理员", "roles": ["tenant_admin"]},
                {"username": "clerk", "roles": ["intake_officer"]},
                {"username": "li.si", "roles": ["handler"], "unit": "sfs"},
            ],
        } | overrides

    return make


async def listed(client: httpx.AsyncClient, root: dict[str, str]) -> dict[str, dict]:
    response = await client.get("/api/v1/platform/tenants", headers=root)
    assert response.status_code == 200, response.text
    return {tenant["slug"]: tenant for tenant in response.json()}


async def test_the_tenant_list_shows_every_tenant(client, root, township):
    tenants = await listed(client, root)
    assert tenants[township.slug] == {
        "slug": township.slug,
        "name": "测试租户",
        "plugin": "township",
        "status": "active",
        "status_reason": "",
        "timezone": "Asia/Shanghai",
        "serial_prefix": "NX",
    }


async def test_onboarding_from_a_tenant_file_body(client, root, tenant_file):
    body = tenant_file()
    response = await client.post("/api/v1/platform/tenants", headers=root, json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "slug": body["slug"],
        "name": "北山镇人民政府",
        "plugin": "township",
        "status": "active",
        "status_reason": "",
        "timezone": "Asia/Shanghai",
        "serial_prefix": "BS",
    }
    assert (await listed(client, root))[body["slug"]] == created
    # Onboarded users have no password until their admin sets one.
    assert_problem(await request_token(client, body["slug"], "admin", PASSWORD), 401)


async def test_onboarding_stores_units_users_and_settings(client, root, tenant_file):
    body = tenant_file()
    assert (await client.post("/api/v1/platform/tenants", headers=root, json=body)).status_code == 201
    # Give the onboarded admin a password (as `huiying` would), then look inside as that admin.
    async with platform_tx():
        record = await TenantRepository().by_slug(body["slug"])
    async with tenant_tx(record.id):
        await TenantDirectory(record.id).set_password_hash("admin", hash_password("first-pass-1"))
    admin = await sign_in(client, body["slug"], "admin", "first-pass-1")
    users = {u["username"]: u for u in (await client.get("/api/v1/admin/users", headers=admin)).json()}
    assert {name: u["roles"] for name, u in users.items()} == {
        "admin": ["tenant_admin"],
        "clerk": ["intake_officer"],
        "li.si": ["handler"],
    }
    assert (users["admin"]["display_name"], users["li.si"]["unit_code"]) == ("管理员", "sfs")
    units = {u["code"]: u["name"] for u in (await client.get("/api/v1/admin/units", headers=admin)).json()}
    assert units == {"jcs": "镇监察室", "sfs": "司法所"}
    values = {
        s["key"]: s["value"] for s in (await client.get("/api/v1/admin/settings", headers=admin)).json()
    }
    assert values["general_working_days"] == 4


async def test_an_unknown_plugin_is_refused_listing_the_installed_ones(client, root, tenant_file, registry):
    body = tenant_file(plugin="metropolis")
    problem = assert_problem(await client.post("/api/v1/platform/tenants", headers=root, json=body), 422)
    assert "metropolis" in problem["detail"]
    for name in registry.names:
        assert name in problem["detail"]
    assert "township" in problem["detail"]
    assert body["slug"] not in await listed(client, root)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "Bad_Slug"}, "slug"),
        ({"slug": "-leading-dash"}, "slug"),
        ({"serial_prefix": "bs"}, "serial_prefix"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"colour": "blue"}, "colour"),
        ({"name": ""}, "name"),
        ({"settings": {"general_working_days": "five"}}, "general_working_days"),
        ({"settings": {"lunch_minutes": 90}}, "lunch_minutes"),
        ({"users": [{"username": "x1", "roles": ["emperor"]}]}, "roles"),
        ({"users": [{"username": "x1", "roles": ["handler"], "unit": "nowhere"}]}, "unit"),
    ],
)
async def test_a_bad_tenant_file_is_refused_naming_the_field(client, root, tenant_file, change, field):
    body = tenant_file(**change)
    problem = assert_problem(await client.post("/api/v1/platform/tenants", headers=root, json=body), 422)
    assert error_fields(problem) == [field]
    assert field in problem["detail"]
    assert body["slug"] not in await listed(client, root)


async def test_a_missing_slug_is_refused(client, root, tenant_file):
    body = tenant_file()
    del body["slug"]
    problem = assert_problem(await client.post("/api/v1/platform/tenants", headers=root, json=body), 422)
    assert error_fields(problem) == ["slug"]


async def test_a_duplicate_slug_is_refused(client, root, township, tenant_file):
    body = tenant_file(slug=township.slug)
    problem = assert_problem(await client.post("/api/v1/platform/tenants", headers=root, json=body), 422)
    assert error_fields(problem) == ["slug"]
    assert township.slug in problem["detail"]
    assert (await listed(client, root))[township.slug]["name"] == "测试租户"  # untouched


async def test_a_body_that_is_not_an_object_is_refused(client, root):
    response = await client.post("/api/v1/platform/tenants", headers=root, json=["township"])
    assert_problem(response, 400)


async def test_suspend_and_resume(client, root, township):
    response = await client.post(
        f"/api/v1/platform/tenants/{township.slug}/suspend", headers=root, json={"reason": "欠费"}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["status_reason"]) == ("suspended", "欠费")
    assert (await listed(client, root))[township.slug]["status"] == "suspended"
    response = await client.post(f"/api/v1/platform/tenants/{township.slug}/resume", headers=root, json={})
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["status_reason"]) == ("active", "")
    assert (await listed(client, root))[township.slug]["status"] == "active"


async def test_suspend_without_a_reason_records_a_default_one(client, root, township):
    response = await client.post(f"/api/v1/platform/tenants/{township.slug}/suspend", headers=root, json={})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "suspended" and response.json()["status_reason"]


@pytest.mark.parametrize("verb", ["suspend", "resume"])
async def test_suspending_or_resuming_an_unknown_tenant_is_not_found(client, root, verb):
    response = await client.post(f"/api/v1/platform/tenants/no-such-tenant/{verb}", headers=root, json={})
    problem = assert_problem(response, 404)
    assert "no-such-tenant" in problem["detail"]


async def test_a_tenant_token_is_refused_everywhere_on_the_platform(
    client, township, login, tenant_file, root
):
    admin = await login(township.slug, "admin")
    body = tenant_file()
    requests = (
        ("GET", "/api/v1/platform/tenants", None),
        ("POST", "/api/v1/platform/tenants", body),
        ("POST", f"/api/v1/platform/tenants/{township.slug}/suspend", {"reason": "自己停自己"}),
        ("POST", f"/api/v1/platform/tenants/{township.slug}/resume", {}),
    )
    for method, path, payload in requests:
        assert_problem(await client.request(method, path, headers=admin, json=payload), 403)
        assert_problem(await client.request(method, path, json=payload), 401)
    tenants = await listed(client, root)
    assert body["slug"] not in tenants
    assert tenants[township.slug]["status"] == "active"
