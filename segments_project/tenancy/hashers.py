"""The hasher of client secrets the service generates itself (docs/security.md, "Client
secrets")."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_noop as _


class GeneratedSecretSHA256Hasher(BasePasswordHasher):
    """Salted SHA-256, compared in constant time: only for the 256-bit random secrets of
    `services.client_secret_generate`.

    A key stretching hash (PBKDF2) makes guessing a *guessable* secret expensive; a secret
    of 256 random bits cannot be guessed whatever the hash, so stretching would only cost
    every token request about a quarter of a second of CPU. Registered after Django's
    hashers (never the default): people's passwords and secrets a person chose keep PBKDF2.
    """

    algorithm = "generated_secret_sha256"

    def encode(self, password: str, salt: str) -> str:
        self._check_encode_args(password, salt)
        digest = hashlib.sha256((salt + password).encode()).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict[str, str]:
        algorithm, salt, digest = encoded.split("$", 2)
        if algorithm != self.algorithm:
            raise ValueError(f"Not a {self.algorithm} hash.")
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict[str, Any]:
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("salt"): mask_hash(decoded["salt"], show=2),
            _("hash"): mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        return False

    def harden_runtime(self, password: str, encoded: str) -> None:
        # Nothing to equalize: no work factor varies between stored hashes.
        return None
