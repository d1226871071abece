"""The store's secrets and codes: session codes, class codes and teacher keys.

A session code is the only key to a student's runs (whoever has it sees them), so it is long and
random: 160 bits from `secrets`, URL-safe. A class code is typed by students from a projector, so it is
short and unambiguous (no 0/O, 1/I/L, no U); it only lets someone join and read the board. A teacher key
(128 bits) is what hides entries and closes the class. The store keeps only SHA-256 digests of session
codes and teacher keys; a plain digest suffices because the secrets are random, not chosen by people.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

SESSION_CODE_BYTES = 20  # 160 bits; token_urlsafe writes 27 characters
TEACHER_KEY_BYTES = 16  # 128 bits; 22 characters
CLASS_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # 30 symbols nobody misreads on a projector
CLASS_CODE_LENGTH = 6  # 30**6 = 729 million codes
_SESSION_CODE = re.compile(r"[A-Za-z0-9_-]{27}")


def new_session_code() -> str:
    return secrets.token_urlsafe(SESSION_CODE_BYTES)


def is_session_code(text: object) -> bool:
    """Whether `text` has a session code's form (a URL value is checked before it reaches a query)."""
    return isinstance(text, str) and _SESSION_CODE.fullmatch(text) is not None


def new_class_code() -> str:
    return "".join(secrets.choice(CLASS_ALPHABET) for _ in range(CLASS_CODE_LENGTH))


def class_code(text: object) -> str | None:
    """A typed class code in its stored form ('hk7 q2x' -> 'HK7Q2X'), or None if it cannot be one."""
    if not isinstance(text, str):
        return None
    code = re.sub(r"[\s-]", "", text).upper()
    if len(code) != CLASS_CODE_LENGTH or any(ch not in CLASS_ALPHABET for ch in code):
        return None
    return code


def new_teacher_key() -> str:
    return secrets.token_urlsafe(TEACHER_KEY_BYTES)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: object, stored_digest: str) -> bool:
    """Whether `secret` is the one whose digest is stored, compared in constant time."""
    if not isinstance(secret, str) or len(secret) > 200:
        return False
    return hmac.compare_digest(digest(secret), stored_digest)
