"""Text a person typed, made safe for the Streamlit elements that render Markdown.

st.markdown, st.caption, st.subheader, st.success/info/warning/error, st.toast and the labels
of buttons, downloads, expanders and page links all read Markdown plus Streamlit's own
extensions: `![x](http://host/p.png)` fetches an image (a tracking pixel that tells a third
party who opened the ticket and when), `:red[...]` and `**...**` restyle text, `$x^2$`
renders maths. `plain()` backslash-escapes every ASCII punctuation character (CommonMark lets
any be escaped, and each then reads as itself), so the person sees exactly what was typed and
nothing is interpreted. Every such element that shows user text gets it through here; st.text,
st.code and table cells show text as it is and need nothing."""
from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def plain(text: object) -> str:
    """`text` as literal Markdown, on one line (a line break would start a new block)."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))
