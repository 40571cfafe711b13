"""The authentication platform's webhook signature (issue 5): HMAC-SHA256 over timestamp + body, five minutes of
tolerance, every kind of forgery refused with its own code."""

from __future__ import annotations

import pytest

from connectors.auth_platform.signature import SignatureRefused, SignedPush, sign, verify

pytestmark = pytest.mark.unit

SECRET = b"shared-secret-with-the-authentication-platform"
BODY = b'{"result_id":"R-1","personal_number":"1301000012345","result":"passed"}'
NOW = 1_795_000_000


def test_a_genuine_push_is_accepted() -> None:
    assert verify(SECRET, SignedPush(str(NOW), sign(SECRET, NOW, BODY), BODY), now=NOW + 10) == NOW


@pytest.mark.parametrize(
    ("push", "code"),
    [
        (SignedPush(None, sign(SECRET, NOW, BODY), BODY), "SIGNATURE_MISSING"),
        (SignedPush(str(NOW), None, BODY), "SIGNATURE_MISSING"),
        (SignedPush("yesterday", sign(SECRET, NOW, BODY), BODY), "TIMESTAMP_INVALID"),
        (SignedPush(str(NOW), sign(b"another secret", NOW, BODY), BODY), "SIGNATURE_INVALID"),
        (SignedPush(str(NOW), sign(SECRET, NOW, BODY), BODY.replace(b"passed", b"failed")), "SIGNATURE_INVALID"),
        # The timestamp is signed too: moving it forward breaks the signature.
        (SignedPush(str(NOW + 600), sign(SECRET, NOW, BODY), BODY), "SIGNATURE_INVALID"),
        (SignedPush(str(NOW - 301), sign(SECRET, NOW - 301, BODY), BODY), "TIMESTAMP_STALE"),
        (SignedPush(str(NOW + 301), sign(SECRET, NOW + 301, BODY), BODY), "TIMESTAMP_STALE"),
    ],
)
def test_forged_or_stale_pushes_are_refused_with_a_reason(push: SignedPush, code: str) -> None:
    with pytest.raises(SignatureRefused) as refused:
        verify(SECRET, push, now=NOW)
    assert refused.value.code == code
    assert refused.value.message  # a Chinese message for the log and the platform's operators


def test_five_minutes_exactly_is_still_fresh() -> None:
    assert verify(SECRET, SignedPush(str(NOW - 300), sign(SECRET, NOW - 300, BODY), BODY), now=NOW) == NOW - 300
