"""Importing the European Open Source AI Index on the shared import design: reading, reconciling, writing, valid data.

The fixture index (tests/fixtures/osai/index/): "Gamma Chat" is a release of the atlas by its Hugging Face id;
"Alpha 2" finds the family Alpha by name and is a new release in it; "Delta" answers to two families (listed for
review); "Epsilon Coder" is made by the organisation that owns its Hub repository; "Zeta-1 Instruct" by a new
organisation and one of the atlas ("A and B"); "Solo Chat" by a person; "Forge Coder" by a project of the atlas.
Three files are skipped: invalid YAML, an unknown dimension, an unknown class. The layer tests/fixtures/osai/layer/
adds to the small fixture graph the releases, families, organisation and project they meet.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas.errors import UsageError
from llm_atlas.importers import import_source
from llm_atlas.importers.osai_index import assessment_slug, huggingface_ref, name_key, release_date
from llm_atlas.importers.snapshots import git_version
from llm_atlas.namespaces import PREFIXES

from .conftest import FIXTURES, ROOT, SHARED, check_golden, make_checkout, overlay, require

OSAI = FIXTURES / "osai"
INDEX = OSAI / "index"
GOLDEN = OSAI / "golden"
REAL_INDEX = SHARED / "external" / "osai-index"
BASE_MODELS_QUERY = ROOT / "queries" / "osai-base-models.rq"
OUTPUT = "imports/osai-index.trig"
MODEL = "https://w3id.org/llm-atlas/model/"
ORG = "https://w3id.org/llm-atlas/organization/"
ASSESSMENT = "https://w3id.org/llm-atlas/import/osai-index/"


def osai_checkout(dest: Path) -> Path:
    """The small fixture graph, the fixture layer, and the index's source entity."""
    checkout = make_checkout(dest)
    overlay(checkout, OSAI / "layer")
    shutil.copyfile(ROOT / "graph/source/osai-index.ttl", checkout / "graph/source/osai-index.ttl")
    return checkout


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    checkout = osai_checkout(tmp_path_factory.mktemp("osai") / "atlas")
    report = import_source("osai", INDEX, checkout)
    return checkout, report


def store_of(checkout: Path) -> ox.Store:
    store = ox.Store()
    store.load(path=str(checkout / OUTPUT), format=ox.RdfFormat.TRIG)
    return store


def rows(store: ox.Store, query: str) -> list[tuple]:
    return sorted(tuple(t.value if t is not None else None for t in row)
                  for row in store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True))


# -- the fixture index -----------------------------------------------------------------------------------


def test_every_assessment_is_about_one_release(imported):
    checkout, report = imported
    assert (report.read, report.records - report.references, len(report.skipped)) == (10, 7, 3)
    assert report.matched_by == {"huggingface-id": 1}
    assessed = rows(store_of(checkout), "SELECT DISTINCT ?a ?m WHERE { ?a a atlas:OpennessAssessment ; atlas:assesses ?m }")
    assert [(a.removeprefix(ASSESSMENT), m.removeprefix(MODEL)) for a, m in assessed] == [
        ("alpha", "alpha-lab-alpha-2-13b-instruct"),  # a new release of the family Alpha, named as the index names the end model
        ("delta", "delta-collective-delta-instruct"),  # two families answer to "Delta": a release of its own, both listed
        ("epsilon-coder", "gamma-org-epsilon-coder-1b"),
        ("forge", "forge-coder"),
        ("gamma-chat", "gamma-chat"),  # the curated release, by its Hugging Face id
        ("solo", "samsolo-solo-chat-3b"),
        ("zeta", "zeta-institute-zeta-1-instruct"),
    ]
    # every assessed entity is a release, none a family
    assert not rows(store_of(checkout), "SELECT ?m WHERE { ?a atlas:assesses ?m . ?m a atlas:ModelFamily }")


def test_families_by_name_and_ties_for_review(imported):
    checkout, report = imported
    store = store_of(checkout)
    assert rows(store, "SELECT DISTINCT ?m ?f WHERE { ?m atlas:inFamily ?f }") == [(MODEL + "alpha-lab-alpha-2-13b-instruct", MODEL + "alpha")]
    assert rows(store, "SELECT ?c WHERE { ?r atlas:describes ?m ; atlas:candidate ?c }") == [(MODEL + "delta",), (MODEL + "delta-2",)]
    assert report.ambiguous == [f"delta.yaml:3 Delta-Instruct: {MODEL}delta, {MODEL}delta-2"]


