"""API Gateway proxy events as API Gateway sends them (the shapes of AWS's own sample
events, REST API payload 1.0 and HTTP API payload 2.0) and a Lambda context object."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import attrs


@attrs.frozen
class LambdaContext:
    """The attributes the Python runtime's context has (Powertools reads them)."""

    function_name: str = "aace-agents"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:aace-agents"
    memory_limit_in_mb: int = 256
    aws_request_id: str = attrs.field(factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/aace-agents"
    log_stream_name: str = "2026/01/01/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def rest_event(
    method: str,
    path: str,
    *,
    resource: str = "/agents",
    authorizer: dict[str, Any] | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API (payload 1.0) proxy event."""
    sent = {"Accept": "application/json", "Host": "abc123.execute-api.us-east-1.amazonaws.com"}
    sent |= headers or {}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": sent,
        "multiValueHeaders": {name: [value] for name, value in sent.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": (
            {name: [value] for name, value in query.items()} if query else None
        ),
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "2gxmpl",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": "JJbxmHEHPHcFbeg=",
            "requestTime": "10/Mar/2026:00:03:59 +0000",
            "path": f"/Prod{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": "Prod",
            "domainPrefix": "abc123",
            "requestTimeEpoch": 1583798639428,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "apiId": "abc123",
            **({"authorizer": authorizer} if authorizer is not None else {}),
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def http_event(
    method: str,
    path: str,
    *,
    route_key: str = "ANY /agents",
    authorizer: dict[str, Any] | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    stage: str = "$default",
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) proxy event: header names in lower case; a named ``stage``
    starts ``path`` (``/prod/agents``), as API Gateway sends it."""
    sent = {"accept": "application/json", "host": "abc123.execute-api.us-east-1.amazonaws.com"}
    sent |= {name.lower(): value for name, value in (headers or {}).items()}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": sent,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": stage,
            "time": "10/Mar/2026:00:03:59 +0000",
            "timeEpoch": 1583798639428,
            **({"authorizer": authorizer} if authorizer is not None else {}),
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body is not None:
        event["body"] = json.dumps(body)
    return event


def cognito(claims: dict[str, str]) -> dict[str, Any]:
    """A REST API Cognito user-pool authorizer's context."""
    return {"claims": claims}


def jwt(claims: dict[str, str]) -> dict[str, Any]:
    """An HTTP API JWT authorizer's context."""
    return {"jwt": {"claims": claims, "scopes": None}}
