"""The redaction rule over real-looking Chinese text: names in sentences, numbers as people write them."""

from __future__ import annotations

import pytest

from core.domain.redaction import WITHHELD, Redactor, id_number_checks, luhn_checks

IDENTITY = {"name": "欧阳明珠", "phone": "13812345678", "address": "南溪镇幸福路18号"}
VALID_ID = "11010519491231002X"  # the checksum holds (GB 11643)
WRONG_ID = "110105194912310021"  # one digit off: not a resident ID, left alone
CARD = "6222020200112230"  # passes the Luhn check
UNIT = Redactor(IDENTITY)  # a handling unit: nothing of the person
DESK = Redactor(IDENTITY, withheld=False)  # staff who may see the identity masked


@pytest.mark.parametrize(
    "typed",
    [
        "欧阳明珠来电反映公开栏三个月未更新",
        "来电人：欧阳 明珠，要求回电",
        "投诉人欧阳·明珠称村委会不公开账目",
    ],
)
def test_the_complainants_name_is_taken_out_of_sentences_however_spaced(typed):
    assert "明珠" not in UNIT(typed) and WITHHELD in UNIT(typed)
    assert "欧**" in DESK(typed) and "明珠" not in DESK(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "回电 13812345678",
        "回电138-1234-5678",
        "回电 138 1234 5678",
        "回电１３８１２３４５６７８",
        "回电+86 138 1234 5678",
    ],
)
def test_the_complainants_phone_is_taken_out_however_written(typed):
    out = UNIT(typed)
    assert out.startswith("回电") and out.endswith(WITHHELD), out
    assert not any(char.isdigit() for char in out), out  # not one digit of it, half- or full-width
    assert DESK(typed).endswith("138****5678"), DESK(typed)


def test_the_address_goes_before_the_name_inside_it():
    assert UNIT("家住南溪镇幸福路18号，欧阳明珠") == f"家住{WITHHELD}，{WITHHELD}"
    assert DESK("家住南溪镇幸福路18号") == "家住南溪镇****"


def test_identity_on_its_face_is_taken_out_whoever_it_belongs_to():
    text = f"邻居王五 13900001111 可作证，身份证 {VALID_ID}，邮箱 wang.wu@example.com，卡号 {CARD}"
    for redact in (UNIT, DESK):  # someone else's details: masked, for every reader
        out = redact(text)
        for secret in ("13900001111", VALID_ID, "wang.wu@example.com", CARD):
            assert secret not in out, secret
        assert "139****1111" in out and "110105********002X" in out and "w***@example.com" in out
        assert "****2230" in out


def test_numbers_that_are_not_identity_are_left_alone():
    text = (
        f"编号 NX-2026-000042，金额 1200.00 元，日期 2026-09-30，身份证号码写错为 {WRONG_ID}，"
        "座机 0571-88886666"
    )
    out = Redactor({})(text)
    assert "NX-2026-000042" in out and "1200.00" in out and "2026-09-30" in out
    assert WRONG_ID in out  # the checksum fails: not an ID number
    assert "0571-88886666" not in out  # a landline is identity on its face


def test_the_checks():
    assert id_number_checks(VALID_ID) and not id_number_checks(WRONG_ID)
    assert luhn_checks(CARD) and not luhn_checks("6222020200112234")


def test_a_one_character_value_takes_nothing_out_and_json_is_walked_keys_and_all():
    assert Redactor({"name": "王"})("王家村公开栏") == "王家村公开栏"
    walked = Redactor.walker(UNIT)({"欧阳明珠": ["回电 13812345678", 3], "n": None})
    assert walked == {WITHHELD: [f"回电 {WITHHELD}", 3], "n": None}
