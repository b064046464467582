"""The rating form (1-5 stars, reasons for a low score, an optional comment) shared by the
customer's ticket page and the mailed-link page, and how a given rating reads.

Not an st.form: the reasons appear as soon as a low score is picked. Every widget is keyed, so
a refused answer keeps everything that was chosen and typed."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from helpdesk.core.errors import ValidationError
from helpdesk.enums import SatisfactionReason
from helpdesk.tickets.satisfaction import COMMENT_MAX, LOW_SCORE, Rating
from helpdesk.ui.format import when
from helpdesk.ui.forms import field_error, form_errors
from helpdesk.ui.notices import leave_notice
from helpdesk.ui.plain_text import plain


@dataclass(frozen=True)
class Answer:
    score: int | None
    comment: str
    reasons: list[SatisfactionReason]


def stars(score: int) -> str:
    return "★" * score + "☆" * (5 - score) + f" {score}/5"


def show_rating(rating: Rating, *, for_staff: bool = False) -> None:
    """A given rating, read-only: score, reasons, comment (the customer's words, as text)."""
    st.text(stars(rating.score))
    details = [f"Rated {when(rating.rated_at)}"]
    if for_staff:
        details.append(f"credited to {plain(rating.agent_name or 'nobody (unassigned)')}")
    st.caption(" · ".join(details))
    if rating.reasons:
        st.text("Why: " + "; ".join(r.label for r in rating.reasons))
    if rating.comment:
        st.text(rating.comment)


def _load(prefix: str, rating: Rating) -> None:
    """The form starts from the stored answer, once per stored answer: after a refused save the
    widgets keep what was chosen and typed; after a good one they show what was saved."""
    marker = (rating.id, rating.rated_at)
    if st.session_state.get(f"{prefix}_loaded") == marker:
        return
    st.session_state[f"{prefix}_loaded"] = marker
    st.session_state[f"{prefix}_score"] = rating.score - 1 if rating.score else None
    st.session_state[f"{prefix}_comment"] = rating.comment
    st.session_state[f"{prefix}_reasons"] = list(rating.reasons)


def rating_form(prefix: str, rating: Rating, errors: dict[str, str] | None) -> Answer | None:
    """Draw the form for `rating` (answered or not); the Answer when it is sent, else None."""
    _load(prefix, rating)
    form_errors(errors)
    st.caption("Your score: 1 star is poor, 5 stars is great.")
    picked = st.feedback("stars", key=f"{prefix}_score")
    field_error(errors, "score")
    score = picked + 1 if picked is not None else None
    reasons: list[SatisfactionReason] = []
    if score is not None and score <= LOW_SCORE:
        reasons = st.multiselect("What went wrong? (optional)", options=list(SatisfactionReason),
                                 key=f"{prefix}_reasons", format_func=lambda r: r.label,
                                 placeholder="Choose any that apply")
        field_error(errors, "reasons")
    comment = st.text_area("Anything you'd like to add? (optional)", key=f"{prefix}_comment", height=100,
                           help=f"At most {COMMENT_MAX:,} characters.")
    field_error(errors, "comment")
    label = "Save my rating" if not rating.answered else "Change my rating"
    if st.button(label, key=f"{prefix}_submit", type="primary", icon=":material/star:"):
        return Answer(score=score, comment=comment, reasons=reasons)
    return None


def save_answer(prefix: str, save: Callable[[], object]) -> None:
    """Run `save` (the rating service, in its own transaction), then rerun: a refusal is kept
    under {prefix}_errors for the form to show beside its fields (what was chosen and typed stays
    in the form), a success leaves the thank-you under {prefix}_notice."""
    try:
        save()
    except ValidationError as exc:
        st.session_state[f"{prefix}_errors"] = exc.field_errors
    else:
        st.session_state.pop(f"{prefix}_errors", None)
        leave_notice(f"{prefix}_notice", "Thank you! Your rating was saved.")
    st.rerun()
