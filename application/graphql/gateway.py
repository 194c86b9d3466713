"""One GraphQL request over an opened ``Aace``: the tenant from the request (one
``TenantContext``, the package's one fallback rule), the document parsed, validated and
priced once per text (a bounded cache), executed with the request's loader, and answered
as ``{data}`` or ``{errors, data}``. Errors carry the package's message (a field named as
the argument is: camelCase) and never a traceback or a record value."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import graphene
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    execute,
    parse,
    validate,
)

from aace.application.serialization import camel_case
from aace.domain.errors import AaceError, ValidationError
from aace.domain.tenancy import TenantContext
from aace.graphql.cost import DEFAULT_MAX_COST, estimate
from aace.graphql.paging import PageMemo
from aace.graphql.schema import NotServed
from aace.graphql.state import RequestState

if TYPE_CHECKING:
    from aace.application.facade import Aace

__all__ = ["Gateway", "OperatorPolicy", "TooCostly", "operator_check"]

log = logging.getLogger("aace.graphql")

#: Who may write the platform registries and read MCP credentials: a callable of the
#: request's context, ``"all"`` (the in-process engines' default, as the platform) or
#: ``"none"`` (``aace serve`` without its operator option).
OperatorPolicy = Callable[[Mapping[str, Any]], bool] | str


class TooCostly(Exception):
    """A document whose estimated storage requests exceed the bound."""


def operator_check(policy: OperatorPolicy) -> Callable[[Mapping[str, Any]], bool]:
    """The policy as a predicate of the request's context."""
    if policy == "all":
        return lambda _: True
    if policy == "none":
        return lambda _: False
    if callable(policy):
        return policy
    raise ValidationError("operator_policy", "must be a callable, 'all' or 'none'")


def _message(error: BaseException) -> tuple[str, dict[str, Any]]:
    """What a caller sees of ``error``: the package's message, the argument named as the
    schema names it; anything not the package's is an internal error, logged here."""
    if isinstance(error, ValidationError):
        field = ".".join(camel_case(part) for part in error.field.split("."))
        extensions = {
            "code": type(error).__name__,
            "status": type(error).status,
            "errors": [{"field": camel_case(e.field), "message": e.message} for e in error.errors],
        }
        return f"{field}: {error.message}", extensions
    if isinstance(error, AaceError):
        return str(error), {"code": type(error).__name__, "status": getattr(error, "status", 500)}
    if isinstance(error, NotServed | TooCostly):
        return str(error), {"code": type(error).__name__}
    log.error("GraphQL resolver failed", exc_info=error)
    return "internal error", {"code": "InternalError"}


def _rendered(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError) or not error.path:
        # the document's or the variables' own error (graphql-core names the argument)
        message, extensions = error.message, {"code": "GraphQLError"}
    else:
        message, extensions = _message(original)
    out: dict[str, Any] = {"message": message}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        out["path"] = list(error.path)
    out["extensions"] = extensions
    return out


@attrs.define
class _Prepared:
    document: DocumentNode | None
    errors: list[GraphQLError]


class Gateway:
    """Executes documents of one schema over ``app``, one request at a time or many at
    once (stateless but for the page memo and the document cache)."""

    def __init__(
        self,
        app: Aace,
        schema: graphene.Schema,
        *,
        operator_policy: OperatorPolicy = "all",
        handlers: Mapping[str, Callable[..., Any]] | None = None,
        field_resolvers: Mapping[str, Callable[..., Any]] | None = None,
        max_request_cost: int = DEFAULT_MAX_COST,
        memo: PageMemo | None = None,
    ) -> None:
        self.app = app
        self.schema = schema
        self._graph = schema.graphql_schema
        self._operator = operator_check(operator_policy)
        self._handlers = dict(handlers or {})
        self._fields = dict(field_resolvers or {})
        self._max_cost = max_request_cost
        self.memo = memo if memo is not None else PageMemo()
        self._documents: OrderedDict[str, _Prepared] = OrderedDict()

    def _prepare(self, query: str) -> _Prepared:
        found = self._documents.get(query)
        if found is not None:
            self._documents.move_to_end(query)
            return found
        try:
            document = parse(query)
        except GraphQLError as error:
            prepared = _Prepared(None, [error])
        else:
            prepared = _Prepared(document, list(validate(self._graph, document)))
        self._documents[query] = prepared
        if len(self._documents) > 512:
            self._documents.popitem(last=False)
        return prepared

    def tenant(
        self,
        endpoint_id: str | None,
        part_id: str | None,
        context: Mapping[str, Any] | None = None,
    ) -> TenantContext:
        """The request's tenant; a ``context.partition_key`` that disagrees is refused."""
        updated_by = (context or {}).get("updated_by") or "graphql"
        tenant = TenantContext.from_request(endpoint_id, part_id, updated_by=str(updated_by))
        given = (context or {}).get("partition_key")
        if given is not None and str(given) != str(tenant.partition_key):
            raise ValidationError(
                "partition_key", "in the context disagrees with endpoint_id and part_id"
            )
        return tenant

    async def execute(
        self,
        query: Any,
        variables: Any = None,
        operation_name: str | None = None,
        *,
        tenant: TenantContext,
        context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The GraphQL response to one request: ``{data}`` or ``{errors, data}``."""
        if not isinstance(query, str) or not query.strip():
            return {"errors": [{"message": "query: a GraphQL document is required"}]}
        if variables is not None and not isinstance(variables, Mapping):
            return {"errors": [{"message": "variables: must be a JSON object"}]}
        prepared = self._prepare(query)
        if prepared.errors or prepared.document is None:
            return {"errors": [_rendered(e) for e in prepared.errors]}
        request = dict(context or {})
        operator = self._operator(request)
        cost = estimate(
            self._graph, prepared.document, variables or {}, operation_name, operator=operator
        )
        if cost > self._max_cost:
            refused = TooCostly(
                f"the document may cost {cost} storage requests, above the bound of "
                f"{self._max_cost} (max_request_cost)"
            )
            return {"errors": [{"message": str(refused), "extensions": {"code": "TooCostly"}}]}
        state = RequestState(
            app=self.app,
            tenant=tenant,
            loader=self.app.loader(tenant),
            memo=self.memo,
            operator=operator,
            handlers=self._handlers,
            fields=self._fields,
            request=request,
        )
        result = execute(
            self._graph,
            prepared.document,
            context_value=state,
            variable_values=dict(variables or {}),
            operation_name=operation_name,
        )
        if not isinstance(result, ExecutionResult):
            result = await result
        return self._answer(result, state)

    def _answer(self, result: ExecutionResult, state: RequestState) -> dict[str, Any]:
        errors = [_rendered(e) for e in result.errors or ()]
        for field, refused in state.errors:
            message, extensions = _message(refused)
            errors.append(
                {"message": message, "path": [camel_case(field)], "extensions": extensions}
            )
        if errors:
            return {"errors": errors, "data": result.data}
        return {"data": result.data}
