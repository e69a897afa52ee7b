"""Importing the European Open Source AI Index: reading, reconciling, writing, and data that validates.

The fixture index (tests/fixtures/osai/index/) has one system matched by Hugging Face id, one by name, one
ambiguous, two created (one tied to an organisation of the atlas by its Hugging Face owner, one with a new
organisation), and three files that are skipped: invalid YAML, an unknown dimension, an unknown class. The
layer tests/fixtures/osai/layer/ adds to the small fixture graph the models and organisation they meet.
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
from llm_atlas.namespaces import PREFIXES
from llm_atlas.osai import OUTPUT, huggingface_ref, import_osai, name_key, org_key, slugify, snapshot_version

from .conftest import FIXTURES, ROOT, SHARED, check_golden, make_checkout, overlay, require

OSAI = FIXTURES / "osai"
INDEX = OSAI / "index"
GOLDEN = OSAI / "golden"
REAL_INDEX = SHARED / "external" / "osai-index"
BASE_MODELS_QUERY = ROOT / "queries" / "osai-base-models.rq"


def osai_checkout(dest: Path) -> Path:
    """The small fixture graph, the fixture layer, and the index's source entity."""
    checkout = make_checkout(dest)
    overlay(checkout, OSAI / "layer")
    shutil.copyfile(ROOT / "graph/source/osai-index.ttl", checkout / "graph/source/osai-index.ttl")
    return checkout


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    checkout = osai_checkout(tmp_path_factory.mktemp("osai") / "atlas")
    report = import_osai(INDEX, checkout)
    return checkout, report


def short(iri: str) -> str:
    return iri.rsplit("/", 2)[-2] + ":" + iri.rsplit("/", 1)[1]


# -- the fixture index -----------------------------------------------------------------------------------


def test_reconciliation_of_the_fixture_index(imported):
    _, report = imported
    assert [(m.file, short(m.model), m.how) for m in report.matched] == [
        ("alpha.yaml", "model:alpha-7b", "name"),
        ("Gamma Chat.yaml", "model:gamma-chat", "huggingface-id"),
    ]
    assert [(a.file, [short(c) for c in a.candidates], a.how) for a in report.ambiguous] == [
        ("delta.yaml", ["model:delta", "model:delta-2"], "name"),
    ]
    assert [(c.file, short(c.model), c.new_model, [short(o) for o in c.organizations], [short(o) for o in c.new_organizations])
            for c in report.created] == [
        ("epsilon-coder.yaml", "model:epsilon-coder", True, ["organization:gamma-org"], []),
        ("zeta.yaml", "model:zeta-1-instruct", True, ["organization:beta-corp", "organization:zeta-institute"], ["organization:zeta-institute"]),
    ]
    assert (report.files, report.imported, report.models_created, report.organizations_created) == (8, 5, 2, 1)
    assert (report.judgements, report.evidence_links, report.evidence_skipped, report.base_model_names) == (15, 13, 3, 4)
    assert report.version is None and report.has_errors


def test_skipped_files_are_reported_with_path_and_line(imported):
    _, report = imported
    assert [(Path(p.path).name, p.line, p.col, p.rule, p.severity) for p in report.skipped] == [
        ("broken.yaml", 9, 1, "osai-yaml", "error"),
        ("mostly.yaml", 11, 12, "osai-unknown-class", "error"),
        ("vibes.yaml", 14, 1, "osai-unknown-dimension", "error"),
    ]
    assert all(p.path == (INDEX / Path(p.path).name).as_posix() for p in report.skipped)
    broken, mostly, vibes = report.skipped
    assert "quoted scalar (line 4, column 11)" in broken.message
    assert "'mostly'" in mostly.message and "open, partial or closed" in mostly.message
    assert "'vibes'" in vibes.message and "weights_endmodel" in vibes.message
    assert report.skipped_files == sorted(p.path for p in report.skipped)