def test_makers_organisations_projects_and_people(imported):
    checkout, _ = imported
    store = store_of(checkout)
    assert rows(store, "SELECT DISTINCT ?m ?o WHERE { ?m atlas:createdBy ?o }") == [
        (MODEL + "alpha-lab-alpha-2-13b-instruct", ORG + "alpha-lab"),  # by name, the curated organisation
        (MODEL + "delta-collective-delta-instruct", ORG + "delta-collective"),  # new
        (MODEL + "gamma-org-epsilon-coder-1b", ORG + "gamma-org"),  # the Hub owner of its repository names the maker
        (MODEL + "zeta-institute-zeta-1-instruct", ORG + "beta-corp"),  # "Zeta Institute and Beta Corp": one known, one new
        (MODEL + "zeta-institute-zeta-1-instruct", ORG + "zeta-institute"),
    ]
    # a person is never typed as an organisation: the name is kept
    assert rows(store, "SELECT ?m ?n WHERE { ?m atlas:creatorName ?n }") == [(MODEL + "samsolo-solo-chat-3b", "Sam Solo")]
    assert not rows(store, "SELECT ?o WHERE { ?o a atlas:Organization ; rdfs:label ?l FILTER (CONTAINS(?l, 'Sam')) }")
    # a maker that is a project of the atlas releases the system; no organisation is minted for it
    assert rows(store, "SELECT DISTINCT ?m WHERE { project:codeforge atlas:releases ?m . ?c a atlas:StatementClaim ; rdf:subject project:codeforge ; "
                       "rdf:object ?m }") == [(MODEL + "forge-coder",)]
    assert rows(store, "SELECT ?o WHERE { ?o a atlas:Organization }") == [(ORG + "delta-collective",), (ORG + "zeta-institute",)]


def test_licence_date_base_model_and_tags_are_kept(imported):
    checkout, _ = imported
    store = store_of(checkout)
    solo = MODEL + "samsolo-solo-chat-3b"
    assert rows(store, f"SELECT ?p ?o WHERE {{ <{solo}> ?p ?o VALUES ?p {{ atlas:license atlas:licenseName atlas:releaseDate atlas:baseModel }} }}") == [
        ("https://w3id.org/llm-atlas/ontology/baseModel", MODEL + "gamma-chat"),  # by the Hub id of the base-model weights link
        ("https://w3id.org/llm-atlas/ontology/license", "https://spdx.org/licenses/CC-BY-NC-4.0"),
        ("https://w3id.org/llm-atlas/ontology/licenseName", "CC-BY-NC-4.0"),
        ("https://w3id.org/llm-atlas/ontology/releaseDate", "2024-11"),  # "2024 NOV"
    ]
    assert rows(store, "SELECT ?a ?o ?t WHERE { ?a atlas:nationalOrigin ?o ; atlas:contributorType ?t }") == [
        (ASSESSMENT + "forge", "International", "Non-academic (Research community)"),
        (ASSESSMENT + "solo", "Netherlands", "Academic (Individual)"),
    ]
    # the base-model name is kept beside the link; a system that is its own base has none; "unknown" names none
    names = dict(rows(store, "SELECT ?a ?n WHERE { ?a atlas:baseModelName ?n }"))
    assert names[ASSESSMENT + "alpha"] == "Beta-Base-13B" and ASSESSMENT + "zeta" not in names
    assert not rows(store, f"SELECT ?b WHERE {{ <{MODEL}forge-coder> atlas:baseModel ?b }}")
    # a name that no key decides becomes a release known by reference only (never merged with the curated "Beta Base")
    assert rows(store, f"SELECT ?b WHERE {{ <{MODEL}alpha-lab-alpha-2-13b-instruct> atlas:baseModel ?b . ?r atlas:describes ?b ; "
                       "atlas:knownByReferenceOnly true }") == [(MODEL + "beta-base-13b",)]


