"""The first visit to an empty install: the administrator and the ticket categories, made in
one transaction, so a fresh install can take a ticket from its first customer."""
from __future__ import annotations

from sqlalchemy.orm import Session

from helpdesk.accounts.users import NewAccount, create_first_admin
from helpdesk.core.errors import ValidationError
from helpdesk.models import User
from helpdesk.tickets.categories import create_category

# Offered in the setup wizard, editable there (and later on the Categories page).
STARTER_CATEGORIES = ("General question", "Technical problem", "Billing", "Account")


def category_names(text: str) -> list[str]:
    """One name per line; blank lines and repeats (ignoring case) dropped, order kept."""
    names: dict[str, str] = {}
    for line in text.splitlines():
        name = " ".join(line.split())
        if name:
            names.setdefault(name.lower(), name)
    return list(names.values())


def set_up_helpdesk(*, session: Session, admin: NewAccount, categories: list[str]) -> User:
    """The first administrator and the categories; ValidationError per field, nothing made."""
    errors: dict[str, str] = {}
    if not categories:
        errors["categories"] = "Add at least one category, so customers can raise tickets."
    try:
        user = create_first_admin(session=session, data=admin)
    except ValidationError as exc:
        raise ValidationError({**exc.field_errors, **errors}) from exc
    if errors:
        raise ValidationError(errors)
    for name in categories:
        try:
            create_category(session=session, actor=user, name=name)
        except ValidationError as exc:
            raise ValidationError({"categories": f"“{name}”: {exc.field_errors.get('name', exc)}"}) from exc
    return user
