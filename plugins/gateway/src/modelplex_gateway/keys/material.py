"""Key material: making a key, and the one thing about it that is ever stored, its SHA-256.

A key is ``mpx-`` and 43 characters of URL-safe base64: 256 random bits from :mod:`secrets`. It is
shown once, when made; the database keeps ``sha256(key)`` (hex) and a public id (``k-`` and 12 hex
digits) that names the key everywhere else: lists, the usage log's ``caller``, budgets, metrics.

Why a plain SHA-256 and not a slow KDF (bcrypt, scrypt, Argon2): a slow KDF defends a low-entropy
secret (a password a person chose) against guessing from a stolen hash. Guessing a 256-bit random key
from its hash is out of reach at any speed, so slowness buys nothing, while it would cost milliseconds of
CPU on every request (the gateway checks the key of each) and, being salted, would forbid finding a key
by its hash with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "mpx-"
ID_PREFIX = "k-"


def new_key() -> str:
    """A new key: ``mpx-`` and 256 random bits."""
    return PREFIX + secrets.token_urlsafe(32)


def new_id() -> str:
    """A new public key id (not secret: it names the key in lists, logs and usage rows)."""
    return ID_PREFIX + secrets.token_hex(6)


def key_hash(key: str) -> str:
    """The SHA-256 of ``key``, hex: what the database keeps."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def same_hash(a: str, b: str) -> bool:
    """Whether two hashes are equal, compared in constant time."""
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))
