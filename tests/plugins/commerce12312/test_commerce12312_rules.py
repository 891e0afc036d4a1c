"""The 12312 station's rules as plain functions, and the hooks that adapt them."""

from __future__ import annotations

import dataclasses
import importlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.domain.calendar import Period
from core.domain.cases import Case, CaseKind, CaseState, Channel, SeverityFlag
from core.domain.commands import AcceptCase, DispatchCase, ReferCaseOut
from core.domain.decisions import AccountabilityEvent, AccountabilityKind, SanctionKind
from core.domain.errors import InvalidCommand
from core.domain.intake import IntakeDraft, check_intake
from core.domain.lifecycle import Action
from core.domain.tenancy import TenantContext, Unit
from core.plugins import PluginRegistry, TenantHooks
from core.services.tenants import read_tenant_file
from plugins.commerce12312 import rules

RECEIVED_AT = datetime.fromisoformat("2026-11-02T09:00:00+08:00")
UNITS = (
    Unit("station", "12312商务举报投诉服务站"),
    Unit("squad-1", "业务一中队"),
    Unit("squad-2", "业务二中队"),
    Unit("supervision", "监察部门"),
)
SQUADS = {"消费纠纷": "squad-1", "成品油": "squad-2", "二手车交易": "gone"}


def registry() -> PluginRegistry:
    return PluginRegistry.discover(
        extra={"commerce12312": importlib.import_module("plugins.commerce12312.hooks")}
    )


def make_case(
    *,
    kind: CaseKind = CaseKind.COMPLAINT,
    registered: str = "",
    flags: frozenset[SeverityFlag] = frozenset(),
    **fields: str,
) -> Case:
    return Case(
        id=1,
        tenant_id=1,
        serial="SW-2026-000001",
        kind=kind,
        channel=Channel.PHONE,
        state=CaseState.ACCEPTED,
        title="某加油站加油机计量不足",
        content="消费者称加油 200 元，油箱仅进油一半。",
        received_at=RECEIVED_AT,
        category=registered,
        flags=flags,
        fields=fields,
    )


def station(**settings: Any) -> TenantHooks:
    reg = registry()
    specs = reg.settings_specs("commerce12312")
    resolved = {spec.key: spec.default for spec in specs} | settings
    ctx = TenantContext(
        tenant_id=7,
        slug="c12312",
        name="县商务局12312服务站",
        plugin="commerce12312",
        units=UNITS,
        settings=resolved,
    )
    return reg.hooks_for(ctx)


# --- 接 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [CaseKind.COMPLAINT, CaseKind.REPORT])
def test_intake_asks_the_eight_facts_of_jie(kind: CaseKind) -> None:
    schema = station().intake_schema(kind)
    named = [spec.label for spec in schema.missing(kind, {}, anonymous=False)]
    assert named == [
        "投诉或举报人姓名",
        "单位",
        "联系电话",
        "发生时间",
        "地点",
        "危害范围",
        "危害程度",
        "现场处置情况",
        "是否需出现场处理",
        "案件类别",
    ]
    anonymous = [spec.key for spec in schema.missing(kind, {}, anonymous=True)]
    assert "name" not in anonymous and "phone" not in anonymous and "work_unit" not in anonymous
    assert {spec.key for spec in schema.fields if spec.identity} == {"name", "work_unit", "phone"}


def test_consultations_need_only_the_question() -> None:
    schema = station().intake_schema(CaseKind.CONSULTATION)
    assert schema.missing(CaseKind.CONSULTATION, {}, anonymous=False) == ()


def test_category_offers_the_squad_table_and_takes_another() -> None:
    schema = station(squad_routing=SQUADS).intake_schema(CaseKind.COMPLAINT)
    (category,) = [spec for spec in schema.fields if spec.key == "category"]
    assert dict(category.choices) == {
        **{c: c for c in SQUADS},
        "cadre_misconduct": "干部违法违纪（转监察部门）",
    }
    assert schema.label_of("cadre_misconduct") == "干部违法违纪（转监察部门）"
    # A category outside the duty division is taken as typed: the officer picks the unit.
    assert schema.off_list(CaseKind.COMPLAINT, {"category": "其他商务事项"}) == ()