def test_the_report_text_matches_its_golden(imported, update_goldens):
    _, report = imported
    check_golden(GOLDEN / "report.txt", report.to_text().replace(INDEX.as_posix(), "INDEX"), update_goldens)


def test_the_import_file_matches_its_golden(imported, update_goldens):
    checkout, _ = imported
    check_golden(GOLDEN / "osai-index.ttl", (checkout / OUTPUT).read_text(encoding="utf-8"), update_goldens)


def test_the_import_file_uses_only_shared_prefixes_and_no_prose_notes(imported):
    checkout, _ = imported
    text = (checkout / OUTPUT).read_text(encoding="utf-8")
    declared = dict(re.findall(r"^@prefix (\w+): <([^>]+)> \.$", text, re.MULTILINE))
    assert declared and all(PREFIXES[p] == iri for p, iri in declared.items())
    assert "Fixture notes are never imported" not in text and "notes" not in text.split("\n\n", 1)[1]
    assert "_:" not in text and "@base" not in text


def test_the_checkout_with_the_import_validates(imported, tmp_path):
    checkout, _ = imported
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        report = atlas.validate()
        assert report.problems == [], "\n".join(p.as_text() for p in report.problems)
        # what the file says, read back through the store
        judged = atlas.query(
            "SELECT ?a (COUNT(?j) AS ?n) WHERE { ?a a atlas:OpennessAssessment ; atlas:judgement ?j } GROUP BY ?a ORDER BY ?a").rows
        assert [(r[0].value.rsplit("/", 1)[1], int(r[1].value)) for r in judged] == [
            ("alpha", 3), ("delta", 2), ("epsilon-coder", 3), ("gamma-chat", 4), ("zeta", 3)]
        assert atlas.query("ASK { ?a atlas:assesses ?m . FILTER (STRENDS(STR(?a), '/delta')) }").boolean is False
        assert atlas.query("ASK { model:zeta-1-instruct atlas:importedFrom source:osai-index ; atlas:createdBy organization:beta-corp }").boolean


def test_the_saved_queries_answer_on_the_fixture(imported, tmp_path):
    checkout, _ = imported
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        study = atlas.query("osai-study-projects")
        assert [(r[0].value, r[1].value, *(int(r[i].value) for i in range(3, 7))) for r in study.rows] == [
            ("Alpha", "Alpha-7B", 2, 1, 0, 3), ("Beta", "Beta Base", 0, 0, 0, 0)]
        base = atlas.query("osai-base-models")
        rows = [(r[1].value, r[2].value if r[2] else "", r[3].value if r[3] else "") for r in base.rows]
        assert rows == [
            ("Beta-Base-13B", "Beta Base", "false"),
            ("Delta", "Delta", "false"),
            ("Delta", "Delta 2", "false"),
            ("Gamma-Chat-7B-Base", "Gamma Chat Model", "false"),
            ("Gamma-7B", "Gamma Chat Model", "false"),  # its alternative label "Gamma Chat" drops "Chat" like a version
        ]


def test_a_second_import_writes_the_same_bytes_and_ignores_its_own_output(imported):
    checkout, first_report = imported
    first = (checkout / OUTPUT).read_bytes()
    second_report = import_osai(INDEX, checkout)
    assert (checkout / OUTPUT).read_bytes() == first
    assert second_report.to_text() == first_report.to_text()


# -- reconciliation details ------------------------------------------------------------------------------

SYSTEM = """\
system:
    name: {name}
    link: {link}
    type: text
    basemodelname:
org:
    name: {org}
    link: https://example.org/{slug}/about
weights_endmodel:
    class: open
    link: https://example.org/{slug}/weights
"""


