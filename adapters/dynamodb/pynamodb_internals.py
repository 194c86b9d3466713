"""The one place that reaches into PynamoDB's private API (pinned below its next major).

PynamoDB offers no public way to ask whether a connection has created its botocore client
yet (its ``client`` property creates one), nor to read a model's table schema. Each private
use here is covered by ``tests/dynamodb/test_pynamodb_internals.py``, which fails when
PynamoDB changes it.
"""

from __future__ import annotations

from typing import Any

from pynamodb.connection import Connection
from pynamodb.models import Model

__all__ = ["botocore_client", "call_api", "table_schema"]


def botocore_client(connection: Connection) -> Any | None:
    """The botocore client ``connection`` has created, or None when it has sent nothing
    yet (reading ``connection.client`` would create one)."""
    return connection._client


def call_api(connection: Connection, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    """Send ``operation`` as is: unlike ``Connection.dispatch``, add no
    ``ReturnConsumedCapacity`` (which some operations refuse)."""
    result: dict[str, Any] = connection._make_api_call(operation, request)
    return result


def table_schema(model: type[Model]) -> Any:
    """The table schema ``model`` describes: key schema, attribute definitions and indexes
    (PynamoDB's own ``ModelSchema`` mapping)."""
    return model._get_schema()
