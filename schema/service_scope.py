"""One answer for a service outside the caller's scope and for a service that does not exist.

The gate refuses a made-up service slug as VALIDATION_FAILED on `service` (and logs it as
not_found); a real service the caller may not use is FORBIDDEN. Told apart, a caller could
test which services an organisation has. The questions a portal key may ask go through
`one_answer_for_services`, so both read the same; the access log still keeps the truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from authz.operations import Operation
from records.errors import Forbidden, ValidationFailed


@contextmanager
def one_answer_for_services(operation: Operation) -> Iterator[None]:
    """Answer a made-up `service` as the gate answers a real one outside the caller's scope."""
    try:
        yield
    except ValidationFailed as refused:
        if refused.field != "service":
            raise
        raise Forbidden(f"not permitted: {operation.value}") from None
