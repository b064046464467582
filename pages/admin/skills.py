"""Administrators: which categories each agent handles (what automatic assignment looks at)."""
import pandas as pd
import streamlit as st

from helpdesk.core.errors import ValidationError
from helpdesk.settings import get_settings
from helpdesk.tickets.assignment import list_assignable_agents, set_agent_skills, uncovered_categories
from helpdesk.tickets.categories import list_categories
from helpdesk.ui.auth import require_admin
from helpdesk.ui.engine import db_session
from helpdesk.ui.forms import field_error
from helpdesk.ui.notices import leave_notice, show_notice
from helpdesk.ui.plain_text import plain

with db_session() as session:
    actor = require_admin(session, to="change agent skills")
    categories = {c.id: c.name if c.is_active else f"{c.name} (inactive)"
                  for c in list_categories(session=session, actor=actor, include_inactive=True)}
    agents = [{"id": a.id, "Name": a.name, "E-mail": a.email, "Role": a.role.value,
               "skills": sorted(c.id for c in a.skills)}
              for a in list_assignable_agents(session=session, actor=actor)]
    uncovered = [c.name for c in uncovered_categories(session=session, actor=actor)]
    auto_assign = get_settings(session=session).auto_assign

st.title("Agent skills")
st.write("New tickets are assigned automatically to an active agent who handles the ticket's category.")
if not auto_assign:
    st.info("Automatic assignment is off (see Settings): skills are kept but not used until it is on again.",
            icon=":material/info:")
show_notice("skills_notice")

if not categories:
    st.info("No categories yet: add them on the Categories page first.")
    st.stop()
if not agents:
    st.info("No active agents yet: create agent accounts on the Users page first.")
    st.stop()

if uncovered:
    st.warning(plain("Nobody handles " + ", ".join(f"“{n}”" for n in uncovered)
                     + ": new tickets there stay in the Unassigned view."), icon=":material/warning:")

by_id = {a["id"]: a for a in agents}
errors = st.session_state.get("skills_errors")
picked = st.selectbox("Agent", options=list(by_id), key="skills_agent",
                      format_func=lambda i: f"{by_id[i]['Name']} <{by_id[i]['E-mail']}>")
field_error(errors, "agent")
with st.form("skills_form", enter_to_submit=False):
    # One widget per agent, so switching agents shows that agent's saved categories.
    chosen = st.multiselect("Handles these categories", options=list(categories), default=by_id[picked]["skills"],
                            format_func=lambda c: categories[c], key=f"skills_categories_{picked}",
                            placeholder="No categories: never assigned automatically")
    field_error(errors, "categories")
    saved = st.form_submit_button("Save skills", type="primary", key="skills_save")
if saved:
    try:
        with db_session() as session:
            set_agent_skills(session=session, actor=actor, agent_id=picked, category_ids=list(chosen))
    except ValidationError as exc:
        st.session_state["skills_errors"] = exc.field_errors
    else:
        st.session_state.pop("skills_errors", None)
        leave_notice("skills_notice", f"Saved the skills of {by_id[picked]['Name']}.")
    st.rerun()

st.markdown("#### Who handles what")
table = pd.DataFrame([{"Name": a["Name"], "E-mail": a["E-mail"], "Role": a["Role"],
                       "Handles": ", ".join(categories[c] for c in a["skills"]) or "—"} for a in agents])
st.dataframe(table, hide_index=True, key="skills_table", width="stretch")
