"""Attachment downloads, and every other response, say `X-Content-Type-Options: nosniff`
(issue 9, item 8): a file a customer uploaded as text/plain but full of HTML is never sniffed
into a page that runs in the helpdesk's origin."""
from __future__ import annotations

import urllib.request

import pytest

from helpdesk.tickets.attachments import UploadedFile
from tests.e2e.conftest import app_database, seeded_category_id
from tests.e2e.steps import keyed, settle, sign_in
from tests.factories import TEST_PASSWORD, add_user, raise_ticket

pytestmark = pytest.mark.browser

HTML_AS_TEXT = b"<html><body><script>alert(document.cookie)</script></body></html>\n"


@pytest.fixture
def ticket_with_html_file(fresh_app):
    _, database_url = fresh_app
    with app_database(database_url) as engine:
        customer = add_user(engine, email="carla@example.com", name="Carla Customer")
        return raise_ticket(engine, customer=customer, category=seeded_category_id(engine), subject="Log attached",
                            attachments=[UploadedFile("notes.txt", HTML_AS_TEXT)])


def test_attachment_download_is_served_with_nosniff(fresh_app, ticket_with_html_file, page):
    base_url, _ = fresh_app
    page.goto(f"{base_url}/ticket_view?ticket={ticket_with_html_file}")
    keyed(page, "sign_in_email").wait_for()
    sign_in(page, "carla@example.com", TEST_PASSWORD)
    button = page.get_by_role("button", name="notes.txt")
    button.wait_for()
    settle(page)
    with page.expect_response(lambda response: "/media/" in response.url) as media, page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "notes.txt"
    assert open(download.value.path(), "rb").read() == HTML_AS_TEXT
    assert media.value.headers.get("x-content-type-options") == "nosniff", media.value.headers


@pytest.mark.parametrize("address", ["/", "/ticket_view?ticket=1", "/reset_password?token=abc", "/_stcore/health"])
def test_every_response_says_nosniff_and_keeps_its_address_to_itself(fresh_app, address):
    base_url, _ = fresh_app
    with urllib.request.urlopen(base_url + address, timeout=10) as response:
        assert response.headers.get("X-Content-Type-Options") == "nosniff", dict(response.headers)
        # a mailed one-time link's address never reaches another site as a Referer
        assert response.headers.get("Referrer-Policy") == "same-origin", dict(response.headers)
