"""The one rule for text coming in: no control characters, no more than the field holds."""

from __future__ import annotations

import pytest

from core.domain.commands import FIELD_LABELS, RegisterCase, ReplyToCase
from core.domain.errors import InvalidCommand
from core.domain.text import LIMITS, LONG_TEXT, check_command_text, check_text, text_problem


@pytest.mark.parametrize("bad", ["a\x00b", "\x07响铃", "末尾\x7f", "\x1b[31m红字"])
def test_control_characters_are_refused_in_words(bad):
    assert "控制字符" in (text_problem("内容", bad, LONG_TEXT) or "")


def test_line_breaks_tabs_and_chinese_punctuation_are_text():
    assert text_problem("内容", "第一行\n第二行\r\n\t缩进，“引号”、全角！", LONG_TEXT) is None


def test_a_field_holds_no_more_than_its_limit():
    assert text_problem("标题", "长" * LIMITS["title"], LIMITS["title"]) is None
    assert text_problem("标题", "长" * 300, LIMITS["title"]) == "标题过长：最多 200 个字符，收到 300 个"


def test_a_command_is_checked_field_by_field_with_its_label():
    with pytest.raises(InvalidCommand, match="类别过长：最多 64 个字符") as caught:
        check_command_text(RegisterCase(category="类" * 65), FIELD_LABELS)
    assert caught.value.field == "category"
    with pytest.raises(InvalidCommand, match="答复内容含有不可见的控制字符") as caught:
        check_command_text(ReplyToCase(content="已处理\x00"), FIELD_LABELS)
    assert caught.value.field == "content"
    check_command_text(ReplyToCase(content="已处理。\n谢谢。"), FIELD_LABELS)  # fine: nothing raised
    with pytest.raises(InvalidCommand):
        check_text("content", "内容", "x" * (LONG_TEXT + 1))
