"""Ticket categories, managed by administrators."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk.access import ensure_admin, get_by_id
from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.models import Category, User

NAME_MAX = 80


def list_all_categories(*, session: Session, actor: User) -> list[Category]:
    """Active and inactive, for the admin console (customers see `tickets.list_categories`)."""
    ensure_admin(actor)
    return list(session.scalars(select(Category).order_by(Category.is_active.desc(), Category.name)))


def _clean_name(session: Session, name: str, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Enter a name."})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": f"Use at most {NAME_MAX} characters."})
    clash = select(Category.id).where(func.lower(Category.name) == name.lower())
    if exclude_id is not None:
        clash = clash.where(Category.id != exclude_id)
    if session.scalar(clash) is not None:
        raise ValidationError({"name": "A category with this name exists already."})
    return name


def create_category(*, session: Session, actor: User, name: str, description: str = "") -> Category:
    ensure_admin(actor)
    category = Category(name=_clean_name(session, name), description=(description or "").strip())
    session.add(category)
    session.flush()
    return category


def update_category(*, session: Session, actor: User, category_id: int, name: str, description: str,
                    is_active: bool) -> Category:
    """Deactivating hides a category from new tickets; existing tickets keep it."""
    ensure_admin(actor)
    category = get_by_id(session, Category, category_id)
    if category is None:
        raise NotFound("No such category.")
    category.name = _clean_name(session, name, exclude_id=category.id)
    category.description = (description or "").strip()
    category.is_active = is_active
    session.flush()
    return category
