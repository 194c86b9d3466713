"""The revisions the package ships, read without Alembic (so that ``verify`` and ``ping``
never import it), are the ones Alembic itself finds."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from aace.adapters.sql.migrate import MIGRATIONS, shipped


def test_the_shipped_head_and_revisions_are_alembics() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    found = shipped()
    assert found.head == script.get_current_head()
    assert found.known == {revision.revision for revision in script.walk_revisions()}
