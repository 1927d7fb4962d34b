"""PubMed queries for a disease, from the disease lexicon and a review's MSC query.

Example::

    >>> from msc_mine.queries import disease_query, disease_search, build_query
    >>> disease_query("cerebral palsy")
    '("Cerebral Palsy"[MeSH Terms] OR "cerebral palsy"[tiab])'
    >>> disease_search("cerebral palsy")                      # doctest: +ELLIPSIS
    '("Cerebral Palsy"[MeSH Terms] OR "cerebral palsy"[tiab]) AND ("Mesenchymal Stem Cells"...'
    >>> build_query({"msc_query": "MSC[tiab]"}, {"query": "fever[tiab]"})
    '(fever[tiab]) AND (MSC[tiab])'

A disease part ORs the lexicon's MeSH headings (``[MeSH Terms]``, which PubMed explodes to
narrower headings) with its free-text synonyms (``[tiab]``, title and abstract, which
catches records not yet MeSH-indexed). The MSC part comes from the ``[search]`` table of a
pipeline file (``msc_query``); the default pipeline is ``pipelines/msc_iv_safety.toml``,
and :data:`DEFAULT_MSC_QUERY` stands in when no pipeline file can be found.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from msc_mine.errors import UsageError

__all__ = [
    "DEFAULT_MSC_QUERY",
    "DEFAULT_PIPELINE",
    "Disease",
    "build_query",
    "disease_names",
    "disease_query",
    "disease_search",
    "find_pipeline",
    "load_diseases",
    "load_search_table",
]

DEFAULT_PIPELINE = "pipelines/msc_iv_safety.toml"
# Used only when no pipeline file is found (an installed package run outside the repo).
DEFAULT_MSC_QUERY = (
    '("Mesenchymal Stem Cells"[MeSH Terms] OR "Mesenchymal Stem Cell Transplantation"'
    '[MeSH Terms] OR "mesenchymal stem cell*"[tiab] OR "mesenchymal stromal cell*"[tiab] OR '
    '"mesenchymal progenitor cell*"[tiab] OR MSC[tiab] OR MSCs[tiab])'
)


@dataclass(frozen=True)
class Disease:
    """One ``[[disease]]`` entry of ``lexicons/diseases.toml``."""

    name: str
    mesh: tuple[str, ...]
    synonyms: tuple[str, ...]


@cache
def load_diseases() -> dict[str, Disease]:
    """Lexicon name (lower case) -> :class:`Disease`, read once per process."""
    text = resources.files("msc_mine").joinpath("lexicons/diseases.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return {
        entry["name"].lower(): Disease(
            entry["name"].lower(),
            tuple(entry.get("mesh", ())),
            tuple(entry.get("synonyms", ())),
        )
        for entry in data.get("disease", [])
    }


def disease_names() -> list[str]:
    return sorted(load_diseases())


def _quote(term: str) -> str:
    # PubMed phrases cannot contain double quotes; drop them rather than break the query.
    return '"' + term.replace('"', "").strip() + '"'


def disease_query(name: str) -> str:
    """The lexicon part of a disease search: ``(MeSH OR synonyms)``.

    Unknown names raise :class:`~msc_mine.errors.UsageError` listing the closest names.
    """
    diseases = load_diseases()
    disease = diseases.get(name.strip().lower())
    if disease is None:
        wanted = name.strip().lower()
        close = difflib.get_close_matches(wanted, list(diseases), n=4, cutoff=0.5)
        # "lupus" is far from "systemic lupus erythematosus" by edit distance: add names
        # whose own words or synonyms contain what was typed.
        close += [
            d.name
            for d in diseases.values()
            if d.name not in close
            and wanted
            and any(wanted in s.lower() for s in (d.name, *d.synonyms))
        ][: max(0, 6 - len(close))]
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        raise UsageError(
            f"unknown disease {name!r}{hint} (names are in msc_mine/lexicons/diseases.toml)"
        )
    parts = [f"{_quote(m)}[MeSH Terms]" for m in disease.mesh]
    seen = set()
    for synonym in disease.synonyms:
        if synonym.lower() not in seen:  # PubMed's [tiab] is case-insensitive
            seen.add(synonym.lower())
            parts.append(f"{_quote(synonym)}[tiab]")
    return "(" + " OR ".join(parts) + ")"


def find_pipeline(path: str | Path | None = None) -> Path | None:
    """The pipeline file to read: ``path``, else the default one in the working directory
    or in the source checkout this module runs from; ``None`` if there is none."""
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise UsageError(f"pipeline file not found: {p}")
        return p
    here = Path(__file__).resolve().parents[2] / DEFAULT_PIPELINE  # src layout checkout
    for candidate in (Path.cwd() / DEFAULT_PIPELINE, here):
        if candidate.is_file():
            return candidate
    return None


def load_search_table(path: str | Path | None = None) -> dict[str, Any]:
    """The ``[search]`` table of a pipeline file (see :func:`find_pipeline`), or a table
    holding only :data:`DEFAULT_MSC_QUERY` when no file is found."""
    found = find_pipeline(path)
    if found is None:
        return {"db": "pubmed", "msc_query": DEFAULT_MSC_QUERY}
    try:
        data = tomllib.loads(found.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{found}: cannot read pipeline file: {exc}") from None
    table = data.get("search")
    if not isinstance(table, dict):
        raise UsageError(f"{found}: no [search] table")
    return table


def _msc_query(search_table: Mapping[str, Any]) -> str:
    query = str(search_table.get("msc_query", "")).strip()
    return query or DEFAULT_MSC_QUERY


def build_query(search_table: Mapping[str, Any], query_entry: Mapping[str, Any]) -> str:
    """The full query for one ``[[search.queries]]`` entry: its disease (lexicon) or its
    literal ``query``, ANDed with the table's ``msc_query``."""
    msc = _msc_query(search_table)
    if query_entry.get("disease"):
        return f"{disease_query(str(query_entry['disease']))} AND {msc}"
    literal = str(query_entry.get("query", "")).strip()
    if not literal:
        raise UsageError(
            f"search entry {query_entry.get('id', '?')!r} needs a 'disease' or a 'query'"
        )
    return f"({literal}) AND ({msc})" if not msc.startswith("(") else f"({literal}) AND {msc}"


def disease_search(name: str, pipeline: str | Path | None = None) -> str:
    """``disease_query(name) AND msc_query`` of the pipeline (default pipeline if None)."""
    return build_query(load_search_table(pipeline), {"disease": name})
