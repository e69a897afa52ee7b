"""One way to shorten an IRI and one way to read it back: curie() and expand() agree on every IRI."""

from __future__ import annotations

import pytest

from llm_atlas.errors import UsageError
from llm_atlas.namespaces import BASE, PREFIXES, curie, expand, shorten
from llm_atlas.query import Param


@pytest.mark.parametrize("iri, short", [
    (BASE + "model/x#claim-a", "model:x#claim-a"),
    (BASE + "ontology/Model", "atlas:Model"),
    (BASE + "ontology/organization-type/sme", "orgtype:sme"),  # the longest namespace wins
    ("http://www.w3.org/2001/XMLSchema#string", "xsd:string"),
    ("https://schema.org/url", "schema:url"),
])
def test_curie_takes_the_longest_shared_namespace_and_keeps_the_rest(iri, short):
    assert curie(iri) == short and expand(short) == iri


@pytest.mark.parametrize("iri", ["https://example.org/x", BASE + "model/"])
def test_an_iri_no_prefix_fits_stays_whole(iri):
    assert curie(iri) is None and shorten(iri) == f"<{iri}>" and expand(shorten(iri)) == iri


def test_every_iri_of_the_real_graph_reads_back_as_itself(real_atlas):
    iris = {t.value for q in real_atlas.store.quads_for_pattern(None, None, None, None) for t in (q.subject, q.predicate, q.object)
            if type(t).__name__ == "NamedNode"}
    assert iris and all(expand(curie(i) or i) == i for i in iris)


def test_a_csv_export_cell_binds_a_parameter_back_to_the_same_iri():
    # claims.csv writes claim IRIs as model:x#claim-a; --param must read that back, not as an IRI of scheme "model"
    param = Param("artifact", "iri", "dataset:common-crawl", "")
    assert param.bind("model:alpha-7b#trainedon-web-crawl").value == PREFIXES["model"] + "alpha-7b#trainedon-web-crawl"
    assert param.bind("<https://example.org/a#b>").value == "https://example.org/a#b"
    with pytest.raises(UsageError, match="neither an IRI nor a name with a known prefix"):
        param.bind("not an iri")