@pytest.mark.parametrize(
    ("answer", "ok"), [("yes", True), ("no", True), (" YES ", True), ("", False), ("要", False)]
)
def test_acceptance_needs_a_yes_or_no_on_site_answer(answer: str, ok: bool) -> None:
    check = station().case_acceptance(make_case(on_site=answer))
    assert check.acceptable is ok
    if not ok:
        assert "yes 或 no" in check.unmet[0]
    assert station().case_acceptance(make_case(kind=CaseKind.CONSULTATION)).acceptable


def test_on_site_is_a_closed_list_checked_at_intake() -> None:
    schema = station().intake_schema(CaseKind.COMPLAINT)
    (on_site,) = [spec for spec in schema.fields if spec.key == "on_site"]
    assert on_site.choices == (("yes", "需出现场处理"), ("no", "不需出现场"))
    facts = {
        "event_time": "2026-11-02 08:50",
        "place": "城关镇",
        "harm_scope": "一名消费者",
        "harm_degree": "经济损失约 100 元",
        "onsite_handling": "无",
        "category": "消费纠纷",
    }

    def draft(answer: str) -> IntakeDraft:
        return IntakeDraft(
            kind=CaseKind.COMPLAINT,
            channel=Channel.PHONE,
            title="加油机计量不足",
            content="进油一半",
            anonymous=True,
            fields={**facts, "on_site": answer},
        )

    assert check_intake(draft("no"), schema, now=RECEIVED_AT, max_backdate=timedelta(days=1))
    with pytest.raises(InvalidCommand, match="需出现场处理（yes）、不需出现场（no）；收到“要”"):
        check_intake(draft("要"), schema, now=RECEIVED_AT, max_backdate=timedelta(days=1))


@pytest.mark.parametrize(
    ("agency", "vetoed"),
    [
        ("县市场监督管理局", True),
        ("县市场监督管理局（电话 12315）", False),
        ("县交通运输局，电话 0359-6022-123", False),
        ("电话待查", True),
    ],
)
def test_a_referral_names_the_department_and_its_phone(agency: str, vetoed: bool) -> None:
    (reason,) = station().transition_veto(make_case(), ReferCaseOut(agency=agency)) or (None,)
    assert (reason is not None) is vetoed
    if reason:
        assert "联系电话" in reason and "接线员岗位职责 六" in reason and "行为规范 9" in reason
    assert rules.referral_veto(AcceptCase()) is None


def test_classification_takes_the_intake_category() -> None:
    assert station().case_classification(make_case(registered="消费纠纷")).category == "消费纠纷"
    assert station().case_classification(make_case(registered="旧")).category == "旧"
    assert station().case_classification(make_case(category="成品油")).category == "成品油"


# --- 分流转办 -------------------------------------------------------------------------------------


def test_routing_by_duty_division() -> None:
    route = rules.route_for(make_case(registered="成品油"), SQUADS, "supervision", UNITS)
    assert route is not None and route.unit_code == "squad-2"
    assert "业务职责分工" in route.reason and "分流转办制度 一.1" in route.reason
    assert route.cause == "投诉：某加油站加油机计量不足"
    # The intake field stands in when registration left the category empty.
    assert rules.route_for(make_case(registered="", category="消费纠纷"), SQUADS, "x", UNITS).unit_code == (
        "squad-1"
    )


@pytest.mark.parametrize("category", ["", "食品", "二手车交易"])
def test_no_suggestion_without_a_known_squad(category: str) -> None:
    assert rules.route_for(make_case(registered=category), SQUADS, "supervision", UNITS) is None


