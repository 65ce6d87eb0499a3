"""Token-endpoint bodies: form-encoded or JSON, both read into Authlib's flat parameters.

Real clients send either (the PERSCOM Zapier app posts JSON); anything else, or a body
too large, repeated form keys or non-scalar JSON values, is ``invalid_request``.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from fastapi import Request
from starlette.responses import Response

from tenantry.core.bodies import JsonRefused, find_nul_in_pairs, parse_json, read_body
from tenantry.core.errors import PayloadTooLarge
from tenantry.core.oauth.request import flatten

MAX_TOKEN_BODY = 16_384

__all__ = ["MAX_TOKEN_BODY", "ascii_text", "oauth_error_response", "read_token_body"]


async def read_token_body(
    request: Request, *, json_any_type: bool = False
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Form-encoded or JSON (an object of scalars); anything else is ``invalid_request``.

    ``json_any_type`` reads a body that starts with ``{`` as JSON whatever its declared
    type (clients that send duplicate or odd content types)."""
    content_type = request.headers.get("content-type", "")
    media_types = {part.split(";")[0].strip().lower() for part in content_type.split(",")}
    media_type = "application/json" if "application/json" in media_types else ""
    if not media_type:
        media_type = content_type.split(";")[0].strip().lower()
    try:
        raw = await read_body(request, MAX_TOKEN_BODY)
    except PayloadTooLarge:
        raise InvalidRequestError("The request body is too large.") from None
    if json_any_type and raw.lstrip().startswith(b"{"):
        media_type = "application/json"
    if media_type == "application/json":
        try:
            parsed = parse_json(raw)
        except JsonRefused:
            raise InvalidRequestError("The body is not valid JSON.") from None
        if not isinstance(parsed, dict):
            raise InvalidRequestError("The JSON body must be an object.")
        pairs: list[tuple[str, str]] = []
        for key, value in parsed.items():
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise InvalidRequestError(f"The '{ascii_text(key)}' field must be a string.")
            pairs.append((key, str(value)))
        if find_nul_in_pairs(pairs) is not None:
            raise InvalidRequestError("Parameters must not contain a NUL character.")
        return flatten(pairs)
    if media_type not in ("application/x-www-form-urlencoded", ""):
        raise InvalidRequestError(
            "Send the body as application/x-www-form-urlencoded or application/json."
        )
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequestError("The form body could not be read.") from None
    if find_nul_in_pairs(pairs) is not None:
        raise InvalidRequestError("Parameters must not contain a NUL character.")
    data, datalist = flatten(pairs)
    for key, values in datalist.items():
        if len(values) > 1:
            raise InvalidRequestError(f"The '{ascii_text(key)}' parameter is repeated.")
    return data, datalist


def ascii_text(text: str) -> str:
    """Error descriptions may only carry printable ASCII without quotes or backslashes."""
    return "".join(ch for ch in text[:40] if 0x20 <= ord(ch) <= 0x7E and ch not in '"\\')


def oauth_error_response(error: OAuth2Error) -> Response:
    """An Authlib error as its RFC 6749 §5.2 JSON response."""
    status, body, headers = error()
    return Response(json.dumps(body), status_code=status, headers=dict(headers))
