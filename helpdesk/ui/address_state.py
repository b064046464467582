"""Widget values kept in the page's address (query parameters), so a list is where the person
left it after a trip into one of its rows and back, and a view can be bookmarked or shared.

A page names each value once (`AddressField`: the widget key, the parameter name, how to read and
write it). Before its widgets are drawn, `restore` fills their session state from the address on
a fresh visit; after, `publish` writes the current values back (defaults left out, so the
address stays short) and remembers them for links back to the page. Anything in the address
that isn't a valid value is ignored, never an error."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st


@dataclass(frozen=True)
class AddressField:
    key: str  # the widget's key in st.session_state
    name: str  # the query parameter
    read: Callable[[str], Any]  # text -> value; raises ValueError (or KeyError) when it isn't one
    write: Callable[[Any], str] = str
    many: bool = False  # a list of values, comma-separated
    # False for a value the page keeps in session state without a widget (Streamlit never drops
    # it, so its presence says nothing about a fresh visit).
    widget: bool = True


def enum_field(key: str, name: str, enum_cls, *, many: bool = False, widget: bool = True) -> AddressField:
    return AddressField(key, name, enum_cls, lambda member: member.value, many, widget)


def int_field(key: str, name: str, *, minimum: int = 1, maximum: int = 2**31 - 1, many: bool = False,
              widget: bool = True) -> AddressField:
    """Ids by default (a database INTEGER); moments as epoch seconds pass a larger maximum."""
    def read(text: str) -> int:
        value = int(text)
        if not text.isascii() or not minimum <= value <= maximum:
            raise ValueError(text)
        return value
    return AddressField(key, name, read, str, many, widget)


def text_field(key: str, name: str, *, max_length: int) -> AddressField:
    def read(text: str) -> str:
        if len(text) > max_length:
            raise ValueError(text)
        return text
    return AddressField(key, name, read)


def date_field(key: str, name: str) -> AddressField:
    return AddressField(key, name, date.fromisoformat, date.isoformat)


def _parsed(field: AddressField, text: str):
    if field.many:
        return [field.read(part) for part in text.split(",") if part]
    return field.read(text)


def restore(page: str, fields: Iterable[AddressField]) -> None:
    """On a fresh visit (the page's widgets are gone: first time, or back from another page), or
    when the address changed under the page (a bookmark opened in this tab), take the values it holds."""
    fields = list(fields)
    own = {field.name for field in fields}
    address = {name: st.query_params[name] for name in st.query_params if name in own}
    if st.session_state.get(f"{page}__address") == address and all(
            f.key in st.session_state for f in fields if f.widget):
        return
    for field in fields:
        if field.name in address:
            try:
                st.session_state[field.key] = _parsed(field, address[field.name])
            except (ValueError, KeyError, TypeError):
                pass  # not a value this page can show: its default stays


def publish(page: str, fields: Iterable[AddressField], defaults: dict[str, Any]) -> dict[str, str]:
    """Write the current values into the address; returns (and keeps) them for links back here.
    Parameters that aren't the page's own are left as they are."""
    fields = list(fields)
    address = {}
    for field in fields:
        value = st.session_state.get(field.key)
        if value is None or value == defaults.get(field.key) or value == [] or value == "":
            continue
        address[field.name] = ",".join(field.write(v) for v in value) if field.many else field.write(value)
    own = {field.name for field in fields}
    current = {name: st.query_params[name] for name in st.query_params}
    if {name: value for name, value in current.items() if name in own} != address:
        st.query_params.from_dict({**{n: v for n, v in current.items() if n not in own}, **address})
    st.session_state[f"{page}__address"] = address
    return address


def address_of(page: str) -> dict[str, str]:
    """The address the page had when the person left it (for "← Back to …" links)."""
    return dict(st.session_state.get(f"{page}__address", {}))
