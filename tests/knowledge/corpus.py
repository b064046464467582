"""A small fixed help center for the knowledge tests: six articles written as a shop would
write them, in two categories, published through the staff's own service."""
from __future__ import annotations

from helpdesk.enums import ArticleStatus
from helpdesk.knowledge.articles import ArticleDraft, create_article
from tests.factories import Desk, add_category

ARTICLES = {
    "reset-your-password": ("Reset your password", "billing", ["password", "sign in"],
                            ["I forgot my password", "can't log in"],
                            "Use the “Forgot your password?” link on the sign-in page and we e-mail you a link "
                            "to choose a new password. The link works for one hour.\n\n## No e-mail?\n\n"
                            "Check your spam folder, then ask for a new link."),
    "charged-twice": ("Charged twice for one order", "billing", ["payment", "double charge"],
                      ["two payments for the same order"],
                      "If your card shows two payments for one order, one of them is a reservation that your "
                      "bank releases within five days. If both are still there after five days, contact us "
                      "with the order number and we refund the second payment."),
    "download-an-invoice": ("Download an invoice", "billing", ["invoice", "receipt", "vat"],
                            ["where is my receipt"],
                            "Every order's invoice is under Orders in your account: open the order and choose "
                            "Download invoice (PDF). Invoices show the VAT and your company name if you gave one."),
    "track-your-parcel": ("Track your parcel", "shipping", ["tracking", "delivery"],
                          ["where is my order"],
                          "Your shipping confirmation e-mail has the tracking link of the carrier. Tracking "
                          "starts a few hours after the parcel is handed over."),
    "parcel-not-arrived": ("Parcel marked delivered but not received", "shipping", ["missing parcel", "delivery"],
                           ["the carrier says delivered but I have nothing"],
                           "If tracking says delivered but the parcel is not there, check with neighbours and "
                           "the place the carrier leaves parcels, then tell us within 14 days and we send a "
                           "replacement."),
    "return-an-item": ("Return an item", "shipping", ["return", "refund", "label"],
                       ["send something back"],
                       "You can return anything within 30 days of delivery. Print the free return label from "
                       "your order page, pack the item and hand it to the carrier; we refund you within two "
                       "working days of receiving it."),
}


def publish_corpus(desk: Desk, *, drafts: tuple[str, ...] = ()) -> dict[str, int]:
    """The six articles (those named in `drafts` kept as drafts); their ids by slug."""
    shipping = add_category(desk.engine, "Shipping")
    category = {"billing": desk.category.id, "shipping": shipping.id}
    ids = {}
    for slug, (title, where, tags, aliases, body) in ARTICLES.items():
        status = ArticleStatus.DRAFT if slug in drafts else ArticleStatus.PUBLISHED
        article = desk.act(desk.admin, create_article, data=ArticleDraft(
            title=title, body=body, category_id=category[where], tags=tags, aliases=aliases, status=status, slug=slug))
        ids[slug] = article.id
    return ids