def test_facts_on_a_curated_release_are_claims_and_a_different_base_model_is_kept_apart(tmp_path):
    checkout = osai_checkout(tmp_path / "atlas")
    path = checkout / "graph/model/gamma-chat.ttl"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "    atlas:source source:external ;",
        "    atlas:baseModel model:delta-2 ;\n    atlas:source source:external ;") +
        "\n<https://w3id.org/llm-atlas/model/gamma-chat#basemodel-delta-2> a atlas:StatementClaim ;\n"
        "    rdf:subject model:gamma-chat ; rdf:predicate atlas:baseModel ; rdf:object model:delta-2 ;\n"
        "    atlas:source source:external ; atlas:evidence <https://huggingface.co/gamma-org/Gamma-Chat-7B> ; atlas:confidence confidence:stated .\n",
        encoding="utf-8")
    import_source("osai-index", INDEX, checkout)
    store = store_of(checkout)
    # the curated base model stands; the index's is a differing statement, visible and not asserted
    assert rows(store, "SELECT ?o WHERE { model:gamma-chat atlas:baseModel ?o }") == []
    assert rows(store, "SELECT ?o WHERE { ?d a atlas:DifferingStatement ; rdf:subject model:gamma-chat ; rdf:predicate atlas:baseModel ; "
                       "rdf:object ?o }") == [(MODEL + "gamma-org-gamma-7b",)]
    # what the index adds (licence, date) is backed by a statement claim derived from the record
    assert rows(store, "SELECT ?p WHERE { model:gamma-chat ?p ?o FILTER NOT EXISTS { ?c a atlas:StatementClaim ; rdf:subject model:gamma-chat ; "
                       "rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?r } }") == []


def test_skipped_files_are_reported_with_path_line_and_rule(imported):
    _, report = imported
    assert [(p.path, p.line, p.col, p.rule, p.severity) for p in report.skipped] == [
        ("broken.yaml", 9, 1, "osai-yaml", "error"),
        ("mostly.yaml", 11, 12, "osai-unknown-class", "error"),
        ("vibes.yaml", 14, 1, "osai-unknown-dimension", "error"),
    ]
    broken, mostly, vibes = report.skipped
    assert "quoted scalar (line 4, column 11)" in broken.message
    assert "'mostly'" in mostly.message and "open, partial or closed" in mostly.message
    assert "'vibes'" in vibes.message and "weights_endmodel" in vibes.message
    assert report.has_errors


def test_the_report_text_matches_its_golden(imported, update_goldens):
    _, report = imported
    check_golden(GOLDEN / "report.txt", re.sub(r"; [0-9.]+ s\n", "; (time) s\n", report.to_text()), update_goldens)


def test_the_import_file_matches_its_golden(imported, update_goldens):
    checkout, _ = imported
    check_golden(GOLDEN / "osai-index.trig", (checkout / OUTPUT).read_text(encoding="utf-8"), update_goldens)


def test_the_import_file_uses_only_shared_prefixes_and_no_prose_notes(imported):
    checkout, _ = imported
    text = (checkout / OUTPUT).read_text(encoding="utf-8")
    declared = dict(re.findall(r"^@prefix (\w+): <([^>]+)> \.$", text, re.MULTILINE))
    assert declared and all(PREFIXES[p] == iri for p, iri in declared.items())
    assert "Fixture notes are never imported" not in text and "Fixture." not in text
    assert "_:" not in text and "@base" not in text


def test_the_checkout_with_the_import_validates(imported, tmp_path):
    checkout, _ = imported
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        report = atlas.validate()
        assert report.problems == [], "\n".join(p.as_text() for p in report.problems)
        judged = atlas.query(
            "SELECT ?a (COUNT(?j) AS ?n) WHERE { ?a a atlas:OpennessAssessment ; atlas:judgement ?j } GROUP BY ?a ORDER BY ?a").rows
        assert [(r[0].value.rsplit("/", 1)[1], int(r[1].value)) for r in judged] == [
            ("alpha", 3), ("delta", 2), ("epsilon-coder", 3), ("forge", 1), ("gamma-chat", 4), ("solo", 2), ("zeta", 3)]


