"""Trend spotting 倾向性、苗头性问题: repeats, surges and common issues among recent cases.

Pure functions over plain records (the service reads them), so they run the same on PostgreSQL
and on SQLite and can be tested on tens of thousands of records in memory.

- **Repeat respondent**: at least `repeat_min` cases naming the same respondent (normalised:
  spaces and punctuation dropped) within the window.
- **Similar subject**: titles that say the same thing in other words. Chinese needs no word
  segmentation for this: character bigrams are compared by Jaccard similarity, found through
  MinHash with banded LSH (16 hashes, 8 bands of 2) and then checked exactly, so only likely
  pairs are compared. Measured on 10,000 titles in ``bench/documents.md``; jieba would add a 1.5 s
  dictionary load and an unmaintained dependency for no better grouping of short titles.
- **Common issue** (南溪镇: 对同一共性问题投诉较多的，应研究整改措施并予以公告): a similar-subject
  group of at least `common_min` cases.
- **Surge**: a category whose cases in the last `surge_days` reach `surge_min` and at least
  `surge_factor` times its average over the `baseline_periods` periods before.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["RESPONDENT_FIELDS", "Signal", "TrendParams", "TrendRecord", "detect", "jaccard", "shingles"]


RESPONDENT_FIELDS = ("respondent", "accused", "product", "respondent_unit", "window")
"""Intake fields that name who or what a case is about, in the order they are looked for."""


@dataclass(frozen=True, slots=True)
class TrendRecord:
    """What trend spotting reads of a case."""

    case_id: int
    serial: str
    received_at: datetime
    category: str
    respondent: str
    title: str


@dataclass(frozen=True, slots=True)
class Signal:
    """One trend, with the cases behind it (oldest first)."""

    kind: str  # repeat_respondent, similar_subject, common_issue or surge
    key: str
    summary: str
    case_ids: tuple[int, ...]
    serials: tuple[str, ...]
    count: int
    baseline: float | None = None


@dataclass(frozen=True, slots=True)
class TrendParams:
    """Thresholds; the defaults suit a township or a bureau receiving tens to hundreds a month."""

    window_days: int = 90
    repeat_min: int = 3
    similarity: float = 0.5
    common_min: int = 5
    surge_days: int = 7
    baseline_periods: int = 8
    surge_factor: float = 3.0
    surge_min: int = 5


_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_HASHES = 16
_ROWS = 2
_SEEDS = tuple(zlib.crc32(f"huiying-{i}".encode()) for i in range(_HASHES))
_MASK = (1 << 32) - 1


def _normal(text: str) -> str:
    return _NOISE.sub("", text).lower()


def shingles(text: str) -> frozenset[str]:
    """The character bigrams of a text without spaces and punctuation (a 1-character text: itself)."""
    clean = _normal(text)
    if len(clean) < 2:
        return frozenset({clean}) if clean else frozenset()
    return frozenset(clean[i : i + 2] for i in range(len(clean) - 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _signature(grams: frozenset[str]) -> tuple[int, ...]:
    # One stable 32-bit hash per bigram, then one cheap xor-permutation per MinHash function.
    hashed = [zlib.crc32(g.encode()) for g in grams]
    return tuple(min((h ^ seed) * 2654435761 & _MASK for h in hashed) for seed in _SEEDS)


def _groups(records: Sequence[TrendRecord], threshold: float) -> list[list[int]]:
    """Indices of records grouped by similar titles (connected pairs at or above `threshold`)."""
    grams = [shingles(r.title) for r in records]
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    buckets: defaultdict[tuple[int, ...], list[int]] = defaultdict(list)
    for i, g in enumerate(grams):
        if not g:
            continue
        signature = _signature(g)
        for band in range(_HASHES // _ROWS):
            buckets[(band, *signature[band * _ROWS : (band + 1) * _ROWS])].append(i)
    for members in buckets.values():
        if len(members) < 2:
            continue
        for pos, i in enumerate(members):
            for j in members[pos + 1 :]:
                ri, rj = find(i), find(j)
                if ri != rj and jaccard(grams[i], grams[j]) >= threshold:
                    parent[rj] = ri
    groups: defaultdict[int, list[int]] = defaultdict(list)
    for i in range(len(records)):
        groups[find(i)].append(i)
    return [members for members in groups.values() if len(members) > 1]


def _signal(kind: str, key: str, summary: str, members: Iterable[TrendRecord], **extra) -> Signal:
    ordered = sorted(members, key=lambda r: (r.received_at, r.case_id))
    return Signal(
        kind=kind,
        key=key,
        summary=summary,
        case_ids=tuple(r.case_id for r in ordered),
        serials=tuple(r.serial for r in ordered),
        count=len(ordered),
        **extra,
    )


def detect(
    records: Iterable[TrendRecord], *, now: datetime, params: TrendParams | None = None
) -> list[Signal]:
    """Every signal among `records` received in the window ending at `now`, strongest first."""
    p = params or TrendParams()
    since = now - timedelta(days=p.window_days)
    all_records = [r for r in records if r.received_at < now]
    recent = [r for r in all_records if r.received_at >= since]
    signals: list[Signal] = []

    by_respondent: defaultdict[str, list[TrendRecord]] = defaultdict(list)
    for r in recent:
        if _normal(r.respondent):
            by_respondent[_normal(r.respondent)].append(r)
    for key, members in by_respondent.items():
        if len(members) >= p.repeat_min:
            name = members[0].respondent.strip()
            signals.append(
                _signal(
                    "repeat_respondent",
                    key,
                    f"{p.window_days} 日内 {len(members)} 件投诉同一对象：{name}",
                    members,
                )
            )

    for group in _groups(recent, p.similarity):
        members = [recent[i] for i in group]
        if len(members) < p.repeat_min:
            continue
        first = min(members, key=lambda r: (r.received_at, r.case_id))
        common = len(members) >= p.common_min
        kind = "common_issue" if common else "similar_subject"
        advice = "，应研究整改措施并予以公告" if common else ""
        summary = f"{len(members)} 件反映相同问题（如《{first.title}》）{advice}"
        signals.append(_signal(kind, _normal(first.title)[:32], summary, members))

    period = timedelta(days=p.surge_days)
    start = now - period
    baseline_start = start - period * p.baseline_periods
    current: defaultdict[str, list[TrendRecord]] = defaultdict(list)
    before: defaultdict[str, int] = defaultdict(int)
    for r in all_records:
        if not r.category:
            continue
        if r.received_at >= start:
            current[r.category].append(r)
        elif r.received_at >= baseline_start:
            before[r.category] += 1
    for category, members in current.items():
        mean = before[category] / p.baseline_periods
        if len(members) >= p.surge_min and len(members) >= p.surge_factor * max(mean, 1.0):
            summary = (
                f"“{category}”近 {p.surge_days} 日 {len(members)} 件，"
                f"此前平均每 {p.surge_days} 日 {mean:.1f} 件"
            )
            signals.append(_signal("surge", category, summary, members, baseline=round(mean, 2)))

    order = {"common_issue": 0, "surge": 1, "repeat_respondent": 2, "similar_subject": 3}
    signals.sort(key=lambda s: (order[s.kind], -s.count, s.key))
    return signals
