"""A request's body, read once and handed on: the storage-fault guard (api/faults.py) keeps it
so a retry can read it again, and the GraphQL view reads a planned document's body itself and
hands it to strawberry's view when the document has no plan."""

from __future__ import annotations

from starlette.types import Message, Receive


async def read_body(receive: Receive) -> list[Message]:
    """The request's messages up to the body's end (its size is bounded by the edge in front,
    api/edge.py)."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def body_of(messages: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")


def replayed(messages: list[Message], receive: Receive) -> Receive:
    """`receive` that gives `messages` again first, then whatever `receive` gives."""
    queue = list(messages)

    async def replaying() -> Message:
        return queue.pop(0) if queue else await receive()

    return replaying
