"""The one place that reaches into PynamoDB's private API (pinned below its next major).

PynamoDB offers no public way to ask whether a connection has created its botocore client
yet: its public ``client`` property creates one. Closing a store that never sent a request
must not create a client (nor look for credentials), so this reads the private attribute.
Every private use is covered by ``tests/dynamodb/test_pynamodb_internals.py``, which fails
when PynamoDB changes it.
"""

from __future__ import annotations

from typing import Any

from pynamodb.connection import Connection

__all__ = ["botocore_client"]


def botocore_client(connection: Connection) -> Any | None:
    """The botocore client ``connection`` has created, or None when it has sent nothing
    yet (reading ``connection.client`` would create one)."""
    return connection._client
