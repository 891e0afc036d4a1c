"""Action forms speak Chinese: every input a form offers is labelled, never shown by its key."""

import re

import pytest

from core.domain.lifecycle import Action
from core.web.forms import action_fields

_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_every_form_input_has_a_chinese_label(action):
    for field in action_fields(action, units=(("u01", "承办单位一"),)):
        assert _CJK.search(field.label), f"{action.value}.{field.name} is labelled {field.label!r}"


def test_a_supplement_form_does_not_offer_a_raw_fields_box():
    assert "fields" not in {field.name for field in action_fields(Action.SUPPLY)}
