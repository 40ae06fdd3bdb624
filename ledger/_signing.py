"""Ed25519 signatures on checkpoints, with the key the auditor holds (never the books' owner).

A signed checkpoint is the JSON object ``{"checkpoint": body, "signature": hex,
"public_key": hex}``: ``signature`` is Ed25519 over :func:`canonical_bytes` of ``body``, and
``public_key`` is the raw 32-byte key in hex, recorded for convenience only. A key is known by
its fingerprint, the SHA-256 of the raw public key in hex; the auditor publishes it, and a
checkpoint is trusted only with a key whose fingerprint matches the published one. Nothing
here touches the database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from i18n import _
from ledger._checkpoints import Checkpoint, canonical_bytes, checkpoint_from_body
from ledger.errors import InvalidCheckpoint, SignatureInvalid

SHORT = 16  # hex digits of a digest, signature or fingerprint in the published short form


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint body with its signature and the public key it claims (both hex)."""

    body: dict[str, Any]
    signature: str
    public_key: str

    def document(self) -> dict[str, Any]:
        return {"checkpoint": self.body, "signature": self.signature, "public_key": self.public_key}

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def short_form(self) -> str:
        """The line to publish on the notice board (公示) and as a QR code."""
        taken = str(self.body.get("taken_at", ""))[:16]
        return (
            f"Red Passbook checkpoint {taken}Z digest {str(self.body['books_digest'])[:SHORT]} "
            f"sig {self.signature[:SHORT]} key {self.fingerprint[:SHORT]}"
        )


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (PKCS#8, unencrypted), or :class:`InvalidCheckpoint`."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise InvalidCheckpoint(
            _("This is not an unencrypted PEM private key ({error}).", error=error)
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidCheckpoint(_("This private key is not an Ed25519 key."))
    return key


def load_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM or from the raw key in hex (64 digits)."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
    except (ValueError, TypeError, UnicodeEncodeError) as error:
        raise InvalidCheckpoint(
            _("This is not an Ed25519 public key (PEM, or 64 hex digits).")
        ) from error
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidCheckpoint(_("This public key is not an Ed25519 key."))
    return key


def fingerprint(public_key: str) -> str:
    """The fingerprint of a public key (PEM or hex): SHA-256 of its raw bytes, in hex."""
    raw = bytes.fromhex(public_key_hex(load_public_key(public_key)))
    return hashlib.sha256(raw).hexdigest()


def sign_checkpoint(
    checkpoint: Checkpoint | dict[str, Any], key: Ed25519PrivateKey
) -> SignedCheckpoint:
    """Sign a checkpoint (or a body fetched from the API, checked first)."""
    body = checkpoint.body() if isinstance(checkpoint, Checkpoint) else checkpoint
    checkpoint_from_body(body)
    signature = key.sign(canonical_bytes(body)).hex()
    return SignedCheckpoint(body, signature, public_key_hex(key.public_key()))


def read_signed(document: Any) -> SignedCheckpoint:
    """A signed checkpoint from its JSON document, or :class:`InvalidCheckpoint`."""
    if not isinstance(document, dict) or not isinstance(document.get("checkpoint"), dict):
        raise InvalidCheckpoint(_("This is not a signed checkpoint: no 'checkpoint' object."))
    signature, public_key = document.get("signature"), document.get("public_key")
    if not isinstance(signature, str) or not isinstance(public_key, str):
        raise InvalidCheckpoint(_("A signed checkpoint needs 'signature' and 'public_key' (hex)."))
    return SignedCheckpoint(document["checkpoint"], signature, public_key)


def check_signature(
    signed: SignedCheckpoint,
    *,
    public_key: str | None = None,
    expected_fingerprint: str | None = None,
) -> Checkpoint:
    """The checkpoint, once its signature verifies with the auditor's key: ``public_key`` if
    given (PEM or hex), else the key recorded in the file, which must then have
    ``expected_fingerprint`` when that is given (a prefix of at least 16 digits will do).
    Refuses with :class:`SignatureInvalid`."""
    key = load_public_key(public_key if public_key is not None else signed.public_key)
    if expected_fingerprint is not None:
        wanted = expected_fingerprint.strip().lower()
        actual = fingerprint(public_key_hex(key))
        if len(wanted) < SHORT or not actual.startswith(wanted):
            raise SignatureInvalid(
                _(
                    "The checkpoint's key has fingerprint {actual}..., not the published "
                    "{wanted}...; it was not signed by the auditor you trust.",
                    actual=actual[:SHORT],
                    wanted=wanted[:SHORT],
                )
            )
    try:
        key.verify(bytes.fromhex(signed.signature), canonical_bytes(signed.body))
    except (InvalidSignature, ValueError) as error:
        raise SignatureInvalid(
            _(
                "The checkpoint's signature does not verify with the auditor's public "
                "key: the file was altered, or signed with another key. Do not trust it."
            )
        ) from error
    return checkpoint_from_body(signed.body)
