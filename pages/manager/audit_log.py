"""Managers and administrators: every administrator action (who did what, from what to what,
when), newest first, filtered by who, what and when, a page at a time."""
from datetime import datetime, time, timedelta

import pandas as pd
import streamlit as st

from helpdesk.audit import COUNT_LIMIT, SERVER, list_audit_actors, list_audit_entries
from helpdesk.enums import AuditAction
from helpdesk.ui.auth import require_reports_reader
from helpdesk.ui.engine import db_session
from helpdesk.ui.format import viewer_zone, when
from helpdesk.ui.paging import page_offset, page_picker

PAGE_SIZE = 50
SERVER_NAME = "The server (CLI)"

with db_session() as session:
    actor = require_reports_reader(session, to="read the audit log")
    people = {p.id: f"{p.name} ({p.email})" for p in list_audit_actors(session=session, actor=actor)}

st.title("Audit log")
st.caption("What administrators changed: accounts and roles, categories, agent skills, SLA targets and business "
           "hours, canned replies, settings and mail retries. Times are in your time zone.")

# Side by side on a wide screen; Streamlit stacks the columns on a phone.
who_col, what_col, when_col = st.columns([2, 3, 2])
who = who_col.selectbox("Who", options=[None, SERVER, *people], key="audit_who",
                        format_func=lambda p: "Everyone" if p is None else SERVER_NAME if p == SERVER else people[p])
what = what_col.multiselect("What", options=list(AuditAction), format_func=lambda a: a.label, key="audit_what",
                            placeholder="Every action")
dates = when_col.date_input("When", value=[], key="audit_when", format="YYYY-MM-DD",
                            help="One day, or the first and the last day of a range.")
# The days as the person's calendar has them: midnight to midnight in their own time zone.
zone = viewer_zone()
since = datetime.combine(dates[0], time.min, tzinfo=zone) if dates else None
until = datetime.combine(dates[-1] + timedelta(days=1), time.min, tzinfo=zone) if dates else None
filtered = who is not None or bool(what) or bool(dates)

with db_session() as session:
    offset = page_offset(key="audit_page", page_size=PAGE_SIZE)
    entries, total = list_audit_entries(session=session, actor=actor, actor_id=who, actions=what, since=since,
                                        until=until, limit=PAGE_SIZE, offset=offset)
    rows = [{"When": when(e.created_at), "Who": e.actor.name if e.actor is not None else SERVER_NAME,
             "What": e.action.label, "Target": e.target, "From": e.old_value or "", "To": e.new_value or ""}
            for e in entries]

# Beyond COUNT_LIMIT the count stops: page through the newest ones, narrow the dates for the rest.
page_picker(total=min(total, COUNT_LIMIT), page_size=PAGE_SIZE, key="audit_page")
if total > COUNT_LIMIT:
    st.caption(f"More than {COUNT_LIMIT:,} entries{' match' if filtered else ''}; the newest {COUNT_LIMIT:,} are "
               "shown here, newest first. Choose dates under When to reach older ones.")
elif total:
    counted = f"{total:,} entries" if total != 1 else "1 entry"
    st.caption(f"{counted}{(' match' if total != 1 else ' matches') if filtered else ''}, newest first")
if not rows:
    st.info("No entries match these filters." if filtered else
            "Nothing has been recorded yet: changes administrators make appear here, with who made them and when.",
            icon=":material/history:")
else:
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="audit_table", width="stretch",
                 column_config={"Target": st.column_config.TextColumn(width="medium"),
                                "From": st.column_config.TextColumn(width="medium"),
                                "To": st.column_config.TextColumn(width="medium")})
