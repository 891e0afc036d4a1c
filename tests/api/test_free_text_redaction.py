"""A name typed into free text reaches nobody who may not read the identity (质量技术监督局 二).

The operator writes the caller's name, phone and address into the title and the content; the
dispatch opinion repeats the name. The handling unit reads the case, the list, the timeline and
the dispatch notice in its inbox without any of them; the desk and the leader, who may reveal
the identity, read the text as written. (Readers with case materials but no reveal get masks:
`tests/domain/test_redaction.py`.)
"""

from __future__ import annotations

from tests.helpers import assert_problem

NAME, PHONE, ADDRESS = "欧阳明珠", "13912345678", "南溪镇幸福路18号"
TYPED = {
    "kind": "complaint",
    "channel": "phone",
    "title": f"{NAME}来电反映公开栏未更新",
    "content": f"来电人 欧阳 明珠（{ADDRESS}），电话 139-1234-5678，反映公开栏三个月未更新。",
    "identity": {"name": NAME, "phone": PHONE, "address": ADDRESS},
    "fields": {"situation": "not_compiled", "respondent": "南溪村委会"},
}
SECRETS = (NAME, "明珠", PHONE, "139-1234-5678", "幸福路18号")


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


async def test_a_typed_name_reaches_the_unit_nowhere_and_the_desk_as_written(client, township, login):
    operator = await login(township.slug, "operator")
    created = await client.post("/api/v1/cases", json=TYPED, headers=operator)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    for action, body, who in (
        ("register", {}, operator),
        ("accept", {}, operator),
        ("dispatch", {"unit_code": "jcs", "cause": "政务公开", "opinion": f"请回电{NAME}核实"}, None),
    ):
        headers = who or await login(township.slug, "leader")
        answer = await client.post(f"/api/v1/cases/{case_id}/actions/{action}", json=body, headers=headers)
        assert answer.status_code == 200, answer.text

    handler = await login(township.slug, "handler")
    reads = {
        "case": await client.get(f"/api/v1/cases/{case_id}", headers=handler),
        "list": await client.get("/api/v1/cases", headers=handler),
        "events": await client.get(f"/api/v1/cases/{case_id}/events", headers=handler),
        "inbox": await client.get("/api/v1/me/inbox", headers=handler),  # the dispatch, relayed
    }
    for what, answer in reads.items():
        assert answer.status_code == 200, (what, answer.text)
        assert leaks(answer.text) == [], (what, answer.text)
    assert "新转办案件" in reads["inbox"].text and "请回电[已隐去]核实" in reads["inbox"].text
    case = reads["case"].json()
    assert case["title"] == "[已隐去]来电反映公开栏未更新", case["title"]
    assert case["opinion"] == "请回电[已隐去]核实"

    duty = await login(township.slug, "leader")  # an approver: may reveal, reads it as written
    assert NAME in (await client.get(f"/api/v1/cases/{case_id}", headers=duty)).text
    desk = (await client.get(f"/api/v1/cases/{case_id}", headers=operator)).json()
    assert desk["title"] == TYPED["title"] and "139-1234-5678" in desk["content"]
    assert_problem(await client.get(f"/api/v1/cases/{case_id + 100000}", headers=handler), 404)
