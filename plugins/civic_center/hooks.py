"""The civic service centre's answers to the platform's hooks (adapters over `rules`).

Nothing here decides: every hook reads the tenant's settings and units and hands them to a rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.sdk import (
    AcceptanceCheck,
    AccountabilityEvent,
    Action,
    Actor,
    Case,
    CaseCommand,
    CaseKind,
    Classification,
    DocumentTemplate,
    IntakeSchema,
    ReplyRequirements,
    Role,
    Routing,
    Sanction,
    SettingSpec,
    StandardPhrase,
    StatisticsDimension,
    TenantContext,
    TimerEffect,
    TimerPhase,
    TimerRule,
    hookimpl,
)
from plugins.civic_center import rules

__all__ = ["SETTINGS"]

SETTINGS = (
    SettingSpec(
        "answer_working_days",
        int,
        5,
        "不能现场答复的投诉，由窗口部门作出答复的时限（工作日），自转办窗口部门起算；第八条",
    ),
    SettingSpec(
        "coordinate_working_days",
        int,
        1,
        "不能现场答复的，督查科与窗口部门协调（转办）的时限（工作日），自受理起算；"
        "第八条只说“尽快”，插件解读；0 表示不计时",
    ),
    SettingSpec(
        "feedback_working_days",
        int,
        2,
        "窗口（部门）答复后，督查科将答复反馈给署名投诉人的时限（工作日）；"
        "第八条只说“及时”，插件解读；0 表示不计时",
    ),
    SettingSpec(
        "window_points",
        int,
        2,
        "投诉经查属实，按考核制度对被投诉窗口扣减的分数（每件）；第十条（考核制度未随制度公布，由中心设定）",
    ),
    SettingSpec(
        "staff_points",
        int,
        2,
        "投诉经查属实，按考核制度对被投诉窗口工作人员扣减的分数（每件）；第十条",
    ),
    SettingSpec(
        "transfer_matters",
        str,
        "integrity,discipline",
        "经查属实即构成违规违纪、须移交相关部门处理的投诉事项类别（逗号分隔，"
        "可用 approval、fees、integrity、discipline、efficiency）；第八条",
    ),
    SettingSpec(
        "superior_government",
        str,
        "永济市人民政府",
        "投诉查实扣分情况报送的上级政府部门名称；第十条",
    ),
)


@hookimpl
def hy_register_settings() -> Sequence[SettingSpec]:
    return SETTINGS


@hookimpl
def hy_intake_schema(ctx: TenantContext, kind: CaseKind) -> IntakeSchema:
    return rules.intake_schema(ctx.units)


@hookimpl
def hy_case_classification(ctx: TenantContext, case: Case) -> Classification:
    return Classification(
        category=str(case.fields.get("matter", "")) or case.category,
        severity=case.severity,
        complexity=case.complexity,
        flags=case.flags,
        priority=rules.priority(case),
    )


@hookimpl
def hy_case_acceptance(ctx: TenantContext, case: Case) -> AcceptanceCheck:
    return rules.acceptance(case, ctx.units)


@hookimpl
def hy_case_routing(ctx: TenantContext, case: Case) -> Routing | None:
    return rules.routing(case, ctx.units)


@hookimpl
def hy_action_veto(ctx: TenantContext, case: Case, action: Action) -> str | None:
    found = [
        r
        for r in (rules.OnTheSpotOnlyForGeneral(case, action), rules.FeedbackBeforeClosing(case, action))
        if r
    ]
    return "；".join(found) if found else None


@hookimpl
def hy_transition_veto(ctx: TenantContext, case: Case, command: CaseCommand) -> str | None:
    reasons = [
        rules.ReplyMirrorsComplaint(case, command),
        rules.ClosingNamesAnOutcome(case, command),
        rules.UpheldNamesTheWindow(command, ctx.units),
        rules.ViolationsAreTransferred(case, command, rules.parse_matters(ctx.settings["transfer_matters"])),
        rules.FabricationIsShown(command),
    ]
    # The hook answers once per plugin: every objection of ours is told at once.
    found = [reason for reason in reasons if reason]
    return "；".join(found) if found else None


@hookimpl
def hy_sla_timers(ctx: TenantContext, case: Case) -> Sequence[TimerRule]:
    settings = ctx.settings
    return rules.timer_rules(
        case,
        coordinate_working_days=settings["coordinate_working_days"],
        answer_working_days=settings["answer_working_days"],
        feedback_working_days=settings["feedback_working_days"],
    )


@hookimpl
def hy_timer_effects(
    ctx: TenantContext, case: Case, timer_kind: str, phase: TimerPhase
) -> Sequence[TimerEffect]:
    # 督查科 chases a late window (督办); the regulation attaches points to upheld complaints
    # only (第十条), so a breach writes no accountability event.
    if phase is TimerPhase.WARNING:
        return (TimerEffect.REMIND,)
    return (TimerEffect.REMIND, TimerEffect.SUPERVISION_NOTICE)


@hookimpl
def hy_reply_requirements(ctx: TenantContext, case: Case) -> ReplyRequirements:
    return rules.reply_requirements(case)


@hookimpl
def hy_identity_access(ctx: TenantContext, case: Case, actor: Actor) -> frozenset[Role]:
    return rules.identity_readers(case, actor.unit_code)


@hookimpl
def hy_accountability_sanctions(ctx: TenantContext, event: AccountabilityEvent) -> Sequence[Sanction]:
    return rules.sanctions_for(
        event,
        window_points=ctx.settings["window_points"],
        staff_points=ctx.settings["staff_points"],
        units=ctx.units,
    )


_FOLLOWED_UP = rules.FOLLOWED_UP


@hookimpl
def hy_register_document_templates(ctx: TenantContext) -> Sequence[DocumentTemplate]:
    superior = ctx.settings["superior_government"]
    return (
        DocumentTemplate(
            key="visit_record",
            title="当面投诉举报笔录",
            body=(
                "编号：{serial}　类型：{kind}\n接谈时间：{received_at}　来源：{channel}\n"
                "投诉人：{complainant_name}　联系电话：{complainant_phone}\n"
                "被投诉窗口：{field_accused_unit}　被投诉人：{field_accused_person}\n"
                "类别：{category}\n标题：{title}\n投诉情节：\n{content}\n证据：{field_evidence}\n"
                "接谈记录：{field_visit_record}\n"
                "以上笔录已向投诉人宣读（或由其阅看），与所述一致。\n投诉人签字：　　　记录人：{owner}\n"
                f"（依据：{rules.basis('第四条', '第六条')}；投诉人身份依法保密）\n"
            ),
            kinds=_FOLLOWED_UP,
            channels=rules.channels_recorded_by("visit_record"),
        ),
        DocumentTemplate(
            key="call_record",
            title="电话投诉举报记录",
            body=(
                "编号：{serial}　类型：{kind}\n来电时间：{received_at}\n"
                "来电人：{complainant_name}　来电号码：{complainant_phone}\n"
                "被投诉窗口：{field_accused_unit}　被投诉人：{field_accused_person}\n"
                "类别：{category}\n标题：{title}\n来电内容（如实记录）：\n{content}\n"
                "通话记录：{field_call_record}\n接听人：{owner}\n"
                f"（依据：{rules.basis('第六条')}）\n"
            ),
            kinds=_FOLLOWED_UP,
            channels=rules.channels_recorded_by("call_record"),
        ),
        DocumentTemplate(
            key="letter_register",
            title="投诉举报信函拆阅登记表",
            body=(
                "编号：{serial}　类型：{kind}\n收信时间：{received_at}　来源：{channel}\n"
                "来信人：{complainant_name}　联系地址：{complainant_address}\n"
                "被投诉窗口：{field_accused_unit}　被投诉人：{field_accused_person}\n"
                "类别：{category}\n标题：{title}\n来信内容摘要：\n{content}\n证据：{field_evidence}\n"
                "拆阅登记：{field_letter_register}\n登记人：{owner}\n"
                f"（依据：{rules.basis('第六条')}：逐件拆阅、登记，及时办理）\n"
            ),
            kinds=_FOLLOWED_UP,
            channels=rules.channels_recorded_by("letter_register"),
        ),
        DocumentTemplate(
            key="delay_notice",
            title="延期答复情况说明",
            body=(
                "文书编号：{number}　案件编号：{serial}\n标题：{title}\n承办窗口：{unit}\n"
                "您反映的问题，因客观原因不能在规定时间内给予答复，现将情况说明如下：\n"
                "原因：{agreed_reason}\n约定答复日期：{agreed_due_on}\n"
                f"（依据：{rules.basis('第八条')}）\n"
            ),
            kinds=_FOLLOWED_UP,
        ),
        DocumentTemplate(
            key="handling_decision",
            title="投诉举报处理决定书",
            body=(
                "文书编号：{number}　案件编号：{serial}\n标题：{title}\n被投诉窗口：{unit}\n"
                "窗口（部门）答复时间：{replied_at}　答复方式：{reply_mode}\n"
                "调查核实情况及处理意见：\n{reply_sections}\n反馈情况：{satisfaction}　{feedback_note}\n"
                "督查科处理决定：{outcome}\n{closing_summary}\n"
                f"（依据：{rules.basis('第七条', '第八条')}；构成违规违纪的，移交相关部门处理）\n"
            ),
            kinds=_FOLLOWED_UP,
        ),
        DocumentTemplate(
            key="points_report",
            title="投诉查实扣分情况通报",
            body=(
                f"文书编号：{{number}}　案件编号：{{serial}}\n报送：{{unit}}所属窗口部门、{superior}\n"
                "标题：{title}\n被投诉窗口：{unit}\n查实情况：\n{reply_sections}\n"
                "经督查科调查核实，投诉内容属实，已按中心考核制度对被投诉窗口及窗口工作人员扣分"
                "（扣分明细见问责台账），特此通报。\n"
                f"（依据：{rules.basis('第十条')}）\n"
            ),
            kinds=_FOLLOWED_UP,
        ),
        DocumentTemplate(
            key="transfer_letter",
            title="违规违纪问题移交函",
            body=(
                "文书编号：{number}　案件编号：{serial}\n标题：{title}\n被投诉窗口：{unit}\n"
                "经查实的违规违纪事实：\n{reply_sections}\n"
                "上述问题已构成违规违纪，现移交贵单位依规处理，请将处理结果函告本中心督查科。\n"
                f"（依据：{rules.basis('第八条')}）\n"
            ),
            kinds=_FOLLOWED_UP,
        ),
    )


@hookimpl
def hy_register_phrases(ctx: TenantContext) -> Sequence[StandardPhrase]:
    days = ctx.settings["answer_working_days"]
    return (
        StandardPhrase(
            "ask_particulars",
            "请您如实告知被投诉的窗口、工作人员姓名、违规违纪的具体情节和证据，我们将认真记录。",
            step=Action.REGISTER,
        ),
        StandardPhrase(
            "honest_report",
            "请如实反映情况：故意捏造事实、诬告陷害他人的，将依照有关规定严肃处理；"
            "因对事实了解不全面发生误会、错告的，不受追究。",
            step=Action.REGISTER,
        ),
        StandardPhrase(
            "visit_record",
            "您当面反映的情况我们已做好笔录，请您核对无误后签字。",
            step=Action.ACCEPT,
        ),
        StandardPhrase(
            "anonymous",
            "署名和匿名投诉我们都认真对待、妥善处理；留下真实姓名和联系方式的，我们优先排查，并将处理结果反馈给您。",
        ),
        StandardPhrase(
            "accepted",
            f"您的投诉已受理。一般投诉由窗口现场答复；不能现场答复的，由窗口部门在{days}个工作日内答复您。",
            step=Action.ACCEPT,
        ),
        StandardPhrase(
            "delay",
            f"因客观原因，窗口部门不能在{days}个工作日内答复您，现将原因向您说明，并约定在某月某日前答复。",
            step=Action.SET_DEADLINE,
        ),
        StandardPhrase(
            "feedback",
            "窗口（部门）已就您的投诉作出答复，现将答复内容反馈给您。请问您对处理结果是否满意？",
            step=Action.RECORD_FEEDBACK,
        ),
        StandardPhrase(
            "decided",
            "督查科已就您的投诉作出处理决定；投诉属实的，已按考核制度对被投诉窗口和工作人员扣分，"
            "并报告窗口部门和上级政府部门。",
            step=Action.CLOSE,
        ),
        StandardPhrase(
            "not_ours",
            "您反映的事项不属于本中心窗口，我们将移送有关部门，并告知您该部门的名称和联系方式。",
            step=Action.REFER_OUT,
        ),
    )


@hookimpl
def hy_register_statistics_dimensions(ctx: TenantContext) -> Sequence[StatisticsDimension]:
    return (
        StatisticsDimension("matter", "投诉事项类别", "category"),
        StatisticsDimension("accused_unit", "被投诉窗口", "accused_unit"),
        StatisticsDimension("channel", "投诉方式", "channel"),
        StatisticsDimension("unit", "答复窗口（部门）", "unit_code"),
    )
