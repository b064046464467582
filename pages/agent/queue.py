"""The agent queue: pick a view, narrow it down, open the next ticket, or change several at once."""
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from helpdesk.analytics.charts import FIRST_RESPONSE_BANDS
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import ValidationError
from helpdesk.enums import Priority, TicketStatus
from helpdesk.models import format_reference
from helpdesk.settings import report_zone
from helpdesk.tickets.assignment import list_assignable_agents
from helpdesk.tickets.bulk import bulk_update
from helpdesk.tickets.categories import list_categories
from helpdesk.tickets.changes import UNCHANGED
from helpdesk.tickets.figures import TicketFigure
from helpdesk.tickets.queue import (TEXT_MAX, QueueFilters, QueueSort, QueueView, default_sort, find_by_reference,
                                    list_queue)
from helpdesk.ui.address_state import date_field, enum_field, int_field, publish, restore, text_field
from helpdesk.ui.auth import require_user
from helpdesk.ui.engine import db_session
from helpdesk.ui.format import when
from helpdesk.ui.forms import field_error, form_errors
from helpdesk.ui.paging import page_picker
from helpdesk.ui.sla_badges import age_text, queue_sla_text, sla_cell_style
from helpdesk.ui.ticket_table import clear_choice, ticket_table

TICKET_PAGE = "pages/agent/ticket.py"
PAGE_SIZES = [25, 50, 100]
DATE_WORDS = {"created": "raised", "resolved": "resolved", "rated": "rating asked for"}
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LAST_MOMENT = 253_402_300_799  # 9999-12-31 23:59:59 UTC in epoch seconds: past 2038, within datetime
FILTER_KEYS = {"queue_search": "", "queue_status": [], "queue_priority": [], "queue_category": [],
               "queue_assignee": None, "queue_created_from": None, "queue_created_to": None,
               "queue_figure": None, "queue_since": None, "queue_until": None, "queue_weekday": None,
               "queue_hour": None, "queue_response_band": None, "queue_business": None}
EMPTY_VIEW = {
    QueueView.MY_OPEN: "Nothing is assigned to you right now. Unassigned tickets are waiting for someone "
                       "to claim them.",
    QueueView.UNASSIGNED: "Every open ticket has an agent. Nothing to claim.",
    QueueView.ALL_OPEN: "There are no open tickets. New tickets from customers show up here.",
    QueueView.BREACHING_SOON: "No ticket is overdue or due within the next 2 hours.",
    QueueView.RECENTLY_RESOLVED: "No ticket was resolved in the last 7 days.",
    QueueView.ALL_TICKETS: "There are no tickets yet. New tickets from customers show up here.",
}


# What the address keeps: ?view=all_open&q=printer&sort=created&status=open,new&page=2 ...
ADDRESS = "queue"
ADDRESS_FIELDS = [
    enum_field("queue_view", "view", QueueView), text_field("queue_search", "q", max_length=TEXT_MAX),
    enum_field("queue_sort", "sort", QueueSort), int_field("queue_page_size", "per_page"),
    enum_field("queue_status", "status", TicketStatus, many=True),
    enum_field("queue_priority", "priority", Priority, many=True),
    int_field("queue_category", "category", many=True), int_field("queue_assignee", "agent"),
    date_field("queue_created_from", "from"), date_field("queue_created_to", "to"), int_field("queue_page", "page"),
    # From the analytics page: the tickets one figure counts, its date in [since, until) (epoch seconds).
    enum_field("queue_figure", "figure", TicketFigure, widget=False),
    int_field("queue_since", "since", maximum=LAST_MOMENT, widget=False),
    int_field("queue_until", "until", maximum=LAST_MOMENT, widget=False),
    # One cell of the arrivals heatmap: a weekday (0 = Monday) and an hour, in the report zone.
    int_field("queue_weekday", "weekday", minimum=0, maximum=6, widget=False),
    int_field("queue_hour", "hour", minimum=0, maximum=23, widget=False),
    # One bar of "satisfaction by first response": its band, in business hours or not.
    int_field("queue_response_band", "band", minimum=0, maximum=9, widget=False),
    int_field("queue_business", "business", minimum=0, maximum=1, widget=False),
]


def first_page() -> None:
    st.session_state["queue_page"] = 1


