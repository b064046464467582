"""The customer's happy path through the pages with the app on PostgreSQL (the other customer
page tests use SQLite; the services run on both backends in their own tests)."""
from __future__ import annotations

import pytest

from helpdesk.ui.engine import get_engine
from tests.factories import Desk
from tests.page_helpers import as_read, fill, messages, open_app, point_app_at, rerun


@pytest.fixture
def postgres_app_desk(postgres_engine, tmp_path, monkeypatch):
    """The shared world on PostgreSQL, with the app under test pointed at it."""
    point_app_at(monkeypatch, tmp_path, postgres_engine.url.render_as_string(hide_password=False))
    yield Desk.build(postgres_engine)
    get_engine.clear()


def test_customer_submits_finds_and_opens_a_ticket_on_postgresql(postgres_app_desk):
    billing, carla = postgres_app_desk.category, postgres_app_desk.customer

    at = open_app(carla)
    fill(at, submit_subject="Charged twice", submit_description="Two payments for one invoice.")
    at.selectbox(key="submit_category").select(billing.id)
    at.file_uploader(key="submit_files_0").set_value(("receipt.txt", b"paid 2x 49.00\n", "text/plain"))
    at.button(key="submit_button").click()
    rerun(at)
    assert "CCR-000001" in messages(at, "success")[0]

    at = open_app(carla, page="pages/customer/my_tickets.py")
    rows = at.dataframe(key="my_tickets_table").value.to_dict("records")
    assert [(r["Reference"], r["Subject"], r["Status"]) for r in rows] == [("CCR-000001", "Charged twice", "New")]
    at.text_input(key="my_tickets_search").input("CHARGED")  # case-insensitive on PostgreSQL too
    rerun(at)
    assert len(at.dataframe(key="my_tickets_table").value) == 1

    at = open_app(carla, ticket="CCR-000001")
    assert at.title[0].value == "CCR-000001"
    assert [as_read(b.proto.label) for b in at.get("download_button")] == ["receipt.txt (14 B)"]
