"""Errors a service raises; pages turn them into messages next to the right field."""
from __future__ import annotations


class ServiceError(Exception):
    """Base for errors meant to be shown to the person who caused them."""


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    """Also used where the thing exists but the actor may not see it, so ids can't be probed."""


class ValidationError(ServiceError):
    """Bad input. `field_errors` maps a form field to a message a person can act on."""

    def __init__(self, field_errors: dict[str, str] | str):
        if isinstance(field_errors, str):
            field_errors = {"__all__": field_errors}
        self.field_errors = field_errors
        super().__init__("; ".join(field_errors.values()))


# Tickets are the only rows saved with a version check, so a lost race is always this.
CONFLICT = "This ticket changed since you opened it. The latest version is shown below; nothing was saved."


class ConflictError(ServiceError):
    """The ticket changed since the person opened it."""


class AuthenticationFailed(ServiceError):
    pass


class Throttled(ServiceError):
    pass
