"""One answer for a service outside the caller's scope and for a service that does not exist.

The gate refuses a made-up service slug as VALIDATION_FAILED on `service` (and logs it as
not_found); a real service the caller may not use is FORBIDDEN. Told apart, a caller could
test which services an organisation has. The questions a portal key may ask go through
`one_answer_for_services`, so both read the same; the access log still keeps the truth.
Staff lists of one service (`cases`, `deadlines`, `screeningQueue`) answer the same way: the
gate refuses a list of a service where the caller holds no role (authz/relations.py,
`may_list`), rather than answering it with an empty list.

Text that no slug could be (empty, blank, upper case, spaces) is another matter: it is the
caller's mistake, whatever the organisation's services, so it is refused as malformed on the
caller's own field, and saying so reveals nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from authz.operations import Operation
from records.errors import Forbidden, ValidationFailed
from records.services import check_slug


@contextmanager
def one_answer_for_services(
    operation: Operation, service: str | None, field: str = "service"
) -> Iterator[None]:
    """Refuse a `service` that is not a slug at all, naming `field` (where the caller wrote
    it); then answer a made-up one as the gate answers a real one outside the caller's scope.
    No service (a list of every service the caller may see) has nothing to check."""
    if service is not None:
        check_slug(service, field)
    try:
        yield
    except ValidationFailed as refused:
        if refused.field != "service":
            raise
        raise Forbidden(f"not permitted: {operation.value}") from None
