"""Synthetic atlas checkouts for benchmarks: valid data of any size, deterministic given a seed.

    python benchmarks/generate.py OUT_DIR --triples 100000 [--seed 1]

Writes ``OUT_DIR/graph/<kind>/<slug>.ttl`` (one entity per file, every claim property backed by a
statement claim with its source and confidence) and copies the real ``ontology/``, ``queries/`` and
``graph/source/`` beside it, so the checkout builds and validates with zero problems. The size target is
the whole checkout as a build loads it (ontology/ + graph/), counted with pyoxigraph; the ontology is a
fixed ~1,900 triples, so small targets are mostly ontology.

The shape of the data: organisations (types, continents, countries, some identifiers), projects (led by
organisations, a governance model, releasing models, building and using artefacts, motivations as
inferred claims with a comment), models (base-model chains, trained on datasets, evaluated on
benchmarks), datasets (Zipf-like reuse: a few are used by many projects and models, most by few;
derivedFrom chains), benchmarks, leaderboards, frameworks, compute resources, compute partnerships,
knowledge sharing, platforms, collaborations, on-ramps, challenges and recommendations. Claims mix
stated, paraphrased and inferred confidence and all five sources (external ones with atlas:evidence).

Turtle is written with string templates (no rdflib graph): 10^6 triples take seconds.

Also for benchmarks of incremental checks:

- :func:`change_files` edits n entity files validly (a new claim-backed link or a new description);
- :func:`break_files` makes n files violate one shape each and says which rule id to expect.
"""

from __future__ import annotations

import argparse
import bisect
import random
import re
import shutil
import sys
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
try:
    from llm_atlas.namespaces import BASE, PREFIXES
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, str(ROOT / "src"))
    from llm_atlas.namespaces import BASE, PREFIXES

# -- vocabularies (the concepts the shapes accept) ---------------------------------------------------------

ORGTYPES = ["non-profit-grassroots", "public-research", "sme", "large-enterprise"]
ORGTYPE_WORDS = {
    "non-profit-grassroots": ("Collective", "a grassroots community"),
    "public-research": ("Institute", "a public research institute"),
    "sme": ("Labs", "a small AI company"),
    "large-enterprise": ("Corporation", "a large technology company"),
}
COUNTRIES = {
    "africa": ["NG", "KE", "ZA", "GH", "RW", "ET", "SN", "EG"],
    "asia": ["CN", "JP", "SG", "IN", "KR", "TH", "ID", "VN", "AE"],
    "europe": ["NO", "SE", "DE", "FR", "PL", "NL", "FI", "ES", "IT", "GB", "CH"],
    "north-america": ["US", "CA", "MX"],
    "south-america": ["BR", "AR", "CL", "CO", "PE"],
    "oceania": ["AU", "NZ"],
}
CONTINENTS = list(COUNTRIES)
CONTINENT_WEIGHTS = [0.12, 0.25, 0.3, 0.22, 0.07, 0.04]
GOVERNANCE = [
    "single-company", "single-research-institute", "multi-organisational-research-institute",
    "non-profit-sponsored-grassroots", "company-sponsored-grassroots", "multi-company",
]
GOVERNANCE_OF_TYPE = {
    "non-profit-grassroots": ["non-profit-sponsored-grassroots", "company-sponsored-grassroots"],
    "public-research": ["single-research-institute", "multi-organisational-research-institute"],
    "sme": ["single-company", "company-sponsored-grassroots"],
    "large-enterprise": ["single-company", "multi-company"],
}
MOTIVATIONS = [
    "open-science", "democratising-access", "language-representation", "regional-ecosystems",
    "technological", "social", "economic",
]
STAGES = ["pre-training", "post-training", "post-release"]
GAPS = [
    "underrepresented-languages", "open-training-data", "data-provenance-licensing", "public-compute",
    "governance", "contribution-pathways",
]
AUDIENCES = ["researchers-developers", "companies", "policymakers", "platforms-foundations"]
COLLAB_KINDS = ["formal-partnership", "knowledge-sharing", "derivation", "adaptation"]
ARTIFACT_CLASSES = [
    "Model", "Dataset", "Benchmark", "Leaderboard", "SoftwareFramework", "ComputeResource",
    "ComputePartnership", "KnowledgeSharing", "Platform",
]
LANGUAGES = [
    "sw", "yo", "ha", "zu", "am", "ig", "nb", "nn", "sv", "fi", "pl", "cs", "th", "vi", "id", "ms", "tl",
    "hi", "bn", "ta", "ar", "fa", "eu", "ga", "cy", "mi", "qu", "gn", "is", "et",
]
LICENCES = ["Apache-2.0", "MIT", "CC-BY-4.0", "CC-BY-SA-4.0", "BSD-3-Clause", "ODC-By-1.0", "OpenRAIL-M"]
ROR_ALPHABET = "abcdefghjkmnpqrstvwxyz0123456789"

WORDS_A = [
    "aurora", "baobab", "kestrel", "meridian", "lumen", "nimbus", "sable", "tundra", "zephyr", "orchid",
    "cobalt", "fjord", "harbor", "juniper", "lyra", "mosaic", "nova", "onyx", "pioneer", "quill", "rune",
    "sierra", "talon", "umber", "vega", "willow", "yarrow", "zenith", "acacia", "boreal", "cedar", "delta",
    "ember", "falcon", "granite", "heron", "indigo", "jasper", "kiln", "larch",
]
WORDS_B = [
    "river", "stone", "peak", "field", "bridge", "forge", "grove", "harvest", "island", "lantern", "marsh",
    "needle", "orbit", "prairie", "quarry", "reef", "summit", "thicket", "valley", "wharf", "canyon",
    "dune", "estuary", "glacier", "horizon", "inlet", "lagoon", "mesa", "oasis", "plateau",
]

