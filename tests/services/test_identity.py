"""The identity vault: sealed per tenant, masked for most, revealed with a reason and recorded."""

from __future__ import annotations

import base64
import dataclasses
import os
from datetime import UTC, datetime

import asyncpg
import pytest

from core.domain.cases import CaseKind, Channel
from core.domain.errors import InvalidCommand, NotPermitted
from core.domain.intake import IntakeDraft
from core.services.cases import CaseService
from core.services.clock import FixedClock, SystemClock
from core.services.confidentiality import tenant_data_key
from core.services.vault import MasterKeyError, MasterKeys, Vault, generate_master_key
from core.store.cases import CaseNotFound
from core.store.tenant_store import TenantStore
from core.store.tx import tenant_tx

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
IDENTITY = {
    "name": "赵六",
    "phone": "139 0000 2222",
    "address": "南溪镇新华街道12号",
    "id_number": "110105198803037777",
}


def complaint(identity=IDENTITY, **overrides) -> IntakeDraft:
    values = {
        "kind": CaseKind.COMPLAINT,
        "channel": Channel.PHONE,
        "title": "公开栏未更新",
        "content": "三个月未更新",
        "identity": identity,
        "fields": {"situation": "untrue", "respondent": "村委会"},
    }
    return IntakeDraft(**(values | overrides))


async def test_most_roles_see_masks_and_related_cases(make_tenant, registry, actors):
    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(NOW))
    first = await service.intake(tenant.id, complaint(), actors["operator"])
    again = await service.intake(
        tenant.id, complaint({"name": "赵六", "phone": "+86 13900002222"}), actors["operator"]
    )
    with pytest.raises(CaseNotFound):  # not sent to the handler's unit: not even its existence
        await service.identities.masked(tenant.id, first.case.id, actors["handler"])
    view = await service.identities.masked(tenant.id, first.case.id, actors["operator"])
    assert view.masked == {
        "name": "赵*",
        "phone": "139****2222",
        "address": "南溪镇****",
        "id_number": "110105********7777",
    }
    assert view.related == (again.case.serial,)  # the same phone, found by blind index


async def test_reveal_needs_a_role_and_a_reason_and_is_recorded(make_tenant, registry, actors):
    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(NOW))
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    with pytest.raises(CaseNotFound):  # not sent to the handler's unit
        await service.identities.reveal(tenant.id, case_id, actors["handler"], "想看看")
    with pytest.raises(InvalidCommand):
        await service.identities.reveal(tenant.id, case_id, actors["supervisor"], " ")
    clear = await service.identities.reveal(tenant.id, case_id, actors["supervisor"], "回访核实满意度")
    assert clear == IDENTITY
    reveals = await service.identities.reveals(tenant.id, case_id, actors["supervisor"])
    assert [(reader, reason) for reader, reason, _ in reveals] == [("supervisor", "回访核实满意度")]
    events = await service.events(tenant.id, case_id, actors["operator"])
    assert events[-1].name == "case_identity_revealed" and events[-1].actor == "supervisor"
    assert "赵六" not in repr(events[-1].data)
    with pytest.raises(NotPermitted):
        await service.identities.reveals(tenant.id, case_id, actors["handler"])


async def test_anonymous_cases_have_nothing_to_reveal(make_tenant, registry, actors):
    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(NOW))
    case_id = (await service.intake(tenant.id, complaint({}, anonymous=True), actors["operator"])).case.id
    assert (await service.identities.masked(tenant.id, case_id, actors["operator"])).anonymous is True
    with pytest.raises(CaseNotFound):
        await service.identities.reveal(tenant.id, case_id, actors["supervisor"], "回访")


async def test_a_ciphertext_moved_to_another_case_does_not_open(make_tenant, registry, actors):
    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(NOW))
    one = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    two = (
        await service.intake(
            tenant.id, complaint({"name": "钱七", "phone": "13600000000"}), actors["operator"]
        )
    ).case.id
    async with tenant_tx(tenant.id):
        repo = TenantStore(tenant.id)
        sealed_one = await repo.identities.of_case(one)
        _, key = await tenant_data_key(service.vault, repo)
    with pytest.raises(MasterKeyError):
        service.vault.open(key, tenant.id, two, sealed_one)


