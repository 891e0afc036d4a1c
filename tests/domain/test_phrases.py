"""Standard phrases read out with the case's facts: never a raw placeholder."""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

from core.domain.cases import Case, CaseKind, CaseState, Channel
from core.domain.decisions import StandardPhrase
from core.domain.events import CaseEvent, EventName
from core.domain.phrases import BLANK, fill_phrase, phrase_values
from core.domain.tenancy import Unit

NOW = datetime.fromisoformat("2026-10-12T10:00:00+08:00")
TRANSFERRED = StandardPhrase("transferred", "我们已转至{department}，电话号码是{phone}，谢谢。")
UNITS = (Unit("jcs", "镇监察室"),)


def case(unit_code=None) -> Case:
    return Case(
        id=1,
        tenant_id=1,
        serial="NX-2026-000001",
        kind=CaseKind.COMPLAINT,
        channel=Channel.PHONE,
        state=CaseState.REFERRED_OUT if unit_code is None else CaseState.DISPATCHED,
        title="商品质量",
        content="…",
        received_at=NOW,
        unit_code=unit_code,
    )


def referred(agency: str) -> CaseEvent:
    return CaseEvent(
        name=EventName.REFERRED_OUT,
        at=NOW,
        actor="operator",
        from_state=CaseState.REGISTERED,
        to_state=CaseState.REFERRED_OUT,
        action="refer_out",
        data=MappingProxyType({"agency": agency}),
    )


def test_a_referral_fills_the_department_and_its_phone():
    values = phrase_values(case(), [referred("县市场监督管理局（电话 12315）")], UNITS)
    assert fill_phrase(TRANSFERRED, values).text == "我们已转至县市场监督管理局，电话号码是12315，谢谢。"


def test_the_handling_unit_fills_the_department_and_an_unknown_phone_is_a_blank():
    text = fill_phrase(TRANSFERRED, phrase_values(case("jcs"), [], UNITS)).text
    assert text == f"我们已转至镇监察室，电话号码是{BLANK}，谢谢。"
    assert "{" not in fill_phrase(TRANSFERRED, {}).text
