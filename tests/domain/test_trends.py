"""Trend spotting on 10,000 generated cases.

Seeded repeats, surges and common issues are found; a control set of the same size stays silent.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from core.domain.trends import TrendParams, TrendRecord, detect, jaccard, shingles

NOW = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
CATEGORIES = [f"类别{i}" for i in range(20)]
PLACES = "东南西北中上下前后左右新老大小长短高低远近"
TOPICS = "路灯水管垃圾噪音停车绿化电梯供暖燃气广告排污油烟施工占道违建养犬漏水招牌护栏井盖"


def _topic(rng: random.Random) -> str:
    i = rng.randrange(0, len(TOPICS) - 1, 2)
    return TOPICS[i : i + 2]


def control(n: int = 10_000, seed: int = 1) -> list[TrendRecord]:
    """Diverse cases spread evenly over a year: distinct respondents and titles, steady categories."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        place = "".join(rng.choice(PLACES) for _ in range(3))
        title = f"{place}{rng.randint(1, 999)}号{_topic(rng)}问题{rng.randint(1000, 9999)}{_topic(rng)}"
        records.append(
            TrendRecord(
                case_id=i + 1,
                serial=f"NX-2026-{i + 1:06d}",
                received_at=NOW - timedelta(days=rng.uniform(0.01, 365)),
                category=CATEGORIES[i % len(CATEGORIES)],
                respondent=f"单位{i}",
                title=title,
            )
        )
    return records


def seeded() -> tuple[list[TrendRecord], dict[str, set[int]]]:
    records = control(10_000 - 30, seed=2)
    n = len(records)
    seeds: dict[str, set[int]] = {"repeat": set(), "common": set(), "surge": set()}

    def add(**values) -> int:
        case_id = len(records) + 1
        records.append(TrendRecord(case_id=case_id, serial=f"NX-2026-{case_id:06d}", **values))
        return case_id

    for k in range(4):  # the same respondent, written four ways
        seeds["repeat"].add(
            add(
                received_at=NOW - timedelta(days=10 + k),
                category=CATEGORIES[k],
                respondent=["财政所", " 财政所", "财政所。", "财 政 所"][k],
                title=["低保补贴发放迟缓", "乱收办证费用", "窗口人员态度差", "报销材料遗失"][k],
            )
        )
    for k in range(6):  # one common issue in different words
        title = [
            "幸福村公开栏三个月未更新",
            "幸福村公开栏三个月未更新了",
            "幸福村公开栏三个月没更新",
            "反映幸福村公开栏三个月未更新",
            "幸福村公开栏已三个月未更新",
            "幸福村的公开栏三个月未更新",
        ][k]
        seeds["common"].add(
            add(received_at=NOW - timedelta(days=20 + k), category="类别0", respondent=f"甲{k}", title=title)
        )
    for k in range(20):  # a surge of a new category in the last week
        seeds["surge"].add(
            add(
                received_at=NOW - timedelta(days=0.01 + k * 0.3),
                category="燃气泄漏",
                respondent=f"乙{k}",
                title=control(1, seed=100 + k)[0].title,
            )
        )
    assert len(records) == n + 30
    return records, seeds


def test_char_bigrams_make_similar_chinese_titles_close() -> None:
    a, b = shingles("幸福村公开栏三个月未更新"), shingles("幸福村公开栏三个月没更新")
    assert jaccard(a, b) >= 0.5 > jaccard(a, shingles("城东路灯不亮"))
    assert shingles("，。 ") == frozenset()


def test_seeded_patterns_are_found_in_ten_thousand_cases() -> None:
    records, seeds = seeded()
    started = time.perf_counter()
    signals = detect(records, now=NOW)
    elapsed = time.perf_counter() - started
    assert elapsed < 10, elapsed  # pure Python on one core; the figure is in bench/documents.md
    by_kind: dict[str, list] = {}
    for signal in signals:
        by_kind.setdefault(signal.kind, []).append(signal)
    (repeat,) = by_kind["repeat_respondent"]
    assert set(repeat.case_ids) == seeds["repeat"] and repeat.count == 4
    (common,) = by_kind["common_issue"]
    assert set(common.case_ids) == seeds["common"] and "公告" in common.summary
    assert len(common.serials) == 6 and all(s.startswith("NX-2026-") for s in common.serials)
    (surge,) = by_kind["surge"]
    assert surge.key == "燃气泄漏" and set(surge.case_ids) == seeds["surge"] and surge.baseline == 0
    assert "similar_subject" not in by_kind


def test_a_control_set_stays_silent() -> None:
    assert detect(control(), now=NOW) == []


def test_thresholds_are_parameters() -> None:
    records, seeds = seeded()
    strict = detect(records, now=NOW, params=TrendParams(repeat_min=5, common_min=7, surge_min=25))
    kinds = {s.kind for s in strict}
    assert "repeat_respondent" not in kinds and "surge" not in kinds
    assert {s.kind for s in strict if set(s.case_ids) == seeds["common"]} == {"similar_subject"}