def test_master_keys_rotate_and_refuse_bad_input(monkeypatch):
    old, new = generate_master_key(), generate_master_key()
    before = Vault(MasterKeys(base64.urlsafe_b64decode(old)))
    key, wrapped, nonce, old_id = before.new_data_key()
    monkeypatch.setenv("HUIYING_MASTER_KEY", new)
    monkeypatch.setenv("HUIYING_OLD_MASTER_KEYS", old)
    after = Vault(MasterKeys.from_env())
    assert after.unwrap(wrapped, nonce, old_id) == key  # the old key still opens during rotation
    rewrapped, renonce = after.wrap(key)
    assert after.unwrap(rewrapped, renonce, after.keys.current_id) == key
    monkeypatch.delenv("HUIYING_OLD_MASTER_KEYS")
    with pytest.raises(MasterKeyError, match="HUIYING_OLD_MASTER_KEYS"):
        Vault(MasterKeys.from_env()).unwrap(wrapped, nonce, old_id)
    monkeypatch.setenv("HUIYING_MASTER_KEY", "too-short")
    with pytest.raises(MasterKeyError):
        MasterKeys.from_env()
    monkeypatch.delenv("HUIYING_MASTER_KEY")
    with pytest.raises(MasterKeyError, match="HUIYING_MASTER_KEY"):
        MasterKeys.from_env()


@pytest.mark.postgres
async def test_the_database_holds_no_plaintext_identity(make_tenant, registry, actors, tmp_path):
    import subprocess

    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(NOW))
    await service.intake(tenant.id, complaint(), actors["operator"])
    url = os.environ["HUIYING_OWNER_DATABASE_URL"]
    # The whole database, as a leaked backup would be (these values appear in no other test).
    dump = subprocess.run(["pg_dump", "--data-only", url], capture_output=True, check=True).stdout
    for secret in ("赵六", "13900002222", "139 0000 2222", "110105198803037777", "新华街道"):
        assert secret.encode() not in dump, secret
    owner = await asyncpg.connect(url)
    try:
        rows = await owner.fetchval(
            "SELECT count(*) FROM complainant_identity WHERE tenant_id = $1", tenant.id
        )
    finally:
        await owner.close()
    assert rows == 1


async def test_rotating_the_master_key_rewraps_data_keys_and_keeps_identities(make_tenant, registry, actors):
    from core.services.confidentiality import KeyKeeper

    tenant = await make_tenant()
    old = Vault(MasterKeys.from_env())
    service = CaseService(registry, FixedClock(NOW), vault=old)
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    new_key = base64.urlsafe_b64decode(generate_master_key())
    during = Vault(MasterKeys(new_key, older=(old.keys.current,)))
    assert await KeyKeeper(registry, SystemClock(), vault=during).rotate_master_key() >= 1
    after = CaseService(registry, FixedClock(NOW), vault=Vault(MasterKeys(new_key)))  # old key gone
    clear = await after.identities.reveal(tenant.id, case_id, actors["supervisor"], "轮换后核验")
    assert clear == IDENTITY
    # Put the platform's key back, so later tests (and `huiying keys rotate`) find a key they know.
    back = Vault(MasterKeys(old.keys.current, older=(new_key,)))
    assert await KeyKeeper(registry, SystemClock(), vault=back).rotate_master_key() >= 1


async def test_identities_are_purged_after_the_retention_period(make_tenant, registry, actors):
    from datetime import timedelta

    from core.domain.cases import Satisfaction
    from core.domain.commands import (
        AcceptCase,
        ArchiveCase,
        CloseCase,
        DispatchCase,
        RecordFeedback,
        RegisterCase,
        ReplyMode,
        ReplyToCase,
        SignForCase,
    )
    from core.services.confidentiality import KeyKeeper

    tenant = await make_tenant(settings={"identity_retention_years": 1})
    clock = FixedClock(NOW)
    service = CaseService(registry, clock)
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    for command, who in (
        (RegisterCase(), "operator"),
        (AcceptCase(), "operator"),
        (DispatchCase(unit_code="jcs", cause="c", opinion="o"), "leader"),
        (SignForCase(handler="handler"), "handler"),
        (ReplyToCase(mode=ReplyMode.PHONE, content="已处理"), "handler"),
        (RecordFeedback(satisfaction=Satisfaction.SATISFIED), "operator"),
        (CloseCase(), "operator"),
        (ArchiveCase(), "operator"),
    ):
        await service.perform(tenant.id, case_id, command, actors[who])
    keeper = KeyKeeper(registry, clock=clock)
    clock.advance(timedelta(days=300))
    await keeper.purge_expired_identities()
    assert (await service.identities.masked(tenant.id, case_id, actors["supervisor"])).masked["name"] == "赵*"
    clock.advance(timedelta(days=100))
    assert await keeper.purge_expired_identities() >= 1
    view = await service.identities.masked(tenant.id, case_id, actors["supervisor"])
    assert view.masked == {}
    events = await service.events(tenant.id, case_id, actors["supervisor"])
    assert events[-1].name == "case_identity_purged"
    assert (await service.get(tenant.id, case_id, actors["supervisor"])).case.title == "公开栏未更新"


