"""What the store refuses, each with a message meant for people: a page shows it as it is."""
from __future__ import annotations


class StoreError(Exception):
    """The store refused something; str(error) is a sentence for the person at the page."""


class InvalidInput(StoreError, ValueError):
    """A nickname, label, code or setting that is not acceptable (too long, not printable, wrong form)."""


class NotFound(StoreError):
    """An unknown or expired session, run, class or shared entry."""


class NotAllowed(StoreError):
    """A teacher's action without the class's teacher key, or an action a closed class refuses."""


class StoreFull(StoreError):
    """A session or a class at one of its caps (runs, bytes, members, shares)."""


class RateLimited(StoreError):
    """Shares coming faster than the board allows; `retry_after` is how many seconds to wait."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
