"""The saved-query policy: refused with SERVICE, FROM, an update or no header; never run where it could reach out;
run by the report under a timeout. A canary server on 127.0.0.1 records any request a query makes."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from llm_atlas import Atlas
from llm_atlas.cli import main
from llm_atlas.errors import InvalidData
from llm_atlas.query import load_saved_queries, saved_query_problems
from llm_atlas.worker import Worker, WorkerFailed, WorkerTimeout

from .conftest import make_checkout

HEADER = "#+ summary: {name}\n#+ question: a fixture\n#+ tags: study\n"


class Canary:
    """A TCP server that only counts the connections it receives."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.calls = 0
        self.server.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.calls += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join()
        self.server.close()


@pytest.fixture
def canary():
    server = Canary()
    yield server
    server.close()


def write_query(root: Path, name: str, body: str) -> Path:
    path = root / "queries" / f"{name}.rq"
    path.write_text(HEADER.format(name=name) + body, encoding="utf-8")
    return path


@pytest.mark.parametrize("body, rule", [
    ("SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}\n", "sparql-service"),
    ("ASK {{ SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}\n", "sparql-service"),
    ('SELECT ?s WHERE {{\n  ?s ?p "x\\u005C" . SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} # "\n}}\n', "sparql-service"),
    ("SELECT ?s FROM <http://127.0.0.1:{port}/data.ttl> WHERE {{ ?s ?p ?o }}\n", "sparql-dataset"),
    ("LOAD <http://127.0.0.1:{port}/data.ttl>\n", "sparql-update"),
])
def test_loading_a_saved_query_never_runs_it(body, rule, mini, canary, tmp_path, capsys):
    """`queries`, the report and serve load saved queries; loading one refuses it, and reaches nothing."""
    path = write_query(mini, "outside", body.format(port=canary.port))
    assert [p.rule for p in saved_query_problems(path, "queries/outside.rq")] == [rule]
    with pytest.raises(InvalidData) as refused:
        load_saved_queries(mini / "queries", mini)
    assert [(p.path, p.rule) for p in refused.value.problems] == [("queries/outside.rq", rule)]
    assert main(["--root", str(mini), "--store", str(tmp_path / "store"), "queries"]) == 1
    assert main(["--root", str(mini), "--store", str(tmp_path / "store"), "report", "--out", str(tmp_path / "report")]) == 1
    out = capsys.readouterr().out
    assert "queries/outside.rq" in out and f"[{rule}]" in out
    assert not (tmp_path / "report").exists()
    time.sleep(0.3)
    assert canary.calls == 0


def test_a_saved_query_without_a_header_is_refused(mini):
    path = mini / "queries" / "bare.rq"
    path.write_text("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s\n", encoding="utf-8")
    problems = saved_query_problems(path, "queries/bare.rq")
    assert {(p.rule, p.line, p.col) for p in problems} == {("query-header", 1, 1)}
    assert len(problems) == 3  # summary, question and tags


ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE {\n  ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o\n}\n"


def test_the_report_stops_a_query_that_never_finishes(tmp_path):
    root = make_checkout(tmp_path / "atlas")
    write_query(root, "endless", ENDLESS)
    atlas = Atlas.open(root, tmp_path / "store")
    started = time.perf_counter()
    with pytest.raises(InvalidData) as stopped:
        atlas.report(tmp_path / "report", query_timeout=3)
    assert time.perf_counter() - started < 60
    [problem] = stopped.value.problems
    assert (problem.path, problem.line, problem.col, problem.rule) == ("queries/endless.rq", 1, 1, "query-timeout")
    assert "3 s" in problem.message
    assert not (tmp_path / "report").exists()  # nothing half-written
    atlas.close()


def test_the_report_answers_in_a_worker_as_it_did_in_process(tmp_path):
    root = make_checkout(tmp_path / "atlas")
    atlas = Atlas.open(root, tmp_path / "store")
    isolated = atlas.report(tmp_path / "report")
    from llm_atlas import report as report_job

    in_process = report_job.make_report(atlas.store, atlas.saved_queries(), None, figures=False)
    answers = [(s.query.name, s.result.variables, s.result.rows) for s in isolated.sections]
    assert answers == [(s.query.name, s.result.variables, s.result.rows) for s in in_process.sections]
    assert answers and any(rows for _, _, rows in answers)
    atlas.close()