def view_changed() -> None:
    first_page()
    st.session_state["queue_sort"] = default_sort(st.session_state["queue_view"])


def show_view(view: QueueView) -> None:
    st.session_state["queue_view"] = view
    view_changed()


def clear_filters() -> None:
    for key, value in FILTER_KEYS.items():
        st.session_state[key] = value
    first_page()


def open_ticket(ticket_id: int) -> None:
    st.switch_page(TICKET_PAGE, query_params={"ticket": str(ticket_id)})


with db_session() as session:
    user = require_user(session)
    if not user.is_staff:
        st.warning("The queue is for support staff.")
        st.stop()
    watches_all = user.role.reads_reports  # managers and admins start on the whole backlog
    report_zone_name = report_zone(session).key  # whose clocks an analytics heatmap cell means
    agents = {a.id: a.name for a in list_assignable_agents(session=session, actor=user)}
    categories = {c.id: c.name if c.is_active else f"{c.name} (retired)"
                  for c in list_categories(session=session, actor=user, include_inactive=True)}

st.title("Queue")

# --- what to show -----------------------------------------------------------------------
if "figure" in st.query_params and st.session_state.get(f"{ADDRESS}__address") != {
        f.name: st.query_params[f.name] for f in ADDRESS_FIELDS if f.name in st.query_params}:
    # Arriving from an analytics figure: exactly its tickets, not those narrowed by filters left from before.
    clear_filters()
restore(ADDRESS, ADDRESS_FIELDS)
if st.session_state.get("queue_page_size") not in PAGE_SIZES:
    st.session_state.pop("queue_page_size", None)
if any(c not in categories for c in st.session_state.get("queue_category", [])):
    st.session_state["queue_category"] = [c for c in st.session_state["queue_category"] if c in categories]
views = list(QueueView)
if "queue_view" not in st.session_state:
    # Agents start with their own work; managers and admins with the whole backlog.
    st.session_state["queue_view"] = QueueView.ALL_OPEN if watches_all else QueueView.MY_OPEN
view = st.radio("View", options=views, format_func=lambda v: v.label, horizontal=True, key="queue_view",
                on_change=view_changed, label_visibility="collapsed")

search_col, sort_col, size_col = st.columns([4, 2, 1])
search = search_col.text_input("Search", key="queue_search", on_change=first_page, max_chars=TEXT_MAX,
                               placeholder="Reference (CCR-000042), or part of a subject, customer name or e-mail")
search_error = search_col.empty()
sorts = [s for s in QueueSort if s != QueueSort.RESOLVED or view == QueueView.RECENTLY_RESOLVED]
if st.session_state.get("queue_sort") not in sorts:
    st.session_state["queue_sort"] = default_sort(view)
sort = sort_col.selectbox("Sort by", options=sorts, key="queue_sort", on_change=first_page,
                          format_func=lambda s: {QueueSort.SLA_DUE: "SLA due (soonest first)",
                                                 QueueSort.PRIORITY: "Priority (urgent first)",
                                                 QueueSort.CREATED: "Created (newest first)",
                                                 QueueSort.UPDATED: "Updated (latest first)",
                                                 QueueSort.RESOLVED: "Resolved (latest first)"}[s])
page_size = size_col.selectbox("Per page", options=PAGE_SIZES, key="queue_page_size", on_change=first_page)

with st.expander("More filters: status, priority, category, agent, created", icon=":material/filter_list:"):
    status_col, priority_col, category_col = st.columns(3)
    statuses = status_col.multiselect("Status", options=list(TicketStatus), format_func=lambda s: s.label,
                                      key="queue_status", on_change=first_page, placeholder="Any status")
    priorities = priority_col.multiselect("Priority", options=list(Priority), format_func=lambda p: p.label,
                                          key="queue_priority", on_change=first_page, placeholder="Any priority")
    category_ids = category_col.multiselect("Category", options=list(categories), format_func=categories.get,
                                            key="queue_category", on_change=first_page, placeholder="Any category")
    assignee_col, from_col, to_col = st.columns(3)
    if st.session_state.get("queue_assignee") not in (None, *agents):
        st.session_state["queue_assignee"] = None  # that agent was deactivated meanwhile
    assignee_id = assignee_col.selectbox("Agent", options=[None, *agents], key="queue_assignee",
                                         on_change=first_page,
                                         format_func=lambda a: "Any agent" if a is None else agents[a])
    created_from = from_col.date_input("Created from", value=None, key="queue_created_from", on_change=first_page,
                                       format="YYYY-MM-DD")
    created_to = to_col.date_input("Created to", value=None, key="queue_created_to", on_change=first_page,
                                   format="YYYY-MM-DD")
    dates_error = st.empty()

