"""Markdown for the report: text escaped so that a label is never read as markup, tables, and the small
part of Markdown the report writes turned into HTML (headings, paragraphs, lists, tables, emphasis, code).

>>> md_escape("*Bold* [link](x) <b> a|b")
'\\\\*Bold\\\\* \\\\[link\\\\](x) \\\\<b\\\\> a\\\\|b'
>>> print(to_html("## A *b* `c`\\n\\n| x | y |\\n|---|---:|\\n| 1 \\\\| 2 | <3> |"))
<h2 id="a-b-c">A <em>b</em> <code>c</code></h2>
<div class="table"><table><thead><tr><th>x</th><th class="num">y</th></tr></thead><tbody><tr><td>1 | 2</td><td class="num">&lt;3&gt;</td></tr></tbody></table></div>
"""

from __future__ import annotations

import html
import re

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
_BULLET = re.compile(r"^\s*[-*] ")
NUMERIC = ' class="num"'


def md_escape(text: str) -> str:
    """Text for a Markdown line or table cell: every character Markdown could read as markup is escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def md_table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), *, markup: bool = False) -> str:
    """A Markdown table of escaped cells; columns in ``numeric`` are right-aligned.

    With ``markup`` the cells are Markdown already (escaped text, :func:`md_link`), written as they are.
    """
    cell = (lambda c: " ".join(str(c).split())) if markup else md_escape
    out = ["| " + " | ".join(md_escape(h) for h in headers) + " |",
           "|" + "|".join("---:" if i in numeric else "---" for i in range(len(headers))) + "|"]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def md_link(text: str, url: str) -> str:
    """A Markdown link whose text is escaped; a URL with a space or a parenthesis is left as escaped text.

    >>> md_link("hf-hub [x]", "https://huggingface.co/a/b")
    '[hf-hub \\\\[x\\\\]](https://huggingface.co/a/b)'
    """
    if not url or any(c in url for c in " ()<>|"):
        return md_escape(text)
    return f"[{md_escape(text)}]({url})"


def anchor(text: str) -> str:
    """The id a heading gets (GitHub's rule, near enough): lower case, punctuation dropped, spaces to hyphens."""
    plain = re.sub(r"\\(.)", r"\1", text)
    plain = re.sub(r"[`*_]", "", plain).lower()
    return re.sub(r"\s+", "-", re.sub(r"[^\w\s-]", "", plain).strip())


def _inline(text: str) -> str:
    """Escapes, `code`, *emphasis*, **strong** and [links](url) of one line, as HTML."""
    out, i = [], 0
    pattern = re.compile(r"\\(.)|`([^`]+)`|\*\*(.+?)\*\*|\*(.+?)\*|\[([^\]]+)\]\(([^)\s]+)\)")
    for m in pattern.finditer(text):
        out.append(html.escape(text[i:m.start()]))
        if m.group(1) is not None:
            out.append(html.escape(m.group(1)))
        elif m.group(2) is not None:
            out.append(f"<code>{html.escape(m.group(2))}</code>")
        elif m.group(3) is not None:
            out.append(f"<strong>{_inline(m.group(3))}</strong>")
        elif m.group(4) is not None:
            out.append(f"<em>{_inline(m.group(4))}</em>")
        else:
            out.append(f'<a href="{html.escape(m.group(6))}">{_inline(m.group(5))}</a>')
        i = m.end()
    return "".join(out) + html.escape(text[i:])


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))] if line.strip() != "|" else []


def to_html(markdown: str) -> str:
    """The report's Markdown as HTML: headings (with ids), paragraphs, lists, tables, images, inline markup."""
    blocks, out = re.split(r"\n\s*\n", markdown.strip("\n")), []
    for block in blocks:
        lines = block.split("\n")
        first = lines[0]
        heading = re.match(r"(#{1,6}) (.*)", first)
        image = re.fullmatch(r"!\[([^\]]*)\]\(([^)\s]+)\)", first.strip())
        if heading and len(lines) == 1:
            level, text = len(heading.group(1)), heading.group(2)
            out.append(f'<h{level} id="{anchor(text)}">{_inline(text)}</h{level}>')
        elif image and len(lines) == 1:
            out.append(f'<img src="{html.escape(image.group(2))}" alt="{html.escape(image.group(1))}">')
        elif first.startswith("|") and len(lines) >= 2 and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[1].replace(" ", "")):
            align = _cells(lines[1])
            numeric = {i for i, a in enumerate(align) if a.endswith(":")}

            def row(cells: list[str], tag: str) -> str:
                return "<tr>" + "".join(f"<{tag}{NUMERIC if i in numeric else ''}>{_inline(c)}</{tag}>" for i, c in enumerate(cells)) + "</tr>"

            body = "".join(row(_cells(line), "td") for line in lines[2:])
            out.append(f'<div class="table"><table><thead>{row(_cells(first), "th")}</thead><tbody>{body}</tbody></table></div>')
        elif all(re.match(r"\s*[-*] ", line) for line in lines):
            out.append("<ul>" + "".join(f"<li>{_inline(_BULLET.sub('', line))}</li>" for line in lines) + "</ul>")
        else:
            out.append(f"<p>{_inline(' '.join(line.strip() for line in lines))}</p>")
    return "\n".join(out)


__all__ = ["md_escape", "md_table", "md_link", "anchor", "to_html"]
