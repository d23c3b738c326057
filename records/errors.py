"""One small error hierarchy, mapped to GraphQL error codes in one place (schema/errors.py).

Messages never carry personal data: only references, ids, field names and neutral words.
"""

from __future__ import annotations


class TactError(Exception):
    """Base of every error Tact raises on purpose. `code` is the stable machine-readable name."""

    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(TactError):
    code = "NOT_FOUND"


class Forbidden(TactError):
    code = "FORBIDDEN"


class Unauthenticated(TactError):
    code = "UNAUTHENTICATED"


class InvalidTransition(TactError):
    code = "INVALID_TRANSITION"


class ValidationFailed(TactError):
    """Bad input. `field` names the input field at fault, in the API's spelling."""

    code = "VALIDATION_FAILED"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message

    def __reduce__(self) -> tuple[type[ValidationFailed], tuple[str, str]]:
        # Rebuilt from (field, reason), so it crosses a process boundary (bulk imports).
        return type(self), (self.field, self.reason)


class KeyMaterialError(TactError):
    """Key material is missing, wrong, or does not match the key store. Raised at start-up."""

    code = "KEY_ERROR"


class DecryptionFailed(TactError):
    """A ciphertext failed authentication: tampered, moved to another row, or its key is gone.
    `place` says which sealed value, by ids only ("cases.summary <row id>", "data key
    case:<id>"), and `owner` whose it is ("case:<id>", "customer:<id>"), for the access log
    and the operator's log; the caller is told neither."""

    code = "INTEGRITY_FAILURE"

    def __init__(self, message: str, place: str | None = None, owner: str | None = None) -> None:
        super().__init__(message)
        self.place = place
        self.owner = owner


class RateLimited(TactError):
    """The caller is over a rate limit; `retry_after` is whole seconds until it is not."""

    code = "RATE_LIMITED"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests: try again in {retry_after} seconds")
        self.retry_after = retry_after


class DatabaseUnavailable(Exception):
    """The case database cannot be reached now. The edge answers 503 with Retry-After: the
    caller should try again; nothing was answered without its access-log entry. (Not a
    TactError: it is the edge's to answer, never a GraphQL error.)"""
