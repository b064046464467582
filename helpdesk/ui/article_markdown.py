"""An article's body as Streamlit renders it: the Markdown staff wrote, minus what would reach
outside the page or misread ordinary text.

Article bodies are written by staff, so their headings, lists, emphasis and links render. Two
things don't: an image (`![alt](https://…)`) would be fetched from wherever it points by every
reader's browser, so it is shown as a link to the picture instead; and Streamlit reads `$…$` as
maths, which turns "€5 or $5 and $10" into a formula, so a dollar sign is always a dollar sign.
Code blocks and code spans are left as written (they show text as it is anyway)."""
from __future__ import annotations

import re

import streamlit as st

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_IMAGE = re.compile(r"(?<!\\)!\[")
_DOLLAR = re.compile(r"(?<!\\)\$")


def _outside_code_spans(line: str) -> str:
    parts, at = [], 0
    for span in _CODE_SPAN.finditer(line):
        parts.append(_neutralise(line[at:span.start()]))
        parts.append(span.group(0))
        at = span.end()
    parts.append(_neutralise(line[at:]))
    return "".join(parts)


def _neutralise(text: str) -> str:
    # "\![alt](url)" reads as "!" and then a link: the picture is one click away, never fetched.
    return _DOLLAR.sub(r"\\$", _IMAGE.sub(r"\\![", text))


def article_markdown(body: str) -> str:
    """`body` ready for st.markdown (no unsafe_allow_html, ever)."""
    lines, fence = [], None
    for line in body.splitlines():
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            lines.append(line)
        elif opened:
            fence = opened.group(1)
            lines.append(line)
        else:
            lines.append(_outside_code_spans(line))
    return "\n".join(lines)


def show_article_body(body: str) -> None:
    st.markdown(article_markdown(body))
