"""Token verification: only signed, unexpired tokens for our audience and algorithms pass."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import replace
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bot.auth import tokens
from bot.auth.identity import AuthLevel
from bot.auth.secrets import Secrets
from bot.auth.tokens import TokenError, TokenVerifier
from bot.config import AuthSettings, ConfigError

HS = AuthSettings(jwt_algorithms=("HS256",), jwt_audience="teller")
ISSUER = "https://login.bank.example"


def claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {"sub": "cust-001", "aud": "teller", "iat": now, "exp": now + 600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(TokenError) as caught:
        verifier.verify(token)
    assert token.strip() == "" or token not in str(caught.value)
    return caught.value.code


def public_pem(private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def test_issued_token_verifies_as_identified_customer(hs_secrets: Secrets) -> None:
    verifier = TokenVerifier(HS, hs_secrets)
    issued_at = time.time()
    identity = verifier.verify(verifier.issue("cust-002"))
    assert (identity.customer_id, identity.auth_level) == ("cust-002", AuthLevel.IDENTIFIED)
    assert identity.expires_at is not None  # the widget's socket ends then
    assert int(issued_at) < identity.expires_at <= time.time() + HS.max_token_lifetime_seconds


def test_missing_token(hs_secrets: Secrets) -> None:
    verifier = TokenVerifier(HS, hs_secrets)
    assert refused(verifier, "") == "missing_token"
    assert refused(verifier, "   ") == "missing_token"


@pytest.mark.parametrize("garbage", ["abc", "a.b.c", "x" * 9000, "Bearer xyz"])
def test_garbage_is_invalid(hs_secrets: Secrets, garbage: str) -> None:
    assert refused(TokenVerifier(HS, hs_secrets), garbage) == "invalid_token"


def test_expired_token(hs_secrets: Secrets) -> None:
    old = int(time.time()) - 3600
    token = jwt.encode(claims(iat=old - 60, exp=old), hs_secrets.jwt_secret, algorithm="HS256")
    assert refused(TokenVerifier(HS, hs_secrets), token) == "expired_token"


def test_cached_token_still_expires(hs_secrets: Secrets, monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = TokenVerifier(HS, hs_secrets)
    token = verifier.issue("cust-001", ttl_seconds=60)
    assert verifier.verify(token).customer_id == "cust-001"
    later = time.time() + 3600
    monkeypatch.setattr(tokens, "time", SimpleNamespace(time=lambda: later))
    assert refused(verifier, token) == "expired_token"


def test_wrong_signature(hs_secrets: Secrets) -> None:
    token = jwt.encode(claims(), "another-secret-of-sufficient-length!!", algorithm="HS256")
    assert refused(TokenVerifier(HS, hs_secrets), token) == "invalid_token"


def test_tampered_payload(hs_secrets: Secrets) -> None:
    verifier = TokenVerifier(HS, hs_secrets)
    header, _, signature = verifier.issue("cust-001").split(".")
    forged = base64.urlsafe_b64encode(json.dumps(claims(sub="cust-002")).encode()).rstrip(b"=")
    assert refused(verifier, f"{header}.{forged.decode()}.{signature}") == "invalid_token"


def test_wrong_audience(hs_secrets: Secrets) -> None:
    token = jwt.encode(claims(aud="someone-else"), hs_secrets.jwt_secret, algorithm="HS256")
    assert refused(TokenVerifier(HS, hs_secrets), token) == "invalid_token"


@pytest.mark.parametrize("missing", ["exp", "sub", "aud", "iat"])
def test_required_claims(hs_secrets: Secrets, missing: str) -> None:
    token = jwt.encode(claims(**{missing: None}), hs_secrets.jwt_secret, algorithm="HS256")
    assert refused(TokenVerifier(HS, hs_secrets), token) == "invalid_token"


def test_empty_subject(hs_secrets: Secrets) -> None:
    token = jwt.encode(claims(sub=""), hs_secrets.jwt_secret, algorithm="HS256")
    assert refused(TokenVerifier(HS, hs_secrets), token) == "invalid_token"


def test_alg_none_is_refused(hs_secrets: Secrets) -> None:
    token = jwt.encode(claims(), None, algorithm="none")
    assert refused(TokenVerifier(HS, hs_secrets), token) == "invalid_token"


def test_unlisted_algorithm_is_refused(hs_secrets: Secrets) -> None:
    token = jwt.encode(claims(), hs_secrets.jwt_secret, algorithm="HS512")
    assert refused(TokenVerifier(HS, hs_secrets), token) == "invalid_token"


def test_rs256_with_generated_key_pair(hs_secrets: Secrets, rsa_key: rsa.RSAPrivateKey) -> None:
    secrets = replace(hs_secrets, jwt_public_key=public_pem(rsa_key))
    verifier = TokenVerifier(AuthSettings(jwt_algorithms=("RS256",)), secrets)
    assert verifier.verify(jwt.encode(claims(), rsa_key, algorithm="RS256")).customer_id == (
        "cust-001"
    )
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert refused(verifier, jwt.encode(claims(), other, algorithm="RS256")) == "invalid_token"
    hs_token = jwt.encode(claims(), hs_secrets.jwt_secret, algorithm="HS256")
    assert refused(verifier, hs_token) == "invalid_token"


def test_es256_with_generated_key_pair(
    hs_secrets: Secrets, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    secrets = replace(hs_secrets, jwt_public_key=public_pem(ec_key))
    verifier = TokenVerifier(AuthSettings(jwt_algorithms=("ES256",)), secrets)
    assert verifier.verify(jwt.encode(claims(), ec_key, algorithm="ES256")).customer_id == (
        "cust-001"
    )


def test_public_key_cannot_be_used_as_hmac_secret(
    hs_secrets: Secrets, rsa_key: rsa.RSAPrivateKey
) -> None:
    """The classic algorithm-confusion forgery: HS256 signed with the (public) RSA key."""
    pem = public_pem(rsa_key)
    verifier = TokenVerifier(
        AuthSettings(jwt_algorithms=("HS256", "RS256")), replace(hs_secrets, jwt_public_key=pem)
    )

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signing_input = f"{header}.{b64(json.dumps(claims()).encode())}"
    signature = hmac.new(pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    assert refused(verifier, f"{signing_input}.{b64(signature)}") == "invalid_token"
    assert verifier.verify(jwt.encode(claims(), rsa_key, algorithm="RS256")).customer_id


def test_issue_without_secret_raises(rsa_key: rsa.RSAPrivateKey) -> None:
    secrets = Secrets(None, public_pem(rsa_key), b"k" * 32, "bank")
    verifier = TokenVerifier(AuthSettings(jwt_algorithms=("RS256",)), secrets)
    with pytest.raises(ConfigError):
        verifier.issue("cust-001")


@pytest.mark.parametrize(
    ("algorithms", "public_key"),
    [
        ((), None),
        (("none",), None),
        (("HS256", "PS256"), None),
        (("RS256",), None),
        (("RS256",), "not a pem"),
    ],
)
def test_bad_configuration_refused(
    hs_secrets: Secrets, algorithms: tuple[str, ...], public_key: str | None
) -> None:
    with pytest.raises(ConfigError):
        TokenVerifier(
            AuthSettings(jwt_algorithms=algorithms), replace(hs_secrets, jwt_public_key=public_key)
        )


def test_key_type_must_fit_algorithm(
    hs_secrets: Secrets, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    with pytest.raises(ConfigError, match="RS256"):
        TokenVerifier(
            AuthSettings(jwt_algorithms=("RS256",)),
            replace(hs_secrets, jwt_public_key=public_pem(ec_key)),
        )


def test_hs256_without_secret_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ConfigError, match="TELLER_JWT_SECRET"):
        TokenVerifier(HS, Secrets(None, public_pem(rsa_key), b"k" * 32, "bank"))


def test_verify_is_fast(hs_secrets: Secrets) -> None:
    verifier = TokenVerifier(HS, hs_secrets)
    token = verifier.issue("cust-001")
    verifier.verify(token)
    started = time.perf_counter()
    for _ in range(2000):
        verifier.verify(token)
    assert (time.perf_counter() - started) / 2000 < 50e-6


def strict() -> AuthSettings:
    """What production sets: our issuer, and tokens that live at most 15 minutes."""
    return AuthSettings(
        jwt_algorithms=("HS256",),
        jwt_audience="teller",
        jwt_issuer=ISSUER,
        max_token_lifetime_seconds=900,
    )


def test_a_token_from_another_issuer_or_from_none_is_refused(hs_secrets: Secrets) -> None:
    """Issue 10, finding 10 ("fail closed"): customer tokens had no `iss` check, so a token
    any other system signed with a shared key or for the same audience passed as ours."""
    verifier = TokenVerifier(strict(), hs_secrets)
    secret = hs_secrets.jwt_secret
    assert verifier.verify(jwt.encode(claims(iss=ISSUER), secret)).customer_id == "cust-001"
    elsewhere = jwt.encode(claims(iss="https://login.other.example"), secret)
    assert refused(verifier, elsewhere) == "invalid_token"
    assert refused(verifier, jwt.encode(claims(), secret)) == "invalid_token"


def test_a_token_that_lives_too_long_or_has_no_issue_time_is_refused(
    hs_secrets: Secrets,
) -> None:
    """Issue 10, finding 10: customer tokens had no maximum lifetime, so a token minted to
    live a year (or a leaked one) was good for a year; one without `iat` cannot say."""
    verifier = TokenVerifier(strict(), hs_secrets)
    secret, now = hs_secrets.jwt_secret, int(time.time())
    longest = jwt.encode(claims(iss=ISSUER, iat=now, exp=now + 900), secret)
    assert verifier.verify(longest).customer_id == "cust-001"
    a_year = jwt.encode(claims(iss=ISSUER, iat=now, exp=now + 365 * 86400), secret)
    assert refused(verifier, a_year) == "invalid_token"
    assert refused(verifier, jwt.encode(claims(iss=ISSUER, iat=now, exp=now + 901), secret)) == (
        "invalid_token"
    )
    assert refused(verifier, jwt.encode(claims(iss=ISSUER, iat=None), secret)) == "invalid_token"


def test_issued_tokens_say_who_issued_them_and_when(hs_secrets: Secrets) -> None:
    """The dev token endpoint's tokens carry iss and iat, within the maximum lifetime."""
    verifier = TokenVerifier(strict(), hs_secrets)
    token = verifier.issue("cust-002", ttl_seconds=3600)
    issued = jwt.decode(token, options={"verify_signature": False})
    assert issued["iss"] == ISSUER
    assert 0 < issued["exp"] - issued["iat"] <= 900
    assert verifier.verify(token).customer_id == "cust-002"
