# The GraphQL modules live in aace/application/graphql/ (aace.graphql's __path__): type
# checkers read them through these stubs, under their one name. Only type checkers: run as
# code, a stub imports nothing, since aace.application.graphql refuses to load.
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aace.application.graphql.coordination_catalogue import *  # noqa: F403
    from aace.application.graphql.coordination_catalogue import __all__ as __all__
