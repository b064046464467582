"""Each script run (every click): who is signed in, the pages of their role, the redirects of
addresses that aren't theirs, the menu bar, then the page. streamlit_app.py calls navigate()."""
import streamlit as st

from helpdesk.accounts.users import needs_first_admin
from helpdesk.enums import Role
from helpdesk.ui.auth import cookie_step, current_user, sign_out
from helpdesk.ui.engine import db_session
from helpdesk.ui.errors import carry_notice, run_page
from helpdesk.ui.mail_reader import mail_reader
from helpdesk.ui.mail_worker import mail_sender
from helpdesk.ui.menu_bar import menu_bar
from helpdesk.ui.plain_text import plain
from helpdesk.ui.raise_ticket import AFTER_SIGN_IN


def navigate() -> None:
    st.set_page_config(page_title="Customer Care Registry", page_icon=":material/support_agent:", layout="wide")

    with db_session() as session:
        first_run = needs_first_admin(session=session)
        user = current_user(session)
        role, user_name = (user.role, user.name) if user else (None, None)

    script_of: dict[str, str] = {}  # address -> the script behind it (st.Page doesn't say)
    address_of: dict[int, str] = {}  # id(page) -> address

    def page(script: str, *, url_path: str, **options) -> st.Page:
        made = st.Page(script, url_path=url_path, **options)
        script_of.setdefault(url_path, script)
        address_of[id(made)] = url_path
        return made

    setup = st.Page("pages/account/setup.py", title="Set up", icon=":material/build:", url_path="setup")
    sign_in = page("pages/account/sign_in.py", title="Sign in", icon=":material/login:", url_path="sign_in")
    sign_up = page("pages/account/sign_up.py", title="Create an account", icon=":material/person_add:", url_path="sign_up")
    submit = page("pages/customer/submit_ticket.py", title="Submit a ticket", icon=":material/edit_note:", url_path="submit")
    my_tickets = page("pages/customer/my_tickets.py", title="My tickets", icon=":material/list_alt:", url_path="my_tickets")
    ticket_view = page("pages/customer/ticket.py", title="Ticket", icon=":material/confirmation_number:", url_path="ticket_view",
                       visibility="hidden")
    profile = page("pages/account/profile.py", title="Profile", icon=":material/person:", url_path="profile")
    queue = page("pages/agent/queue.py", title="Queue", icon=":material/inbox:", url_path="queue")
    # Same address as the customer's ticket page, so a mailed /ticket_view?ticket=42 link opens the right view.
    agent_ticket = page("pages/agent/ticket.py", title="Ticket", icon=":material/confirmation_number:",
                        url_path="ticket_view", visibility="hidden")
    analytics = page("pages/manager/analytics.py", title="Analytics", icon=":material/monitoring:",
                     url_path="analytics")
    audit_log = page("pages/manager/audit_log.py", title="Audit log", icon=":material/history:", url_path="audit_log")
    admin_users = page("pages/admin/users.py", title="Users", icon=":material/group:", url_path="admin_users")
    admin_categories = page("pages/admin/categories.py", title="Categories", icon=":material/category:",
                            url_path="admin_categories")
    admin_skills = page("pages/admin/skills.py", title="Agent skills", icon=":material/badge:", url_path="admin_skills")
    admin_canned = page("pages/admin/canned_replies.py", title="Canned replies", icon=":material/quickreply:",
                        url_path="admin_canned_replies")
    admin_sla = page("pages/admin/sla.py", title="SLA targets", icon=":material/timer:", url_path="admin_sla")
    admin_settings = page("pages/admin/settings.py", title="Settings", icon=":material/settings:",
                          url_path="admin_settings")
    admin_mail = page("pages/admin/mail.py", title="Mail", icon=":material/mail:", url_path="admin_mail")
    admin_received_mail = page("pages/admin/received_mail.py", title="Mail received", icon=":material/move_to_inbox:",
                               url_path="admin_received_mail")
    # The help center is everyone's, signed in or out; the assistant is for customers and visitors
    # (staff have the article editor instead).
    help_center = page("pages/help/center.py", title="Help center", icon=":material/help:", url_path="help")
    assistant = page("pages/help/assistant.py", title="Ask the assistant", icon=":material/chat:", url_path="assistant")
    articles = page("pages/help/articles.py", title="Articles", icon=":material/menu_book:", url_path="articles")
    # The resolved mail's rating link: anyone's, signed in or out (its signed token is the permission).
    rate = page("pages/customer/rate.py", title="Rate the help", icon=":material/star:", url_path="rate",
                visibility="hidden")
    # The mailed account links: anyone's too (a reset link may be opened where someone is signed in).
    reset_password = page("pages/account/reset_password.py", title="Choose a new password", icon=":material/key:",
                          url_path="reset_password", visibility="hidden")
    confirm_sign_up = page("pages/account/confirm_sign_up.py", title="Confirm your address",
                           icon=":material/mark_email_read:", url_path="confirm_sign_up", visibility="hidden")

    # Who may open which address; "ticket_view" is each role's own ticket page (mailed links).
    CUSTOMER_PAGES = [submit, my_tickets, ticket_view, help_center, assistant, profile]
    AGENT_PAGES = [queue, agent_ticket, articles, help_center, profile]
    REPORT_PAGES = [analytics, audit_log]
    ADMIN_PAGES = [admin_users, admin_categories, admin_skills, admin_canned, admin_sla, admin_settings, admin_mail,
                   admin_received_mail]
    FOR_WHOM = {**{address_of[id(p)]: "customers" for p in CUSTOMER_PAGES},
                **{address_of[id(p)]: "support staff" for p in AGENT_PAGES},
                **{address_of[id(p)]: "managers and administrators" for p in REPORT_PAGES},
                **{address_of[id(p)]: "administrators" for p in ADMIN_PAGES}}
    FOR_WHOM.pop(address_of[id(help_center)])  # everyone's: nobody is sent away from it
    SIGNED_OUT_PAGES = [sign_in, sign_up, help_center, assistant]

    # A setup form sent after someone else finished setup still goes to the setup page, which says so.
    if first_run or st.session_state.get("setup_submit"):
        pages, own = [setup], [setup]
        mine = set()
    else:
        # A role missing here gets what a signed-out visitor gets: never more than it should.
        own = {None: SIGNED_OUT_PAGES, Role.CUSTOMER: CUSTOMER_PAGES, Role.AGENT: AGENT_PAGES,
               Role.MANAGER: AGENT_PAGES + REPORT_PAGES,
               Role.ADMIN: AGENT_PAGES + REPORT_PAGES + ADMIN_PAGES}.get(role, SIGNED_OUT_PAGES)
        # Every other address still has a page, hidden: typed, bookmarked or reloaded, it never
        # meets "Page not found". Signed out it is the sign-in page (then on to the address);
        # signed in it sends the person home with a word on why (below, before any page runs).
        mine = {address_of[id(p)] for p in own}
        elsewhere = [st.Page(script_of["sign_in" if role is None else address_of[id(own[0])]], title=own[0].title,
                             url_path=address, visibility="hidden") for address in FOR_WHOM if address not in mine]
        elsewhere += [rate, reset_password, confirm_sign_up]  # in no FOR_WHOM: never sent to sign-in or away
        pages = own + elsewhere
        if role == Role.MANAGER:
            pages = {"Workspace": AGENT_PAGES + elsewhere, "Reports": REPORT_PAGES}
        elif role == Role.ADMIN:
            pages = {"Workspace": AGENT_PAGES + elsewhere, "Reports": REPORT_PAGES, "Administration": ADMIN_PAGES}

    mail_sender()  # the optional background sender thread, started once per process when mail is configured
    mail_reader()  # the optional background reader of replies by e-mail: off unless switched on

    # Hidden: the pages are reached from the menu bar below (helpdesk/ui/menu_bar.py says why).
    navigation = st.navigation(pages, position="hidden")
    address = navigation.url_path
    own_by_address = {address_of[id(p)]: p for p in own if id(p) in address_of}

    if role is None and address in FOR_WHOM and address not in mine:
        # Remember where the person was going (a mailed ticket link, a bookmark): after sign-in, on there.
        st.session_state[AFTER_SIGN_IN] = (address, dict(st.query_params))
    elif role is not None:
        going = st.session_state.pop(AFTER_SIGN_IN, None)
        if going is not None and going[0] in own_by_address:
            st.switch_page(own_by_address[going[0]], query_params=going[1])
        if (going and going[0] not in own_by_address) or (address in FOR_WHOM and address not in own_by_address):
            carry_notice(f"That page is for {FOR_WHOM[going[0] if going else address]}. Here is your start page.")
            st.switch_page(own[0])

    # After the redirects above (a switch_page ends this run before anything it drew reaches the browser):
    with db_session() as session:
        cookie_step(session)  # a sign-in or sign-out just now: the browser's cookie follows (helpdesk/ui/auth.py)

    def account() -> None:
        st.caption(f"Signed in as **{plain(user_name)}** ({role.label.lower()})", width="content")
        if st.button("Sign out", key="sign_out", icon=":material/logout:", type="tertiary"):
            with db_session() as session:
                sign_out(session)
            st.rerun()

    if own != [setup]:
        # The pages a person goes to (a ticket page is reached from a list); an administrator's own in a menu.
        listed = [p for p in own if p not in (ticket_view, agent_ticket)]
        menu_bar({None: [p for p in listed if p not in ADMIN_PAGES],
                  "Administration": [p for p in listed if p in ADMIN_PAGES]},
                 address=address, account=account if role is not None else None)

    run_page(navigation)  # errors: the service's words, or a reference; never a traceback
