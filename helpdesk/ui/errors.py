"""The one place an error reaches the browser: what a service refuses is said in its own
words, anything unexpected is a short "something went wrong" with a reference, and the full
traceback goes to the server log under that reference, never to the page.

`run_page` wraps the page streamlit_app.py runs; `guarded` wraps widget callbacks, which
Streamlit runs before the page (outside run_page). `.streamlit/config.toml` sets
`client.showErrorDetails = "none"` as the last line of defence."""
from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from typing import ParamSpec

import streamlit as st

from helpdesk.core.errors import ServiceError
from helpdesk.ui.plain_text import plain

log = logging.getLogger("helpdesk.ui")
P = ParamSpec("P")

SOMETHING_WENT_WRONG = ("Something went wrong on our side, and nothing was saved. Please try again; if it keeps "
                        "happening, give support this reference: {reference}.")
_CARRIED = "_errors_carried"  # a callback's error, shown by the page run that follows it
_CARRIED_NOTICE = "_notice_carried"  # a word on why the person landed here


def refusal_text(exc: ServiceError) -> str:
    return str(exc) or "That can't be done."


def report_unexpected(exc: BaseException) -> str:
    """Log the whole error under a new reference and return the sentence the person sees."""
    reference = secrets.token_hex(4).upper()
    log.error("Unexpected error, reference %s", reference, exc_info=exc)
    return SOMETHING_WENT_WRONG.format(reference=reference)


def carry_error(text: str) -> None:
    """An error for the next run to show at the top, whichever page that run shows."""
    st.session_state[_CARRIED] = text


def carry_notice(text: str) -> None:
    """Information for the next run to show at the top (after a redirect)."""
    st.session_state[_CARRIED_NOTICE] = text


def guarded(callback: Callable[P, None]) -> Callable[P, None]:
    """A widget callback whose errors are shown at the top of the next run instead of as a traceback."""

    @functools.wraps(callback)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            callback(*args, **kwargs)
        except ServiceError as exc:
            st.session_state[_CARRIED] = refusal_text(exc)
        except Exception as exc:  # noqa: BLE001  (the boundary: everything else is reported)
            st.session_state[_CARRIED] = report_unexpected(exc)

    return run


def run_page(page) -> None:
    """Run the chosen page (st.navigation's result). Streamlit's own rerun/stop/switch signals
    are BaseExceptions, not Exceptions, and pass through untouched."""
    notice = st.session_state.pop(_CARRIED_NOTICE, None)
    if notice:
        st.info(plain(notice), icon=":material/info:")
    carried = st.session_state.pop(_CARRIED, None)
    if carried:
        st.error(plain(carried), icon=":material/error:")
    try:
        page.run()
    except ServiceError as exc:
        st.error(plain(refusal_text(exc)), icon=":material/error:")
    except Exception as exc:  # noqa: BLE001  (the boundary: everything else is reported)
        st.error(report_unexpected(exc), icon=":material/error:")