def test_the_saved_queries_answer_on_the_fixture(imported, tmp_path):
    checkout, _ = imported
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        study = atlas.query("osai-study-projects")
        # the projects release model:alpha-7b and model:beta-base, which the index does not assess
        assert [(r[0].value, r[1].value, *(int(r[i].value) for i in range(3, 7))) for r in study.rows] == [
            ("Alpha", "Alpha-7B", 0, 0, 0, 0), ("Beta", "Beta Base", 0, 0, 0, 0)]
        base = atlas.query("osai-base-models")
        found = [(r[1].value, r[2].value if r[2] else "") for r in base.rows]
        assert ("Beta-Base-13B", "Beta Base") in found and ("Gamma-7B", "Gamma Chat Model") in found
        assert ("Delta", "Delta") in found and ("Delta", "Delta 2") in found


def test_a_second_import_writes_the_same_bytes(imported):
    checkout, first_report = imported
    first = (checkout / OUTPUT).read_bytes()
    second = import_source("osai-index", INDEX, checkout)
    assert not second.changed and (checkout / OUTPUT).read_bytes() == first
    assert re.sub(r"[0-9.]+ s\n", "", second.to_text()).replace(" (unchanged)", "") == re.sub(r"[0-9.]+ s\n", "", first_report.to_text())


def test_the_assessment_iris_are_the_ones_published_before():
    # the first import minted import/osai-index/<file name, asides dropped>: an IRI is never deleted
    assert assessment_slug("Gamma Chat.yaml") == "gamma-chat"
    assert assessment_slug("Stable Diffusion (version unknown).yaml") == "stable-diffusion"


# -- malformed files -------------------------------------------------------------------------------------

SYSTEM = """\
system:
    name: {name}
    link: {link}
    type: text
    basemodelname:
org:
    name: {org}
    link: https://example.org/{stem}/about
weights_endmodel:
    class: open
    link: https://example.org/{stem}/weights
"""


