"""Settings and small state as JSON of plain values: checked on the way in and again on the way out."""
from __future__ import annotations

import json
import math

from ui.store.errors import InvalidInput

MAX_TEXT = 200
MAX_ITEMS = 1000  # keys in a table, items in a list (a shared loss curve has 200 points)
MAX_DEPTH = 4


def dumps(value: object, what: str, limit: int) -> str:
    """`value` as compact JSON, refused (InvalidInput) unless it is plain and at most `limit` bytes."""
    checked(value, what)
    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    if len(text.encode()) > limit:
        raise InvalidInput(f"{what} take {len(text.encode()):,} bytes; at most {limit:,} are kept")
    return text


def loads(text: str, what: str) -> object:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        raise InvalidInput(f"{what} cannot be read") from None
    return checked(value, what)


def checked(value: object, what: str, depth: int = 0) -> object:
    """`value` if it is None, a bool, a finite number, short text, or a table/list of those (tuples become
    lists); InvalidInput otherwise."""
    if depth > MAX_DEPTH:
        raise InvalidInput(f"{what} are nested too deeply")
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"{what} hold a number that is not finite")
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise InvalidInput(f"{what} hold text over {MAX_TEXT} characters")
        return value
    if isinstance(value, (list, tuple)) and len(value) <= MAX_ITEMS:
        return [checked(v, what, depth + 1) for v in value]
    if isinstance(value, dict) and len(value) <= MAX_ITEMS:
        for key in value:
            if not isinstance(key, str) or len(key) > MAX_TEXT:
                raise InvalidInput(f"{what} must be named with short text")
        return {k: checked(v, what, depth + 1) for k, v in value.items()}
    raise InvalidInput(f"{what} must be plain values (numbers, text, lists, tables), not {type(value).__name__}")


def label(value: object, what: str, limit: int = MAX_TEXT) -> str:
    """A one-line, printable text of 1..limit characters (surrounding spaces dropped)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text")
    value = value.strip()
    if not value or len(value) > limit:
        raise InvalidInput(f"{what} must be 1 to {limit} characters long")
    if not value.isprintable():
        raise InvalidInput(f"{what} must be printable text on one line")
    return value
