"""OIDC tokens for AssumeRoleWithWebIdentity: signed by a key the emulator publishes for tests.

AWS verifies a token with the provider's published keys. The emulator cannot reach GitHub or any
issuer, so it accepts only tokens signed (HS256) with TEST_SIGNING_KEY, which it publishes here:
tests and local tools mint tokens with `sign_token`. A token with another algorithm, a bad signature,
an expired `exp` or no `iss`/`sub`/`aud` is refused as AWS refuses it (InvalidIdentityToken).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

TEST_SIGNING_KEY = b"local-aws-oidc-test-signing-key"


class InvalidToken(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_token(claims: dict[str, Any]) -> str:
    """A JWT the emulator accepts (claims as given; add `exp` to test expiry)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(TEST_SIGNING_KEY, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def verified_claims(token: str) -> dict[str, Any]:
    try:
        header_text, payload_text, signature_text = token.split(".")
        header = json.loads(_unb64(header_text))
        claims = json.loads(_unb64(payload_text))
        signature = _unb64(signature_text)
    except ValueError as error:
        raise InvalidToken("the token is not a JWT") from error
    if header.get("alg") != "HS256":
        raise InvalidToken(f"the emulator accepts HS256 test tokens only, not {header.get('alg')}")
    expected = hmac.new(TEST_SIGNING_KEY, f"{header_text}.{payload_text}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise InvalidToken("the token's signature is not valid")
    if not isinstance(claims, dict) or not all(isinstance(claims.get(k), str) for k in ("iss", "sub")):
        raise InvalidToken("the token lacks iss or sub")
    if "aud" not in claims:
        raise InvalidToken("the token lacks aud")
    if "exp" in claims and float(claims["exp"]) < time.time():
        raise InvalidToken("the token has expired")
    return claims


def issuer_host_path(issuer: str) -> str:
    """`https://token.actions.githubusercontent.com` -> `token.actions.githubusercontent.com`."""
    return issuer.split("://", 1)[-1].rstrip("/")


def audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims["aud"]
    return [str(a) for a in aud] if isinstance(aud, list) else [str(aud)]
