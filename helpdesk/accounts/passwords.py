"""Password hashing (argon2id) and the minimum strength rule."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_LENGTH = 10
# A few passwords that pass the length rule but are still guessed first.
_COMMON = {"password123", "1234567890", "qwertyuiop", "password1234", "letmein1234", "administrator"}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A real hash to verify against when the e-mail is unknown, so both paths take the same time.
DUMMY_HASH = _hasher.hash("not-a-real-password-used-for-timing")


def password_problem(password: str) -> str | None:
    """Why this password is too weak, or None."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > 1024:
        return "Use at most 1024 characters."
    if password.lower() in _COMMON or len(set(password)) < 4:
        return "This password is too easy to guess; pick something less common."
    kinds = sum([any(c.islower() for c in password), any(c.isupper() for c in password),
                 any(c.isdigit() for c in password), any(not c.isalnum() for c in password)])
    if kinds < 2:
        return "Mix at least two of: lowercase, uppercase, digits, symbols."
    return None