def write_index(folder: Path, systems: dict[str, tuple[str, str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, (name, link, org) in systems.items():
        (folder / f"{stem}.yaml").write_text(SYSTEM.format(name=name, link=link, org=org, slug=slugify(stem)), encoding="utf-8")
    return folder


def test_created_iris_avoid_taken_ones_and_one_name_makes_one_model(tmp_path):
    checkout = osai_checkout(tmp_path / "atlas")
    (checkout / "graph/model/omega.ttl").write_text(
        "@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .\n@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        "@prefix model: <https://w3id.org/llm-atlas/model/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix source: <https://w3id.org/llm-atlas/source/> .\n\n"
        'model:omega a atlas:Model ;\n    rdfs:label "Something Else"@en ;\n    dcterms:description "A model whose slug is not its name."@en ;\n'
        "    atlas:source source:slides .\n", encoding="utf-8")
    index = write_index(tmp_path / "index", {
        "omega-1": ("Omega 1", "https://example.org/omega", "Omega Labs"),
        "omega-2": ("Omega 2", "https://example.org/omega-2", "Omega Labs"),
        "omega-other": ("Omega", "https://example.org/other-omega", "Other Omega Makers"),
    })
    report = import_osai(index, checkout)
    # "Omega 1" and "Omega 2" by one organisation are one model; "Omega" by another is a model of its own, and
    # model:omega is taken by graph/model/omega.ttl (whose label is not "Omega")
    assert [(c.file, short(c.model), c.new_model, [short(o) for o in c.organizations]) for c in report.created] == [
        ("omega-1.yaml", "model:omega-1", True, ["organization:omega-labs"]),
        ("omega-2.yaml", "model:omega-1", False, ["organization:omega-labs"]),
        ("omega-other.yaml", "model:omega-2", True, ["organization:other-omega-makers"]),
    ]
    assert (report.models_created, report.organizations_created) == (2, 2)
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        assert atlas.validate().problems == []


def test_several_name_candidates_are_narrowed_by_the_organisation(tmp_path):
    checkout = osai_checkout(tmp_path / "atlas")
    path = checkout / "graph/model/delta.ttl"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "    atlas:source source:slides .",
        "    atlas:createdBy organization:beta-corp ;\n    atlas:source source:slides .\n\n"
        "<https://w3id.org/llm-atlas/model/delta#createdby-beta-corp> a atlas:StatementClaim ;\n"
        "    rdf:subject model:delta ; rdf:predicate atlas:createdBy ; rdf:object organization:beta-corp ;\n"
        "    atlas:source source:slides ; atlas:locator \"slide 11\" ; atlas:confidence confidence:stated ."
    ).replace("@prefix atlas:", "@prefix confidence: <https://w3id.org/llm-atlas/ontology/confidence/> .\n"
              "@prefix organization: <https://w3id.org/llm-atlas/organization/> .\n"
              "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n@prefix atlas:"), encoding="utf-8")
    index = write_index(tmp_path / "index", {"delta": ("Delta", "https://delta.example.org/", "Beta Corp")})
    report = import_osai(index, checkout)
    assert [(m.file, short(m.model), m.how) for m in report.matched] == [("delta.yaml", "model:delta", "name")]


def test_the_unfilled_template_is_skipped_with_a_warning(tmp_path):
    checkout = osai_checkout(tmp_path / "atlas")
    index = write_index(tmp_path / "index", {"zeta": ("Zeta", "https://zeta.example.org/", "Zeta Lab")})
    (index / "a_submission_template.yaml").write_text("system:\n    name:\n    link:\norg:\n    name:\nlicenses:\n    class: closed\n    link:\n",
                                                      encoding="utf-8")
    report = import_osai(index, checkout)
    assert [(Path(p.path).name, p.line, p.rule, p.severity) for p in report.skipped] == [
        ("a_submission_template.yaml", 1, "osai-no-name", "warning")]
    assert not report.has_errors and report.imported == 1


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
    target = index / "bad.yaml"
    target.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    report = import_osai(index, checkout)
    assert [(p.path, p.rule, p.line) for p in report.skipped] == [(target.as_posix(), rule, line)]
    assert report.imported == 1 and report.has_errors


def test_an_import_needs_the_source_and_a_folder_of_system_files(tmp_path):
    checkout = make_checkout(tmp_path / "atlas")
    with pytest.raises(UsageError, match="graph/source/osai-index.ttl"):
        import_osai(INDEX, checkout)
    with pytest.raises(UsageError, match="no .yaml system files"):
        import_osai(tmp_path, osai_checkout(tmp_path / "other"))
    with pytest.raises(UsageError, match="not a folder"):
        import_osai(tmp_path / "missing", checkout)
    assert not (checkout / OUTPUT).exists()


def test_the_snapshot_version_comes_from_git_or_a_readme_beside_it(tmp_path):
    index = tmp_path / "external" / "some-index"
    index.mkdir(parents=True)
    assert snapshot_version(index) is None
    (tmp_path / "README.md").write_text("| `external/some-index/` | the index | snapshot of org/repo at commit 5a388e8 |\n", encoding="utf-8")
    assert snapshot_version(index) == "5a388e8"
    (index / ".git" / "refs" / "heads").mkdir(parents=True)
    (index / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (index / ".git" / "refs" / "heads" / "main").write_text("0123456789abcdef0123456789abcdef01234567\n", encoding="utf-8")
    assert snapshot_version(index) == "0123456"


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


@pytest.mark.parametrize(("name", "key"), [
    ("Hugging Face", "huggingface"), ("HuggingFace", "huggingface"), ("Mistral AI", "mistral"), ("StabilityAI", "stability"),
    ("Stability AI", "stability"), ("Alibaba Group", "alibaba"), ("Cohere Labs", "coherelabs"), ("xAI", "xai"), ("Zhipu AI (Z.ai)", "zhipu"),
])
def test_org_key(name, key):
    assert org_key(name) == key


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
    report = import_osai(REAL_INDEX, checkout)
    return checkout, report, base


@pytest.mark.slow
def test_the_real_index_imports_consistently(real_import):
    checkout, report, _ = real_import
    files = sorted(p for p in REAL_INDEX.iterdir() if p.suffix == ".yaml")
    assert report.files == len(files)
    assert report.imported + len(report.skipped_files) == report.files
    assert report.imported == len(report.matched) + len(report.created) + len(report.ambiguous)
    assert not report.has_errors, report.to_text()
    assert report.matched and report.created
    store = ox.Store()
    store.load(path=str(checkout / OUTPUT), format=ox.RdfFormat.TURTLE)

    def count(pattern: str) -> int:
        return int(next(iter(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", prefixes=PREFIXES)))["n"].value)

    assert count("?a a atlas:OpennessAssessment") == report.imported
    assert count("?a atlas:assesses ?m") == len(report.matched) + len(report.created)
    assert count("?j a atlas:OpennessJudgement") == count("?a atlas:judgement ?j") == report.judgements
    assert count("?j a atlas:OpennessJudgement ; atlas:evidence ?e") == report.evidence_links
    assert count("?m atlas:importedFrom source:osai-index ; a atlas:Model") == report.models_created
    assert count("?o atlas:importedFrom source:osai-index ; a atlas:Organization") == report.organizations_created
    assert report.version == "5a388e8"


@pytest.mark.slow
def test_the_real_import_validates(real_import):
    checkout, _, base = real_import
    with Atlas.open(checkout, base / "store") as atlas:
        report = atlas.validate()
        assert report.problems == [], "\n".join(p.as_text() for p in report.problems[:20])
        assert atlas.query("osai-study-projects").rows
        assert atlas.query("osai-base-models").rows


@pytest.mark.slow
def test_the_committed_import_is_what_the_snapshot_gives(real_import):
    checkout, _, _ = real_import
    committed = ROOT / OUTPUT
    if not committed.exists():
        pytest.skip(f"{OUTPUT} is not in the checkout yet")
    assert committed.read_text(encoding="utf-8") == (checkout / OUTPUT).read_text(encoding="utf-8"), (
        f"{OUTPUT} is stale (graph/ or the import changed): rerun the import, `llm-atlas import osai ../shared/external/osai-index`")
