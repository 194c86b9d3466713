"""What every integration answers the same way, whatever the framework: JSON bodies in the
web shape, problem details, the next page's link, the health document and the paging
query parameters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import attrs

from aace.application.problems import MEDIA_TYPE, Problem
from aace.application.serialization import dumps, to_json_data
from aace.domain.errors import ValidationError
from aace.domain.ports import CheckResult, Health
from aace.domain.query import MAX_PAGE_SIZE, Page

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "JSON",
    "PROBLEM_JSON",
    "WebResponse",
    "health_response",
    "next_link",
    "page_query",
    "problem_response",
    "value_response",
    "web_data",
]

JSON = "application/json"
PROBLEM_JSON = MEDIA_TYPE
#: A listing's page size when the request names none (the services' default).
DEFAULT_PAGE_SIZE = 50


@attrs.frozen
class WebResponse:
    """A response any framework can send: status, JSON bytes, headers (media type
    included)."""

    status: int
    body: bytes
    headers: dict[str, str]


def value_response(
    value: Any, *, status: int = 200, link: str | None = None, camel: bool = False
) -> WebResponse:
    """``value`` (records, pages, loaded records, plain JSON values) in the web shape; a
    ``Page`` with a ``next_cursor`` carries ``link`` (:func:`next_link`) as its ``Link``."""
    headers = {"Content-Type": JSON}
    if link is not None and isinstance(value, Page) and value.next_cursor:
        headers["Link"] = link
    return WebResponse(status, dumps(value, camel=camel), headers)


def problem_response(problem: Problem) -> WebResponse:
    """Problem details as ``application/problem+json``, with the problem's headers."""
    return WebResponse(
        problem.status, dumps(problem.body), {"Content-Type": PROBLEM_JSON, **problem.headers}
    )


def web_data(value: Any, *, camel: bool = False) -> Any:
    """``value`` with every record, page and loaded record in it (any attrs instance: views,
    the values services return) turned into the web shape, anything else left as it is (for
    a framework that encodes the rest itself, as msgspec would every attrs field)."""
    if getattr(value, "__json_data__", None) is not None or attrs.has(type(value)):
        return to_json_data(value, camel=camel)
    if isinstance(value, Mapping):
        return {key: web_data(item, camel=camel) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [web_data(item, camel=camel) for item in value]
    return value


def next_link(
    path: str, query: Iterable[tuple[str, str]], cursor: str, *, parameter: str = "cursor"
) -> str:
    """An RFC 8288 ``Link`` to the next page: this request's path and query with
    ``parameter`` set to ``cursor`` (a relative reference: it holds behind any proxy)."""
    pairs = [(name, value) for name, value in query if name != parameter]
    return f'<{path}?{urlencode([*pairs, (parameter, cursor)])}>; rel="next"'


def page_query(query: Mapping[str, str]) -> tuple[int, str | None]:
    """``limit`` and ``cursor`` from a request's query; a ``limit`` that is not a whole
    number from 1 to the largest page is ``ValidationError`` naming it."""
    text = query.get("limit")
    cursor = query.get("cursor") or None
    if text is None:
        return DEFAULT_PAGE_SIZE, cursor
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError("limit", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return limit, cursor


def health_response(health: Health, *, details: bool = False) -> WebResponse:
    """``await app.ping()`` as a health route answers: 200 when every check passed, else
    503; each check's ``ok`` and ``seconds``, and its ``detail`` only when ``details`` (it
    may name a host)."""
    body = {
        "ok": health.ok,
        "store": _check(health.store, details),
        "cache": None if health.cache is None else _check(health.cache, details),
    }
    return WebResponse(200 if health.ok else 503, dumps(body), {"Content-Type": JSON})


def _check(check: CheckResult, details: bool) -> dict[str, Any]:
    found: dict[str, Any] = {"ok": check.ok, "seconds": check.seconds}
    if details:
        found["detail"] = check.detail
    return found
