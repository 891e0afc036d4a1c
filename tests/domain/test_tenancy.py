"""Typed settings: validation, and layered resolution platform → tenant → case kind."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from core.domain.cases import CaseKind
from core.domain.errors import InvalidCommand
from core.domain.tenancy import SettingSpec, TenantContext, Unit, resolve_settings, validate_settings

SPECS = (
    SettingSpec("days", int, 5, "办结时限（工作日）"),
    SettingSpec("greeting", str, "您好", "问候语"),
    SettingSpec("public", bool, False, "是否公开"),
    SettingSpec("ratio", float, 0.8, "提醒比例"),
)
DEFAULT, PLATFORM, TENANT, KIND = 5, 6, 7, 8


# --- validate_settings --------------------------------------------------------------------------


def test_valid_values_pass() -> None:
    values = {"days": 3, "greeting": "你好", "public": True, "ratio": 0.5}
    assert validate_settings(SPECS, values) == values


def test_unknown_key_is_refused_and_the_known_ones_listed() -> None:
    with pytest.raises(InvalidCommand) as raised:
        validate_settings(SPECS, {"dayz": 3, "days": 3})
    assert raised.value.field == "dayz"
    assert "未知设置" in str(raised.value)
    assert all(spec.key in str(raised.value) for spec in SPECS)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("days", "5"),
        ("days", 5.0),
        ("days", None),
        ("greeting", 5),
        ("public", "yes"),
        ("public", 1),
        ("ratio", "0.8"),
    ],
)
def test_wrong_type_is_refused(key: str, value: Any) -> None:
    with pytest.raises(InvalidCommand) as raised:
        validate_settings(SPECS, {key: value})
    assert raised.value.field == key
    assert "类型" in str(raised.value)


@pytest.mark.parametrize("value", [True, False])
def test_a_bool_is_not_an_int(value: bool) -> None:
    with pytest.raises(InvalidCommand) as raised:
        validate_settings(SPECS, {"days": value})
    assert raised.value.field == "days"


def test_an_int_is_accepted_as_a_float() -> None:
    checked = validate_settings(SPECS, {"ratio": 1})
    assert checked == {"ratio": 1.0}
    assert type(checked["ratio"]) is float


def test_a_bool_is_not_a_float() -> None:
    with pytest.raises(InvalidCommand):
        validate_settings(SPECS, {"ratio": True})


def test_where_prefixes_the_key_in_messages() -> None:
    with pytest.raises(InvalidCommand, match=r"complaint\.days"):
        validate_settings(SPECS, {"days": "x"}, where="complaint.")


# --- resolve_settings ---------------------------------------------------------------------------

KINDS: list[CaseKind | None] = [None, *CaseKind]


@pytest.mark.parametrize(
    ("on_platform", "on_tenant", "kind_layer", "kind"),
    list(itertools.product([False, True], [False, True], [None, *CaseKind], KINDS)),
    ids=lambda v: str(v),
)
def test_resolution_matrix(
    on_platform: bool, on_tenant: bool, kind_layer: CaseKind | None, kind: CaseKind | None
) -> None:
    platform = {"days": PLATFORM} if on_platform else {}
    tenant = {"days": TENANT} if on_tenant else {}
    by_kind = {kind_layer.value: {"days": KIND}} if kind_layer else {}
    resolved = resolve_settings(SPECS, platform=platform, tenant=tenant, by_kind=by_kind, kind=kind)
    if kind_layer is not None and kind is kind_layer:
        expected = KIND  # the tenant's value for this case kind wins
    elif on_tenant:
        expected = TENANT
    elif on_platform:
        expected = PLATFORM
    else:
        expected = DEFAULT
    assert resolved["days"] == expected
    # Keys no layer sets keep their declared defaults.
    assert (resolved["greeting"], resolved["public"], resolved["ratio"]) == ("您好", False, 0.8)


def test_layers_apply_per_key() -> None:
    resolved = resolve_settings(
        SPECS,
        platform={"days": PLATFORM, "greeting": "平台"},
        tenant={"greeting": "租户"},
        by_kind={"complaint": {"public": True}, "report": {"days": 1}},
        kind=CaseKind.COMPLAINT,
    )
    assert dict(resolved) == {"days": PLATFORM, "greeting": "租户", "public": True, "ratio": 0.8}


def test_kind_values_apply_only_to_their_kind() -> None:
    by_kind = {"complaint": {"days": 10}, "consultation": {"days": 1}}
    got = {
        kind: resolve_settings(SPECS, platform={}, tenant={"days": 5}, by_kind=by_kind, kind=kind)["days"]
        for kind in KINDS
    }
    assert got == {None: 5, CaseKind.COMPLAINT: 10, CaseKind.REPORT: 5, CaseKind.CONSULTATION: 1}


def test_every_layer_is_validated() -> None:
    with pytest.raises(InvalidCommand, match=r"platform\.days"):
        resolve_settings(SPECS, platform={"days": "5"}, tenant={}, by_kind={})
    with pytest.raises(InvalidCommand) as raised:
        resolve_settings(SPECS, platform={}, tenant={"nope": 1}, by_kind={})
    assert raised.value.field == "nope"
    # A bad value for another kind is still an error, even when resolving for one kind.
    with pytest.raises(InvalidCommand, match=r"report\.days"):
        resolve_settings(
            SPECS, platform={}, tenant={}, by_kind={"report": {"days": True}}, kind=CaseKind.COMPLAINT
        )


def test_resolved_settings_hold_every_key_and_are_read_only() -> None:
    resolved = resolve_settings(SPECS, platform={}, tenant={}, by_kind={})
    assert dict(resolved) == {"days": 5, "greeting": "您好", "public": False, "ratio": 0.8}
    with pytest.raises(TypeError):
        resolved["days"] = 1  # type: ignore[index]


def test_tenant_context_finds_its_units() -> None:
    ctx = TenantContext(
        tenant_id=1,
        slug="nanxi",
        name="南溪镇",
        plugin="township",
        units=(Unit("jcs", "镇监察室"), Unit("dzb", "党政办", parent="jcs")),
    )
    assert ctx.unit("dzb") == Unit("dzb", "党政办", parent="jcs")
    assert ctx.unit("nope") is None
    assert ctx.timezone == "Asia/Shanghai"
    assert dict(ctx.settings) == {}
