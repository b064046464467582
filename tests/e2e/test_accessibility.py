"""Every page passes axe-core's WCAG 2.1 A and AA rules (no serious or critical violation), signed
out and signed in as each role, at desktop width (1366 px) and on a phone (390 px), on demo data.

One app and one demo database for the module; one browser context per role, signed in once. Each
test visits all of its role's pages and fails at the end with every violation it met, so one run
shows them all (tests/e2e/accessibility.py prints the rule, the element and the help link)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from helpdesk.core.clock import utcnow
from helpdesk.core.db import migrate, session_scope
from helpdesk.demo.load import seed_demo
from helpdesk.enums import TicketStatus
from helpdesk.models import Category, Article, SatisfactionRating, Ticket, User
from helpdesk.tickets.satisfaction import rating_link_token
from tests.e2e.accessibility import report, violations
from tests.e2e.conftest import app_database, app_server, browser_tab
from tests.e2e.steps import keyed, settle, sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The running app on a small demo world: its accounts, and the addresses that need an id."""
    workdir = tmp_path_factory.mktemp("accessibility")
    url = f"sqlite:///{workdir / 'helpdesk.db'}"
    with app_database(url) as engine:
        migrate(engine)
        summary = seed_demo(engine, tickets=150, customers=6, agents=3, days=30, seed=11)
        with session_scope(engine) as session:
            customer = session.scalars(select(User).where(User.email == summary.customer_emails[0])).one()
            # The customer's ticket with the longest conversation, and one the agents work on.
            ticket_id = session.scalars(select(Ticket.id).where(Ticket.customer_id == customer.id)
                                        .order_by(Ticket.id.desc())).first()
            agent_ticket = session.scalars(select(Ticket.id).where(Ticket.status != TicketStatus.CLOSED)
                                           .order_by(Ticket.id.desc())).first() or ticket_id
            article = session.scalars(select(Article.slug).order_by(Article.id)).first()
            article_id = session.scalars(select(Article.id).order_by(Article.id)).first()
            rating = session.scalars(select(SatisfactionRating.id).order_by(SatisfactionRating.id.desc())).first()
            rate_token = rating_link_token(session, rating, utcnow() + timedelta(days=7))
            assert session.scalars(select(Category.id)).first() is not None
    with app_server(url, workdir) as base_url:
        yield {"base_url": base_url, "password": summary.password, "admin": summary.admin_email,
               "manager": summary.manager_email, "agent": summary.agent_emails[0],
               "customer": summary.customer_emails[0], "ticket": ticket_id, "agent_ticket": agent_ticket,
               "article": article, "article_id": article_id, "rate_token": rate_token}


def opened(page) -> None:
    """Wait for the first script run of a freshly loaded document to finish, then for idle."""
    page.wait_for_function("() => window.__ccrRuns.finished > 0 && !window.__ccrRuns.open")
    settle(page)


def check_pages(browser, demo, addresses: list[str], *, email: str | None = None) -> None:
    """Open each address (signed in as `email` once, first) and check it at both widths."""
    found: list[str] = []
    with browser_tab(browser, viewport=DESKTOP) as page:
        if email is not None:
            page.goto(demo["base_url"])
            keyed(page, "sign_in_email").wait_for()
            settle(page)
            sign_in(page, email, demo["password"])
        for address in addresses:
            page.set_viewport_size(DESKTOP)
            page.goto(f"{demo['base_url']}/{address}")
            opened(page)
            for size in (DESKTOP, PHONE):
                page.set_viewport_size(size)
                seen = violations(page)
                if seen:
                    found.append(f"/{address} at {size['width']} px:\n{report(seen)}")
    assert not found, "\n\n".join(found)


def test_the_check_finds_what_it_must(browser):
    """Not vacuous: a page with the two faults the issue found (grey text, list items outside a
    list) and a nameless button fails, by rule, with the element named."""
    with browser_tab(browser) as page:
        page.set_content("<main><h1>Test</h1><p style='color:#999'>Showing 1-25 of 80</p>"
                         "<div><li>Queue</li></div><button></button></main>")
        found = violations(page, app=False)
    assert {v["id"] for v in found} >= {"color-contrast", "listitem", "button-name"}
    assert "Showing 1-25 of 80" in report(found) and "dequeuniversity.com" in report(found)


def test_signed_out_pages(browser, demo):
    check_pages(browser, demo, ["", "sign_up", "reset_password", "help", f"help?article={demo['article']}",
                                "assistant", f"rate?token={demo['rate_token']}"])


def test_customer_pages(browser, demo):
    check_pages(browser, demo, ["submit", "my_tickets", f"ticket_view?ticket={demo['ticket']}",
                                f"rate?token={demo['rate_token']}", "profile", "help", "assistant"],
                email=demo["customer"])


def test_agent_pages(browser, demo):
    check_pages(browser, demo, ["queue", f"ticket_view?ticket={demo['agent_ticket']}", "articles",
                                f"articles?edit={demo['article_id']}", "profile"], email=demo["agent"])


def test_admin_pages(browser, demo):
    check_pages(browser, demo, ["queue", "admin_users", "admin_sla", "admin_categories", "admin_skills",
                                "admin_canned_replies", "admin_settings", "admin_mail", "admin_received_mail", "audit_log",
                                "analytics"],
                email=demo["admin"])


def test_manager_pages(browser, demo):
    check_pages(browser, demo, ["analytics", "audit_log"], email=demo["manager"])


def test_every_analytics_chart_has_a_heading_and_a_table_of_its_numbers_reached_by_keyboard(browser, demo):
    """Each chart card is named by its heading; under it, "What this counts, and the numbers" opens by
    keyboard (Tab, then Enter) on a table of the chart's data that Tab reaches, then closes again."""
    from playwright.sync_api import expect

    from helpdesk.analytics.definitions import DEFINITIONS
    from tests.e2e.test_analytics import CHARTS
    from tests.e2e.test_keyboard_journeys import tab_to

    with browser_tab(browser) as page:
        page.goto(demo["base_url"])
        keyed(page, "sign_in_email").wait_for()
        settle(page)
        sign_in(page, demo["manager"], demo["password"])
        tab_to(page, keyed(page, "menu_bar").get_by_role("link", name="Analytics"))
        page.keyboard.press("Enter")
        page.locator("[data-testid='stMain'] h1", has_text="Analytics").wait_for()
        settle(page)
        for name in CHARTS:
            card = keyed(page, f"analytics_card_{name}")
            expect(card.get_by_role("heading", name=DEFINITIONS[name].title)).to_be_visible()
            about = keyed(page, f"analytics_about_{name}")
            summary = about.locator("summary")
            tab_to(page, summary)
            page.keyboard.press("Enter")
            table = about.get_by_test_id("stDataFrame")
            expect(table).to_be_visible()
            expect(table.locator("tbody tr[role=row]").first).to_be_attached()  # the grid's readable copy
            tab_to(page, table)
            tab_to(page, summary)
            page.keyboard.press("Enter")  # closed again: Tab from a table's canvas loses focus (see README)
            expect(table).to_be_hidden()