async def test_a_wrong_secret_and_an_unknown_receipt_take_the_same_time(make_tenant, registry, actors):
    import statistics
    import time

    from core.services.portal import PublicPortal

    tenant = await make_tenant()
    portal = PublicPortal(CaseService(registry, FixedClock(NOW)))
    receipt = await portal.submit(tenant.slug, complaint({}, anonymous=True))
    timings: dict[str, list[float]] = {"wrong secret": [], "unknown receipt": []}
    for _ in range(40):  # alternate, so drift in the machine's load hits both alike
        for label, number in (("wrong secret", receipt.receipt), ("unknown receipt", "NX-2026-999999")):
            started = time.perf_counter()
            with pytest.raises(CaseNotFound):
                await portal.status(tenant.slug, number, "not-the-secret")
            timings[label].append(time.perf_counter() - started)
    medians = {label: statistics.median(values) for label, values in timings.items()}
    # Both paths read the receipt table once and compare digests in constant time; a difference
    # big enough to tell a real receipt from a made-up one over the network would show here.
    assert abs(medians["wrong secret"] - medians["unknown receipt"]) < 0.02, medians


class SupervisorsOnly:
    """A plugin that narrows identity reading to supervisors, and tries to widen it to handlers."""

    from core.hookspecs import hookimpl as _hookimpl

    @_hookimpl
    def hy_identity_access(self, ctx, case):
        from core.domain.roles import Role

        return frozenset({Role.SUPERVISOR, Role.HANDLER})


async def test_a_plugin_may_narrow_identity_access_but_not_widen_it(make_tenant, actors):
    import plugins.township.hooks as township
    from core.plugins import PluginRegistry

    registry = PluginRegistry({"township": township, "narrow": SupervisorsOnly()})
    tenant = await make_tenant("narrow", registry_=registry)
    service = CaseService(registry, FixedClock(NOW))
    case_id = (await service.intake(tenant.id, complaint(fields={}), actors["operator"])).case.id
    with pytest.raises(NotPermitted, match="特定角色"):
        await service.identities.reveal(tenant.id, case_id, actors["operator"], "回访")  # narrowed away
    with pytest.raises(CaseNotFound):  # not widened (and not the handler's unit's case)
        await service.identities.reveal(tenant.id, case_id, actors["handler"], "回访")
    shown = await service.identities.reveal(tenant.id, case_id, actors["supervisor"], "回访")
    assert shown["name"] == "赵六"


async def test_nobody_of_the_accused_window_reads_who_complained_about_it(make_tenant, registry, actors):
    # 永济 第二条 "保守秘密": the access hook sees who asks (hy_identity_access gets the actor).
    from core.domain.roles import Actor, Role
    from core.services.tenants import load_tenant
    from tests.walks import full_draft

    desk = {"username": "dzb-desk", "roles": ["intake_officer"], "unit": "dzb"}
    tenant = await make_tenant("civic_center", extra_users=(desk,))
    service = CaseService(registry, FixedClock(datetime(2026, 11, 2, 2, 0, tzinfo=UTC)))
    async with tenant_tx(tenant.id):
        hooks = (await load_tenant(tenant.id, registry)).hooks
    draft = full_draft("civic_center", hooks)  # accuses the window dzb
    name = draft.identity["name"]
    draft = dataclasses.replace(draft, title=f"{name}反映窗口多收费")
    case_id = (await service.intake(tenant.id, draft, actors["operator"])).case.id
    window_desk = Actor(username="dzb-desk", roles=frozenset({Role.INTAKE_OFFICER}), unit_code="dzb")
    with pytest.raises(NotPermitted):
        await service.identities.reveal(tenant.id, case_id, window_desk, "核实投诉人身份")
    assert (await service.identities.reveal(tenant.id, case_id, actors["operator"], "回访"))["name"] == name
    view = await service.get(tenant.id, case_id, window_desk)
    redact = (await service.identities.redactors(tenant.id, [view.case], window_desk))[case_id]
    assert name not in redact(view.case.title)  # the typed name is masked for them too
    desk_reads = (await service.identities.redactors(tenant.id, [view.case], actors["operator"]))[case_id]
    assert desk_reads(view.case.title) == view.case.title
