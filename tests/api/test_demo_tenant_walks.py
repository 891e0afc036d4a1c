"""Every demo tenant, one named complaint from intake to the archive, over HTTP, as its people work.

At each step the walk asks every person of the tenant what they are offered
(``GET …/actions``) and takes the next step of the job with whoever is offered it; an offered
step that is then refused fails the walk. The forms each step leaves behind are previewed and
issued as staff would: none may print an empty labelled section for a fact the case has. At the
archive the case still carries the classification it was given at intake.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.domain.cases import CaseKind
from core.domain.commands import Outcome, ReplyMode
from core.domain.layout import layout
from core.domain.lifecycle import Action
from core.domain.roles import Actor, Role
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.tenants import load_tenant, onboard, read_tenant_file
from core.store.tx import tenant_tx
from tests.helpers import sign_in
from tests.walks import FORWARD, IDENTITY, acceptable_fields

TENANTS = Path(__file__).parents[2] / "tenants"
DEMO_TENANTS = sorted(path.name for path in TENANTS.glob("*.toml"))

# The job, in order: each turn takes the first of these someone is offered and has not done yet.
JOB = (
    *(action for action in FORWARD if action is not Action.REPLY),  # the walk every test takes
    Action.INVESTIGATE,  # a written reply at the CDC needs the investigation on record
    Action.FOLLOW_UP,  # 12312 closes only a verified follow-up
    Action.REPLY,
    Action.RECORD_FEEDBACK,
    Action.CLOSE,
    Action.ARCHIVE,
)
REPEATABLE = {Action.APPROVE}  # a chain may have several levels
# The forms staff print once a step is taken (each plugin names its own; the core's by default).
FORMS_AFTER = {
    Action.REGISTER: (
        "registration_form",
        "complaint_record",
        "visit_record",
        "call_record",
        "letter_register",
    ),
    Action.APPROVE: ("draft_opinion",),
    Action.DISPATCH: ("transfer_slip", "handling_plan"),
    Action.INVESTIGATE: ("investigation_record",),
    Action.REPLY: ("reply", "reply_letter", "result_notice"),
    Action.RECORD_FEEDBACK: ("phone_feedback", "oral_settlement_record"),
    Action.CLOSE: ("handling_opinion", "handling_decision"),
}
TYPED_CATEGORY = "收费问题"  # where the plugin does not classify at intake, the desk types one
SIGNED_ON_PAPER = ("签字", "签名", "盖章", "签字（盖章）", "签名（盖章）")


def payload(action: Action, username: str, case: dict, reply, routing: dict | None, units: dict) -> dict:
    """What the person types into the step's form."""
    match action:
        case Action.SUBMIT_FOR_APPROVAL:
            return {"opinion": "拟转承办单位核实办理"}
        case Action.APPROVE:
            return {"opinion": "同意，请从严查处"}
        case Action.DISPATCH:
            unit = routing["unit_code"] if routing else next(iter(units))
            return {"unit_code": unit, "cause": "群众投诉", "opinion": "请核实并按期答复"}
        case Action.SIGN_FOR:
            return {"handler": username}
        case Action.INVESTIGATE:
            return {
                "investigators": ["调查人甲", "调查人乙"],
                "interviewee": "被调查人丙",
                "place": "被投诉单位办公室",
                "findings": "经调查，投诉反映的情况属实",
                "signed": True,
            }
        case Action.FOLLOW_UP:
            return {"note": "已跟踪核实处理结果", "verified": True}
        case Action.REPLY:
            modes = [mode.value for mode in ReplyMode if mode in reply.modes]
            mode = "written" if "written" in modes else modes[0]
            sections = reply.sections or ("处理意见",)
            return {"mode": mode, "content": "".join(f"{s}：经核实情况属实，已责令整改。" for s in sections)}
        case Action.RECORD_FEEDBACK:
            return {"satisfaction": "satisfied", "note": "已电话回访，投诉人满意"}
        case Action.CLOSE:
            return {
                "summary": "经查投诉属实，已责令整改并退还费用",
                "outcome": Outcome.UPHELD.value,
                "respondent": "被投诉人王某",
                "respondent_unit": case["unit_code"],
                "amount": "80",
            }
    return {}


def empty_sections(text: str, blank: list[str]) -> list[str]:
    """The labelled sections left empty: named blank by the preview, or an empty form cell."""
    empty = [label for label in blank if not label.endswith(SIGNED_ON_PAPER)]
    for block in layout(text):
        for label, value in block.cells:
            if (
                not value
                and not label.endswith(SIGNED_ON_PAPER)
                and not re.search(rf"{re.escape(label)}：\n", text)
            ):
                empty.append(label)
    return empty