def test_the_cli_report_exits_1_on_a_timeout(tmp_path, capsys):
    root = make_checkout(tmp_path / "atlas")
    write_query(root, "endless", ENDLESS)
    code = main(["--root", str(root), "--store", str(tmp_path / "store"), "report", "--out", str(tmp_path / "r"), "--query-timeout", "2"])
    assert code == 1
    assert "queries/endless.rq:1:1: error [query-timeout]" in capsys.readouterr().out
    assert main(["--root", str(root), "report", "--query-timeout", "0"]) == 2


def test_the_worker_times_out_crashes_and_recovers():
    with Worker() as worker:  # standard functions: the child imports what it runs by name
        assert worker.call(divmod, 7, 2, timeout=30) == (3, 1)
        with pytest.raises(WorkerTimeout):
            worker.call(time.sleep, 30, timeout=0.5)
        assert worker.call(divmod, 7, 2, timeout=30) == (3, 1)  # a new child
        with pytest.raises(WorkerFailed, match="died"):
            worker.call(os._exit, 3, timeout=30)
        with pytest.raises(WorkerFailed, match="ZeroDivisionError"):
            worker.call(divmod, 1, 0, timeout=30)


def test_a_worker_runs_one_call_in_the_background_while_the_caller_works():
    with Worker() as worker:
        with pytest.raises(WorkerFailed, match="no call"):
            worker.result(timeout=5)
        worker.submit(time.sleep, 0.5)
        started = time.monotonic()
        assert divmod(7, 2) == (3, 1)  # the caller goes on at once
        assert time.monotonic() - started < 0.5
        assert worker.result(timeout=30) is None
        with pytest.raises(WorkerFailed, match="cannot hand"):
            worker.submit(lambda: 1)  # does not pickle: refused before the child sees it
        worker.submit(divmod, 9, 4)
        assert worker.result(timeout=30) == (2, 1)


def test_a_worker_runs_calls_submitted_together_in_order_and_an_error_loses_none_after_it():
    with Worker() as worker:
        worker.submit(time.sleep, 0.3)
        worker.submit(divmod, 1, 0)
        worker.submit(divmod, 9, 4)
        assert worker.result(timeout=30) is None
        with pytest.raises(WorkerFailed, match="ZeroDivisionError"):
            worker.result(timeout=30)
        assert worker.result(timeout=30) == (2, 1)
        with pytest.raises(WorkerFailed, match="no call"):
            worker.result(timeout=5)
        worker.submit(time.sleep, 30)
        worker.submit(divmod, 9, 4)
        with pytest.raises(WorkerTimeout):
            worker.result(timeout=0.5)
        with pytest.raises(WorkerFailed, match="no call"):  # lost with the child the timeout stopped
            worker.result(timeout=5)
        assert worker.call(divmod, 7, 2, timeout=30) == (3, 1)


def _recorded_submissions(monkeypatch) -> list[tuple[str, object]]:
    """(function name, first argument) of every call handed to a Worker from now on, in order."""
    submitted: list[tuple[str, object]] = []
    submit = Worker.submit

    def recorded(worker, function, *args):
        submitted.append((getattr(function, "__name__", repr(function)), args[0] if args else None))
        return submit(worker, function, *args)

    monkeypatch.setattr(Worker, "submit", recorded)
    return submitted


def _asked(submitted) -> list[tuple[str, object]]:
    """(function, source) of the saved queries among ``submitted``."""
    return [(name, source) for name, source in submitted if name in ("run_on_store", "run_in_memory")]


