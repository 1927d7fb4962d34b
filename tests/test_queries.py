"""Disease queries from the lexicon, ANDed with a pipeline's MSC query."""

from __future__ import annotations

from pathlib import Path

import pytest

from msc_mine.errors import UsageError
from msc_mine.queries import (
    DEFAULT_MSC_QUERY,
    build_query,
    disease_names,
    disease_query,
    disease_search,
    load_search_table,
)

REPO = Path(__file__).resolve().parent.parent


def test_every_lexicon_disease_builds_a_balanced_query() -> None:
    names = disease_names()
    assert "multiple sclerosis" in names and len(names) >= 17
    for name in names:
        query = disease_query(name)
        assert query.startswith("(") and query.endswith(")")
        assert query.count("(") == query.count(")")
        assert query.count('"') % 2 == 0
        assert "[MeSH Terms]" in query or "[tiab]" in query


def test_multiple_sclerosis_query_has_mesh_and_synonyms() -> None:
    query = disease_query("Multiple Sclerosis ")
    assert '"Multiple Sclerosis"[MeSH Terms]' in query
    assert '"relapsing-remitting MS"[tiab]' in query
    assert " OR " in query and " AND " not in query


def test_unknown_disease_lists_close_names() -> None:
    with pytest.raises(UsageError, match="did you mean: multiple sclerosis"):
        disease_query("multiple sklerosis")
    with pytest.raises(UsageError, match="systemic lupus erythematosus"):
        disease_query("lupus")
    with pytest.raises(UsageError, match="unknown disease 'xyzzy' \\(names"):
        disease_query("xyzzy")


def test_disease_search_uses_the_default_pipeline_msc_query() -> None:
    table = load_search_table(REPO / "pipelines" / "msc_iv_safety.toml")
    query = disease_search("cerebral palsy")
    assert query == f"{disease_query('cerebral palsy')} AND {table['msc_query']}"


def test_build_query_literal_and_disease_entries() -> None:
    table = {"msc_query": '("Mesenchymal Stem Cells"[MeSH Terms] OR MSC[tiab])'}
    assert build_query(table, {"query": "fever[tiab] OR death[tiab]"}) == (
        '(fever[tiab] OR death[tiab]) AND ("Mesenchymal Stem Cells"[MeSH Terms] OR MSC[tiab])'
    )
    assert build_query(table, {"disease": "frailty"}).startswith('("Frailty"[MeSH Terms]')
    with pytest.raises(UsageError, match="needs a 'disease' or a 'query'"):
        build_query(table, {"id": "empty"})


def test_pipeline_without_msc_query_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[search]\ndb = "pubmed"\n')
    assert build_query(load_search_table(path), {"query": "x"}) == f"(x) AND {DEFAULT_MSC_QUERY}"
    with pytest.raises(UsageError, match="not found"):
        load_search_table(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[search\n")
    with pytest.raises(UsageError, match="cannot read pipeline"):
        load_search_table(bad)
