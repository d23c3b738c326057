"""A registered document's id: "sha256:" and the hex SHA-256 of its file's bytes
(schema/persisted.py). Apart from the rest, so a command that only prints an id (the curl
line `tact demo` shows) need not import graphql-core and strawberry."""

from __future__ import annotations

import hashlib
from pathlib import Path

DOCUMENTS = Path(__file__).with_name("documents")
ID_PREFIX = "sha256:"


def document_id(text: bytes) -> str:
    return ID_PREFIX + hashlib.sha256(text).hexdigest()


def id_of(name: str, folder: Path = DOCUMENTS) -> str:
    """The id of the registered document `name` (its file's stem), as a portal sends it."""
    return document_id((folder / f"{name}.graphql").read_bytes())