def _report_files(root, store, out) -> dict[str, bytes]:
    atlas = Atlas.open(root, store)
    atlas.report(out)
    atlas.close()
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_a_worker_closed_by_another_thread_fails_the_call_waiting_on_it():
    """The report closes its query process while the thread answering its queries may be waiting on it: that
    call fails as WorkerFailed (which the thread records), not with an error of the closed connection."""
    with Worker() as worker:
        worker.submit(time.sleep, 30)
        failures = []

        def wait():
            try:
                worker.result(timeout=60)
            except Exception as error:  # noqa: BLE001 - what the waiting call raises is the point
                failures.append(error)

        waiting = threading.Thread(target=wait)
        waiting.start()
        time.sleep(0.5)
        worker.close()
        waiting.join(30)
        assert not waiting.is_alive() and len(failures) == 1 and isinstance(failures[0], WorkerFailed), failures
        with pytest.raises(WorkerFailed, match="no call"):
            worker.result(timeout=5)
        assert worker.call(divmod, 7, 2, timeout=30) == (3, 1)  # a new child


def test_a_cold_report_draws_the_data_as_read_while_it_validates(tmp_path, monkeypatch):
    """With no store, the drawing and the query processes are handed the data as soon as it is read (not the
    store once it is valid): the parent never draws, every query is answered from the data as read, and the files
    are those of a report after a build. When the data cannot be handed over, or is larger than a copy in each
    process should hold, the figures are drawn from the store once it is valid, with the same bytes."""
    from llm_atlas import api
    from llm_atlas import report as report_job

    def never(*args, **kwargs):
        raise AssertionError("the report drew in its own process")

    root = make_checkout(tmp_path / "atlas")
    submitted = _recorded_submissions(monkeypatch)
    monkeypatch.setattr(report_job, "figures_of", never)
    cold = _report_files(root, tmp_path / "cold", tmp_path / "cold-report")
    names = [name for name, _ in submitted]
    assert "figures_on_dump" in names and "figures_on_store" not in names, submitted
    assert _asked(submitted) and all(name == "run_in_memory" and source.endswith("read.nq") for name, source in _asked(submitted))
    monkeypatch.undo()
    assert Atlas.open(root, tmp_path / "cold")._store_is_current()
    assert _report_files(root, tmp_path / "cold", tmp_path / "warm-report") == cold
    with monkeypatch.context() as patch:
        patch.setattr(report_job, "figures_on_dump", lambda path, family: None)  # does not pickle: not handed over
        assert _report_files(root, tmp_path / "again", tmp_path / "again-report") == cold
    submitted = _recorded_submissions(monkeypatch)
    monkeypatch.setattr(api, "EARLY_REPORT_QUADS", 10)  # larger data: both wait for the store
    assert _report_files(root, tmp_path / "large", tmp_path / "large-report") == cold
    names = [name for name, _ in submitted]
    assert "figures_on_store" in names and "figures_on_dump" not in names, submitted
    assert _asked(submitted) and all(name == "run_on_store" and source == str(tmp_path / "large") for name, source in _asked(submitted))
    assert "collaboration.png" in cold and "report.html" in cold


def test_a_cold_report_whose_copy_of_the_data_cannot_be_written_waits_for_the_store(tmp_path, monkeypatch):
    """Where the data as read cannot be written for the other processes (here the file's name is taken by a
    folder), the report draws and answers from the store once it is valid: the same files, no error."""
    import tempfile

    class Scratch:  # a scratch folder whose read.nq cannot be written
        def __init__(self, prefix=""):
            self.name = str(tmp_path / "scratch")
            (tmp_path / "scratch" / "read.nq").mkdir(parents=True)

        def cleanup(self):
            pass

    root = make_checkout(tmp_path / "atlas")
    plain = _report_files(root, tmp_path / "plain", tmp_path / "plain-report")
    submitted = _recorded_submissions(monkeypatch)
    monkeypatch.setattr(tempfile, "TemporaryDirectory", Scratch)
    assert _report_files(root, tmp_path / "blocked", tmp_path / "blocked-report") == plain
    names = [name for name, _ in submitted]
    assert "figures_on_store" in names and "figures_on_dump" not in names, submitted
    assert _asked(submitted) and all(name == "run_on_store" for name, _ in _asked(submitted)), submitted


