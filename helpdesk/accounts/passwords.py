"""Password hashing (argon2id) and the strength rule: 10 to 1024 characters, and hard to guess
by zxcvbn's estimate (no common password, nothing built from the person's name or address)."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_LENGTH = 10
MAX_LENGTH = 1024
# zxcvbn's time grows steeply with length (measured: 72 characters 0.3 s at most, 100 random ones
# 0.7 s, 200 half a minute), so it sees only the first 72, its own default limit; 72 characters
# that aren't already a weak pattern are far beyond any guessing.
ESTIMATED_LENGTH = 72
MIN_SCORE = 3  # zxcvbn's "safely unguessable" (about 10**8 guesses); its common-password list scores 0-1
# zxcvbn keeps the user inputs of a call in a module-wide dictionary: two sign-ups at once (Streamlit
# runs sessions in threads) would each be checked against the other's name.
_ZXCVBN_LOCK = threading.Lock()

_ADD_WORDS = "Add another word or two. Uncommon words are better."
_COMMON = "This is one of the most common passwords."
_COMMON_WARNINGS = {"This is a top-10 common password.", "This is a top-100 common password.",
                    "This is a very common password."}
_EASY = "This password is too easy to guess."


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


def personal_words(*inputs: str) -> list[str]:
    """What a guesser who knows the person tries first: each of their name and e-mail address
    whole, the address's local part, and every word of three letters or more in them (not the
    address's top-level domain, which is in everyone's)."""
    words: list[str] = []
    for given in inputs:
        given = (given or "").strip().lower()
        if not given:
            continue
        words.append(given)
        local, at, domain = given.rpartition("@")
        if at:
            words.append(local)
            given = f"{local} {domain.rpartition('.')[0]}"
        words += [word for word in re.split(r"[\W_]+", given) if len(word) >= 3]
    return list(dict.fromkeys(words))


def password_problem(password: str, *, user_inputs: Iterable[str] = ()) -> str | None:
    """Why this password is too weak, or None. `user_inputs`: the person's name and e-mail
    address (personal_words takes them apart), which a password must not be built from."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    estimated = password[:ESTIMATED_LENGTH]
    words = personal_words(*user_inputs)
    with _ZXCVBN_LOCK:
        result = zxcvbn(estimated, user_inputs=words, max_length=ESTIMATED_LENGTH)
    from_person = [match for match in result["sequence"] if match.get("dictionary_name") == "user_inputs"]
    # Half of it or more the person's name or address is refused whatever the score: zxcvbn rates
    # "Carla-2026-Carla" highly (it counts "-2026-" as random); a guesser who knows Carla won't.
    if 2 * _personal_characters(estimated, words, from_person) >= len(estimated) or (
            from_person and result["score"] < MIN_SCORE):
        return f"This password is built from your name or e-mail address. {_ADD_WORDS}"
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    warning = _COMMON if feedback["warning"] in _COMMON_WARNINGS else feedback["warning"] or _EASY
    return f"{warning} {(feedback['suggestions'] or [_ADD_WORDS])[0]}"


# Letters written as digits or signs ("C4rla", "Cust0mer"), one character for one, so a match's
# place in the translated password is its place in the password. "1" and "|" may be an i or an l.
_UNLEET = (str.maketrans("4@3610$5!7|+", "aaegiossitlt"), str.maketrans("4@3610$5!7|+", "aaeglossltit"))


def _personal_characters(password: str, words: list[str], from_person: list[dict]) -> int:
    """How many characters of the password are the person's words, forwards or backwards, also
    spelt with digits for letters. Found by hand as well as by zxcvbn: its best reading of
    "Carla-Customer-2026" takes "Customer" from a film-title list, not from her name, and of
    "C4rla-Cust0mer-2026" takes "Cust0mer" from there too; its own matches add spellings it
    finds first, like "L0velace"."""
    lowered = password.lower()
    covered = {i for match in from_person for i in range(match["i"], match["j"] + 1)}
    for spelling in {lowered, *(lowered.translate(table) for table in _UNLEET)}:
        for word in words:
            for target in {word, word[::-1]}:
                start = spelling.find(target)
                while start != -1:
                    covered.update(range(start, start + len(target)))
                    start = spelling.find(target, start + 1)
    return len(covered)
