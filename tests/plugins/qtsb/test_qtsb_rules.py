"""The quality bureau's rules as plain functions, and the hooks that adapt them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.domain.calendar import BusinessCalendar, CalendarPolicy, Period, statutory_schedules
from core.domain.cases import Case, CaseKind, CaseState, Channel
from core.domain.commands import CloseCase, Outcome, ReplyMode
from core.domain.decisions import AccountabilityEvent, AccountabilityKind, SanctionKind
from core.domain.lifecycle import Action
from core.domain.roles import Actor, Role
from core.domain.tenancy import TenantContext, Unit
from core.plugins import PluginRegistry, TenantHooks
from core.services.tenants import read_tenant_file
from plugins.qtsb import hooks, rules

RECEIVED_AT = datetime.fromisoformat("2026-09-30T10:00:00+08:00")
CALENDAR = BusinessCalendar(statutory_schedules(), CalendarPolicy(timezone="Asia/Shanghai"))
UNITS = (
    Unit("inspection", "质量技术监督稽查队"),
    Unit("area-east", "城东质量技术监督所"),
    Unit("special-equipment", "特种设备安全监察科"),
    Unit("metrology", "计量科"),
)
MATRIX = {
    "城东/特种设备": "special-equipment",
    "城东/*": "area-east",
    "*/计量": "metrology",
    "城西/*": "gone",  # a unit the tenant does not have: skipped
}
DEFAULT_TERMS = rules.RewardTerms.parse(rate="0.05", cap="5000", minimum="200")


DESK = Actor(username="desk", roles=frozenset({Role.INTAKE_OFFICER}))


def make_case(
    *,
    kind: CaseKind = CaseKind.REPORT,
    channel: Channel = Channel.PHONE,
    anonymous: bool = False,
    **fields: str,
) -> Case:
    return Case(
        id=1,
        tenant_id=1,
        serial="ZJ-2026-000001",
        kind=kind,
        channel=channel,
        state=CaseState.ACCEPTED,
        title="某厂生产的电梯未经检验投入使用",
        content="城东某小区新装电梯未经特种设备检验即投入使用。",
        received_at=RECEIVED_AT,
        anonymous=anonymous,
        fields=fields,
    )


def qtsb_hooks(**settings: Any) -> TenantHooks:
    registry = PluginRegistry({"qtsb": hooks})
    specs = registry.settings_specs("qtsb")
    resolved = {spec.key: spec.default for spec in specs} | settings
    ctx = TenantContext(
        tenant_id=7, slug="qtsb", name="县质量技术监督局", plugin="qtsb", units=UNITS, settings=resolved
    )
    return registry.hooks_for(ctx)


# --- 一: approval and routing ------------------------------------------------------------------


@pytest.mark.parametrize("kind", [CaseKind.COMPLAINT, CaseKind.REPORT])
def test_complaints_and_reports_need_the_bureau_leader(kind: CaseKind) -> None:
    (step,) = rules.approval_chain(make_case(kind=kind))
    assert (step.key, step.role, step.label) == ("bureau_leader", Role.APPROVER, "局领导审批")


def test_consultations_need_no_approval() -> None:
    assert rules.approval_chain(make_case(kind=CaseKind.CONSULTATION)) == ()
    assert qtsb_hooks().approval_chain(make_case()) == (rules.LEADER_APPROVAL,)


@pytest.mark.parametrize(
    ("area", "industry", "unit", "key"),
    [
        ("城东", "特种设备", "special-equipment", "城东/特种设备"),  # exact beats the area
        ("城东", "食品", "area-east", "城东/*"),  # the area beats the industry
        ("城东", "计量", "area-east", "城东/*"),
        ("城北", "计量", "metrology", "*/计量"),
        (" 城东 ", " 特种设备 ", "special-equipment", "城东/特种设备"),  # stray spaces
    ],
)
def test_most_specific_route_wins(area: str, industry: str, unit: str, key: str) -> None:
    route = rules.route_for(make_case(area=area, industry=industry, product="某电梯厂"), MATRIX, UNITS)
    assert route is not None
    assert route.unit_code == unit
    assert f"“{key}”" in route.reason and "质监局制度 一" in route.reason
    assert route.cause == "举报：某电梯厂"


@pytest.mark.parametrize(
    ("area", "industry"),
    [("城北", "食品"), ("城西", "食品"), ("", ""), ("城北", "")],
)
def test_no_matching_route_is_none(area: str, industry: str) -> None:
    assert rules.route_for(make_case(area=area, industry=industry), MATRIX, UNITS) is None


def test_catch_all_route_is_the_least_specific() -> None:
    matrix = {**MATRIX, "*/*": "inspection"}
    assert rules.route_for(make_case(area="城北", industry="食品"), matrix, UNITS).unit_code == "inspection"
    assert rules.route_for(make_case(area="城东", industry="食品"), matrix, UNITS).unit_code == "area-east"
    assert rules.route_for(make_case(), matrix, UNITS).unit_code == "inspection"  # no fields at all


def test_malformed_matrix_entries_are_ignored() -> None:
    matrix = {"城东": "area-east", "/特种设备": "special-equipment", "城东/*": 3}
    assert rules.route_for(make_case(area="城东", industry="特种设备"), matrix, UNITS) is None
    assert rules.matrix_choices(MATRIX) == (("城东", "城西"), ("特种设备", "计量"))


def test_routing_hook_reads_the_tenant_matrix() -> None:
    case = make_case(area="城东", industry="特种设备")
    assert qtsb_hooks().case_routing(case) is None  # no matrix configured
    assert qtsb_hooks(routing=MATRIX).case_routing(case) == rules.route_for(case, MATRIX, UNITS)


def test_intake_asks_product_area_and_industry_of_complaints_and_reports() -> None:
    qtsb = qtsb_hooks(routing=MATRIX)
    for kind in (CaseKind.COMPLAINT, CaseKind.REPORT):
        missing = qtsb.intake_schema(kind).missing(kind, {}, anonymous=False)
        assert [spec.key for spec in missing] == ["product", "area", "industry", "name", "phone"]
        anonymous = qtsb.intake_schema(kind).missing(kind, {}, anonymous=True)
        assert [spec.key for spec in anonymous] == ["product", "area", "industry"]
    schema = qtsb.intake_schema(CaseKind.CONSULTATION)
    assert schema.missing(CaseKind.CONSULTATION, {}, anonymous=True) == ()
    assert {spec.key for spec in schema.fields if spec.identity} == {"name", "phone", "address"}
    help_by_key = {spec.key: spec.help for spec in schema.fields}
    assert "城东" in help_by_key["area"] and "计量" in help_by_key["industry"]


def test_classification_takes_the_industry_as_category() -> None:
    assert qtsb_hooks().case_classification(make_case(industry="计量")).category == "计量"


# --- 二: confidentiality -----------------------------------------------------------------------


def test_only_the_office_and_leaders_read_identities() -> None:
    assert rules.identity_readers(supervisors_too=False) == {Role.INTAKE_OFFICER, Role.APPROVER}
    assert qtsb_hooks().identity_access(make_case(), DESK) == {Role.INTAKE_OFFICER, Role.APPROVER}
    assert qtsb_hooks(supervisor_reads_identity=True).identity_access(make_case(), DESK) == {
        Role.INTAKE_OFFICER,
        Role.APPROVER,
        Role.SUPERVISOR,
    }


# --- 三: replies and deadlines -----------------------------------------------------------------


@pytest.mark.parametrize("channel", [Channel.LETTER, Channel.FAX, Channel.BOX, Channel.REFERRAL])
def test_written_cases_get_a_written_reply(channel: Channel) -> None:
    assert rules.reply_modes(make_case(channel=channel)) == {ReplyMode.WRITTEN}
    assert rules.reply_modes(make_case(channel=channel, anonymous=True)) == {
        ReplyMode.WRITTEN,
        ReplyMode.PUBLIC_NOTICE,
    }


def test_online_and_oral_cases_reply_modes() -> None:
    assert rules.reply_modes(make_case(channel=Channel.EMAIL)) == {
        ReplyMode.WRITTEN,
        ReplyMode.EMAIL,
        ReplyMode.ONLINE,
    }
    oral = rules.reply_modes(make_case(channel=Channel.PHONE))
    assert ReplyMode.PHONE in oral and ReplyMode.WRITTEN in oral and ReplyMode.PUBLIC_NOTICE not in oral
    requirements = qtsb_hooks().reply_requirements(make_case(channel=Channel.LETTER))
    assert requirements.modes == {ReplyMode.WRITTEN} and "三" in requirements.basis


def test_timer_rules_kinds_triggers_and_caps() -> None:
    timers = {
        rule.kind: rule
        for rule in rules.timer_rules(make_case(), transfer_days=3, handling_days=15, extension_cap_days=15)
    }
    assert list(timers) == ["transfer", "handling"]
    assert timers["transfer"].starts_on is Action.ACCEPT
    assert timers["transfer"].restarts_on == {Action.RETURN}
    assert timers["transfer"].stops_on == {Action.DISPATCH, Action.REFER_OUT, Action.REPLY}
    assert timers["transfer"].extension_cap is None
    assert timers["handling"].starts_on is Action.DISPATCH
    assert timers["handling"].restarts_on == {Action.REOPEN}
    assert timers["handling"].stops_on == {Action.REPLY}
    assert timers["handling"].extension_cap == Period.parse("15 working days")
    assert all("插件解读" in rule.basis for rule in timers.values())


@pytest.mark.parametrize(
    ("settings", "kind", "due"),
    [
        # Accepted 2026-09-30, the eve of National Day (10-01..10-07 off, Saturday 10-10 worked).
        ({}, "transfer", "2026-10-10T23:59:59+08:00"),
        ({}, "handling", "2026-10-27T23:59:59+08:00"),
        ({"transfer_working_days": 1}, "transfer", "2026-10-08T23:59:59+08:00"),
        ({"handling_working_days": 5}, "handling", "2026-10-13T23:59:59+08:00"),
    ],
)
def test_deadlines_skip_national_day(settings: dict[str, int], kind: str, due: str) -> None:
    rule = next(rule for rule in qtsb_hooks(**settings).sla_timers(make_case()) if rule.kind == kind)
    deadline = CALENDAR.add(RECEIVED_AT, rule.period, basis=rule.basis)
    assert deadline.due_at == datetime.fromisoformat(due)
    assert deadline.provisional is False


# --- 四: rewards and sanctions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "reward"),
    [
        ("100000", "5000.00"),  # 5000 = the cap exactly
        ("1000000", "5000.00"),  # capped
        ("20000", "1000.00"),
        ("1234.56", "200.00"),  # 61.73 is under the floor
        ("0", "200.00"),  # verified without an amount: the floor
        ("4321.10", "216.06"),  # rounded half up to the fen
    ],
)
def test_reward_rate_floor_and_cap(amount: str, reward: str) -> None:
    assert rules.reward_for(Decimal(amount), DEFAULT_TERMS) == Decimal(reward)


def test_reward_terms_come_from_settings() -> None:
    terms = rules.RewardTerms.parse(rate="0.1", cap="20000", minimum="0")
    assert rules.reward_for(Decimal("100000"), terms) == Decimal("10000.00")
    event = AccountabilityEvent(
        kind=AccountabilityKind.REPORT_VERIFIED, subject="举报人（ZJ-2026-000001）", amount=Decimal("100000")
    )
    (line,) = qtsb_hooks(reward_rate="0.1", reward_cap="20000").accountability_sanctions(event)
    assert line.amount == Decimal("10000.00")


@pytest.mark.parametrize(
    ("rate", "cap", "minimum", "message"),
    [
        ("five percent", "5000", "200", "reward_rate"),
        ("0.05", "-1", "0", "reward_cap"),
        ("0.05", "5000", "NaN", "reward_min"),
        ("0.05", "100", "200", "不能大于"),
    ],
)
def test_bad_reward_settings_are_named(rate: str, cap: str, minimum: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rules.RewardTerms.parse(rate=rate, cap=cap, minimum=minimum)


def test_verified_report_earns_a_reward_line() -> None:
    event = AccountabilityEvent(
        kind=AccountabilityKind.REPORT_VERIFIED,
        subject="举报人（ZJ-2026-000001）",
        case_serial="ZJ-2026-000001",
        amount=Decimal("100000"),
    )
    (line,) = rules.sanctions_for(event, DEFAULT_TERMS)
    assert line.kind is SanctionKind.REWARD
    assert line.amount == Decimal("5000.00") and line.points == 0
    assert line.basis == "质监局制度 四"
    assert line.appealable is False
    assert qtsb_hooks().accountability_sanctions(event) == (line,)


def test_upheld_complaint_against_staff_is_criticised() -> None:
    event = AccountabilityEvent(kind=AccountabilityKind.COMPLAINT_UPHELD, subject="王某", count_in_year=2)
    (line,) = rules.sanctions_for(event, DEFAULT_TERMS)
    assert line.kind is SanctionKind.CRITICISM and line.appealable is True
    assert "第 2 次" in line.note and line.amount == 0


def test_a_leaked_identity_is_a_circulated_criticism_citing_clause_two() -> None:
    event = AccountabilityEvent(kind=AccountabilityKind.IDENTITY_LEAKED, subject="王某")
    (line,) = rules.sanctions_for(event, DEFAULT_TERMS)
    assert line.kind is SanctionKind.CIRCULATED_CRITICISM and line.appealable is True
    assert line.basis.startswith("质监局制度 二") and "移交有关部门" in line.note


@pytest.mark.parametrize(
    "kind",
    [AccountabilityKind.DEADLINE_BREACHED, AccountabilityKind.LOSS_CAUSED, AccountabilityKind.DUTY_MISSED],
)
def test_other_events_carry_nothing(kind: AccountabilityKind) -> None:
    assert rules.sanctions_for(AccountabilityEvent(kind=kind, subject="王某"), DEFAULT_TERMS) == ()


@pytest.mark.parametrize("outcome", [Outcome.VERIFIED, Outcome.UNVERIFIED])
def test_only_reports_close_as_verified(outcome: Outcome) -> None:
    close = CloseCase(summary="已办结", outcome=outcome)
    reason = rules.OutcomeFitsKind(make_case(kind=CaseKind.COMPLAINT), close)
    assert reason is not None and "质监局制度 四" in reason
    assert rules.OutcomeFitsKind(make_case(kind=CaseKind.REPORT), close) is None
    assert qtsb_hooks().transition_veto(make_case(kind=CaseKind.CONSULTATION), close) == (
        rules.OutcomeFitsKind(make_case(kind=CaseKind.CONSULTATION), close),
    )


def test_other_closings_are_not_vetoed() -> None:
    complaint = make_case(kind=CaseKind.COMPLAINT)
    assert rules.OutcomeFitsKind(complaint, CloseCase(outcome=Outcome.UPHELD, respondent="王某")) is None
    assert rules.OutcomeFitsKind(complaint, CloseCase()) is None


# --- documents, phrases, statistics ------------------------------------------------------------


def test_templates_phrases_and_statistics() -> None:
    qtsb = qtsb_hooks()
    templates = {t.key: t for t in qtsb.register_document_templates()}
    assert templates["registration_form"].title == "投诉举报登记表"
    assert templates["transfer_slip"].title == "投诉举报转办单"
    assert templates["transfer_slip"].kinds == {CaseKind.COMPLAINT, CaseKind.REPORT}
    assert "保密" in templates["transfer_slip"].body
    assert any("保密" in phrase.text for phrase in qtsb.register_phrases())
    dimensions = {d.key: d.attribute for d in qtsb.register_statistics_dimensions()}
    assert dimensions == {"area": "area", "industry": "industry", "unit": "unit_code"}


def test_the_demo_tenant_file_loads_and_routes_to_its_own_units() -> None:
    root = Path(__file__).resolve().parents[3]
    config = read_tenant_file(root / "tenants" / "county-qtsb.toml", PluginRegistry({"qtsb": hooks}))
    assert config.plugin == "qtsb"
    codes = {unit.code for unit in config.units}
    assert set(config.settings["routing"].values()) <= codes
