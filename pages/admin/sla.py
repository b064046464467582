"""Administrators: SLA targets per priority, and the business hours SLA clocks run in."""
from datetime import time
from zoneinfo import available_timezones

import streamlit as st

from helpdesk.core.errors import ValidationError
from helpdesk.settings import WEEKDAY_NAMES, BusinessHours, get_settings, set_business_hours
from helpdesk.sla.clock import DEFAULT_TARGETS_HOURS
from helpdesk.sla.policies import MAX_HOURS, list_policies, reset_policy, update_policy
from helpdesk.ui.auth import require_admin
from helpdesk.ui.engine import db_session
from helpdesk.ui.forms import apply_reset, field_error, form_errors, request_reset
from helpdesk.ui.notices import leave_notice, show_notice


class _NothingSaved(Exception):
    """Raised inside the session so that one bad row rolls back the whole set of targets."""


with db_session() as session:
    actor = require_admin(session, to="change SLA targets")
    policies = list_policies(session=session, actor=actor)
    hours = get_settings(session=session).business_hours

st.title("SLA targets")
st.write("How soon each ticket should get its first agent reply and be resolved, by priority. New targets "
         "apply to tickets raised or re-prioritised from now on; due dates already set stay as they were.")
show_notice("sla_notice")

# The inputs start from what is stored, and show it again after a save or a reset.
stored = {f"sla_{kind}_{p.priority.value}": value for p in policies
          for kind, value in (("first", p.first_response_hours), ("resolution", p.resolution_hours))}
apply_reset("sla_targets", stored)
for widget_key, value in stored.items():
    st.session_state.setdefault(widget_key, value)
errors: dict = st.session_state.get("sla_errors", {})
with st.form("sla_form", enter_to_submit=False):
    # One box per priority with labelled fields: on a phone the columns stack, and a grid with
    # one header row left two unlabelled number boxes per priority.
    for policy in policies:
        key = policy.priority.value
        default_first, default_resolution = DEFAULT_TARGETS_HOURS[policy.priority]
        with st.container(border=True, key=f"sla_row_{key}"):
            st.markdown(f"**{policy.priority.label}**")
            first_col, resolution_col = st.columns(2)
            with first_col:
                st.number_input(f"{policy.priority.label}: first response within (hours)", min_value=1,
                                max_value=MAX_HOURS, step=1, key=f"sla_first_{key}")
                field_error(errors.get(key), "first_response_hours")
            with resolution_col:
                st.number_input(f"{policy.priority.label}: resolved within (hours)", min_value=1,
                                max_value=MAX_HOURS, step=1, key=f"sla_resolution_{key}")
                field_error(errors.get(key), "resolution_hours")
            st.caption(f"Built-in default: {default_first} h / {default_resolution} h"
                       + ("" if policy.is_default else " (changed)"))
    save_col, reset_col = st.columns([1, 3])
    saved = save_col.form_submit_button("Save targets", type="primary", key="sla_save")
    restored = reset_col.form_submit_button("Restore built-in defaults", key="sla_restore")
if saved:
    errors = {}
    try:
        with db_session() as session:
            for policy in policies:
                key = policy.priority.value
                try:
                    update_policy(session=session, actor=actor, priority=policy.priority,
                                  first_response_hours=int(st.session_state[f"sla_first_{key}"]),
                                  resolution_hours=int(st.session_state[f"sla_resolution_{key}"]))
                except ValidationError as exc:
                    errors[key] = exc.field_errors
            if errors:
                raise _NothingSaved
    except _NothingSaved:
        st.session_state["sla_errors"] = errors
    else:
        st.session_state.pop("sla_errors", None)
        request_reset("sla_targets")
        leave_notice("sla_notice", "Saved the SLA targets. New tickets get due dates from them.")
    st.rerun()
if restored:
    with db_session() as session:
        for policy in policies:
            reset_policy(session=session, actor=actor, priority=policy.priority)
    st.session_state.pop("sla_errors", None)
    request_reset("sla_targets")
    leave_notice("sla_notice", "Restored the built-in SLA targets.")
    st.rerun()

st.markdown("#### Business hours")
st.write("With business hours on, SLA clocks only run inside them: with 09:00–17:00 on weekdays, a 4-hour "
         "target raised on Friday at 16:00 is due on Monday at 12:00. Off: clocks run around the clock.")
if hours is None:
    st.info("Now: business hours are off, SLA clocks run around the clock.", icon=":material/schedule:")
else:
    st.info(f"Now: SLA clocks run {', '.join(WEEKDAY_NAMES[d] for d in sorted(hours.weekdays))}, "
            f"{hours.start:%H:%M}–{hours.end:%H:%M} ({hours.timezone}).", icon=":material/schedule:")
hours_errors = st.session_state.get("business_hours_errors")
shown = hours or BusinessHours()
zones = sorted(available_timezones())
with st.form("business_hours_form", enter_to_submit=False):
    enabled = st.toggle("Count only business hours", value=hours is not None, key="business_hours_on")
    start_col, end_col = st.columns(2)
    start = start_col.time_input("Working day starts", value=shown.start, step=900, key="business_hours_start")
    with end_col:
        end = st.time_input("Working day ends", value=shown.end, step=900, key="business_hours_end")
        field_error(hours_errors, "business_hours")
    days = st.multiselect("Working days", options=list(range(7)), default=sorted(shown.weekdays),
                          format_func=lambda d: WEEKDAY_NAMES[d], key="business_hours_days")
    field_error(hours_errors, "business_days")
    zone = st.selectbox("Time zone", options=zones, index=zones.index(shown.timezone) if shown.timezone in zones else
                        zones.index("UTC"), key="business_hours_zone", help="The hours above are local to this zone.")
    field_error(hours_errors, "timezone")
    form_errors(hours_errors)
    hours_saved = st.form_submit_button("Save business hours", type="primary", key="business_hours_save")
if hours_saved:
    try:
        with db_session() as session:
            new_hours = BusinessHours(start=start or time(9), end=end or time(17), weekdays=frozenset(days),
                                      timezone=zone) if enabled else None
            set_business_hours(session=session, actor=actor, hours=new_hours)
    except ValidationError as exc:
        st.session_state["business_hours_errors"] = exc.field_errors
    else:
        st.session_state.pop("business_hours_errors", None)
        leave_notice("sla_notice", "Saved the business hours." if enabled else
                     "Business hours are off: SLA clocks run around the clock.")
    st.rerun()
