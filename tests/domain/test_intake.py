"""Intake: every missing field told at once, anonymity, and when the case counts from."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from core.domain.cases import CaseKind, Channel
from core.domain.decisions import FieldSpec, IntakeSchema
from core.domain.errors import InvalidCommand
from core.domain.intake import IntakeDraft, check_intake

NOW = datetime.fromisoformat("2026-10-08T09:00:00+08:00")
BACKDATE = timedelta(days=30)
SCHEMA = IntakeSchema(
    fields=(
        FieldSpec("situation", "投诉情形", kinds=frozenset({CaseKind.COMPLAINT})),
        FieldSpec("respondent", "被投诉单位或个人"),
        FieldSpec("name", "投诉人姓名", identity=True),
        FieldSpec("phone", "联系电话", identity=True),
        FieldSpec("address", "联系地址", required=False, identity=True),
    )
)
FIELDS = {"situation": "untrue", "respondent": "某村委会"}
IDENTITY = {"name": "张三", "phone": "13800000000"}


def draft(**changes: object) -> IntakeDraft:
    values: dict[object, object] = {
        "kind": CaseKind.COMPLAINT,
        "channel": Channel.PHONE,
        "title": "公开栏信息不实",
        "content": "村务公开栏公布的补贴名单与实际发放不一致。",
        "received_at": datetime.fromisoformat("2026-10-08T08:15:00+08:00"),
        "fields": FIELDS,
        "identity": IDENTITY,
    }
    values.update(changes)
    return IntakeDraft(**values)  # type: ignore[arg-type]


def check(d: IntakeDraft, schema: IntakeSchema = SCHEMA) -> datetime:
    return check_intake(d, schema, now=NOW, max_backdate=BACKDATE)


def refused(d: IntakeDraft, schema: IntakeSchema = SCHEMA) -> InvalidCommand:
    with pytest.raises(InvalidCommand) as raised:
        check(d, schema)
    return raised.value


def test_a_complete_draft_counts_from_when_it_was_received() -> None:
    assert check(draft()) == datetime.fromisoformat("2026-10-08T08:15:00+08:00")


def test_every_missing_field_is_listed_at_once() -> None:
    error = refused(draft(title=" ", content="", fields={}, identity={"address": "南溪镇"}))
    assert error.field == "fields"
    message = str(error)
    for label in ("标题", "内容", "投诉情形", "被投诉单位或个人", "投诉人姓名", "联系电话"):
        assert label in message, label
    assert "联系地址" not in message  # optional


def test_blank_values_count_as_missing() -> None:
    error = refused(draft(fields={"situation": "  ", "respondent": None}))
    assert "投诉情形" in str(error) and "被投诉单位或个人" in str(error)
    assert "投诉人姓名" not in str(error)


def test_fields_apply_only_to_their_kinds() -> None:
    report = draft(kind=CaseKind.REPORT, fields={"respondent": "某村委会"})
    assert check(report) == report.received_at
    error = refused(draft(fields={"respondent": "某村委会"}))
    assert "投诉情形" in str(error)


def test_anonymous_skips_identity_fields() -> None:
    anonymous = draft(anonymous=True, identity={})
    assert check(anonymous) == anonymous.received_at
    # ...but not the other fields.
    error = refused(draft(anonymous=True, identity={}, fields={"situation": "untrue"}))
    assert "被投诉单位或个人" in str(error)
    assert "投诉人姓名" not in str(error)


def test_anonymous_is_refused_when_the_schema_forbids_it() -> None:
    schema = IntakeSchema(fields=SCHEMA.fields, allow_anonymous=False)
    error = refused(draft(anonymous=True, identity={}), schema)
    assert error.field == "anonymous"
    assert "匿名" in str(error)
    assert check(draft(), schema) == draft().received_at


def test_received_at_defaults_to_now() -> None:
    assert check(draft(received_at=None)) == NOW


def test_received_at_in_the_future_is_refused() -> None:
    error = refused(draft(received_at=NOW + timedelta(seconds=1)))
    assert error.field == "received_at"
    assert "晚于当前时间" in str(error)
    # Another zone, the same instant as now: not in the future.
    assert check(draft(received_at=datetime.fromisoformat("2026-10-08T01:00:00+00:00"))) == NOW


def test_received_at_too_far_back_is_refused() -> None:
    assert check(draft(received_at=NOW - BACKDATE)) == NOW - BACKDATE  # the limit itself is allowed
    error = refused(draft(received_at=NOW - BACKDATE - timedelta(seconds=1)))
    assert error.field == "received_at"
    assert "30 日" in str(error)


def test_a_naive_received_at_is_refused() -> None:
    error = refused(draft(received_at=datetime(2026, 10, 8, 8, 15)))
    assert error.field == "received_at"
    assert "时区" in str(error)


def test_schema_missing_honours_anonymity_and_kinds() -> None:
    missing = SCHEMA.missing(CaseKind.CONSULTATION, {}, anonymous=True)
    assert [spec.key for spec in missing] == ["respondent"]
    assert SCHEMA.missing(CaseKind.COMPLAINT, {**FIELDS, **IDENTITY}, anonymous=False) == ()


def test_anonymity_and_timing_problems_are_told_with_the_missing_fields() -> None:
    forbids = IntakeSchema(fields=SCHEMA.fields, allow_anonymous=False)
    error = refused(draft(fields={}, anonymous=True, received_at=NOW + timedelta(hours=1)), forbids)
    message = str(error)
    assert "投诉情形" in message and "匿名" in message and "晚于当前时间" in message
    assert error.field == "fields"


def test_zero_and_false_are_answers_not_blanks() -> None:
    schema = IntakeSchema(fields=(FieldSpec("count", "人数"), FieldSpec("urgent", "是否紧急")))
    assert check(draft(fields={"count": 0, "urgent": False}), schema) == draft().received_at


CHOICES = IntakeSchema(
    fields=(
        FieldSpec("on_site", "是否需出现场处理", choices=(("yes", "需要"), ("no", "不需要"))),
        FieldSpec(
            "harm_degree",
            "危害程度",
            required=False,
            kinds=frozenset({CaseKind.REPORT}),
            choices=(("minor", "轻微"), ("serious", "严重")),
        ),
        FieldSpec("respondent", "被投诉单位或个人"),
    )
)


def test_an_answer_among_the_choices_is_taken() -> None:
    assert check(draft(fields={"on_site": "no", "respondent": "某商店"}), CHOICES)
    assert CHOICES.fields[0].choice_label("yes") == "需要"
    assert CHOICES.fields[0].choice_label("需要") is None  # the value is stored, not the label


def test_an_answer_off_the_list_is_refused_naming_every_choice_with_the_missing_fields() -> None:
    error = refused(draft(fields={"on_site": "maybe"}), CHOICES)
    message = str(error)
    assert "是否需出现场处理只能选择：需要（yes）、不需要（no）；收到“maybe”" in message
    assert "被投诉单位或个人" in message  # still told all at once


def test_choices_apply_only_to_their_kinds_and_to_given_answers() -> None:
    # harm_degree is a report field: a complaint's stray value is not checked, a blank is not off the list.
    assert check(draft(fields={"on_site": "yes", "respondent": "某商店", "harm_degree": "x"}), CHOICES)
    fields = {"on_site": "yes", "respondent": "某商店", "harm_degree": " "}
    report = draft(kind=CaseKind.REPORT, fields=fields)
    assert check(report, CHOICES)
    error = refused(dataclasses.replace(report, fields={**report.fields, "harm_degree": "extreme"}), CHOICES)
    assert error.field == "harm_degree" and "轻微（minor）、严重（serious）" in str(error)


def test_an_identity_detail_nobody_declared_is_refused_by_name() -> None:
    # The usual details and the plugin's declared ones go under identity; nothing else.
    check(draft(identity={**IDENTITY, "work_unit": "县一中", "email": "z@example.com"}))
    error = refused(draft(identity={**IDENTITY, "passport": "E12345678"}))
    assert error.field == "passport" and "身份信息“passport”不是本单位登记的项目" in str(error)
    patient = IntakeSchema(fields=(*SCHEMA.fields, FieldSpec("patient", "患者姓名", identity=True)))
    check(draft(identity={**IDENTITY, "patient": "李四"}), patient)


def test_a_detail_of_the_person_given_as_a_plain_field_is_refused() -> None:
    # Stored in clear and shown to every reader otherwise: it must go to the vault.
    error = refused(draft(fields={**FIELDS, "phone": "13900001111"}))
    assert error.field == "phone" and "须放在 identity 中另行保密登记" in str(error)
    own = IntakeSchema(
        fields=(*SCHEMA.fields[:2], FieldSpec("email", "回复邮箱"))
    )  # the plugin's plain field
    check(draft(fields={**FIELDS, "email": "reply@example.com"}), own)