figure = st.session_state.get("queue_figure")
since, until = (datetime.fromtimestamp(st.session_state[k], UTC) if st.session_state.get(k) else None
                for k in ("queue_since", "queue_until"))
weekday, hour = st.session_state.get("queue_weekday"), st.session_state.get("queue_hour")
response_band, business_time = st.session_state.get("queue_response_band"), bool(st.session_state.get("queue_business"))
if figure is not None:
    # What the analytics page counted, in words, and the way back to the ordinary queue.
    span = "" if figure.dates == "now" else (
        f", {DATE_WORDS[figure.dates]} {when(since) if since else 'any time'} – {when(until) if until else 'now'}")
    if weekday is not None and hour is not None:
        span += f", only {WEEKDAY_NAMES[weekday]}s {hour:02d}:00–{(hour + 1) % 24:02d}:00 ({report_zone_name})"
    if response_band is not None and response_band < len(FIRST_RESPONSE_BANDS):
        span += (f", first response {FIRST_RESPONSE_BANDS[response_band][1].lower()}"
                 f" ({'business hours' if business_time else 'calendar time'})")
    note_col, clear_col = st.columns([4, 1], vertical_alignment="center")
    note_col.info(f"From the analytics: {figure.label}{span}, with the filters below.", icon=":material/monitoring:")
    clear_col.button("Show the whole queue", key="queue_clear_figure", on_click=clear_filters, icon=":material/close:")
filters = QueueFilters(statuses=tuple(statuses), priorities=tuple(priorities), category_ids=tuple(category_ids),
                       assignee_id=assignee_id, created_from=created_from, created_to=created_to, text=search,
                       figure=figure, since=since, until=until, weekday=weekday, hour=hour,
                       response_band=response_band, business_time=business_time)
filtered = filters != QueueFilters()

# --- one page of rows -------------------------------------------------------------------
now = utcnow()
try:
    with db_session() as session:
        queue = list_queue(session=session, actor=user, view=view, filters=filters, sort=sort,
                           page=int(st.session_state.get("queue_page", 1)), page_size=page_size, now=now)
        direct = find_by_reference(session=session, actor=user, text=search) if search.strip() else None
        direct = (direct.id, direct.reference) if direct is not None else None
except ValidationError as exc:
    with search_error:
        field_error(exc.field_errors, "text")
    with dates_error:
        field_error(exc.field_errors, "created_to")
    for name in ("weekday", "hour", "response_band"):  # only from an edited address: the analytics links send valid ones
        if name in exc.field_errors:
            st.error(exc.field_errors[name], icon=":material/error:")
    st.stop()

if direct is not None and direct[0] not in {r.id for r in queue.rows}:
    # A reference that exists but is not in this view (e.g. closed): still one click away.
    if st.button(f"Open {direct[1]}", key="queue_open_reference", icon=":material/open_in_new:"):
        open_ticket(direct[0])

if queue.total == 0:
    if filtered:
        st.info(f"No tickets in “{view.label}” match these filters.", icon=":material/filter_alt_off:")
        st.button("Clear filters", key="queue_clear_filters", on_click=clear_filters, icon=":material/close:")
    else:
        st.info(EMPTY_VIEW[view], icon=":material/inbox:")
        if view == QueueView.MY_OPEN:
            st.button("Show unassigned tickets", key="queue_show_unassigned", on_click=show_view,
                      args=(QueueView.UNASSIGNED,), icon=":material/person_search:")
    st.stop()

first = (queue.page - 1) * queue.page_size + 1
last = first + len(queue.rows) - 1
st.markdown(f"**{view.label}: {queue.total:,} ticket{'s' if queue.total != 1 else ''}** "
            f"· showing {first:,}–{last:,} · page {queue.page:,} of {queue.page_count:,}. Click a ticket to open "
            "it; tick the boxes in front to change several at once.")

