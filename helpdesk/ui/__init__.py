"""Small Streamlit helpers shared by the pages (the only Streamlit code inside helpdesk/).

Importing this package closes a gap in Streamlit's routing. Until some script in the process
calls `st.navigation`, Streamlit treats a `pages/` folder the old way: a freshly started
server whose first request is a deep link (`/admin_users`, or a mailed `/ticket_view?ticket=42`)
runs the file `pages/<address>.py` directly, without streamlit_app.py's sign-in and role-based
navigation (and says "Page not found" for an address with no such file). Every page imports this
package, so the first such run switches the old mode off and starts over through
streamlit_app.py. Imported before any session starts (streamlit_app.py does, for its middleware), it
says so at once, so the old mode never begins. The screens live in `pages/<audience>/`; `pages/<address>.py` holds, for each
address streamlit_app.py registers, only this import, so every first request finds its file.
"""
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

if PagesManager.uses_pages_directory is None:
    PagesManager.uses_pages_directory = False  # not decided yet: decided now, before the first session
elif PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False  # what st.navigation itself does on its first call
    if get_script_run_ctx() is not None:
        st.rerun()
