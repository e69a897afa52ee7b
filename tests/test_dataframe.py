"""QueryResult.to_dataframe(): typed columns for analysts (pandas, the analysis extra)."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from llm_atlas.errors import UsageError

TYPED = """
SELECT ?n ?x ?flag ?day ?name ?iri ?mixed WHERE {
  VALUES (?n ?x ?flag ?day ?name ?iri ?mixed) {
    (1 1.5 true "2025-09-29"^^xsd:date "one"@en <https://w3id.org/llm-atlas/model/a> 1)
    (UNDEF 2e0 false "2026-01-02"^^xsd:date "two" <https://w3id.org/llm-atlas/model/b> "two")
    (3 UNDEF UNDEF UNDEF UNDEF UNDEF UNDEF)
  }
}"""


def test_columns_are_typed_by_their_values(mini_atlas):
    frame = mini_atlas.query(TYPED).to_dataframe()
    types = {c: str(t) for c, t in frame.dtypes.items()}
    assert types.pop("day").startswith("datetime64[")  # ns or us, as the pandas version chooses
    assert types == {"n": "Int64", "x": "Float64", "flag": "boolean", "name": "string", "iri": "string", "mixed": "string"}
    assert frame["n"].tolist()[0] == 1 and pd.isna(frame["n"][1]) and frame["n"].sum() == 4
    assert frame["x"][1] == 2.0 and bool(frame["flag"][0]) is True and frame["day"][1] == pd.Timestamp("2026-01-02")
    assert frame["iri"][0] == "https://w3id.org/llm-atlas/model/a" and frame["mixed"].tolist()[:2] == ["1", "two"]


def test_saved_query_counts_are_numbers(mini_atlas):
    frame = mini_atlas.query("sample-by-type").to_dataframe()
    assert str(frame["organizations"].dtype) == "Int64" and int(frame["organizations"].sum()) == 2
    assert list(frame.columns) == mini_atlas.query("sample-by-type").variables


def test_ask_and_construct(mini_atlas):
    assert mini_atlas.query("ASK { ?s a atlas:Organization }").to_dataframe()["boolean"].tolist() == [True]
    graph = mini_atlas.query("CONSTRUCT { ?o rdfs:label ?l } WHERE { ?o a atlas:Organization ; rdfs:label ?l }").to_dataframe()
    assert list(graph.columns) == ["subject", "predicate", "object"] and sorted(graph["object"]) == ["Alpha Lab", "Beta Corp"]


def test_without_pandas_the_error_says_what_to_install(mini_atlas, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(UsageError, match=r"pip install 'llm-atlas\[analysis\]'"):
        mini_atlas.query("sample-by-type").to_dataframe()