# kind -> (class, label noun)
KIND_INFO = {
    "organization": ("atlas:Organization", ""),
    "project": ("atlas:Project", "Project"),
    "model": ("atlas:Model, atlas:ModelRelease", ""),  # every synthetic model is a release (lineage is between releases)
    "dataset": ("atlas:Dataset", "Corpus"),
    "benchmark": ("atlas:Benchmark", "Bench"),
    "leaderboard": ("atlas:Leaderboard", "Leaderboard"),
    "framework": ("atlas:SoftwareFramework", "Toolkit"),
    "compute": ("atlas:ComputeResource", "Supercomputer"),
    "partnership": ("atlas:ComputePartnership", "Compute Access"),
    "knowledge": ("atlas:KnowledgeSharing", "Forum"),
    "platform": ("atlas:Platform", "Hub"),
    "collaboration": ("atlas:Collaboration", "Collaboration"),
    "onramp": ("atlas:OnRamp", "On-ramp"),
    "challenge": ("atlas:Challenge", "Challenge"),
    "recommendation": ("atlas:Recommendation", "Recommendation"),
    "study": ("atlas:Study", "Study"),
    "resolution": ("atlas:Resolution", "Resolution"),
}
# Entities per unit of scale, and the least of each kind (every class is always present).
RATIOS = {
    "organization": (3.0, 3), "project": (2.0, 2), "model": (5.0, 2), "dataset": (5.0, 2),
    "benchmark": (1.5, 1), "leaderboard": (0.3, 1), "framework": (0.8, 1), "compute": (0.3, 1),
    "partnership": (0.3, 1), "knowledge": (0.3, 1), "platform": (0.08, 2), "collaboration": (1.5, 1),
    "onramp": (0.5, 1), "challenge": (0.5, 1), "recommendation": (0.3, 1), "study": (0.0, 1),
    "resolution": (0.0, 1),
}
ARTIFACT_KINDS = ["model", "dataset", "benchmark", "leaderboard", "framework", "compute", "partnership", "knowledge", "platform"]
CLAIM_KINDS = {"collaboration", "onramp", "challenge", "recommendation"}

INFERRED_WHY = [
    "Inferred from the project's public mission statement; no source links the two.",
    "Concluded here from the artefacts the entity released; the sources do not say it.",
    "An inference of the atlas from the entity's own web pages, not a finding of the study.",
    "Inferred from the model card and the release notes; no source states it in these words.",
]
MOTIVATION_WHY = [
    "No source says which project voiced which motivation: inferred from the project's stated goals.",
    "Inferred from the languages and licences of the project's releases; the study does not link them.",
    "The project's mission page suggests it; the study reports motivations without naming projects.",
]
FINDING_TEXT = {
    "onramp": ["Outside contributors joined through {x}.", "Community members could take part via {x}."],
    "challenge": ["Collaboration on {x} was held back by access rules.", "Work on {x} suffered from short funding cycles."],
}


# -- writing Turtle ------------------------------------------------------------------------------------


class Doc:
    """One entity file: the entity's properties, its statement claims, the prefixes used, a triple tally."""

    __slots__ = ("kind", "slug", "cls", "props", "claims", "prefixes", "triples", "has_premise")

    def __init__(self, kind: str, slug: str):
        self.kind = kind
        self.slug = slug
        self.cls = KIND_INFO[kind][0]
        self.props: dict[str, list[str]] = {}
        self.claims: list[str] = []
        self.prefixes = {"atlas", kind}
        self.triples = 1 + self.cls.count(",")  # rdf:type
        self.has_premise = False

    @property
    def term(self) -> str:
        return f"{self.kind}:{self.slug}"

    @property
    def iri(self) -> str:
        return f"{BASE}{self.kind}/{self.slug}"

    @property
    def relpath(self) -> str:
        return f"graph/{self.kind}/{self.slug}.ttl"

    def _use(self, term: str) -> None:
        first = term[0]
        if first == '"':
            if "^^" in term:
                self.prefixes.add(term.rsplit("^^", 1)[1].split(":", 1)[0])
            return
        if first == "<" or first.isdigit() or term in ("true", "false"):
            return
        self.prefixes.add(term.split(":", 1)[0])

    def add(self, pred: str, obj: str) -> bool:
        objs = self.props.setdefault(pred, [])
        if obj in objs:
            return False
        objs.append(obj)
        self.triples += 1
        self._use(pred)
        self._use(obj)
        return True

    def claim(self, pred: str, obj: str, value: str, prov: tuple) -> None:
        """Assert ``pred obj`` on the entity and back it with a statement claim named ``#<pred>-<value>``."""
        if not self.add(pred, obj):
            return
        local = pred.split(":", 1)[1].lower()
        fragment = f"{local}-{value}" if value else local
        source, confidence, locator, evidence, comment = prov
        parts = [f"atlas:confidence confidence:{confidence}", f"atlas:source source:{source}"]
        count = 6
        if source == "atlas":  # an inference of the atlas rests on a premise with a source of its own
            parts.append(f"prov:wasDerivedFrom {self.premise()}")
            count += 1
        if evidence:
            parts.append(f"atlas:evidence <{evidence}>")
            count += 1
        if locator:
            parts.append(f'atlas:locator "{locator}"')
            count += 1
        text = (
            f"<{self.iri}#{fragment}> a atlas:StatementClaim ;\n"
            f"    rdf:subject {self.term} ; rdf:predicate {pred} ; rdf:object {obj} ;\n"
            f"    {' ; '.join(parts)}"
        )
        if comment:
            text += f' ;\n    rdfs:comment "{comment}"@en'
            count += 1
        self.claims.append(text + " .\n")
        self.triples += count
        self.prefixes.update(("rdf", "confidence", "source"))
        if comment:
            self.prefixes.add("rdfs")

    def premise(self) -> str:
        """The file's source statement an inference of the atlas rests on (written once per file)."""
        iri = f"<{self.iri}#premise>"
        if not self.has_premise:
            self.has_premise = True
            self.claims.append(
                f"{iri} a atlas:SourceStatement ;\n"
                f'    rdfs:label "What the slides say about this entity, the premise of the atlas\'s inferences."@en ;\n'
                f'    atlas:source source:slides ; atlas:locator "slide 9" ; atlas:confidence confidence:paraphrased .\n'
            )
            self.triples += 5
            self.prefixes.update(("rdfs", "confidence", "source"))
        self.prefixes.add("prov")
        return iri

    def render(self) -> str:
        out = [f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in sorted(self.prefixes)]
        lines = [f"\n{self.term} a {self.cls}"]
        for pred, objs in self.props.items():
            lines.append(f"    {pred} {', '.join(objs)}")
        out.append(" ;\n".join(lines) + " .\n")
        for text in self.claims:
            out.append("\n")
            out.append(text)
        return "".join(out)


