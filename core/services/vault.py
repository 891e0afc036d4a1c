"""The identity vault: complainant identities encrypted per tenant, found again by blind index.

Each tenant has a random 256-bit data key, stored wrapped (AES-GCM) by the platform's master key
(``HUIYING_MASTER_KEY``, 32 bytes, URL-safe base64). An identity is sealed with AES-GCM under
the data key, bound to its tenant and case (associated data), so a ciphertext copied onto
another case does not open. Phone and ID numbers also get a keyed HMAC (the blind index):
equal numbers meet without anything being decrypted. Rotating the master key re-wraps the data
keys; identities are not touched, and the old master key keeps opening until rotation is done
(``HUIYING_OLD_MASTER_KEYS``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.domain.masking import PHONE_KEYS
from core.store.identities import SealedIdentity

__all__ = ["MasterKeyError", "MasterKeys", "Vault", "default_vault", "generate_master_key", "key_id"]

_KEY_BYTES = 32


class MasterKeyError(RuntimeError):
    """The master key is missing or malformed; the message says what to set."""


def generate_master_key() -> str:
    """A new master key in the form ``HUIYING_MASTER_KEY`` expects."""
    return base64.urlsafe_b64encode(secrets.token_bytes(_KEY_BYTES)).decode()


def _decode_key(text: str, name: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        raise MasterKeyError(f"{name} 不是有效的 base64 (invalid base64)") from None
    if len(key) != _KEY_BYTES:
        raise MasterKeyError(f"{name} 须为 32 字节（base64 编码）(master key must be 32 bytes)")
    return key


def key_id(key: bytes) -> str:
    """A short public name of a key (to tell which master key wrapped a data key)."""
    return hashlib.sha256(b"huiying-key-id:" + key).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class MasterKeys:
    """The current master key and any older ones still accepted for unwrapping."""

    current: bytes
    older: tuple[bytes, ...] = ()

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    def by_id(self, wanted: str) -> bytes:
        for key in (self.current, *self.older):
            if key_id(key) == wanted:
                return key
        raise MasterKeyError(f"找不到编号为 {wanted} 的主密钥：请在 HUIYING_OLD_MASTER_KEYS 中提供旧主密钥")

    @classmethod
    def from_env(cls) -> MasterKeys:
        """Keys from ``HUIYING_MASTER_KEY`` (required) and ``HUIYING_OLD_MASTER_KEYS`` (comma-separated)."""
        current = os.environ.get("HUIYING_MASTER_KEY", "")
        if not current:
            raise MasterKeyError(
                "请设置 HUIYING_MASTER_KEY（32 字节随机数的 base64），用于加密投诉人身份 (master key missing)"
            )
        older = [k for k in os.environ.get("HUIYING_OLD_MASTER_KEYS", "").split(",") if k.strip()]
        return cls(
            _decode_key(current, "HUIYING_MASTER_KEY"),
            tuple(_decode_key(k, "HUIYING_OLD_MASTER_KEYS") for k in older),
        )


def _normalise(kind: str, value: str) -> str:
    if kind == "phone":
        return re.sub(r"\D", "", value).removeprefix("86")[-11:]
    return re.sub(r"\s", "", value).upper()


class Vault:
    """Sealing and opening identities with a tenant's data key."""

    def __init__(self, keys: MasterKeys) -> None:
        self.keys = keys

    # data keys
    def new_data_key(self) -> tuple[bytes, bytes, bytes, str]:
        """A fresh data key and its wrapping: (key, wrapped, nonce, master key id)."""
        key = AESGCM.generate_key(bit_length=256)
        wrapped, nonce = self.wrap(key)
        return key, wrapped, nonce, self.keys.current_id

    def wrap(self, data_key: bytes) -> tuple[bytes, bytes]:
        nonce = secrets.token_bytes(12)
        return AESGCM(self.keys.current).encrypt(nonce, data_key, b"huiying-data-key"), nonce

    def unwrap(self, wrapped: bytes, nonce: bytes, master_key_id: str) -> bytes:
        try:
            return AESGCM(self.keys.by_id(master_key_id)).decrypt(nonce, wrapped, b"huiying-data-key")
        except InvalidTag:
            raise MasterKeyError("数据密钥无法解封：主密钥不匹配 (data key does not unwrap)") from None

    # identities
    def seal(
        self, data_key: bytes, version: int, tenant_id: int, case_id: int, identity: Mapping[str, Any]
    ) -> SealedIdentity:
        plain = json.dumps(dict(identity), ensure_ascii=False, sort_keys=True).encode()
        nonce = secrets.token_bytes(12)
        ciphertext = AESGCM(data_key).encrypt(nonce, plain, _aad(tenant_id, case_id))
        phone = next((identity[key] for key in PHONE_KEYS if identity.get(key)), None)
        id_number = identity.get("id_number")
        return SealedIdentity(
            ciphertext=ciphertext,
            nonce=nonce,
            key_version=version,
            phone_index=self.blind_index(data_key, "phone", str(phone)) if phone else None,
            id_number_index=self.blind_index(data_key, "id_number", str(id_number)) if id_number else None,
        )

    def open(self, data_key: bytes, tenant_id: int, case_id: int, sealed: SealedIdentity) -> dict[str, Any]:
        try:
            plain = AESGCM(data_key).decrypt(sealed.nonce, sealed.ciphertext, _aad(tenant_id, case_id))
        except InvalidTag:
            raise MasterKeyError(
                "身份数据无法解密：数据被改动或不属于该案件 (identity does not open)"
            ) from None
        return json.loads(plain)

    @staticmethod
    def blind_index(data_key: bytes, kind: str, value: str) -> str:
        index_key = hmac.new(data_key, b"huiying-blind-index", hashlib.sha256).digest()
        return hmac.new(index_key, f"{kind}:{_normalise(kind, value)}".encode(), hashlib.sha256).hexdigest()


def _aad(tenant_id: int, case_id: int) -> bytes:
    return f"huiying:identity:{tenant_id}:{case_id}".encode()


@cache
def default_vault() -> Vault:
    """The vault of this process, from the environment (checked at start-up by the entry points)."""
    return Vault(MasterKeys.from_env())
