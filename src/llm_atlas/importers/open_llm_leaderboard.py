"""The Open LLM Leaderboard v2 results in the AI Stack Map catalogue (``model_benchmarks.csv``).

One record per evaluated (repository, precision): six atlas:EvaluationResult nodes (IFEval, BBH, MATH level 5,
GPQA, MuSR, MMLU-Pro, on the leaderboard's normalised 0-100 scale; the average is not a benchmark and is not
kept), reported by the curated leaderboard:open-llm-leaderboard on the submission date, and what the
leaderboard states about the release: its parameter count, licence, and base model typed by the leaderboard's
model type (fine-tuned and chat models -> fineTunedFrom, merges -> mergedFrom, continuously pretrained ->
continuedPretrainingOf; pretrained models have none; "Removed" means the leaderboard withdrew the link).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from ..errors import Problem
from ..namespaces import BASE
from .base import ATLAS, DCTERMS, XSD, Importer, Record, Ref, Snapshot, literal
from .hf_hub import CATALOGUE, HF_ID, model_ref
from .licences import licences_of
from .snapshots import git_version

LEADERBOARD = BASE + "leaderboard/open-llm-leaderboard"
BENCHMARKS = {  # column -> (benchmark slug, label)
    "ifeval": ("ifeval", "IFEval"),
    "bbh": ("bbh", "BBH (BIG-Bench Hard)"),
    "math_lvl5": ("math-lvl5", "MATH level 5"),
    "gpqa": ("gpqa", "GPQA"),
    "musr": ("musr", "MuSR"),
    "mmlu_pro": ("mmlu-pro", "MMLU-Pro"),
}
MODEL_TYPES = {  # the leaderboard's model type symbol -> how a model was derived from its base
    "🔶": ATLAS + "fineTunedFrom",  # fine-tuned on domain-specific data
    "💬": ATLAS + "fineTunedFrom",  # chat models (RLHF, DPO, instruction tuning)
    "🤝": ATLAS + "mergedFrom",  # base merges and moerges
    "🟩": ATLAS + "continuedPretrainingOf",  # continuously pretrained
    "🌸": ATLAS + "baseModel",  # multimodal: the leaderboard does not say how
    "❓": ATLAS + "baseModel",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILE = "model_benchmarks.csv"


def benchmark_ref(column: str) -> Ref:
    slug, label = BENCHMARKS[column]
    return Ref("benchmark", name=label, iri=f"{BASE}benchmark/{slug}")


def _decimal(text: str) -> str | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return format(value.normalize(), "f") if value.is_finite() else None


class LeaderboardImporter(Importer):
    source = "open-llm-leaderboard"
    title = "the Open LLM Leaderboard v2 results of the AI Stack Map catalogue"
    precedence = 20

    def snapshot(self, path: Path, version: str | None) -> Snapshot:
        return Snapshot(
            source=self.source, title="Open LLM Leaderboard v2 results (AI Stack Map catalogue)",
            version=version or git_version(path) or "unknown",
            license="https://spdx.org/licenses/MIT",
            citations=(("Fourrier, C., Habib, N., Lozovskaya, A., Szafer, K. and Wolf, T. (2024). Open LLM Leaderboard v2. Hugging Face. "
                       "https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard"),
                       "Current AI and os-ai-map contributors (2026). AI Stack Map, https://github.com/currentai-org/os-ai-map (MIT)."),
            homepage="https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard",
        )

    def records(self, path: Path) -> Iterator[Record | Problem]:
        folder = path / CATALOGUE if (path / CATALOGUE).is_dir() else path
        display = (folder / FILE).relative_to(path).as_posix() if folder != path else FILE
        for column, (slug, label) in sorted(BENCHMARKS.items()):
            yield Record(key=f"benchmark {slug}", location=display, evidence="https://huggingface.co/docs/leaderboards/open_llm_leaderboard/about",
                         subject=benchmark_ref(column), description=f"Benchmark ({label}) of the Open LLM Leaderboard v2.")
        try:
            handle = (folder / FILE).open(encoding="utf-8", newline="")
        except OSError as error:
            yield Problem(display, 0, 0, "import-unreadable", f"cannot read the file: {error.strerror or error}")
            return
        seen: set[tuple[str, str]] = set()
        with handle:
            reader = csv.DictReader(handle)
            missing = {"model_id", "precision", *BENCHMARKS} - set(reader.fieldnames or ())
            if missing:
                yield Problem(display, 1, 1, "import-structure", f"the file lacks the columns {', '.join(sorted(missing))}: is this the catalogue's {FILE}?")
                return
            for row in reader:
                line = reader.line_num
                hf_id, precision = (row.get("model_id") or "").strip(), (row.get("precision") or "").strip()
                if not HF_ID.match(hf_id):
                    yield Problem(display, line, 1, "import-record", f"model_id {hf_id!r} is not a Hub id: row skipped", severity="warning")
                    continue
                if (hf_id.casefold(), precision) in seen:
                    yield Problem(display, line, 1, "import-record", f"{hf_id} at {precision or 'no precision'} is listed twice: the later row is skipped",
                                  severity="warning")
                    continue
                seen.add((hf_id.casefold(), precision))
                yield self._record(row, hf_id, precision, f"{display}:{line}")

    def _record(self, row: dict, hf_id: str, precision: str, location: str) -> Record:
        record = Record(key=f"result {hf_id.casefold()} {precision}", location=location,
                        evidence=f"https://huggingface.co/datasets/open-llm-leaderboard/{hf_id.replace('/', '__')}-details",
                        subject=model_ref(hf_id))
        record.add(ATLAS + "huggingFaceId", literal(hf_id))
        params = _decimal(row.get("params_b") or "")
        if params is not None and Decimal(params) > 0:
            record.add(ATLAS + "parameterCount", literal(str(int((Decimal(params) * 1_000_000_000).to_integral_value())), XSD + "integer"))
        licences_of(record, [row.get("license") or ""])
        base = (row.get("base_model") or "").strip()
        how = MODEL_TYPES.get((row.get("model_type") or "").strip())
        # "Removed": the leaderboard withdrew the link (not a model of that name)
        if how and base != "Removed" and HF_ID.match(base) and base.casefold() != hf_id.casefold():
            record.add(how, model_ref(base))
        date = (row.get("submission_date") or "").strip()
        for column, (slug, _label) in sorted(BENCHMARKS.items()):
            score = _decimal(row.get(column) or "")
            if score is None:
                continue
            facts = [
                ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", ox.NamedNode(ATLAS + "EvaluationResult")),
                (ATLAS + "evaluatedRelease", model_ref(hf_id)),
                (ATLAS + "onBenchmark", benchmark_ref(column)),
                (ATLAS + "score", literal(score, XSD + "decimal")),
                (ATLAS + "metric", literal("normalised score (0-100)")),
                (ATLAS + "reportedBy", Ref("leaderboard", name="Open LLM Leaderboard", iri=LEADERBOARD)),
            ]
            if precision:
                facts.append((ATLAS + "precision", literal(precision)))
            if _DATE.match(date):
                facts.append((DCTERMS + "date", literal(date, XSD + "date")))
            record.nodes.append((slug, facts))
        return record