def test_cadre_misconduct_routes_to_supervision() -> None:
    case = make_case(kind=CaseKind.REPORT, registered="cadre_misconduct")
    route = station(squad_routing=SQUADS).case_routing(case)
    assert route is not None and route.unit_code == "supervision" and "一.2" in route.reason
    assert rules.route_for(case, SQUADS, "no-such-unit", UNITS) is None


def test_cadre_misconduct_may_be_dispatched_to_supervision_only() -> None:
    case = make_case(kind=CaseKind.REPORT, category="cadre_misconduct")
    elsewhere = DispatchCase(unit_code="squad-1", cause="举报干部", opinion="请查处")
    there = DispatchCase(unit_code="supervision", cause="举报干部", opinion="请查处")
    (reason,) = station().transition_veto(case, elsewhere)
    assert "监察部门" in reason and "分流转办制度 一.2" in reason
    assert station().transition_veto(case, there) == ()
    assert station().transition_veto(make_case(registered="消费纠纷"), elsewhere) == ()
    assert rules.dispatch_veto(case, AcceptCase(), "supervision") is None


# --- time limits -------------------------------------------------------------------------------


def test_on_site_complaints_run_ten_and_thirty_minutes() -> None:
    timers = {rule.kind: rule for rule in rules.timer_rules(make_case(on_site="yes"), handling_days=7)}
    assert list(timers) == ["dispatch", "arrival", "handling"]
    dispatch, arrival, handling = timers["dispatch"], timers["arrival"], timers["handling"]
    assert (dispatch.period, dispatch.starts_on) == (Period.parse("10 minutes"), Action.ACCEPT)
    assert dispatch.stops_on == {Action.DISPATCH, Action.REFER_OUT}
    assert dispatch.restarts_on == {Action.RETURN}
    assert "在10分钟之内完成" in dispatch.basis
    assert (arrival.period, arrival.starts_on) == (Period.parse("30 minutes"), Action.DISPATCH)
    assert arrival.stops_on == {Action.ARRIVE, Action.RETURN}
    assert "30分钟内，必须到达现场" in arrival.basis
    assert (handling.period, handling.starts_on) == (Period.parse("7 working days"), Action.DISPATCH)
    assert handling.stops_on == {Action.REPLY} and "办结反馈制度" in handling.basis


def test_other_cases_run_the_handling_setting_only() -> None:
    (rule,) = station(handling_working_days=10).sla_timers(make_case(kind=CaseKind.REPORT, on_site="no"))
    assert (rule.kind, rule.period) == ("handling", Period.parse("10 working days"))
    assert station().sla_timers(make_case(kind=CaseKind.CONSULTATION, on_site="yes")) == ()


def test_timer_effects_are_the_core_defaults() -> None:
    from core.domain.decisions import TimerEffect, TimerPhase

    hooks_ = station()
    assert hooks_.timer_effects(make_case(), "handling", TimerPhase.WARNING) == (TimerEffect.REMIND,)
    assert TimerEffect.SUPERVISION_NOTICE in hooks_.timer_effects(make_case(), "handling", TimerPhase.BREACH)


# --- 报站长, accountability, phrases, templates ----------------------------------------------------


@pytest.mark.parametrize("flag", list(SeverityFlag))
def test_flagged_cases_go_to_the_station_chief(flag: SeverityFlag) -> None:
    reason = station().case_escalation(make_case(flags=frozenset({flag})))
    assert reason is not None and rules.SEVERITY_LABELS[flag] in reason and "站长" in reason
    assert "接线员岗位职责 七" in reason


def test_unflagged_cases_are_not_escalated() -> None:
    assert station().case_escalation(make_case()) is None