def write_index(folder: Path, systems: dict[str, tuple[str, str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, (name, link, org) in systems.items():
        (folder / f"{stem}.yaml").write_text(SYSTEM.format(name=name, link=link, org=org, stem=stem), encoding="utf-8")
    return folder


def test_a_family_name_used_by_another_maker_is_only_proposed(tmp_path):
    checkout = osai_checkout(tmp_path / "atlas")
    index = write_index(tmp_path / "index", {"alpha-3": ("Alpha 3", "https://beta.example.org/alpha-3", "Beta Corp"),
                                             "alpha-4": ("Alpha 4", "https://alpha.example.org/alpha-4", "Alpha Lab")})
    report = import_source("osai-index", index, checkout)
    store = store_of(checkout)
    # Beta Corp's "Alpha 3" keeps the name of Alpha Lab's family: not a release of it, the family listed for review
    assert report.ambiguous == [f"alpha-3.yaml:1 Alpha 3: {MODEL}alpha"]
    assert rows(store, "SELECT DISTINCT ?m ?f WHERE { ?m atlas:inFamily ?f }") == [(MODEL + "alpha-lab-alpha-4", MODEL + "alpha")]


def test_the_unfilled_template_is_skipped_with_a_warning(tmp_path):
    checkout = osai_checkout(tmp_path / "atlas")
    index = write_index(tmp_path / "index", {"zeta": ("Zeta", "https://zeta.example.org/", "Zeta Lab")})
    (index / "a_submission_template.yaml").write_text("system:\n    name:\n    link:\norg:\n    name:\nlicenses:\n    class: closed\n    link:\n",
                                                      encoding="utf-8")
    report = import_source("osai-index", index, checkout)
    assert [(p.path, p.line, p.rule, p.severity) for p in report.skipped] == [("a_submission_template.yaml", 1, "osai-no-name", "warning")]
    assert not report.has_errors and report.records - report.references == 1


@pytest.mark.parametrize(("text", "rule", "line"), [
    ("- a list\n- not a mapping\n", "osai-structure", 1),
    ("system: just a string\nlicenses:\n    class: open\n", "osai-structure", 1),
    ("system:\n    name: X\nlicenses: [open]\n", "osai-structure", 3),
    ("system:\n\tname: tabbed\n", "osai-yaml", 2),
    ("system:\n    name: X\nlicenses:\n    class: 3\n", "osai-unknown-class", 4),
    ("a: " + "[" * 3000 + "]" * 3000 + "\n", "osai-yaml", 0),
    (b"system:\n    name: \xff\n", "osai-yaml", 2),
])
def test_a_malformed_file_is_skipped_and_the_rest_imported(tmp_path, text, rule, line):
    checkout = osai_checkout(tmp_path / "atlas")
    index = write_index(tmp_path / "index", {"zeta": ("Zeta", "https://zeta.example.org/", "Zeta Lab")})
    (index / "bad.yaml").write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    report = import_source("osai-index", index, checkout)
    assert [(p.path, p.rule, p.line) for p in report.skipped] == [("bad.yaml", rule, line)]
    assert report.records - report.references == 1 and report.has_errors


def test_an_import_needs_the_source_and_a_folder_of_system_files(tmp_path):
    checkout = make_checkout(tmp_path / "atlas")
    with pytest.raises(UsageError, match="graph/source/osai-index.ttl"):
        import_source("osai", INDEX, checkout)
    with pytest.raises(UsageError, match="no .yaml system files"):
        import_source("osai", tmp_path, osai_checkout(tmp_path / "other"))
    with pytest.raises(UsageError, match="does not exist"):
        import_source("osai", tmp_path / "missing", checkout)
    assert not (checkout / OUTPUT).exists()


def test_the_snapshot_version_comes_from_git_or_a_readme_beside_it(tmp_path):
    index = tmp_path / "external" / "some-index"
    index.mkdir(parents=True)
    assert git_version(index) is None
    (tmp_path / "README.md").write_text("| `external/some-index/` | the index | snapshot of org/repo at commit 5a388e8 |\n", encoding="utf-8")
    assert git_version(index) == "5a388e8"
    (index / ".git" / "refs" / "heads").mkdir(parents=True)
    (index / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (index / ".git" / "refs" / "heads" / "main").write_text("0123456789abcdef0123456789abcdef01234567\n", encoding="utf-8")
    assert git_version(index) == "0123456"


# -- names -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "key"), [
    ("Llama 3.1", "llama"), ("Llama-2-70B", "llama"), ("LLaMA-13B", "llama"), ("Meta-Llama-3-8B", "metallama"),
    ("Teuken-7B", "teuken"), ("Teuken-7B-base", "teuken"), ("Bielik-11B-v3-Base-20250730", "bielik"),
    ("Mixtral-8x22B-v0.1", "mixtral"), ("SEA-LION", "sealion"), ("StarCoder2-15B", "starcoder"), ("BLOOMZ", "bloomz"),
    ("AquilaChat", "aquilachat"), ("Stable Diffusion (version unknown)", "stablediffusion"), ("Tülu", "tulu"), ("T5", "t"),
    ("01", "01"), ("", ""),
])
def test_name_key(name, key):
    assert name_key(name) == key


def test_name_key_is_fast_on_long_digit_runs():
    started = time.perf_counter()
    assert name_key("x" + "1" * 150 + "!") == "x" + "1" * 150
    assert name_key("x" + "1" * 5000) == "x"
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(("url", "ref"), [
    ("https://huggingface.co/BAAI/AquilaChat2-70B-Expr", ("BAAI", "BAAI/AquilaChat2-70B-Expr")),
    ("https://huggingface.co/meta-llama/Llama-3.3-70B-Instruct/tree/main?x=1", ("meta-llama", "meta-llama/Llama-3.3-70B-Instruct")),
    ("https://huggingface.co/collections/swiss-ai/apertus-llm-68b6", ("swiss-ai", None)),
    ("https://huggingface.co/google", ("google", None)),
    ("https://huggingface.co/datasets/allenai/dolma", None),
    ("https://huggingface.co/docs/transformers/en/model_doc/t5", None),
    ("https://github.com/allenai/OLMo", None),
])
def test_huggingface_ref(url, ref):
    assert huggingface_ref(url) == ref


@pytest.mark.parametrize(("text", "value"), [
    ("2024-01", '"2024-01"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>'),
    ("2024 NOV", '"2024-11"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>'),
    ("2023-05-17", '"2023-05-17"^^<http://www.w3.org/2001/XMLSchema#date>'),
    ("2022", '"2022"^^<http://www.w3.org/2001/XMLSchema#gYear>'),
    ("2024-13", None), ("soon", None), (None, None),
])
def test_release_dates(text, value):
    found = release_date(text)
    assert (str(found) if found is not None else None) == value


def sparql_keys(names: list[str]) -> dict[str, str]:
    """The key queries/osai-base-models.rq computes for each name (its own BIND lines, run by pyoxigraph)."""
    text = BASE_MODELS_QUERY.read_text(encoding="utf-8")
    binds = [line.strip() for line in text.splitlines() if line.strip().startswith("BIND") and re.search(r"\?(nameText|nameStripped)\b", line)]
    assert len(binds) == 3, binds
    values = " ".join('"' + n.replace("\\", "\\\\").replace('"', '\\"') + '"' for n in names)
    query = f"SELECT ?baseModelName ?key WHERE {{ VALUES ?baseModelName {{ {values} }} {' '.join(binds)} }}"
    return {row["baseModelName"].value: row["key"].value for row in ox.Store().query(query)}


def test_the_base_model_query_normalises_names_as_the_import_does():
    names = ["Llama-2-70B", "Mixtral-8x22B-v0.1", "Bielik-11B-v3-Base-20250730", "SmolLM3-3B-Base", "Stable Diffusion (version unknown)",
             "dots.llm1.base", "GPT-SW3-6.7B-V2", "Olmo-3-1125-32B", "T5", "01", "Gamma-Chat-7B-Base", "H2O-Danube3.1-4B-Base"]
    if REAL_INDEX.is_dir():
        for path in REAL_INDEX.glob("*.yaml"):
            match = re.search(r"^    basemodelname: *(.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
            if match and match.group(1).strip().isascii():
                names.append(match.group(1).strip())
    names = sorted(set(names))
    assert sparql_keys(names) == {n: name_key(n) for n in names}


# -- the real index (../shared/external/osai-index) -------------------------------------------------------


@pytest.fixture(scope="module")
def real_import(tmp_path_factory):
    require(REAL_INDEX.is_dir(), f"the European Open Source AI Index snapshot at {REAL_INDEX} (../shared)")
    base = tmp_path_factory.mktemp("real-osai")
    checkout = base / "atlas"
    checkout.mkdir()
    for folder in ("ontology", "graph", "queries"):
        shutil.copytree(ROOT / folder, checkout / folder)
    (checkout / "imports").mkdir()
    report = import_source("osai-index", REAL_INDEX, checkout)
    return checkout, report, base


@pytest.mark.slow
def test_the_real_index_imports_consistently(real_import):
    checkout, report, _ = real_import
    files = [p for p in REAL_INDEX.iterdir() if p.suffix == ".yaml" and not p.name.startswith("_")]
    assert not report.has_errors, report.to_text()
    assert report.read == len(files)
    assert [p.rule for p in report.skipped] == ["osai-no-name"]  # the submission template
    store = store_of(checkout)
    for path in sorted((checkout / "graph").rglob("*.ttl")):  # a system matched to a curated release is typed there
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)

    def count(pattern: str) -> int:
        return int(next(iter(store.query(f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ {pattern} }}", prefixes=PREFIXES,
                                         use_default_graph_as_union=True)))["n"].value)

    assert count("?a a atlas:OpennessAssessment") == count("?a atlas:assesses ?m . ?m a atlas:ModelRelease") == len(files) - 1
    # the organisations the first import duplicated are the curated ones; no individual is an organisation
    assert not count("?a a atlas:Organization FILTER (?a IN (organization:stanford-university-crfm, organization:bigcode))")
    assert count("?a atlas:creatorName ?n") >= 3


@pytest.mark.slow
def test_the_committed_import_is_what_the_snapshot_gives(real_import):
    checkout, _, _ = real_import
    committed = ROOT / OUTPUT
    if not committed.exists():
        pytest.skip(f"{OUTPUT} is not in the checkout yet")
    assert committed.read_text(encoding="utf-8") == (checkout / OUTPUT).read_text(encoding="utf-8"), (
        f"{OUTPUT} is stale (graph/ or the import changed): rerun the import, `llm-atlas import osai ../shared/external/osai-index`")
