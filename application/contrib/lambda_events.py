"""API Gateway proxy events as data: the method, path, headers, query, body and authorizer
claims of a REST API event (payload 1.0, also an HTTP API's 1.0) and of an HTTP API event
(payload 2.0), and the response dictionary API Gateway expects."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from aace.contrib.web import WebResponse
from aace.domain.errors import ValidationError

__all__ = [
    "authorizer_claims",
    "event_body",
    "event_headers",
    "event_method",
    "event_path",
    "event_query",
    "event_url_path",
    "gateway_response",
]


def _is_v2(event: Mapping[str, Any]) -> bool:
    return event.get("version") == "2.0"


def _context(event: Mapping[str, Any]) -> Mapping[str, Any]:
    found = event.get("requestContext")
    return found if isinstance(found, Mapping) else {}


def event_method(event: Mapping[str, Any]) -> str:
    """The HTTP method (``GET``); empty for an event that is not an HTTP request."""
    if _is_v2(event):
        return str(_context(event).get("http", {}).get("method", ""))
    return str(event.get("httpMethod") or "")


def event_path(event: Mapping[str, Any]) -> str:
    """The request's path as routed (1.0: ``path``; 2.0: ``rawPath`` less a named stage's
    ``/<stage>`` prefix, which API Gateway puts there unless the stage is ``$default``)."""
    path = event_url_path(event)
    stage = _context(event).get("stage")
    if _is_v2(event) and isinstance(stage, str) and stage and stage != "$default":
        prefix = f"/{stage}"
        if path == prefix or path.startswith(f"{prefix}/"):
            return path[len(prefix) :] or "/"
    return path


def event_url_path(event: Mapping[str, Any]) -> str:
    """The path as the client sent it (2.0: ``rawPath``, a named stage included; 1.0:
    ``path``): what a link back to this API starts with."""
    return str((event.get("rawPath") if _is_v2(event) else event.get("path")) or "/")


def event_headers(event: Mapping[str, Any]) -> dict[str, str]:
    """The headers, names as sent (2.0 lowercases them; look them up ignoring case)."""
    return {str(k): str(v) for k, v in (event.get("headers") or {}).items()}


def event_query(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The query's pairs, repeated names kept (1.0: ``multiValueQueryStringParameters``)."""
    many = event.get("multiValueQueryStringParameters")
    if not _is_v2(event) and isinstance(many, Mapping):
        return [(str(name), str(value)) for name, values in many.items() for value in values]
    return [(str(k), str(v)) for k, v in (event.get("queryStringParameters") or {}).items()]


def event_body(event: Mapping[str, Any]) -> Any:
    """The body parsed as JSON (base64-decoded first where the event says so); no body is
    ``None``; anything that is not JSON is ``ValidationError`` naming ``body``."""
    body = event.get("body")
    if body is None or body == "":
        return None
    try:
        text = base64.b64decode(body) if event.get("isBase64Encoded") else body
        return json.loads(text)
    except ValueError as error:
        raise ValidationError("body", "is not valid JSON") from error


def authorizer_claims(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """What the API Gateway authorizer verified: a JWT authorizer's claims (2.0:
    ``authorizer.jwt.claims``; 1.0 and Cognito: ``authorizer.claims``) or a Lambda
    authorizer's context (2.0: ``authorizer.lambda``; 1.0: ``authorizer`` itself)."""
    authorizer = _context(event).get("authorizer")
    if not isinstance(authorizer, Mapping):
        return {}
    for path in (("jwt", "claims"), ("claims",), ("lambda",)):
        found: Any = authorizer
        for key in path:
            found = found.get(key) if isinstance(found, Mapping) else None
        if isinstance(found, Mapping):
            return found
    return authorizer


def gateway_response(response: WebResponse) -> dict[str, Any]:
    """A response as API Gateway takes it from a proxy integration (both payloads)."""
    return {
        "statusCode": response.status,
        "headers": dict(response.headers),
        "body": response.body.decode(),
        "isBase64Encoded": False,
    }