@pytest.mark.parametrize("kind", [AccountabilityKind.DEADLINE_BREACHED, AccountabilityKind.COMPLAINT_UPHELD])
def test_procrastination_earns_circulated_criticism(kind: AccountabilityKind) -> None:
    (line,) = station().accountability_sanctions(
        AccountabilityEvent(kind=kind, subject="squad-1", count_in_year=2)
    )
    assert line.kind is SanctionKind.CIRCULATED_CRITICISM
    assert line.basis == "12312办结反馈制度 四"
    assert "部门和直接责任人" in line.note and "第 2 次" in line.note


@pytest.mark.parametrize(
    "kind",
    [AccountabilityKind.REPORT_VERIFIED, AccountabilityKind.LOSS_CAUSED, AccountabilityKind.DUTY_MISSED],
)
def test_other_events_carry_nothing(kind: AccountabilityKind) -> None:
    assert rules.sanctions_for(AccountabilityEvent(kind=kind, subject="x")) == ()


def test_the_thirteen_phrases_at_their_steps() -> None:
    phrases = station().register_phrases()
    assert len(phrases) == 13
    steps = {phrase.key: phrase.step for phrase in phrases}
    assert steps["greeting"] is Action.REGISTER
    assert steps["accepted"] is Action.ACCEPT
    assert steps["insufficient_evidence"] is Action.REFUSE
    assert steps["out_of_scope"] is steps["transferred"] is Action.REFER_OUT
    assert steps["on_the_way"] is Action.DISPATCH
    assert steps["goodbye"] is Action.CLOSE
    transferred = next(p.text for p in phrases if p.key == "transferred")
    assert "{department}" in transferred and "{phone}" in transferred
    assert phrases[0].text == "您好，12312举报投诉服务站，请进。"


def test_transfer_slip_carries_cause_and_opinion() -> None:
    from core.domain.documents import render_document

    hooks_ = station()
    templates = {t.key: t for t in hooks_.register_document_templates()}
    # The core contributes its forms too; the station's two replace the core's of the same key.
    assert {"registration_form", "transfer_slip"} <= set(templates)
    assert "12312" in templates["registration_form"].title and "12312" in templates["transfer_slip"].title
    assert CaseKind.CONSULTATION not in templates["transfer_slip"].kinds
    from dataclasses import replace

    case = replace(
        make_case(), unit_code="squad-1", cause="消费纠纷：加油计量不足", opinion="请30分钟内到场处置"
    )
    text = render_document(templates["transfer_slip"], case, hooks_.ctx)
    assert "接收单位：业务一中队" in text and "案由：消费纠纷：加油计量不足" in text
    assert "转办意见：请30分钟内到场处置" in text


def test_the_demo_tenant_file_loads_with_the_plugin() -> None:
    root = Path(__file__).resolve().parents[3]
    config = read_tenant_file(root / "tenants" / "county-12312.toml", registry())
    assert config.plugin == "commerce12312"
    codes = {unit.code for unit in config.units}
    assert set(config.settings["squad_routing"].values()) <= codes
    assert config.settings["supervision_unit"] in codes
    assert config.settings["handling_working_days"] == 7


def test_a_complaint_closes_only_after_a_verified_follow_up() -> None:
    replied = dataclasses.replace(make_case(), state=CaseState.REPLIED)
    reason = rules.closing_veto(replied, Action.CLOSE)
    assert reason is not None and "跟踪核实" in reason and "岗位职责 四" in reason
    assert rules.closing_veto(dataclasses.replace(replied, verified=True), Action.CLOSE) is None
    refused = dataclasses.replace(make_case(), state=CaseState.REFUSED)
    assert rules.closing_veto(refused, Action.CLOSE) is None  # nothing was dispatched to verify
    consultation = dataclasses.replace(make_case(kind=CaseKind.CONSULTATION), state=CaseState.REPLIED)
    assert rules.closing_veto(consultation, Action.CLOSE) is None
    assert rules.closing_veto(replied, Action.FOLLOW_UP) is None
    # A hy_action_veto: the close button is not offered until a follow-up verified the result.
    assert station().action_veto(replied, Action.CLOSE) == (reason,)
