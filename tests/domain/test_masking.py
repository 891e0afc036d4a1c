"""Masking of personal data."""

from __future__ import annotations

import pytest

from core.domain.masking import mask_address, mask_id_number, mask_name, mask_phone, mask_text

ALL = [mask_name, mask_phone, mask_id_number, mask_address, mask_text]


@pytest.mark.parametrize("mask", ALL)
@pytest.mark.parametrize("empty", ["", None])
def test_empty_and_none_give_empty(mask, empty) -> None:
    assert mask(empty) == ""


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张**"),
        ("张三", "张*"),
        ("张", "*"),
        ("欧阳娜娜", "欧***"),
        ("John", "J***"),
        (" 李四 ", "李*"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("0571-88888888", "0571-******88"),
        ("010-1234567", "010-*****67"),
        ("(0571)88888888", "0571-******88"),
        ("12345", "***45"),
        ("1", "*"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [
        ("110101199003074258", "110101********4258"),
        ("11010119900307425X", "110101********425X"),
        ("110101900307425", "110101*****7425"),
        ("E12345678", "*****5678"),
        ("123", "***"),
    ],
)
def test_mask_id_number(id_number: str, masked: str) -> None:
    assert mask_id_number(id_number) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("浙江省杭州市西湖区文三路90号", "浙江省杭州市****"),
        ("西湖区文三路90号", "西湖区****"),
        ("安吉县递铺镇胜利路1号", "安吉县****"),
        ("某某乡某某村", "某某乡****"),
        ("南山街道桃园路2号", "南山街道****"),
        ("文三路90号", "文三路****"),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def test_mask_text_replaces_phones_and_ids_inside_free_text() -> None:
    text = "来电人电话13812345678，身份证号110101199003074258，单位电话0571-88888888，请回电。"
    assert (
        mask_text(text)
        == "来电人电话138****5678，身份证号110101********4258，单位电话0571-******88，请回电。"
    )


def test_mask_text_leaves_other_numbers_alone() -> None:
    text = "案件编号2026100100012345678，金额10000元，日期2026-10-01"
    assert mask_text(text) == text
