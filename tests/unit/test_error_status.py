"""Every error class has an HTTP status (the table of ``aace.domain.errors``), and errors
render as RFC 9457 problem details that never repeat a message."""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import UTC, datetime

import pytest

import aace
from aace.application.problems import problem, request_problem, status_of
from aace.domain import errors
from aace.domain.errors import AaceError, FieldError, QuotaExceeded, TooLarge, ValidationError


def _import_everything() -> None:
    """Load every module, so that every error class (adapters', services') is defined."""
    for module in pkgutil.walk_packages(aace.__path__, "aace."):
        if ".migrations." in module.name:  # alembic's scripts run only under alembic
            continue
        try:
            importlib.import_module(module.name)
        except ImportError:  # an optional dependency not installed
            continue


def _tree(cls: type[AaceError]) -> list[type[AaceError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_tree(sub)]
    return found


_import_everything()
CLASSES = sorted(set(_tree(AaceError)), key=lambda c: f"{c.__module__}.{c.__name__}")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_error_class_has_an_http_status(cls: type[AaceError]) -> None:
    status = getattr(cls, "status", None)
    assert isinstance(status, int), f"{cls.__module__}.{cls.__name__} has no HTTP status"
    assert 400 <= status <= 599


#: A row of the table: the class, its status, its problem type (``urn:aace:error:...``).
ROW = re.compile(r"^(\w+)\s+(\d{3})\s+``(urn:aace:error:[a-z-]+)``", re.M)


def test_the_documented_table_lists_every_class_of_the_tree() -> None:
    """One table (in ``aace.domain.errors``) names every class of the walked tree, the
    package's subclasses elsewhere included, with its status and its problem type."""
    documented = {name: (int(status), urn) for name, status, urn in ROW.findall(
        errors.__doc__ or "")}  # fmt: skip
    walked = {
        cls.__name__: (cls.status, problem(_sample(cls)).body["type"])  # type: ignore[attr-defined]
        for cls in CLASSES
        if cls.__module__.startswith("aace.")
    }
    assert documented == walked


def test_the_statuses_asked_for() -> None:
    expected = {
        "ValidationError": 422, "InvalidCursor": 400, "NotFound": 404, "Conflict": 409,
        "HasDependents": 409, "IdempotencyConflict": 422, "ConditionFailed": 412,
        "Forbidden": 403, "QuotaExceeded": 429, "LimitExceeded": 409, "TooLarge": 413,
        "StorageUnavailable": 503, "StorageMisconfigured": 500,
    }  # fmt: skip
    assert {name: getattr(errors, name).status for name in expected} == expected


def _sample(cls: type[AaceError]) -> AaceError:
    secret = "s3cr3t-value"
    if issubclass(cls, TooLarge):
        return cls("headers", "is over the item limit", limit="item size")
    if issubclass(cls, ValidationError):
        return cls("agent_name", "must not be blank")
    if issubclass(cls, QuotaExceeded):
        return cls(f"{secret} used up", period="day", resets_at=datetime(2030, 1, 2, tzinfo=UTC))
    try:
        return cls(f"agents ('{secret}',) not found")
    except TypeError:
        pytest.skip(f"{cls.__name__} is built by its own constructor")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_error_renders_as_problem_details_without_its_message(cls: type[AaceError]) -> None:
    error = _sample(cls)
    rendered = problem(error)
    body = rendered.body
    # Every class tested declares its status; AaceError, the root, declares none.
    assert rendered.status == body["status"] == status_of(error) == cls.status  # type: ignore[attr-defined]
    assert re.fullmatch(r"urn:aace:error:[a-z]+(-[a-z]+)*", body["type"])
    assert body["title"]
    assert body["detail"]
    assert "s3cr3t" not in str(body)


def test_problem_examples() -> None:
    assert problem(errors.NotFound("agents ('x',) not found")).body == {
        "type": "urn:aace:error:not-found",
        "title": "Not found",
        "status": 404,
        "detail": "The record does not exist for this tenant "
        "(a foreign record looks exactly the same).",
    }
    invalid = ValidationError("agent_name", "must not be blank").with_errors(
        [FieldError("agent_name", "must not be blank"), FieldError("bogus", "is not a field")]
    )
    body = problem(invalid).body
    assert body["status"] == 422
    assert body["detail"] == "2 invalid fields: agent_name, bogus."
    assert body["errors"] == [
        {"field": "agent_name", "message": "must not be blank"},
        {"field": "bogus", "message": "is not a field"},
    ]
    forbidden = problem(errors.Forbidden("no principal")).body["detail"]
    assert forbidden == "The caller may not do this."  # a read is refused with it too
    assert problem(RuntimeError("boom")).body == {
        "type": "about:blank", "title": "Internal Server Error", "status": 500
    }  # fmt: skip


def test_a_periodic_quota_says_when_to_retry() -> None:
    quota = QuotaExceeded("x", period="day", resets_at=datetime(2030, 1, 2, tzinfo=UTC))
    assert problem(quota).headers == {"Retry-After": "Wed, 02 Jan 2030 00:00:00 GMT"}
    now = datetime(2030, 1, 1, 23, 59, 30, tzinfo=UTC)
    assert problem(quota, now=now).headers == {"Retry-After": "30"}
    assert problem(quota).body["resets_at"] == "2030-01-02T00:00:00+00:00"


def test_a_frameworks_request_errors_render_as_one_422() -> None:
    rendered = request_problem(
        [
            {"loc": ("body", "agent_name"), "msg": "Field required"},
            {"loc": ("body", "variables", 0, "name"), "msg": "Input should be a string"},
        ]
    )
    assert rendered.status == 422
    assert rendered.body["errors"] == [
        {"field": "agent_name", "message": "Field required"},
        {"field": "variables[0].name", "message": "Input should be a string"},
    ]
