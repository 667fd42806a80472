"""Markdown for sections and questions: markdown-it-py's `js-default` preset, then nh3.

`js-default` does not pass raw HTML through (`html: false`); nh3 then keeps
only an allow-list of tags and attributes, so even a bug in the Markdown layer
cannot put a script or an event handler on the page. Images may only come from
the content's own figures folder: `![..](figures/x.svg)` is rewritten to the
figure URL, anything else loses its `src`.
"""

from __future__ import annotations

import functools
import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

FIGURE_SRC = re.compile(r"^figures/([A-Za-z0-9][A-Za-z0-9._-]{0,119})$")

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "figcaption", "figure", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr",
    "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "loading"},
    "code": {"class"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "ol": {"start"},
}


FIGURE_PARAGRAPH = re.compile(r'<p>(<img src="[^"]+" alt="([^"]*)"[^>]*>)</p>')


def _figure(match: re.Match[str]) -> str:
    """A paragraph holding only a figure becomes <figure>, its alt text the caption."""
    return f"<figure>{match.group(1)}<figcaption>{match.group(2)}</figcaption></figure>"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "section"


def _rewrite(tokens: list[Token], figure_base: str, heading_offset: int = 0) -> None:
    used: set[str] = set()
    for n, token in enumerate(tokens):
        if heading_offset and token.type in {"heading_open", "heading_close"}:
            token.tag = f"h{min(6, int(token.tag[1]) + heading_offset)}"
        if token.type == "heading_open" and token.tag in {"h2", "h3", "h4"} and n + 1 < len(tokens):
            slug = _slug(tokens[n + 1].content)
            while slug in used:
                slug += "-x"
            used.add(slug)
            token.attrSet("id", f"h-{slug}")
        for child in token.children or []:
            if child.type == "image":
                match = FIGURE_SRC.match(str(child.attrGet("src") or ""))
                child.attrSet("src", f"{figure_base}{match.group(1)}" if match and figure_base else "")
                child.attrSet("loading", "lazy")


@functools.lru_cache(maxsize=512)
def render_markdown(text: str, figure_base: str = "", heading_offset: int = 0) -> str:
    """Sanitised HTML for `text`; `figure_base` is the URL prefix of the module's figures;
    `heading_offset` demotes headings (1: `#` becomes h2) for text shown under a page's own headings."""
    md = MarkdownIt("js-default")
    tokens = md.parse(text)
    _rewrite(tokens, figure_base, heading_offset)
    html = FIGURE_PARAGRAPH.sub(_figure, md.renderer.render(tokens, md.options, {}))
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def render_inline(text: str) -> str:
    """One line of Markdown (option texts, matching items) without the surrounding <p>."""
    html = render_markdown(text).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html
