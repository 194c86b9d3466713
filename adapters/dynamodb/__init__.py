"""The DynamoDB adapter: the ports implemented with PynamoDB over the deployed table layout.

PynamoDB is synchronous, so every request runs in a bounded worker pool (option
``workers``); see ``docs/dynamodb.md`` for the URL, bootstrap, retries and limits.
"""

from __future__ import annotations

from aace.adapters.dynamodb.errors import TableLayoutMismatch
from aace.adapters.dynamodb.factory import open_store
from aace.adapters.dynamodb.settings import DynamoSettings
from aace.adapters.dynamodb.store import DynamoStore

__all__ = ["DynamoSettings", "DynamoStore", "TableLayoutMismatch", "open_store"]
