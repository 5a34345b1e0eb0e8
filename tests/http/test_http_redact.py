"""The redactor masks secrets it was given and credentials it saw go out."""

from __future__ import annotations

import base64

import httpx

from rowpush.http.redact import MASK, Redactor


def test_given_secrets_and_their_encoded_forms_are_masked() -> None:
    scrub = Redactor(["s3cr3t+value/=", "tiny"])
    assert scrub("bad secret s3cr3t+value/= here") == f"bad secret {MASK} here"
    assert (
        scrub("form body client_secret=s3cr3t%2Bvalue%2F%3D") == f"form body client_secret={MASK}"
    )
    assert scrub("tiny words stay") == "tiny words stay"  # too short to be a secret


def test_credentials_sent_in_headers_are_learned_with_and_without_their_scheme() -> None:
    scrub = Redactor()
    basic = base64.b64encode(b"id:pw-123456").decode()
    scrub.learn(
        httpx.Request("POST", "https://x/token", headers={"Authorization": f"Basic {basic}"})
    )
    scrub.learn(
        httpx.Request(
            "GET",
            "https://x/api",
            headers={"Authorization": "Bearer eyJtoken.abc.def", "X-API-Key": "key-987654"},
        )
    )
    echoed = f"401: got Basic {basic}, then token eyJtoken.abc.def and key key-987654"
    assert scrub(echoed) == f"401: got {MASK}, then token {MASK} and key {MASK}"
    assert scrub(f"only {basic}") == f"only {MASK}"


def test_the_longest_secret_wins_when_one_contains_another() -> None:
    scrub = Redactor(["abcdef", "abcdefghij"])
    assert scrub("x abcdefghij y") == f"x {MASK} y"