rows = [{
    "id": r.id,
    "Reference": r.reference,
    "SLA": queue_sla_text(r, now),
    "Subject": r.subject,
    "Customer": r.customer_name,
    "Priority": r.priority.label,
    "Status": r.status.label,
    "Agent": r.assignee_name or "Unassigned",
    "Age": age_text(r.age(now)),
    "SLA target": r.sla.target.label,
    "E-mail": r.customer_email,
    "Due at": when(r.sla.due_at),
} for r in queue.rows]
table = pd.DataFrame(rows)


# Colour only repeats what the words already say; it comes from each row's SLA state.
sla_styles = [sla_cell_style(r.sla) for r in queue.rows]


def sla_colour(column: pd.Series) -> list[str]:
    return sla_styles


# The same choice without the table, for keyboards and screen readers; above the table, because Tab
# from Streamlit's table (a canvas) drops focus to the page itself, so nothing after it is reached.
open_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
labels = {r["id"]: f"{r['Reference']} — {r['Subject']}" for r in rows}
chosen_id = open_col.selectbox("Open a ticket", options=list(labels), key="queue_open", format_func=labels.get)
# A callback: the ticket opens without the queue being queried and drawn once more first.
button_col.button("Open", key="queue_open_button", icon=":material/open_in_new:",
                  on_click=lambda: open_ticket(st.session_state["queue_open"]))

if st.session_state.pop("queue_bulk__reset", False):
    clear_choice("queue_table")
choice = ticket_table(
    table.style.apply(sla_colour, subset=["SLA"]), key="queue_table", ids=[r["id"] for r in rows], can_choose=True,
    width="stretch", height=(len(rows) + 1) * 35 + 3,  # the whole page of rows, no scrolling inside the table
    column_order=[c for c in table.columns if c != "id"],
    # Sized so that everything up to Age fits at 1300 px.
    column_config={
        "Reference": st.column_config.TextColumn(width=88),
        "SLA": st.column_config.TextColumn("SLA", width=160, help="The SLA target that matters now (see SLA "
                                           "target): first response until the customer has an answer, then "
                                           "resolution."),
        "Subject": st.column_config.TextColumn(width=165),
        "Customer": st.column_config.TextColumn(width=105),
        "Priority": st.column_config.TextColumn(width=62),
        "Status": st.column_config.TextColumn(width=95),
        "Agent": st.column_config.TextColumn(width=95),
        "Age": st.column_config.TextColumn(width=55),
    })
if choice.opened is not None:
    open_ticket(choice.opened)

page_picker(total=queue.total, page_size=queue.page_size, key="queue_page")
publish(ADDRESS, ADDRESS_FIELDS, defaults={
    "queue_view": QueueView.ALL_OPEN if watches_all else QueueView.MY_OPEN, "queue_sort": default_sort(view),
    "queue_page_size": PAGE_SIZES[0], "queue_page": 1})


# --- bulk changes -----------------------------------------------------------------------
KEEP = "keep"
# The versions the agent was looking at when they chose (the previous run's rows): a ticket
# someone changed since is left alone rather than overwritten.
seen_versions = st.session_state.get("queue_seen_versions", {})
st.session_state["queue_seen_versions"] = {r.id: r.version for r in queue.rows}
if st.session_state.pop("queue_bulk__reset_fields", False):
    for key in ("queue_bulk_assignee", "queue_bulk_status", "queue_bulk_priority"):
        st.session_state[key] = KEEP
chosen = choice.chosen  # ticked in the table, as ticket ids