# -- the generator -------------------------------------------------------------------------------------


class _Gen:
    """Builds the documents of one checkout at scale ``k`` (entities per kind = ratio * k)."""

    def __init__(self, seed: int, k: float):
        self.rng = random.Random(seed)
        self.counts = {kind: max(minimum, round(ratio * k)) for kind, (ratio, minimum) in RATIOS.items()}
        self.serial = 0
        self.names: dict[str, list[tuple[str, str]]] = {}
        self.docs: list[Doc] = []
        self.cum: dict[tuple[int, float], list[float]] = {}

    # random helpers -------------------------------------------------------------------------------------

    def zipf(self, n: int, s: float = 1.1, hi: int | None = None) -> int:
        """An index in [0, hi) (default n) drawn with weight 1 / (index + 1) ** s."""
        key = (n, s)
        cum = self.cum.get(key)
        if cum is None:
            total, cum = 0.0, []
            for rank in range(1, n + 1):
                total += 1.0 / rank**s
                cum.append(total)
            self.cum[key] = cum
        hi = n if hi is None else hi
        x = self.rng.random() * cum[hi - 1]
        return min(bisect.bisect_right(cum, x, 0, hi), hi - 1)

    def zipf_many(self, kind: str, count: int, s: float = 1.1, exclude: tuple = ()) -> list[str]:
        pool = self.names[kind]
        picked = dict.fromkeys(pool[self.zipf(len(pool), s)][0] for _ in range(count))
        return [term for term in picked if term not in exclude]

    def uniform(self, kind: str) -> str:
        return self.rng.choice(self.names[kind])[0]

    def sources(self) -> list[str]:
        rng = self.rng
        main = rng.choices(["slides", "paper-v2", "paper-v1", "blog", "external"], [0.35, 0.15, 0.1, 0.1, 0.3])[0]
        found = [main]
        if main != "external" and rng.random() < 0.3:
            found.append("external")
        return found

    def prov(self, doc: Doc, confidence: str | None = None, why: list[str] | None = None) -> tuple:
        """(source, confidence, locator, evidence, comment) of one claim."""
        rng = self.rng
        source = rng.choices(["slides", "external", "paper-v2", "paper-v1", "blog"], [0.35, 0.35, 0.1, 0.05, 0.15])[0]
        if confidence is None:
            confidence = rng.choices(["stated", "paraphrased", "inferred"], [0.55, 0.3, 0.15])[0]
        if confidence == "inferred":  # the atlas's own conclusion: no study source, no locator
            return "atlas", confidence, None, None, rng.choice(why or INFERRED_WHY)
        locator = evidence = comment = None
        if source == "slides":
            locator = f"slide {rng.randint(2, 40)}"
        elif source.startswith("paper"):
            locator = rng.choice(["abstract", "section 3", "section 4", "table 2"])
        elif source == "blog":
            locator = rng.choice(["introduction", "governance models", "recommendations"])
        else:
            evidence = f"https://example.org/{doc.kind}/{doc.slug}/{rng.choice(['about', 'card', 'paper', 'news'])}"
        if confidence == "inferred":
            comment = rng.choice(why or INFERRED_WHY)
        return source, confidence, locator, evidence, comment

    def finish(self, doc: Doc, sources: list[str] | None = None) -> None:
        sources = sources or self.sources()
        for source in sources:
            doc.add("atlas:source", f"source:{source}")
        if "external" in sources:
            doc.add("atlas:evidence", f"<https://example.org/{doc.kind}/{doc.slug}>")
        self.docs.append(doc)

    def describe(self, doc: Doc, label: str, description: str) -> None:
        doc.add("rdfs:label", f'"{label}"@en')
        doc.add("dcterms:description", f'"{description}"@en')

    # the plan ---------------------------------------------------------------------------------------------

    def plan_names(self) -> None:
        rng = self.rng
        for kind in RATIOS:
            names = []
            for _ in range(self.counts[kind]):
                self.serial += 1
                a, b = rng.choice(WORDS_A), rng.choice(WORDS_B)
                slug = f"{a}-{b}-{self.serial}"
                noun = KIND_INFO[kind][1]
                label = f"{a.title()} {b.title()}" + (f" {noun}" if noun else "") + f" {self.serial}"
                names.append((f"{kind}:{slug}", label))
            self.names[kind] = names

    def run(self) -> list[Doc]:
        self.plan_names()
        rng = self.rng
        orgs = self.names["organization"]
        self.org_type: dict[str, str] = {}
        for i, (term, label) in enumerate(orgs):
            self.organization(i, term, label)
        # ownership: which project releases each model and builds each artefact
        projects = self.names["project"]
        self.project_leads = {term: self.zipf_many("organization", 1 + (rng.random() < 0.15), s=0.8) for term, _ in projects}
        self.releases: dict[str, list[str]] = {term: [] for term, _ in projects}
        self.builds: dict[str, list[str]] = {term: [] for term, _ in projects}
        self.owner: dict[str, str] = {}
        for kind in ARTIFACT_KINDS:
            for term, _ in self.names[kind]:
                share = 0.8 if kind == "model" else 0.45
                if rng.random() < share:
                    project = rng.choice(projects)[0]
                    (self.releases if kind == "model" else self.builds)[project].append(term)
                    self.owner[term] = project
        for i, (term, label) in enumerate(projects):
            self.project(i, term, label)
        for kind in ARTIFACT_KINDS:
            for i, (term, label) in enumerate(self.names[kind]):
                getattr(self, kind)(i, term, label)
        for i, (term, label) in enumerate(self.names["collaboration"]):
            self.collaboration(i, term, label)
        for kind in ("onramp", "challenge"):
            for i, (term, label) in enumerate(self.names[kind]):
                self.finding(kind, i, term, label)
        for i, (term, label) in enumerate(self.names["recommendation"]):
            self.recommendation(i, term, label)
        for (term, label), (resolution, _) in zip(self.names["study"], self.names["resolution"]):
            self.study(term, label, resolution)
        return self.docs

    def study(self, term: str, label: str, resolution: str) -> None:
        """The study, with two sources that disagree on its project count, and the resolution that keeps one."""
        doc = self.doc(term)
        self.describe(doc, label, "Synthetic study of open LLM projects.")
        doc.claim("atlas:projectCount", "14", "14", ("paper-v1", "stated", "abstract", None, None))
        doc.add("atlas:projectCount", "12")  # both counts stand, each with its source; the resolution says which is kept
        doc.claims.append(
            f"<{doc.iri}#projectcount-12> a atlas:StatementClaim ;\n"
            f"    rdf:subject {doc.term} ; rdf:predicate atlas:projectCount ; rdf:object 12 ;\n"
            f"    atlas:confidence confidence:stated ; atlas:source source:external ;\n"
            f"    atlas:evidence <https://example.org/{doc.kind}/{doc.slug}/talk> ;\n"
            f"    atlas:contradictedBy <{doc.iri}#projectcount-14> .\n")
        doc.triples += 8
        self.finish(doc, ["paper-v1"])
        decided = self.doc(resolution)
        self.describe(decided, f"The project count of {label}", "Which of two counts of the study's projects the atlas keeps.")
        decided.add("atlas:resolves", f"<{doc.iri}#projectcount-12>")
        decided.add("atlas:favours", f"<{doc.iri}#projectcount-14>")
        decided.add("atlas:reason", '"The published paper counts the finished sample; the talk abstract was written earlier."@en')
        decided.add("atlas:evidence", f"<https://example.org/{doc.kind}/{doc.slug}/talk>")
        decided.add("dcterms:date", '"2026-01-01"^^xsd:date')
        decided.add("prov:wasAttributedTo", "source:atlas")
        self.docs.append(decided)

    @staticmethod
    def doc(term: str) -> Doc:
        kind, slug = term.split(":", 1)
        return Doc(kind, slug)

    @staticmethod
    def slug(term: str) -> str:
        return term.split(":", 1)[1]

    def creator(self, term: str) -> str:
        project = self.owner.get(term)
        if project and self.rng.random() < 0.85:
            return self.project_leads[project][0]
        return self.zipf_many("organization", 1, s=0.8)[0]

    # organisations and projects -------------------------------------------------------------------------

    def organization(self, i: int, term: str, label: str) -> None:
        rng = self.rng
        doc = self.doc(term)
        in_sample = i == 0 or rng.random() < 0.3
        orgtype = rng.choice(ORGTYPES)
        self.org_type[term] = orgtype
        noun, what = ORGTYPE_WORDS[orgtype]
        continent = rng.choices(CONTINENTS, CONTINENT_WEIGHTS)[0]
        self.describe(doc, f"{label} {noun}", f"Synthetic organisation: {what} working on open language models.")
        doc.add("atlas:inSample", "true" if in_sample else "false")
        if in_sample or rng.random() < 0.7:
            doc.claim("atlas:organizationType", f"orgtype:{orgtype}", orgtype, self.prov(doc))
        if in_sample or rng.random() < 0.8:
            doc.claim("atlas:continent", f"continent:{continent}", continent, self.prov(doc))
            for country in dict.fromkeys(rng.choice(COUNTRIES[continent]) for _ in range(rng.choice([0, 1, 1, 1, 2]))):
                doc.claim("atlas:country", f'"{country}"', country.lower(), self.prov(doc))
        if rng.random() < 0.2:
            doc.add("skos:altLabel", f'"{label.split()[0]}"@en')
        if rng.random() < 0.6:
            doc.claim("schema:url", f"<https://example.org/{doc.slug}>", "", ("external", "stated", None, f"https://example.org/{doc.slug}", None))
        if rng.random() < 0.2:
            ror = "0" + "".join(rng.choice(ROR_ALPHABET) for _ in range(6)) + f"{rng.randint(0, 99):02d}"
            doc.claim("atlas:rorId", f"<https://ror.org/{ror}>", "", self.prov_external(doc))
        if rng.random() < 0.15:
            doc.claim("skos:exactMatch", f"<http://www.wikidata.org/entity/Q{rng.randint(1, 10**8)}>", "", self.prov_external(doc))
        self.finish(doc)

    def prov_external(self, doc: Doc) -> tuple:
        return "external", "stated", None, f"https://example.org/{doc.kind}/{doc.slug}/record", None

    def project(self, i: int, term: str, label: str) -> None:
        rng = self.rng
        doc = self.doc(term)
        leads = self.project_leads[term]
        in_sample = i == 0 or rng.random() < 0.3
        self.describe(doc, label, f"Synthetic open LLM project led by {len(leads)} organisation(s).")
        doc.add("atlas:inSample", "true" if in_sample else "false")
        for org in leads:
            doc.claim("atlas:ledBy", org, self.slug(org), self.prov(doc))
        if in_sample or rng.random() < 0.6:
            model = rng.choice(GOVERNANCE_OF_TYPE[self.org_type[leads[0]]])
            doc.claim("atlas:governanceModel", f"governance:{model}", model, self.prov(doc))
        for model in self.releases[term]:
            doc.claim("atlas:releases", model, self.slug(model), self.prov(doc))
        built = self.builds[term]
        for artefact in built:
            doc.claim("atlas:builds", artefact, self.slug(artefact), self.prov(doc))
        used = self.zipf_many("dataset", rng.randint(1, 5), exclude=tuple(built))
        used += self.zipf_many("framework", rng.randint(0, 2), exclude=tuple(built))
        used += self.zipf_many("benchmark", rng.randint(0, 2), exclude=tuple(built))
        if rng.random() < 0.5:
            used += self.zipf_many("platform", 1, s=1.5, exclude=tuple(built))
        for artefact in used:
            doc.claim("atlas:uses", artefact, self.slug(artefact), self.prov(doc))
        motivations = rng.sample(MOTIVATIONS, 1 if i == 0 else rng.choice([0, 1, 1, 2, 3]))
        for motivation in motivations:
            doc.claim("atlas:motivatedBy", f"motivation:{motivation}", motivation, self.prov(doc, "inferred", MOTIVATION_WHY))
        if rng.random() < 0.2:
            sponsor = self.zipf_many("organization", 1, s=0.8, exclude=tuple(leads))
            for org in sponsor:
                doc.claim("atlas:sponsoredBy", org, self.slug(org), self.prov(doc))
        if i > 0 and rng.random() < 0.1:
            earlier = self.names["project"][rng.randrange(i)][0]
            doc.claim("atlas:grewOutOf", earlier, self.slug(earlier), self.prov(doc))
        if rng.random() < 0.6:
            doc.claim("schema:url", f"<https://example.org/{doc.slug}>", "", ("external", "stated", None, f"https://example.org/{doc.slug}", None))
        if rng.random() < 0.3:
            doc.claim("atlas:sourceRepository", f"<https://github.com/example/{doc.slug}>", "", self.prov_external(doc))
        self.finish(doc)

    # artefacts ------------------------------------------------------------------------------------------

    def artefact_common(self, doc: Doc, term: str, stage: str | None, stage_chance: float = 0.7) -> None:
        rng = self.rng
        if rng.random() < 0.92:
            org = self.creator(term)
            doc.claim("atlas:createdBy", org, self.slug(org), self.prov(doc))
        if stage and rng.random() < stage_chance:
            doc.claim("atlas:lifecycleStage", f"stage:{stage}", stage, self.prov(doc))

    def languages(self, doc: Doc, chance: float) -> None:
        rng = self.rng
        if rng.random() < chance:
            for lang in rng.sample(LANGUAGES, rng.randint(1, 3)):
                doc.claim("atlas:language", f'"{lang}"^^xsd:language', lang, self.prov(doc))
        if rng.random() < chance * 0.6:
            n = rng.choice([2, 5, 12, 46, 64, 101, 119])
            doc.claim("atlas:languageCount", str(n), str(n), self.prov(doc))

    def gaps(self, doc: Doc, chance: float) -> None:
        if self.rng.random() < chance:
            for gap in self.rng.sample(GAPS, self.rng.randint(1, 2)):
                doc.claim("atlas:addressesGap", f"gap:{gap}", gap, self.prov(doc))

    def hosted(self, doc: Doc, chance: float) -> None:
        if self.rng.random() < chance:
            platform = self.zipf_many("platform", 1, s=1.5)[0]
            doc.claim("atlas:hostedOn", platform, self.slug(platform), self.prov(doc))

    def licence(self, doc: Doc, chance: float) -> None:
        if self.rng.random() < chance:
            licence = self.rng.choice(LICENCES)
            doc.claim("atlas:license", f"<https://spdx.org/licenses/{licence}>", "", self.prov_external(doc))

    def model(self, i: int, term: str, label: str) -> None:
        rng = self.rng
        doc = self.doc(term)
        size = rng.choice(["1B", "3B", "7B", "13B", "70B"])
        self.describe(doc, f"{label} {size}", f"Synthetic open model with {size} parameters.")
        has_base = i > 0 and rng.random() < 0.55
        if rng.random() < 0.92 or has_base is False:
            org = self.creator(term)
            doc.claim("atlas:createdBy", org, self.slug(org), self.prov(doc))
        if has_base:
            base = self.names["model"][self.zipf(len(self.names["model"]), 1.0, hi=i)][0]
            doc.claim("atlas:baseModel", base, self.slug(base), self.prov(doc))
        for dataset in self.zipf_many("dataset", rng.randint(1, 4)):
            doc.claim("atlas:trainedOn", dataset, self.slug(dataset), self.prov(doc))
        for benchmark in self.zipf_many("benchmark", rng.randint(0, 4)):
            doc.claim("atlas:evaluatedOn", benchmark, self.slug(benchmark), self.prov(doc))
        if rng.random() < 0.5:
            stage = "post-training" if has_base else "pre-training"
            doc.claim("atlas:lifecycleStage", f"stage:{stage}", stage, self.prov(doc))
        self.hosted(doc, 0.8)
        self.languages(doc, 0.3)
        if rng.random() < 0.4:
            doc.claim("atlas:huggingFaceId", f'"Example/{doc.slug}"', "", self.prov_external(doc))
        if rng.random() < 0.2:
            doc.claim("atlas:arxivId", f'"{rng.randint(2001, 2512)}.{rng.randint(10000, 99999)}"', "", self.prov_external(doc))
        self.licence(doc, 0.4)
        self.finish(doc)

    def dataset(self, i: int, term: str, label: str) -> None:
        rng = self.rng
        doc = self.doc(term)
        stage = rng.choices(STAGES, [0.65, 0.3, 0.05])[0]
        self.describe(doc, label, f"Synthetic {stage.replace('-', ' ')} dataset.")
        self.artefact_common(doc, term, stage, 0.8)
        if i > 0 and rng.random() < 0.5:
            for _ in range(1 + (rng.random() < 0.2)):
                parent = self.names["dataset"][self.zipf(len(self.names["dataset"]), 1.0, hi=i)][0]
                doc.claim("atlas:derivedFrom", parent, self.slug(parent), self.prov(doc))
        self.languages(doc, 0.35)
        self.gaps(doc, 0.4)
        self.hosted(doc, 0.7)
        self.licence(doc, 0.3)
        if rng.random() < 0.5:
            doc.claim("schema:url", f"<https://example.org/data/{doc.slug}>", "", ("external", "stated", None, f"https://example.org/data/{doc.slug}", None))
        self.finish(doc)

    def benchmark(self, i: int, term: str, label: str) -> None:
        doc = self.doc(term)
        self.describe(doc, label, "Synthetic evaluation suite.")
        self.artefact_common(doc, term, "post-release", 0.8)
        if self.rng.random() < 0.2:
            parent = self.zipf_many("dataset", 1)[0]
            doc.claim("atlas:derivedFrom", parent, self.slug(parent), self.prov(doc))
        self.languages(doc, 0.3)
        self.gaps(doc, 0.3)
        self.hosted(doc, 0.5)
        self.finish(doc)

    def leaderboard(self, i: int, term: str, label: str) -> None:
        doc = self.doc(term)
        self.describe(doc, label, "Synthetic public ranking of models.")
        self.artefact_common(doc, term, "post-release", 0.9)
        for benchmark in self.zipf_many("benchmark", self.rng.randint(2, 8)):
            doc.claim("atlas:usesBenchmark", benchmark, self.slug(benchmark), self.prov(doc))
        self.hosted(doc, 0.8)
        self.finish(doc)

    def framework(self, i: int, term: str, label: str) -> None:
        doc = self.doc(term)
        self.describe(doc, label, "Synthetic open source software for training and evaluating models.")
        self.artefact_common(doc, term, self.rng.choice(STAGES), 0.6)
        if self.rng.random() < 0.7:
            doc.claim("atlas:sourceRepository", f"<https://github.com/example/{doc.slug}>", "", self.prov_external(doc))
        self.licence(doc, 0.5)
        self.finish(doc)

    def compute(self, i: int, term: str, label: str) -> None:
        doc = self.doc(term)
        self.describe(doc, label, "Synthetic supercomputer open to research projects.")
        org = self.zipf_many("organization", 1, s=0.8)[0]
        doc.claim("atlas:operatedBy", org, self.slug(org), self.prov(doc))
        if self.rng.random() < 0.5:
            doc.claim("atlas:lifecycleStage", "stage:pre-training", "pre-training", self.prov(doc))
        self.gaps(doc, 0.3)
        self.finish(doc)

    def partnership(self, i: int, term: str, label: str) -> None:
        rng = self.rng
        doc = self.doc(term)
        self.describe(doc, label, "Synthetic arrangement giving a project access to a compute resource.")
        partners: list[str] = []
        while len(partners) < 2:
            partners = self.zipf_many("organization", rng.randint(2, 4), s=0.8)
        for org in partners:
            doc.claim("atlas:partner", org, self.slug(org), self.prov(doc))
        for resource in self.zipf_many("compute", 1 + (rng.random() < 0.2), s=0.8):
            doc.claim("atlas:computeResource", resource, self.slug(resource), self.prov(doc))
        self.finish(doc)

    def knowledge(self, i: int, term: str, label: str) -> None:
        doc = self.doc(term)
        self.describe(doc, label, "Synthetic forum where a project and its community share know-how.")
        self.artefact_common(doc, term, self.rng.choice(STAGES), 0.6)
        self.finish(doc)

    def platform(self, i: int, term: str, label: str) -> None:
        doc = self.doc(term)
        self.describe(doc, label, "Synthetic hosting platform for models and datasets.")
        self.artefact_common(doc, term, "post-release", 0.5)
        if self.rng.random() < 0.8:
            doc.claim("schema:url", f"<https://example.org/{doc.slug}>", "", ("external", "stated", None, f"https://example.org/{doc.slug}", None))
        self.finish(doc)

    # claims in their own right ------------------------------------------------------------------------

    def own_provenance(self, doc: Doc, need_locator: bool) -> None:
        # a finding of the study is never the atlas's inference (it needs the study's locator)
        source, confidence, locator, evidence, comment = self.prov(doc, self.rng.choice(["stated", "paraphrased"]) if need_locator else None)
        if source == "atlas":
            doc.add("prov:wasDerivedFrom", doc.premise())
        if need_locator and locator is None:
            locator = self.rng.choice(["project page", "model card"])
        doc.add("atlas:confidence", f"confidence:{confidence}")
        if locator:
            doc.add("atlas:locator", f'"{locator}"')
        if comment:
            doc.add("rdfs:comment", f'"{comment}"@en')
        self.finish(doc, [source])  # an external source gets its atlas:evidence there

    def any_artefact(self) -> str:
        kind = self.rng.choices(ARTIFACT_KINDS, [5, 5, 2, 0.5, 1, 0.5, 0.5, 0.5, 0.5])[0]
        return self.zipf_many(kind, 1)[0]

    def collaboration(self, i: int, term: str, label: str) -> None:
        rng = self.rng
        doc = self.doc(term)
        kind = rng.choice(COLLAB_KINDS)
        self.describe(doc, label, f"Synthetic collaboration ({kind.replace('-', ' ')}) between organisations.")
        participants: list[str] = []
        while len(participants) < 2:
            participants = self.zipf_many("organization", rng.randint(2, 4), s=0.8)
        for org in participants:
            doc.add("atlas:participant", org)
        doc.add("atlas:collaborationKind", f"collabkind:{kind}")
        doc.add("atlas:lifecycleStage", f"stage:{rng.choice(STAGES)}")
        for _ in range(rng.randint(0, 3)):
            doc.add("atlas:onArtifact", self.any_artefact())
        self.own_provenance(doc, need_locator=False)

    def finding(self, kind: str, i: int, term: str, label: str) -> None:
        rng = self.rng
        doc = self.doc(term)
        target = self.any_artefact()
        self.describe(doc, label, rng.choice(FINDING_TEXT[kind]).format(x=f"the artefact {self.slug(target)}"))
        doc.add("atlas:lifecycleStage", f"stage:{rng.choice(STAGES)}")
        if rng.random() < 0.7:
            doc.add("atlas:attributedTo", self.zipf_many("organization", 1, s=0.8)[0])
        doc.add("atlas:concerns", target)
        if rng.random() < 0.4:
            doc.add("atlas:concerns", self.uniform("project"))
        self.own_provenance(doc, need_locator=True)

    def recommendation(self, i: int, term: str, label: str) -> None:
        rng = self.rng
        doc = self.doc(term)
        audience = rng.choice(AUDIENCES)
        self.describe(doc, label, f"Synthetic recommendation to {audience.replace('-', ' and ')}.")
        doc.add("atlas:audience", f"audience:{audience}")
        if rng.random() < 0.6:
            for gap in rng.sample(GAPS, rng.randint(1, 2)):
                doc.add("atlas:addressesGap", f"gap:{gap}")
        if rng.random() < 0.5:
            doc.add("atlas:relatedArtifactKind", f"atlas:{rng.choice(ARTIFACT_CLASSES)}")
        if rng.random() < 0.5:
            doc.add("atlas:lifecycleStage", f"stage:{rng.choice(STAGES)}")
        self.own_provenance(doc, need_locator=False)