@pytest.mark.parametrize("tenant_file", DEMO_TENANTS)
async def test_a_demo_tenants_complaint_from_intake_to_the_archive(
    client, registry, unique_slug, tenant_file
):
    config = read_tenant_file(TENANTS / tenant_file, registry)
    config = dataclasses.replace(config, slug=unique_slug(tenant_file.removesuffix(".toml")))
    tenant = await onboard(config, registry, demo=True)
    async with tenant_tx(tenant.id):
        hooks = (await load_tenant(tenant.id, registry)).hooks
    people = {user.username: await sign_in(client, tenant.slug, user.username) for user in config.users}
    units = {unit.code: unit.name for unit in config.units}
    cases = CaseService(registry, FixedClock(datetime.now(UTC)))
    reader = Actor(username="walk", roles=frozenset({Role.SUPERVISOR}))
    desk = next(user.username for user in config.users if "intake_officer" in user.roles)

    schema = hooks.intake_schema(CaseKind.COMPLAINT)
    fields = acceptable_fields(config.plugin, hooks, CaseKind.COMPLAINT)
    for spec in schema.fields:  # a choice among the tenant's own units names one of this tenant's
        if (
            spec.choices
            and {code for code, _ in spec.choices} <= set(units)
            and fields.get(spec.key) not in units
        ):
            fields[spec.key] = spec.choices[0][0]
    identity = {
        spec.key: IDENTITY.get(spec.key, f"示例{spec.label}") for spec in schema.fields if spec.identity
    }
    created = await client.post(
        "/api/v1/cases",
        headers=people[desk],
        json={
            "kind": "complaint",
            "channel": "phone",
            "title": "窗口工作人员收费不开票",
            "content": "办理业务时被收取 80 元费用，未开具任何票据。",
            "identity": IDENTITY | identity,
            "fields": fields,
        },
    )
    assert created.status_code == 201, created.text
    case = created.json()
    case_id, classified = case["id"], case["category"] or TYPED_CATEGORY

    done: list[Action] = []
    issued: list[str] = []
    for _ in range(30):
        offers = {}
        for name, headers in people.items():
            answer = await client.get(f"/api/v1/cases/{case_id}/actions", headers=headers)
            offers[name] = set(answer.json()) if answer.status_code == 200 else set()
        step = next(
            (
                (action, name)
                for action in JOB
                if action in REPEATABLE or action not in done
                for name, offered in offers.items()
                if action.value in offered
            ),
            None,
        )
        if step is None:
            break
        action, name = step
        routing = None
        if action is Action.DISPATCH:
            routing = (await client.get(f"/api/v1/cases/{case_id}/routing", headers=people[name])).json()
        # How the plugin wants this case answered (its modes and a written reply's sections).
        reply = hooks.reply_requirements((await cases.get(tenant.id, case_id, reader)).case)
        body = payload(action, name, case, reply, routing, units)
        if action is Action.REGISTER and not case["category"]:  # the plugin leaves it to the desk
            body = {"category": TYPED_CATEGORY}
        answer = await client.post(
            f"/api/v1/cases/{case_id}/actions/{action.value}", json=body, headers=people[name]
        )
        assert answer.status_code == 200, (
            f"{tenant_file}: {name} was offered {action.value}, then: {answer.text}"
        )
        case = answer.json()
        done.append(action)
        if action is Action.ARCHIVE:
            break
        issued += await issue_forms(client, case_id, FORMS_AFTER.get(action, ()), people, config, tenant_file)

    assert done[-1] is Action.ARCHIVE, f"{tenant_file}: the job stopped after {[a.value for a in done]}"
    assert case["state"] == "archived"
    assert case["category"] == classified, f"{tenant_file}: the category set at intake was lost"
    assert issued, f"{tenant_file}: no form was printed along the way"
    supervisor = next(user.username for user in config.users if "supervisor" in user.roles)
    archive = await client.get(
        f"/api/v1/cases/{case_id}/export?recipient=archive", headers=people[supervisor]
    )
    assert archive.status_code == 200, archive.text
    assert archive.json()["case"]["category"] == classified


async def issue_forms(client, case_id: int, keys, people, config, tenant_file) -> list[str]:
    """Preview and issue each of `keys` the case offers, as the desk would; returns those issued."""
    desk = next(user.username for user in config.users if "intake_officer" in user.roles)
    headers = people[desk]
    offered = {
        t["key"]
        for t in (await client.get(f"/api/v1/cases/{case_id}/documents/templates", headers=headers)).json()
    }
    issued = []
    for key in keys:
        if key not in offered:
            continue
        preview = await client.get(
            f"/api/v1/cases/{case_id}/documents/templates/{key}/preview", headers=headers
        )
        assert preview.status_code == 200, preview.text
        form = preview.json()
        assert empty_sections(form["text"], form["blank"]) == [], (tenant_file, key, form["text"])
        answer = await client.post(f"/api/v1/cases/{case_id}/documents", json={"key": key}, headers=headers)
        assert answer.status_code == 202, answer.text
        issued.append(key)
    return issued
