import uuid

from records.vault import Vault


async def test_round_trip(vault: Vault) -> None:
    case_id, row_id = uuid.uuid4(), uuid.uuid4()
    cipher = await vault.create_key("case", case_id)
    sealed = cipher.seal("cases", "summary_sealed", row_id, "a note")
    vault.forget(cipher.owner)
    again = await vault.cipher("case", case_id)
    assert again.open("cases", "summary_sealed", row_id, sealed) == "a note"
