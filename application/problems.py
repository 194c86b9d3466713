"""Errors as RFC 9457 problem details: the one rendering every framework integration uses.

``problem(error)`` gives the status (the table of :mod:`aace.domain.errors`), the body and
the headers. The body is ``{"type", "title", "status", "detail"}``: ``type`` a host-less URN
(``urn:aace:error:not-found``; ``about:blank`` for an error that is not the package's, a
500 saying nothing more), ``title`` the class's name in words, ``detail`` the class's
documented meaning. ``detail`` never repeats the error's message: messages may quote keys
or values, and a problem goes to a client. Extensions: ``errors`` (a ``ValidationError``'s
``[{field, message}]``, in field order), ``limit`` (``TooLarge``), ``resets_at``
(``QuotaExceeded``, which also sends ``Retry-After``).
:func:`request_problem` renders a framework's own request-validation errors the same way.
"""

from __future__ import annotations

import email.utils
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from aace.domain.errors import AaceError, FieldError, QuotaExceeded, TooLarge, ValidationError

__all__ = [
    "MEDIA_TYPE",
    "PROBLEM_JSON_SCHEMA",
    "Problem",
    "problem",
    "request_problem",
    "status_of",
]

#: The media type of a problem document.
MEDIA_TYPE = "application/problem+json"
#: The JSON Schema of a problem document, for an OpenAPI document's error responses.
PROBLEM_JSON_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error as RFC 9457 problem details.",
    "type": "object",
    "properties": {
        "type": {"type": "string", "description": "urn:aace:error:<class> or about:blank"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "A validation error's every bad field, in field order.",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
        "limit": {"type": "string", "description": "TooLarge: the storage limit passed."},
        "resets_at": {
            "type": "string",
            "format": "date-time",
            "description": "QuotaExceeded: when the period resets.",
        },
    },
    "required": ["type", "title", "status"],
}
_UNKNOWN_STATUS = 500
_WORDS = re.compile(r"(?<!^)(?=[A-Z])")


@attrs.frozen
class Problem:
    """An error as an HTTP response: status, problem-details body, extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = attrs.field(factory=dict)


def status_of(error: BaseException) -> int:
    """The HTTP status of ``error`` (500 for anything not the package's)."""
    status = getattr(type(error), "status", None) if isinstance(error, AaceError) else None
    return status if isinstance(status, int) else _UNKNOWN_STATUS


def _words(cls: type[BaseException]) -> list[str]:
    return _WORDS.split(cls.__name__)


def _meaning(cls: type[BaseException]) -> str:
    """The first sentence of the nearest docstring, markup removed."""
    for klass in cls.__mro__:
        doc = klass.__dict__.get("__doc__")
        if doc:
            text = " ".join(doc.split()).replace("``", "").replace(":class:", "")
            text = re.sub(r"`([^`]*)`", r"\1", text)
            return text.split(". ")[0].split(": ")[0].rstrip(".") + "."
    return ""


def problem(error: BaseException, *, now: datetime | None = None) -> Problem:
    """``error`` as problem details. ``now`` (aware) makes ``Retry-After`` a number of
    seconds; without it, the HTTP date the quota resets."""
    if not isinstance(error, AaceError):
        return Problem(
            _UNKNOWN_STATUS,
            {"type": "about:blank", "title": "Internal Server Error", "status": _UNKNOWN_STATUS},
        )
    cls = type(error)
    words = _words(cls)
    body: dict[str, Any] = {
        "type": "urn:aace:error:" + "-".join(w.lower() for w in words),
        "title": " ".join([words[0], *(w.lower() for w in words[1:])]),
        "status": status_of(error),
        "detail": _meaning(cls),
    }
    headers: dict[str, str] = {}
    if isinstance(error, ValidationError):
        body["detail"] = _invalid(error.errors)
        body["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
    if isinstance(error, TooLarge):
        body["limit"] = error.limit
    if isinstance(error, QuotaExceeded):
        body["resets_at"] = error.resets_at.isoformat()
        headers["Retry-After"] = _retry_after(error.resets_at, now)
    return Problem(body["status"], body, headers)


def _invalid(errors: Iterable[FieldError]) -> str:
    names = list(dict.fromkeys(e.field for e in errors))
    return f"{len(names)} invalid field{'s' if len(names) != 1 else ''}: {', '.join(names)}."


def _retry_after(resets_at: datetime, now: datetime | None) -> str:
    if now is None:
        return email.utils.format_datetime(resets_at, usegmt=True)
    return str(max(0, math.ceil((resets_at - now).total_seconds())))


def request_problem(errors: Iterable[Mapping[str, Any]]) -> Problem:
    """A framework's own request-validation errors (pydantic's ``errors()``: ``loc``,
    ``msg``) as the same 422 a ``ValidationError`` gives. The location's leading part
    (``body``, ``query``, ``path``, ``header``) is dropped; the rest is dotted, list
    indexes in brackets (``variables[0].name``)."""
    found = [FieldError(_field(e.get("loc", ())), str(e.get("msg", "is invalid"))) for e in errors]
    if not found:
        found = [FieldError("body", "is invalid")]
    error = ValidationError(found[0].field, found[0].message).with_errors(found)
    return problem(error)


def _field(loc: Iterable[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"
