"""A focus ring that can be seen on Streamlit's page links.

Streamlit marks a page link that has keyboard focus only by a faint grey background (about 1.1:1
against the page), so someone moving through the menu bar with Tab can't tell where they are
(WCAG 2.4.7, focus visible). The page's scrolling main area is a Tab stop in Chromium too, with no
mark at all. Once a file is chosen, focus comes back from the file chooser to the file uploader's own
input (invisible, the "Upload" button is gone by then), with no mark either: its drop zone gets the
ring (:focus, not :focus-visible: the browser counts that focus as not from the keyboard). Its small
icon buttons ("Add files", a chosen file's remove) and a table's toolbar buttons ("Show/hide columns",
"Download as CSV", "Search") show no focus at all either. Streamlit's other buttons
and inputs already draw a ring or a coloured border.
Static CSS of our own, nothing a user typed; a style-only st.html takes no room on the page."""
import streamlit as st

# The theme's primaryColor (.streamlit/config.toml): 5.9:1 on white, above the 3:1 a ring needs.
FOCUS_STYLE = """<style>
a[data-testid="stPageLink-NavLink"]:focus-visible {
  outline: 2px solid #1a5fd0;
  outline-offset: 1px;
}
[data-testid="stFileUploaderDropzone"]:has(input:focus) {
  outline: 2px solid #1a5fd0;
  outline-offset: 1px;
}
[data-testid="stBaseButton-borderlessIcon"]:focus-visible,
[data-testid="stBaseButton-elementToolbar"]:focus-visible {
  outline: 2px solid #1a5fd0;
  outline-offset: 1px;
}
[data-testid="stMain"]:focus-visible {
  outline: 2px solid #1a5fd0;
  outline-offset: -2px;
}
</style>"""


def focus_ring() -> None:
    st.html(FOCUS_STYLE)
