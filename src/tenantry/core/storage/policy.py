"""HMAC-signed upload policies and download links for the local backend.

The POST policy has the same shape as S3's (a base64 JSON document with ``expiration``
and ``conditions``, sent as form fields next to its signature), so a browser client
uploads the same way to either backend; only the signature is ours (HMAC-SHA256 with
a key derived from the app secret) instead of AWS SigV4. Everything here is a pure
function of its arguments, which is what lets the upload route verify a form without
any state.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from tenantry.core.storage.base import (
    StorageError,
    validate_content_type,
    validate_expires_in,
    validate_key,
    validate_key_prefix,
    validate_max_bytes,
)

ALGORITHM = "TENANTRY-HMAC-SHA256"
ALGORITHM_FIELD = "x-tenantry-algorithm"
SIGNATURE_FIELD = "x-tenantry-signature"
#: The bucket named in local policies (S3 policies name the real bucket).
LOCAL_BUCKET = "files"
FILENAME_PLACEHOLDER = "${filename}"
#: Form fields S3 exempts from "every field must match a condition".
_EXEMPT_FIELDS = frozenset({"policy", "file", SIGNATURE_FIELD})


class PolicyViolation(StorageError):
    """A presigned upload or download was refused; ``message`` says why (routes send 403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _signing_key(secret: str, purpose: str) -> bytes:
    """Derive one key per purpose so a GET signature can never pass as a POST one."""
    return hmac.new(
        secret.encode("utf-8"), f"tenantry.storage.{purpose}".encode(), hashlib.sha256
    ).digest()


def _sign(secret: str, purpose: str, message: str) -> str:
    return hmac.new(
        _signing_key(secret, purpose), message.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _format_expiration(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def build_post_policy(
    key_prefix: str,
    max_bytes: int,
    expires_in: int,
    content_type: str | None,
    *,
    secret: str,
    now: float | None = None,
) -> dict[str, str]:
    """Return the signed form fields of an S3-shaped POST policy for one upload."""
    validate_key_prefix(key_prefix)
    validate_max_bytes(max_bytes)
    validate_expires_in(expires_in)
    fields = {"key": key_prefix + FILENAME_PLACEHOLDER, ALGORITHM_FIELD: ALGORITHM}
    conditions: list[object] = [
        {"bucket": LOCAL_BUCKET},
        ["starts-with", "$key", key_prefix],
        ["content-length-range", 0, max_bytes],
        {ALGORITHM_FIELD: ALGORITHM},
    ]
    if content_type is not None:
        validate_content_type(content_type)
        fields["Content-Type"] = content_type
        conditions.append({"Content-Type": content_type})
    document = {
        "expiration": _format_expiration(_now(now) + expires_in),
        "conditions": conditions,
    }
    policy = base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()
    fields["policy"] = policy
    fields[SIGNATURE_FIELD] = _sign(secret, "post", policy)
    return fields


def resolve_upload_key(key_field: str, filename: str) -> str:
    """The object key of a form upload: S3 replaces ``${filename}`` by the file's name.

    Only the last path component of the client's file name is used; the result is
    validated so a crafted name cannot escape the prefix.
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return validate_key(key_field.replace(FILENAME_PLACEHOLDER, name))


def _decode_policy(policy: str) -> dict[str, object]:
    try:
        document = json.loads(base64.b64decode(policy, validate=True))
    except (binascii.Error, ValueError):
        raise PolicyViolation("the policy is not base64-encoded JSON") from None
    if not isinstance(document, dict):
        raise PolicyViolation("the policy is not a JSON object")
    return document


def _check_expiration(document: Mapping[str, object], now: float) -> None:
    expiration = document.get("expiration")
    if not isinstance(expiration, str):
        raise PolicyViolation("the policy has no expiration")
    try:
        expires_at = datetime.fromisoformat(expiration)
    except ValueError:
        raise PolicyViolation(f"the policy expiration {expiration!r} is not a date") from None
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    if now >= expires_at.timestamp():
        raise PolicyViolation(f"the policy expired at {expiration}")


def _check_condition(condition: object, values: Mapping[str, str], size: int) -> str | None:
    """Check one condition; return the (lower-case) field name it covers, if any."""
    if isinstance(condition, dict) and len(condition) == 1:
        ((name, expected),) = condition.items()
        condition = ["eq", f"${name}", expected]
    if not isinstance(condition, list) or len(condition) != 3:
        raise PolicyViolation(f"unsupported policy condition {condition!r}")
    operator, subject, operand = condition
    operator = operator.lower() if isinstance(operator, str) else operator
    if operator == "content-length-range":
        low, high = subject, operand
        if not isinstance(low, int) or not isinstance(high, int):
            raise PolicyViolation("content-length-range bounds must be integers")
        if not low <= size <= high:
            raise PolicyViolation(f"the file is {size} bytes; the policy allows {low} to {high}")
        return None
    if (
        operator not in {"eq", "starts-with"}
        or not isinstance(subject, str)
        or not subject.startswith("$")
        or not isinstance(operand, str)
    ):
        raise PolicyViolation(f"unsupported policy condition {condition!r}")
    name = subject[1:].lower()
    actual = values.get(name)
    if operator == "eq" and actual != operand:
        raise PolicyViolation(f"{subject[1:]} must be {operand!r}, got {actual!r}")
    if operator == "starts-with" and not (actual or "").startswith(operand):
        raise PolicyViolation(f"{subject[1:]} must start with {operand!r}, got {actual!r}")
    return name


def verify_post_policy(
    fields: Mapping[str, str],
    key: str,
    size: int,
    content_type: str | None,
    *,
    secret: str,
    now: float | None = None,
) -> None:
    """Raise :class:`PolicyViolation` unless the signed form allows this upload.

    ``fields`` are the submitted form fields (without the file), ``key`` the object
    key the upload resolves to (see :func:`resolve_upload_key`), ``size`` the file's
    byte count and ``content_type`` the type it will be stored with (``None``: the
    form's ``Content-Type`` field). As on S3, every form field must be covered by a
    condition, except the policy, its signature and ``x-ignore-*`` fields.
    """
    lowered = {name.lower(): value for name, value in fields.items()}
    policy = lowered.get("policy")
    signature = lowered.get(SIGNATURE_FIELD)
    if not policy or not signature:
        raise PolicyViolation(f"the form lacks the policy or {SIGNATURE_FIELD} field")
    if not hmac.compare_digest(signature, _sign(secret, "post", policy)):
        raise PolicyViolation("the policy signature does not match")
    document = _decode_policy(policy)
    _check_expiration(document, _now(now))
    try:
        validate_key(key)
    except ValueError as error:
        raise PolicyViolation(str(error)) from None
    if "key" not in lowered:
        raise PolicyViolation("the form lacks the key field")

    submitted = {
        name: value
        for name, value in lowered.items()
        if name not in _EXEMPT_FIELDS and not name.startswith("x-ignore-")
    }
    values = {**submitted, "bucket": LOCAL_BUCKET, "key": key}
    if content_type is not None:
        values["content-type"] = content_type

    conditions = document.get("conditions")
    if not isinstance(conditions, list):
        raise PolicyViolation("the policy has no conditions")
    covered = {_check_condition(condition, values, size) for condition in conditions}
    for name in submitted:
        if name not in covered:
            raise PolicyViolation(f"form field {name!r} is not allowed by the policy")


def sign_get(key: str, expires_in: int, *, secret: str, now: float | None = None) -> dict[str, str]:
    """Query parameters that authorise GETting ``key`` until ``expires_in`` from now."""
    validate_key(key)
    validate_expires_in(expires_in)
    expires = str(int(_now(now)) + expires_in)
    return {"expires": expires, "signature": _sign(secret, "get", f"{key}\n{expires}")}


def verify_presigned_get(
    key: str,
    query_params: Mapping[str, str],
    *,
    secret: str,
    now: float | None = None,
) -> None:
    """Raise :class:`PolicyViolation` unless ``query_params`` carry a live signature for ``key``."""
    expires = query_params.get("expires", "")
    signature = query_params.get("signature", "")
    if not (expires.isascii() and expires.isdigit()) or not signature:
        raise PolicyViolation("the link lacks a valid expires or signature parameter")
    if not hmac.compare_digest(signature, _sign(secret, "get", f"{key}\n{expires}")):
        raise PolicyViolation("the link signature does not match")
    if _now(now) >= int(expires):
        raise PolicyViolation("the link has expired")
