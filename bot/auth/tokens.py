"""Customer JWTs: verification on every turn, and HS256 issuing for the dev token endpoint.

Keys are prepared once per verifier and each token's algorithm must be on the configured
allow-list, so a token cannot choose `none` or trick us into using the public key as an HMAC
secret. A token must name our audience and, when `auth.jwt_issuer` is set (it must be
outside dev mode), our issuer; it must say when it was issued (`iat`), and live no longer
than `auth.max_token_lifetime_seconds` (exp - iat), so a leaked or over-long token is not
good for long. Verified claims are cached per token string (expiry still checked on every
call), because a widget session presents the same token on every turn.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from bot.auth.identity import AuthLevel, Identity
from bot.auth.secrets import Secrets
from bot.config import AuthSettings, ConfigError

SUPPORTED_ALGORITHMS = frozenset({"HS256", "RS256", "ES256"})
LEEWAY_SECONDS = 30  # tolerated clock skew between the issuer and us
MAX_TOKEN_CHARS = 8192  # anything longer is not a token we issue; refuse before parsing
_CACHE_SIZE = 4096
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud"]


class TokenError(Exception):
    """A token was refused; `code` is what the API reports (the message never echoes it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class TokenVerifier:
    def __init__(self, settings: AuthSettings, secrets: Secrets) -> None:
        unknown = set(settings.jwt_algorithms) - SUPPORTED_ALGORITHMS
        if unknown or not settings.jwt_algorithms:
            raise ConfigError(
                f"auth.jwt_algorithms must be a non-empty subset of {sorted(SUPPORTED_ALGORITHMS)}"
            )
        self._audience = settings.jwt_audience
        self._issuer = settings.jwt_issuer or None
        self._max_lifetime = settings.max_token_lifetime_seconds
        self._secret = secrets.jwt_secret
        self._keys = {alg: _key_for(alg, secrets) for alg in settings.jwt_algorithms}
        self._claims = lru_cache(maxsize=_CACHE_SIZE)(self._decode)

    def verify(self, token: str) -> Identity:
        """Return the identified customer, or raise TokenError."""
        if not token or not token.strip():
            raise TokenError("missing_token", "no token was presented")
        if len(token) > MAX_TOKEN_CHARS:
            raise TokenError("invalid_token", "token is too long")
        customer_id, expires_at = self._claims(token)
        if time.time() > expires_at + LEEWAY_SECONDS:
            raise TokenError("expired_token", "token has expired")
        return Identity(customer_id, AuthLevel.IDENTIFIED, expires_at)

    def issue(self, customer_id: str, ttl_seconds: int = 3600) -> str:
        """Sign an HS256 token for `customer_id` (dev token endpoint and tests)."""
        if self._secret is None or "HS256" not in self._keys:
            raise ConfigError("issuing tokens needs TELLER_JWT_SECRET and HS256 in jwt_algorithms")
        if not customer_id or ttl_seconds <= 0:
            raise ValueError("customer_id must be non-empty and ttl_seconds positive")
        now = int(time.time())
        lifetime = min(ttl_seconds, self._max_lifetime)
        claims: dict[str, Any] = {
            "sub": customer_id,
            "aud": self._audience,
            "iat": now,
            "exp": now + lifetime,
        }
        if self._issuer is not None:
            claims["iss"] = self._issuer
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def _decode(self, token: str) -> tuple[str, float]:
        """Check signature and claims once per token; return (customer id, expiry)."""
        try:
            alg = jwt.get_unverified_header(token).get("alg")
            key = self._keys.get(alg) if isinstance(alg, str) else None
            if key is None:
                raise TokenError("invalid_token", "token algorithm is not allowed")
            required = [*_REQUIRED_CLAIMS, "iss"] if self._issuer else _REQUIRED_CLAIMS
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": required},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("expired_token", "token has expired") from None
        except jwt.PyJWTError as exc:
            raise TokenError("invalid_token", f"token refused: {type(exc).__name__}") from None
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise TokenError("invalid_token", "token subject is empty")
        if float(claims["exp"]) - float(claims["iat"]) > self._max_lifetime:
            raise TokenError("invalid_token", "token lives longer than allowed")
        return subject, float(claims["exp"])


def _key_for(alg: str, secrets: Secrets) -> Any:
    """The verification key for `alg`, loaded once; ConfigError if it is not configured."""
    if alg == "HS256":
        if secrets.jwt_secret is None:
            raise ConfigError("HS256 is allowed but TELLER_JWT_SECRET is not set")
        return secrets.jwt_secret.encode()
    if secrets.jwt_public_key is None:
        raise ConfigError(f"{alg} is allowed but TELLER_JWT_PUBLIC_KEY is not set")
    try:
        key = load_pem_public_key(secrets.jwt_public_key.encode())
    except ValueError:
        raise ConfigError("TELLER_JWT_PUBLIC_KEY is not a PEM public key") from None
    if alg == "RS256" and isinstance(key, rsa.RSAPublicKey):
        return key
    if alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ConfigError("ES256 needs a P-256 key in TELLER_JWT_PUBLIC_KEY")
        return key
    raise ConfigError(f"TELLER_JWT_PUBLIC_KEY does not fit {alg}")
