"""Walking a case forward as a tenant's demo people would, for tests that ask every plugin.

`walk` advances a fresh case step by step, each step the first of `FORWARD` that someone is
offered, with a payload valid for the plugin (`command`).
"""

from __future__ import annotations

import dataclasses
import importlib
from datetime import UTC, datetime

from core.domain.calendar import Period
from core.domain.cases import CaseKind, CaseState, Channel
from core.domain.commands import CloseCase, Outcome, RegisterCase, ReplyMode
from core.domain.intake import IntakeDraft
from core.domain.lifecycle import Action
from core.sdk.samples import ConformanceSamples
from core.services.values import CaseNotFound

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
# The steps a case advances by, each the first of these someone is offered and can take.
FORWARD = (
    Action.REGISTER,
    Action.ACCEPT,
    Action.SUBMIT_FOR_APPROVAL,
    Action.APPROVE,
    Action.DISPATCH,
    Action.SIGN_FOR,
    Action.REPLY,
)
EXTENSION = {"efficiency": "5 days"}
PLUGINS = ("township", "qtsb", "efficiency", "company", "commerce12312", "civic_center", "cdc")


# A closing states what handling found, in the words that fit the case's kind.
OUTCOMES = {CaseKind.COMPLAINT: Outcome.NOT_UPHELD, CaseKind.REPORT: Outcome.UNVERIFIED}


def command(action: Action, actor, plugin: str, case=None, hooks=None):
    """A valid payload for `action`; given the case and its hooks, one that fits them."""
    if case is not None and action is Action.CLOSE:
        return CloseCase(summary="已办结", outcome=OUTCOMES.get(case.kind, Outcome.ANSWERED))
    if case is not None and hooks is not None and action is Action.SET_DEADLINE:
        negotiable = [rule.kind for rule in hooks.sla_timers(case) if rule.negotiable]
        sample = ConformanceSamples().sample_command(action)
        return dataclasses.replace(sample, timer=negotiable[0] if negotiable else sample.timer)
    if action is Action.REGISTER:  # as the staff form sends it: the intake's classification kept
        return RegisterCase()
    sample = ConformanceSamples().sample_command(action)
    if action is Action.REFER_OUT:  # the receiving body with its phone, as 12312 requires
        return dataclasses.replace(sample, agency="县市场监督管理局（电话 12315）")
    if action is Action.EXTEND:  # in the unit of the plugin's cap (calendar days for efficiency)
        return dataclasses.replace(sample, period=Period.parse(EXTENSION.get(plugin, "5 working days")))
    if action is Action.DISPATCH:
        return dataclasses.replace(sample, unit_code="jcs")
    if action is Action.SIGN_FOR:
        return dataclasses.replace(sample, handler=actor.username)
    if action is Action.REPLY:
        return dataclasses.replace(sample, mode=ReplyMode.PHONE, content="已电话答复：公开栏已更新。")
    return sample


def consultation() -> IntakeDraft:
    return IntakeDraft(
        kind=CaseKind.CONSULTATION,
        channel=Channel.PHONE,
        title="政务公开目录在哪里查询",
        content="请告知政务公开目录的查询方式。",
        anonymous=True,
    )


IDENTITY = {"name": "张三", "phone": "13800000000", "address": "南溪镇东街 1 号"}


def acceptable_fields(plugin: str, hooks, kind: CaseKind) -> dict:
    """Intake answers the plugin accepts: the ones its conformance run uses."""
    module = importlib.import_module(f"tests.plugins.{plugin}.test_{plugin}_conformance")
    kits = [
        value
        for name, value in vars(module).items()
        if name.startswith("Test") and isinstance(value, type) and value.__module__ == module.__name__
    ]
    kit = next((k for k in kits if "case_fields" in vars(k)), kits[0])
    # The kit's sample tenant has other units than the test tenants (jcs, dzb).
    return dict(kit().case_fields(hooks, kind)) | TENANT_UNITS.get(plugin, {})


TENANT_UNITS = {"civic_center": {"accused_unit": "dzb"}}


def full_draft(plugin: str, hooks, kind: CaseKind = CaseKind.COMPLAINT, channel: Channel = Channel.PHONE):
    """A named case of `kind` with every intake field answered, as the plugin accepts them."""
    schema = hooks.intake_schema(kind)
    identity = {
        spec.key: IDENTITY.get(spec.key, f"示例{spec.label}")
        for spec in schema.fields
        if kind in spec.kinds and spec.identity
    }
    return IntakeDraft(
        kind=kind,
        channel=channel,
        title="村务公开栏长期未更新",
        content="反映村务公开栏半年未更新，要求公开最新收支。",
        identity=IDENTITY | identity,
        fields=acceptable_fields(plugin, hooks, kind),
    )


async def new_case(service, tenant_id, actors, draft: IntakeDraft | None = None) -> int:
    draft = draft or consultation()
    return (await service.intake(tenant_id, draft, actors["operator"])).case.id


async def offered_to(service, tenant_id, case_id, actor) -> set[Action]:
    try:
        return set(await service.allowed_actions(tenant_id, case_id, actor))
    except CaseNotFound:  # another unit's case: nothing is offered, and nothing succeeds
        return set()


async def walk(service, tenant_id, actors, stages: int, plugin: str, draft: IntakeDraft | None = None) -> int:
    """A fresh case advanced `stages` steps, each by the first demo person offered it.

    The case is `draft`, by default an anonymous consultation.
    """
    case_id = await new_case(service, tenant_id, actors, draft)
    for _ in range(stages):
        offers = {actor: await offered_to(service, tenant_id, case_id, actor) for actor in actors.values()}
        action, actor = next(
            ((a, actor) for a in FORWARD for actor, offered in offers.items() if a in offered), (None, None)
        )
        if action is None:
            break  # the case went as far as these steps take it
        await service.perform(tenant_id, case_id, command(action, actor, plugin), actor)
    return case_id


async def walk_to(
    service, tenant_id, actors, state: CaseState, plugin: str, draft: IntakeDraft | None = None
) -> int:
    """A fresh case (`draft`, by default a consultation) walked forward until it reaches `state`."""
    for stages in range(len(FORWARD) + 1):
        case_id = await walk(service, tenant_id, actors, stages, plugin, draft)
        if (await service.get(tenant_id, case_id, actors["supervisor"])).case.state is state:
            return case_id
    raise AssertionError(f"{plugin}: no walk reaches {state.value}")
