"""The PII vault's cryptography: AES-GCM per value, keyed blind indexes, masking. No I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class VaultError(ValueError):
    """A ciphertext that cannot be opened (unknown key id, or tampered/moved between rows)."""


@dataclass(frozen=True)
class Sealed:
    """A ciphertext (nonce + AES-GCM output) and the id of the key that sealed it."""

    key_id: str
    blob: bytes


class Vault:
    """Seals values with the active key and opens them with any configured key."""

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        if active_key_id not in keys:
            raise ValueError(f"active vault key {active_key_id!r} is not among the configured keys")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"vault key {key_id!r} must be 32 bytes (AES-256), got {len(key)}")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.active_key_id = active_key_id

    def seal(self, plaintext: str, *, context: str) -> Sealed:
        """Encrypt with the active key; ``context`` (row id and column) is bound as associated data."""
        nonce = os.urandom(NONCE_BYTES)
        blob = nonce + self._ciphers[self.active_key_id].encrypt(nonce, plaintext.encode(), context.encode())
        return Sealed(self.active_key_id, blob)

    def open(self, sealed: Sealed, *, context: str) -> str:
        """Decrypt; fails when the key is unknown or the blob was altered or copied to another row."""
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise VaultError(f"vault key {sealed.key_id!r} is not configured")
        try:
            return cipher.decrypt(sealed.blob[:NONCE_BYTES], sealed.blob[NONCE_BYTES:], context.encode()).decode()
        except Exception as exc:  # cryptography raises InvalidTag without a message
            raise VaultError(f"cannot open ciphertext for {context}") from exc

    def reseal(self, sealed: Sealed, *, context: str) -> Sealed:
        """The same plaintext under the active key (key rotation)."""
        return self.seal(self.open(sealed, context=context), context=context)



def blind_index(key: bytes, kind: str, normalised: str) -> str:
    """A keyed hash for equality matching: the kind is mixed in so a phone never matches an ID."""
    return hmac.new(key, f"{kind}\x1f{normalised}".encode(), hashlib.sha256).hexdigest()


def parse_keys(encoded: Mapping[str, str]) -> dict[str, bytes]:
    """Key id -> 32 raw bytes, from the base64 strings settings hold."""
    return {key_id: base64.b64decode(value) for key_id, value in encoded.items()}


def new_key() -> str:
    """A fresh random AES-256 key, base64, for settings."""
    return base64.b64encode(os.urandom(32)).decode()


# --- masking: what responses show by default -------------------------------------------------


def mask_id(value: str) -> str:
    """Keep the first six (region) and the last four characters: 110105********1234."""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 4, 1) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """Keep the first three and the last four digits: 138****5678."""
    if len(value) <= 7:
        return "*" * (len(value) - 2) + value[-2:]
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_email(value: str) -> str:
    """Keep the first character of the local part and the domain: z***@example.com."""
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_name(value: str) -> str:
    """Keep the family name (first character): 张**; Latin names keep their initial."""
    return value[:1] + "*" * max(len(value) - 1, 1)


def mask_address(value: str) -> str:
    """Keep the first six characters (province and city, usually)."""
    return value[:6] + "****"


MASKS = {"name": mask_name, "id_number": mask_id, "phone": mask_phone, "email": mask_email,
         "address": mask_address, "customer_id": mask_id}
