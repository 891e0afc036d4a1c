"""How a filled-in document is laid out on a page, the same for print and the browser.

The layout rules are generic so that any plugin's template prints well without markup: a line
``标签：内容`` is a form field (several on one line split at the ideographic space), a line
starting ``一、``/``（一）``/``【…】`` is a heading, lines holding a tab form a table (the first
is its header), anything else is a paragraph. The PDF writer (`core.services.rendering`) and
`to_html` read the same blocks, so browser and print show the same document.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Block", "layout", "to_html"]


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of a laid-out document.

    `kind` is ``heading``, ``fields`` (`cells` holds (label, value) pairs, one row), ``table``
    (`rows` of cells, the first the header), ``paragraph`` or ``space``.
    """

    kind: str
    text: str = ""
    cells: tuple[tuple[str, str], ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


_FIELD_RE = re.compile(r"^([^：:\s][^：:]{0,15})[：:](.*)$")
_HEADING_RE = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|【[^】]+】)")


def layout(body: str, *, skip: Iterable[str] = ()) -> tuple[Block, ...]:
    """The blocks of a filled-in body; lines equal to one of `skip` (the printed header) are left out."""
    skipped = {s.strip() for s in skip if s.strip()}
    blocks: list[Block] = []
    table: list[tuple[str, ...]] = []

    def flush() -> None:
        if table:
            blocks.append(Block("table", rows=tuple(table)))
            table.clear()

    for raw in body.splitlines():
        line = raw.rstrip()
        if "\t" in line:
            table.append(tuple(cell.strip() for cell in line.split("\t")))
            continue
        flush()
        text = line.strip()
        if not text:
            if blocks and blocks[-1].kind != "space":
                blocks.append(Block("space"))
            continue
        if text in skipped:
            continue
        if _HEADING_RE.match(text) and len(text) <= 40:
            blocks.append(Block("heading", text=text))
            continue
        segments = [s for s in re.split(r"　+", text) if s]
        pairs = [_FIELD_RE.match(s) for s in segments]
        if all(pairs) and not text.startswith(("（", "(")):
            blocks.append(Block("fields", cells=tuple((m.group(1), m.group(2).strip()) for m in pairs if m)))
            continue
        blocks.append(Block("paragraph", text=text))
    flush()
    while blocks and blocks[-1].kind == "space":
        blocks.pop()
    return tuple(blocks)


def to_html(*, tenant: str, title: str, number: str, blocks: Sequence[Block]) -> str:
    """A self-contained HTML page of the document (for the browser; print uses the PDF)."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{e(title)} {e(number)}</title>",
        "<style>body{font-family:'Songti SC','SimSun','Noto Serif CJK SC',serif;max-width:46em;"
        "margin:2em auto;line-height:1.7}h1{text-align:center;font-size:1.5em;margin:.2em 0}"
        ".org{text-align:center}.no{text-align:right}table{border-collapse:collapse;width:100%;"
        "margin:.4em 0}td,th{border:1px solid #333;padding:.3em .5em;vertical-align:top}"
        "th,td.l{background:#f3f3f3;white-space:nowrap;width:7em}h2{font-size:1.1em;margin:.8em 0 .2em}"
        "p{margin:.3em 0;white-space:pre-wrap}</style></head><body>",
        f'<div class="org">{e(tenant)}</div>',
        f"<h1>{e(title)}</h1>",
        f'<div class="no">编号：{e(number)}</div>' if number else "",
    ]
    for block in blocks:
        match block.kind:
            case "heading":
                parts.append(f"<h2>{e(block.text)}</h2>")
            case "fields":
                cells = "".join(
                    f'<td class="l">{e(label)}</td><td>{e(value)}</td>' for label, value in block.cells
                )
                parts.append(f"<table><tr>{cells}</tr></table>")
            case "table":
                head, *rows = block.rows
                parts.append(
                    "<table><tr>"
                    + "".join(f"<th>{e(cell)}</th>" for cell in head)
                    + "</tr>"
                    + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
                    + "</table>"
                )
            case "paragraph":
                parts.append(f"<p>{e(block.text)}</p>")
            case _:
                parts.append("<br>")
    parts.append("</body></html>")
    return "".join(parts)