def test_the_report_draws_in_a_process_of_its_own_and_in_process_when_that_fails(tmp_path, monkeypatch):
    """The figures come from the drawing process; when it cannot draw, the report draws them itself: same bytes."""
    from llm_atlas import report as report_job

    root = make_checkout(tmp_path / "atlas")
    atlas = Atlas.open(root, tmp_path / "store")
    atlas.report(tmp_path / "parallel")
    monkeypatch.setattr(report_job, "figures_on_store", lambda store_dir, family: None)  # does not pickle: no drawing process
    atlas.report(tmp_path / "in-process")
    atlas.close()
    parallel = {p.name: p.read_bytes() for p in (tmp_path / "parallel").iterdir()}
    assert parallel == {p.name: p.read_bytes() for p in (tmp_path / "in-process").iterdir()}
    assert "collaboration.svg" in parallel and "report.html" in parallel


def test_after_a_build_the_queries_run_beside_the_validation_with_the_same_answers(tmp_path):
    """A report on a store that holds the files as they are asks its queries while it validates: same files."""
    root = make_checkout(tmp_path / "atlas")
    cold = Atlas.open(root, tmp_path / "cold")
    cold.report(tmp_path / "sequential")  # no store yet: validate, then ask
    cold.close()
    warm = Atlas.open(root, tmp_path / "warm")
    warm.build()
    assert warm._store_is_current()
    warm.report(tmp_path / "beside")
    warm.close()
    sequential = {p.name: p.read_bytes() for p in (tmp_path / "sequential").iterdir()}
    assert sequential == {p.name: p.read_bytes() for p in (tmp_path / "beside").iterdir()}


def test_after_a_build_the_queries_are_answered_from_a_copy_in_memory_or_from_the_store(tmp_path, monkeypatch):
    """A report on a current store answers its queries from an in-memory copy of it in the query process (loaded
    from the dump), or from the store on disk when the data is larger than such a copy should be, or when the
    copy cannot be made: the same files each way."""
    from llm_atlas import api, worker

    root = make_checkout(tmp_path / "atlas")
    atlas = Atlas.open(root, tmp_path / "store")
    atlas.build()
    submitted = _recorded_submissions(monkeypatch)
    outputs = {}
    for case in ("memory", "large", "no copy"):
        submitted.clear()
        with monkeypatch.context() as patch:
            if case == "large":
                patch.setattr(api, "ANSWER_IN_MEMORY_QUADS", 10)
            if case == "no copy":
                patch.setattr(worker, "load_in_memory", lambda source: 0)  # does not pickle: the copy is never made
            atlas.report(tmp_path / case)
        assert {name for name, _ in _asked(submitted)} == ({"run_in_memory"} if case == "memory" else {"run_on_store"}), submitted
        assert all(source == str(tmp_path / "store") for _, source in _asked(submitted)), submitted
        outputs[case] = {p.name: p.read_bytes() for p in (tmp_path / case).iterdir()}
    atlas.close()
    assert outputs["memory"] == outputs["large"] == outputs["no copy"]


def test_a_built_but_invalid_store_still_gets_no_report_and_a_slow_query_still_stops_it(tmp_path, capsys):
    root = make_checkout(tmp_path / "atlas")
    path = root / "graph/project/alpha.ttl"
    path.write_text(path.read_text().replace("atlas:ledBy organization:alpha-lab ;", "atlas:ledBy organization:nobody ;", 1))
    atlas = Atlas.open(root, tmp_path / "store")
    atlas.build()  # a build loads what parses; only validation judges it
    with pytest.raises(InvalidData):
        atlas.report(tmp_path / "report")
    atlas.close()
    assert not (tmp_path / "report").exists()
    assert not [t for t in threading.enumerate() if t.name == "llm-atlas-report-queries"]

    root = make_checkout(tmp_path / "slow")
    write_query(root, "endless", ENDLESS)
    atlas = Atlas.open(root, tmp_path / "slow-store")
    atlas.build()
    atlas.close()
    code = main(["--root", str(root), "--store", str(tmp_path / "slow-store"), "report", "--out", str(tmp_path / "r"), "--query-timeout", "2"])
    assert code == 1 and not (tmp_path / "r").exists()
    assert "queries/endless.rq:1:1: error [query-timeout]" in capsys.readouterr().out