# -- the public API ------------------------------------------------------------------------------------


def count_triples(root: Path, folders: tuple[str, ...] = ("ontology", "graph")) -> int:
    """Triples in the Turtle files of ``folders`` of a checkout, parsed with pyoxigraph."""
    total = 0
    for folder in folders:
        for path in sorted((root / folder).rglob("*.ttl")):
            total += sum(1 for _ in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    return total


def _docs_for(budget: int, seed: int) -> list[Doc]:
    """The documents whose triples come closest to ``budget`` (a few generations to calibrate the scale)."""
    pilot = _Gen(seed, 40).run()
    per_unit = sum(d.triples for d in pilot) / 40
    k = max(budget / per_unit, 0.0)
    docs = pilot
    for _ in range(4):
        docs = _Gen(seed, k).run()
        got = sum(d.triples for d in docs)
        if budget <= 0 or abs(got - budget) <= 0.02 * budget:
            break
        k = k * budget / max(got, 1)
    return docs


def generate(out_dir: Path, triples: int, seed: int = 1) -> dict:
    """Write a valid synthetic checkout of about ``triples`` triples (ontology/ + graph/) to ``out_dir``.

    ``out_dir`` must not exist or be empty. Returns ``{"files", "triples", "graph_triples",
    "ontology_triples", "entities": {kind: n}, "seconds"}``, the triples counted by pyoxigraph.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty")
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "ontology", out_dir / "ontology")
    shutil.copytree(ROOT / "queries", out_dir / "queries")
    shutil.copytree(ROOT / "graph" / "source", out_dir / "graph" / "source")
    fixed = count_triples(out_dir)
    docs = _docs_for(triples - fixed, seed)
    entities: dict[str, int] = {}
    for kind in KIND_INFO:
        (out_dir / "graph" / kind).mkdir(parents=True, exist_ok=True)
    for doc in docs:
        with open(out_dir / doc.relpath, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(doc.render())
        entities[doc.kind] = entities.get(doc.kind, 0) + 1
    entities["source"] = len(list((out_dir / "graph" / "source").glob("*.ttl")))
    ontology = count_triples(out_dir, ("ontology",))
    graph = count_triples(out_dir, ("graph",))
    return {
        "files": sum(entities.values()),
        "triples": ontology + graph,
        "graph_triples": graph,
        "ontology_triples": ontology,
        "entities": dict(sorted(entities.items())),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _entity_files(checkout: Path, kinds: tuple[str, ...] | None = None) -> list[str]:
    found = []
    for path in sorted((checkout / "graph").glob("*/*.ttl")):
        kind = path.parent.name
        if kind != "source" and (kinds is None or kind in kinds):
            found.append(path.relative_to(checkout).as_posix())
    return found


def _iri_of(relpath: str) -> str:
    _, kind, name = relpath.split("/")
    return f"{BASE}{kind}/{name[:-len('.ttl')]}"


def _subject_line(lines: list[str], relpath: str) -> int:
    """Index of the line that opens the entity's own block."""
    _, kind, name = relpath.split("/")
    slug = name[: -len(".ttl")]
    starts = (f"{kind}:{slug} ", f"<{BASE}{kind}/{slug}> ")
    for number, line in enumerate(lines):
        if line.startswith(starts):
            return number
    raise ValueError(f"{relpath}: cannot find the entity's block")


def _insert_property(text: str, relpath: str, line: str) -> str:
    lines = text.split("\n")
    at = _subject_line(lines, relpath)
    if not lines[at].rstrip().endswith(";"):
        raise ValueError(f"{relpath}: unexpected layout of the entity's first line")
    lines.insert(at + 1, f"    {line} ;")
    return "\n".join(lines)


RDF_NS = PREFIXES["rdf"]
ATLAS_NS = PREFIXES["atlas"]


def _claim_block(subject: str, pred: str, obj: str, fragment: str, source: str, confidence: str, extra: str) -> str:
    return (
        f"\n<{subject}#{fragment}> a <{ATLAS_NS}StatementClaim> ;\n"
        f"    <{RDF_NS}subject> <{subject}> ; <{RDF_NS}predicate> <{pred}> ; <{RDF_NS}object> <{obj}> ;\n"
        f"    <{ATLAS_NS}confidence> <{PREFIXES['confidence']}{confidence}> ; <{ATLAS_NS}source> <{BASE}source/{source}>{extra} .\n"
    )


def change_files(checkout: Path, n: int, seed: int) -> list[str]:
    """Edit ``n`` entity files validly; returns their paths relative to the checkout.

    A model gains a claim-backed atlas:evaluatedOn link to a benchmark, a project a claim-backed
    atlas:uses link to a dataset (both existing entities it did not link to yet); any other entity gets a
    new description. Repeated calls keep the data valid.
    """
    checkout = Path(checkout)
    rng = random.Random(seed)
    files = _entity_files(checkout)
    if n > len(files):
        raise ValueError(f"only {len(files)} entity files to change")
    benchmarks = [_iri_of(f) for f in _entity_files(checkout, ("benchmark",))]
    datasets = [_iri_of(f) for f in _entity_files(checkout, ("dataset",))]
    chosen = sorted(rng.sample(files, n))
    for relpath in chosen:
        path = checkout / relpath
        text = path.read_text(encoding="utf-8")
        subject = _iri_of(relpath)
        kind = relpath.split("/")[1]
        linked = False
        if kind in ("model", "project"):
            pred, pool = ("evaluatedOn", benchmarks) if kind == "model" else ("uses", datasets)
            for target in rng.sample(pool, min(len(pool), 8)):
                slug = target.rsplit("/", 1)[1]
                fragment = f"{pred.lower()}-{slug}"
                if f"#{fragment}>" in text or f":{slug} " in text or f":{slug}," in text or f"/{slug}>" in text:
                    continue
                text = _insert_property(text, relpath, f"atlas:{pred} <{target}>")
                extra = f' ; <{ATLAS_NS}locator> "slide {rng.randint(2, 40)}"'
                text = text.rstrip("\n") + "\n" + _claim_block(subject, ATLAS_NS + pred, target, fragment, "slides", "stated", extra)
                linked = True
                break
        if not linked:
            text, count = re.subn(
                r'dcterms:description "[^"\n]*"@en',
                f'dcterms:description "Revised synthetic description, edit {rng.randint(1, 10**6)}."@en',
                text,
                count=1,
            )
            if count != 1:
                raise ValueError(f"{relpath}: no one-line dcterms:description to change")
        path.write_text(text, encoding="utf-8", newline="\n")
    return chosen


BREAKS = ["source-required", "no-dangling-link", "claim-backed", "evidence-for-external", "claim-confidence", "motivation-inferred"]
_NON_CLAIM_KINDS = ("organization", "project", *ARTIFACT_KINDS)


def _break(rule: str, relpath: str, text: str, rng: random.Random, serial: int) -> str | None:
    """``text`` changed to violate ``rule`` (only that rule), or None if this file cannot show it."""
    lines = text.split("\n")
    kind = relpath.split("/")[1]
    start = _subject_line(lines, relpath)
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    block = range(start, end)  # the entity's own lines
    source_at = next((i for i in block if lines[i].startswith("    atlas:source ")), None)
    if rule == "source-required":
        if kind not in _NON_CLAIM_KINDS or source_at is None:
            return None
        if lines[source_at].rstrip().endswith(" ."):
            lines[source_at - 1] = lines[source_at - 1].rstrip()[:-1].rstrip() + " ."
        del lines[source_at]
        return "\n".join(lines)
    if rule == "no-dangling-link":
        return _insert_property(text, relpath, f"rdfs:seeAlso <{BASE}dataset/missing-entity-{serial}>")
    if rule == "claim-backed":
        if kind not in ARTIFACT_KINDS:
            return None
        free = [gap for gap in GAPS if f"gap:{gap}" not in text and f"/gap/{gap}>" not in text]
        if not free:
            return None
        return _insert_property(text, relpath, f"atlas:addressesGap <{PREFIXES['gap']}{rng.choice(free)}>")
    if rule == "evidence-for-external":
        if source_at is None or "external" in lines[source_at] or any("atlas:evidence" in lines[i] for i in block):
            return None
        lines[source_at] = lines[source_at].replace("atlas:source ", f"atlas:source <{BASE}source/external>, ", 1)
        return "\n".join(lines)
    if rule == "claim-confidence":
        for i, line in enumerate(lines):
            about_motivation = "rdf:predicate atlas:motivatedBy" in lines[i - 1]
            inference = "confidence:inferred" in line  # dropping its confidence would also break atlas-source-inferred
            if line.startswith("    atlas:confidence confidence:") and " ; " in line and not about_motivation and not inference:
                lines[i] = re.sub(r"^    atlas:confidence confidence:[a-z]+ ; ", "    ", line)
                return "\n".join(lines)
        return None
    if rule == "motivation-inferred":
        for i, line in enumerate(lines):
            if "rdf:predicate atlas:motivatedBy" in line and lines[i + 1].startswith("    atlas:confidence confidence:inferred"):
                # stated by a study source (were it still the atlas's, atlas-source-inferred would fire too)
                lines[i + 1] = lines[i + 1].replace("confidence:inferred", "confidence:stated", 1).replace("source:atlas", "source:slides", 1)
                return "\n".join(lines)
        return None
    raise ValueError(f"unknown break {rule}")


def break_files(checkout: Path, n: int, seed: int) -> list[tuple[str, str]]:
    """Make ``n`` entity files violate one shape each; returns (relpath, rule id) pairs, sorted.

    The breaks cycle through dropping an entity's source (source-required), a link to an entity that
    does not exist (no-dangling-link), a claim property without its statement claim (claim-backed),
    source:external without evidence (evidence-for-external), a statement claim without confidence
    (claim-confidence) and a motivation claimed as stated (motivation-inferred). Validation should
    report exactly these rule ids at these files.
    """
    checkout = Path(checkout)
    rng = random.Random(seed)
    files = _entity_files(checkout)
    rng.shuffle(files)
    used: set[str] = set()
    broken: list[tuple[str, str]] = []
    for index in range(n):
        rule = BREAKS[index % len(BREAKS)]
        for relpath in files:
            if relpath in used:
                continue
            path = checkout / relpath
            text = _break(rule, relpath, path.read_text(encoding="utf-8"), rng, index)
            if text is None:
                continue
            path.write_text(text, encoding="utf-8", newline="\n")
            used.add(relpath)
            broken.append((relpath, rule))
            break
        else:
            raise ValueError(f"no file left that can be broken for {rule}")
    return sorted(broken)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--triples", type=int, default=100_000, help="target size: triples of ontology/ + graph/")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    result = generate(args.out_dir, args.triples, args.seed)
    print(f"{args.out_dir}: {result['files']} files in graph/, {result['triples']} triples "
          f"({result['graph_triples']} graph + {result['ontology_triples']} ontology; target {args.triples}) "
          f"in {result['seconds']:.1f} s")
    print("entities: " + ", ".join(f"{kind} {n}" for kind, n in result["entities"].items()))


if __name__ == "__main__":
    main()
