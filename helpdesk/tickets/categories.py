"""Ticket categories, managed by administrators; `list_categories` is the one way to list them."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk.core.text_checks import text_problem
from helpdesk.access import ensure_admin, ensure_staff, get_by_id
from helpdesk.audit import record
from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.enums import AuditAction
from helpdesk.models import Category, User

NAME_MAX = 80


def list_categories(*, session: Session, actor: User | None = None, include_inactive: bool = False) -> list[Category]:
    """The active categories by name: what a ticket can be raised under or moved to.

    `include_inactive` (staff only) adds the retired ones after them, since old tickets still
    carry them: the queue's filter and the admin console."""
    query = select(Category).order_by(Category.is_active.desc(), Category.name)
    if include_inactive:
        ensure_staff(actor)
    else:
        query = query.where(Category.is_active)
    return list(session.scalars(query))


def _clean_name(session: Session, name: str, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Enter a name."})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": f"Use at most {NAME_MAX} characters."})
    if problem := text_problem(name):
        raise ValidationError({"name": problem})
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
    record(session, actor=actor, action=AuditAction.CATEGORY_CREATED, target=category.name,
           new=category.description or None)
    session.flush()
    return category


def update_category(*, session: Session, actor: User, category_id: int, name: str, description: str,
                    is_active: bool) -> Category:
    """Deactivating hides a category from new tickets; existing tickets keep it."""
    ensure_admin(actor)
    category = get_by_id(session, Category, category_id)
    if category is None:
        raise NotFound("No such category.")
    new_name, new_description = _clean_name(session, name, exclude_id=category.id), (description or "").strip()
    # One entry per field that changed, each named by the category's name from now on.
    if new_name != category.name:
        record(session, actor=actor, action=AuditAction.CATEGORY_RENAMED, target=new_name, old=category.name,
               new=new_name)
    if new_description != category.description:
        record(session, actor=actor, action=AuditAction.CATEGORY_DESCRIPTION_CHANGED, target=new_name,
               old=category.description or None, new=new_description or None)
    if bool(is_active) != category.is_active:
        record(session, actor=actor,
               action=AuditAction.CATEGORY_ACTIVATED if is_active else AuditAction.CATEGORY_DEACTIVATED,
               target=new_name, old="Inactive" if is_active else "Active", new="Active" if is_active else "Inactive")
    category.name, category.description, category.is_active = new_name, new_description, is_active
    session.flush()
    return category
