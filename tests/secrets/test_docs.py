"""The pages say what secrets and public ids promise and leave to the embedder: the
``public_ids`` key as the schema declares it, the residual rollback risk, where credentials
belong, what an idempotent retry replays, the KMS recipe's encryption context, caching and
the eventually consistent index, and the logging page's section on secrets."""

from __future__ import annotations

import re
from pathlib import Path

from aace.domain.entities import PUBLIC_IDS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _page(name: str) -> str:
    return " ".join((DOCS / name).read_text().split())  # sentences across line breaks


def _section(name: str, heading: str) -> str:
    text = (DOCS / name).read_text()
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return " ".join(text[start : end if end != -1 else None].split())


def test_the_dynamodb_page_keys_public_ids_as_the_schema_does() -> None:
    said = (
        f"`public_ids`, hashed on `{PUBLIC_IDS.hash_key}` with range key `{PUBLIC_IDS.range_key}`"
    )
    assert said in _page("dynamodb.md")
    index = PUBLIC_IDS.indexes[0].name
    assert "eventually consistent" in _page("dynamodb.md")
    assert index in _page("dynamodb.md")


def test_the_behaviour_page_states_what_binding_does_not_prevent() -> None:
    section = _section("behaviour.md", "## 11. Secrets")
    assert "`endpoint_id` and `part_id`" in section
    assert "rollback replay" in section
    assert "credential must never be put in it" in section


def test_the_embedding_page_says_what_an_embedder_must_know() -> None:
    page = _page("embedding.md")
    for said in (
        "Credentials belong in `headers`, and only there.",
        "other* credentials replays the first call",
        "EncryptionContext=CONTEXT",
        "Rotation with KMS data keys",
        "Caching a positive answer delays a revocation",
        "eventually consistent",
        "PublicAgentView",
    ):
        assert said in page, said


def test_the_logging_page_has_a_section_on_secrets() -> None:
    section = _section("logging.md", "## Secrets: keys, rotation and public ids")
    assert re.search(r"never appear in a log", section)
    assert "embedding.md#mcp-server-credentials-and-logs" in section
    assert "embedding.md#public-ids-for-client-side-embeds" in section
