"""The envelope-encryption primitives: sealing bound to its place, data-key wrapping bound to
its owner and KEK version, the key file's checks, and blind-index separation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from records import crypto
from records.crypto import KeyRing
from records.errors import DecryptionFailed, KeyMaterialError

RING = KeyRing.from_document(KeyRing.generate())
KEY = crypto.new_data_key()
AAD = crypto.field_aad("customers", "name_sealed", "3f1c0c1e-0000-4000-8000-000000000001")


def flip_bit(data: bytes, position: int, bit: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 1 << bit
    return bytes(changed)


# -- sealing ------------------------------------------------------------------------------


@given(st.binary(max_size=2000))
def test_seal_then_open_returns_the_plaintext(plaintext: bytes) -> None:
    assert crypto.open_sealed(KEY, crypto.seal(KEY, plaintext, AAD), AAD) == plaintext


def test_sealing_twice_gives_different_ciphertexts() -> None:
    # A fresh nonce each time: equal values are not visible as equal ciphertexts.
    assert crypto.seal(KEY, b"same", AAD) != crypto.seal(KEY, b"same", AAD)


def test_every_single_bit_flip_of_a_short_ciphertext_fails() -> None:
    sealed = crypto.seal(KEY, b"Ada", AAD)
    for position in range(len(sealed)):
        for bit in range(8):
            with pytest.raises(DecryptionFailed):
                crypto.open_sealed(KEY, flip_bit(sealed, position, bit), AAD)


@given(st.binary(min_size=1, max_size=500), st.data())
def test_a_bit_flip_anywhere_in_a_longer_ciphertext_fails(
    plaintext: bytes, data: st.DataObject
) -> None:
    sealed = crypto.seal(KEY, plaintext, AAD)
    position = data.draw(st.integers(0, len(sealed) - 1))
    bit = data.draw(st.integers(0, 7))
    with pytest.raises(DecryptionFailed):
        crypto.open_sealed(KEY, flip_bit(sealed, position, bit), AAD)


@pytest.mark.parametrize(
    "elsewhere",
    [
        ("customers", "name_sealed", "3f1c0c1e-0000-4000-8000-000000000002"),  # another row
        ("customers", "notes_sealed", "3f1c0c1e-0000-4000-8000-000000000001"),  # another column
        ("cases", "name_sealed", "3f1c0c1e-0000-4000-8000-000000000001"),  # another table
    ],
)
def test_a_ciphertext_does_not_open_in_another_place(elsewhere: tuple[str, str, str]) -> None:
    sealed = crypto.seal(KEY, b"Ada", AAD)
    with pytest.raises(DecryptionFailed):
        crypto.open_sealed(KEY, sealed, crypto.field_aad(*elsewhere))


def test_a_ciphertext_does_not_open_under_another_data_key() -> None:
    sealed = crypto.seal(KEY, b"Ada", AAD)
    with pytest.raises(DecryptionFailed):
        crypto.open_sealed(crypto.new_data_key(), sealed, AAD)


@pytest.mark.parametrize("sealed", [b"", b"\x01", b"\x01" + b"\x00" * 27, b"\x02" + b"\x00" * 40])
def test_truncated_or_unknown_format_ciphertexts_fail_cleanly(sealed: bytes) -> None:
    with pytest.raises(DecryptionFailed, match="malformed"):
        crypto.open_sealed(KEY, sealed, AAD)


# -- data keys ----------------------------------------------------------------------------


def test_a_wrapped_data_key_unwraps_for_its_owner() -> None:
    version, wrapped = RING.wrap(KEY, "case:1")
    assert version == RING.active_kek
    assert RING.unwrap(wrapped, "case:1", version) == KEY


def test_a_wrapped_data_key_moved_to_another_owner_fails_to_unwrap() -> None:
    version, wrapped = RING.wrap(KEY, "case:1")
    with pytest.raises(DecryptionFailed) as caught:
        RING.unwrap(wrapped, "case:2", version)
    assert caught.value.message == "data key for case:2 failed to unwrap"


def test_a_wrapped_data_key_relabelled_with_another_version_fails(tmp_path: Path) -> None:
    path = tmp_path / "tact.key"
    KeyRing.create_file(path)
    KeyRing.add_kek_version(path)
    ring = KeyRing.load(path)
    _, wrapped = ring.wrap(KEY, "customer:1", 1)
    with pytest.raises(DecryptionFailed):
        ring.unwrap(wrapped, "customer:1", 2)


def test_a_data_key_wrapped_under_another_key_file_fails() -> None:
    other = KeyRing.from_document(KeyRing.generate())
    version, wrapped = other.wrap(KEY, "case:1")
    with pytest.raises(DecryptionFailed):
        RING.unwrap(wrapped, "case:1", version)


def test_unwrapping_with_a_version_the_ring_lacks_is_a_key_error() -> None:
    with pytest.raises(KeyMaterialError, match="KEK version 7 is not in the key file"):
        RING.unwrap(b"\x01" + b"\x00" * 60, "case:1", 7)


# -- key file -----------------------------------------------------------------------------


def test_a_new_key_file_is_owner_only_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "tact.key"
    KeyRing.create_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    ring = KeyRing.load(path)
    assert set(ring.keks) == {1} and ring.active_kek == 1


def test_create_file_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "tact.key"
    KeyRing.create_file(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        KeyRing.create_file(path)
    assert path.read_bytes() == before


def test_adding_a_kek_version_keeps_the_old_ones_and_activates_the_new(tmp_path: Path) -> None:
    path = tmp_path / "tact.key"
    KeyRing.create_file(path)
    old = KeyRing.load(path)
    assert KeyRing.add_kek_version(path) == 2
    new = KeyRing.load(path)
    assert new.active_kek == 2 and set(new.keks) == {1, 2}
    assert new.keks[1] == old.keks[1] and new.index_key == old.index_key
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_key_check_proves_the_same_key_and_refuses_another() -> None:
    check = RING.key_check(1)
    RING.verify_key_check(1, check)
    other = KeyRing.from_document(KeyRing.generate())
    with pytest.raises(KeyMaterialError, match="does not match the key store"):
        other.verify_key_check(1, check)


def _document(**changes: object) -> dict[str, object]:
    doc = KeyRing.generate()
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ([], "not a tact-keys/1 document"),
        (_document(format="tact-keys/0"), "not a tact-keys/1 document"),
        (_document(keks={}), "at least one key version"),
        (_document(keks={"one": "AAAA"}), "not a number"),
        (_document(keks={"1": "not base64!"}), "KEK version 1 is not valid base64"),
        (_document(keks={"1": "AAAA"}), "KEK version 1 must be 32 bytes, found 3"),
        (_document(active_kek=2), "'active_kek' must name one of the listed versions"),
        (_document(active_kek="1"), "'active_kek' must name one of the listed versions"),
        (_document(index_secret="AAAA"), "index_secret must be 32 bytes"),
    ],
)
def test_a_malformed_key_document_names_the_problem(doc: object, problem: str) -> None:
    with pytest.raises(KeyMaterialError) as caught:
        KeyRing.from_document(doc)
    assert problem in caught.value.message


def test_a_key_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tact.key"
    path.write_text("keks = 1\n")
    with pytest.raises(KeyMaterialError, match="not valid JSON"):
        KeyRing.load(path)


def test_a_missing_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyMaterialError, match="key file not found"):
        KeyRing.load(tmp_path / "absent.key")


def test_add_kek_version_refuses_a_file_it_cannot_read(tmp_path: Path) -> None:
    path = tmp_path / "tact.key"
    path.write_text(json.dumps(_document(active_kek=9)))
    before = path.read_bytes()
    with pytest.raises(KeyMaterialError):
        KeyRing.add_kek_version(path)
    assert path.read_bytes() == before


# -- blind indexes ------------------------------------------------------------------------


def test_blind_indexes_are_separated_by_kind_and_by_key_file() -> None:
    other = KeyRing.from_document(KeyRing.generate())
    digest = RING.blind_index("email", "ada@example.org")
    assert len(digest) == 16
    assert digest == RING.blind_index("email", "ada@example.org")
    assert digest != RING.blind_index("customer_ref", "ada@example.org")
    assert digest != other.blind_index("email", "ada@example.org")


def test_the_blind_index_key_is_not_a_kek() -> None:
    # Derived under different labels: one leaked key does not give the other.
    assert RING.index_key not in RING.keks.values()
