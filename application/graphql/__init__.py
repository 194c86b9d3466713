"""The platform's GraphQL API over the services, imported as ``aace.graphql``: one module,
one name. ``aace.graphql``'s path points here; importing this folder as
``aace.application.graphql`` is refused."""

if __name__ != "aace.graphql":  # this file runs only under a name it does not have
    raise ImportError(f"import aace.graphql, not {__name__}: the GraphQL API has one name")