with st.container(border=True, key="queue_bulk"):
    st.markdown("#### Change several tickets")
    result = st.session_state.pop("queue_bulk_result", None)
    if result:
        if result["updated"]:
            st.success(f"Changed {len(result['updated'])} ticket{'s' if len(result['updated']) != 1 else ''}: "
                       + ", ".join(format_reference(i) for i in result["updated"]) + ".",
                       icon=":material/check_circle:")
        if result["skipped"]:
            by_reason: dict[str, list[str]] = {}  # one line per reason, however many tickets share it
            for ticket_id, reason in result["skipped"].items():
                by_reason.setdefault(reason, []).append(format_reference(ticket_id))
            st.warning(f"Left {len(result['skipped'])} unchanged:\n\n" + "\n".join(
                f"- {', '.join(refs)}: {reason}" for reason, refs in by_reason.items()), icon=":material/block:")
    if choice.dropped:
        st.info("No longer on this page, so taken out of your choice: "
                + ", ".join(format_reference(i) for i in choice.dropped) + ".", icon=":material/info:")
    bulk_errors = st.session_state.pop("queue_bulk_errors", None)
    form_errors(bulk_errors)
    if chosen:
        st.markdown(f"**{len(chosen)} chosen:** " + ", ".join(format_reference(i) for i in chosen))
    else:
        st.caption("Tick tickets in the table above to choose them; the box in its header takes the whole page.")
    field_error(bulk_errors, "tickets")
    assignee_opts = [KEEP, None, *agents]
    assign_col, status_col, priority_col = st.columns(3)
    bulk_assignee = assign_col.selectbox(
        "Assign to", options=assignee_opts, key="queue_bulk_assignee",
        format_func=lambda a: "Leave as is" if a == KEEP else "Nobody (unassign)" if a is None else agents[a])
    field_error(bulk_errors, "assignee")
    bulk_status = status_col.selectbox("Set status", options=[KEEP, *TicketStatus], key="queue_bulk_status",
                                       format_func=lambda s: "Leave as is" if s == KEEP else s.label)
    bulk_priority = priority_col.selectbox("Set priority", options=[KEEP, *Priority], key="queue_bulk_priority",
                                           format_func=lambda p: "Leave as is" if p == KEEP else p.label)
    apply = st.button(f"Apply to {len(chosen)} ticket{'s' if len(chosen) != 1 else ''}", key="queue_bulk_apply",
                      type="primary", icon=":material/done_all:")

# What a status change does beyond the queue, said before it is done (issue: 25 tickets closed in one click).
CONSEQUENCE = {
    TicketStatus.CLOSED: "Closed is final: customers can't reply to a closed ticket or reopen it, and each is "
                         "e-mailed. Tickets nobody has answered yet are left as they are.",
    TicketStatus.RESOLVED: "Each customer is e-mailed that their ticket is resolved.",
    TicketStatus.WAITING_ON_CUSTOMER: "Each customer is e-mailed that you are waiting for their answer.",
}


def run_bulk(change: dict) -> None:
    try:
        with db_session() as session:
            outcome = bulk_update(
                session=session, actor=user, ticket_ids=change["tickets"],
                status=None if change["status"] == KEEP else change["status"],
                priority=None if change["priority"] == KEEP else change["priority"],
                assignee_id=UNCHANGED if change["assignee"] == KEEP else change["assignee"],
                expected_versions=change["versions"])
    except ValidationError as exc:
        st.session_state["queue_bulk_errors"] = exc.field_errors
    else:
        st.session_state["queue_bulk_result"] = {"updated": outcome.updated, "skipped": outcome.skipped}
        st.session_state["queue_bulk__reset"] = True  # the boxes, before the table is drawn
        st.session_state["queue_bulk__reset_fields"] = True
    st.rerun()


def stop_confirming() -> None:
    st.session_state.pop("queue_bulk_pending", None)


@st.dialog("Change the status of several tickets?", on_dismiss=stop_confirming)
def confirm_bulk_status(change: dict) -> None:
    count = len(change["tickets"])
    st.write(f"Set {count} ticket{'s' if count != 1 else ''} to {change['status'].label}?")
    if change["status"] in CONSEQUENCE:
        st.warning(CONSEQUENCE[change["status"]], icon=":material/warning:")
    confirm_col, cancel_col = st.columns(2)
    if confirm_col.button(f"Yes, change {count}", key="queue_bulk_confirm", type="primary"):
        stop_confirming()
        run_bulk(change)
    if cancel_col.button("Cancel", key="queue_bulk_cancel"):
        stop_confirming()
        st.rerun()


if apply:
    # The versions are those the agent chose from, kept through the question that may follow.
    change = {"tickets": list(chosen), "status": bulk_status, "priority": bulk_priority, "assignee": bulk_assignee,
              "versions": {i: seen_versions[i] for i in chosen if i in seen_versions}}
    if bulk_status != KEEP and chosen:
        st.session_state["queue_bulk_pending"] = change  # asked first, in the dialog below
    else:
        run_bulk(change)
if st.session_state.get("queue_bulk_pending"):
    confirm_bulk_status(st.session_state["queue_bulk_pending"])
