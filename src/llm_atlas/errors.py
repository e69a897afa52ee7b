"""Problems, errors and exit codes: the vocabulary every job reports in.

A :class:`Problem` is one thing wrong with the user's input, with a stable rule id, a severity, a
location (``path:line:col``), the entity it concerns and a message that says what to change. Jobs collect
problems and raise :class:`InvalidData` (exit 1) when the data is wrong, or :class:`UsageError` (exit 2)
when the command itself cannot run as asked.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

RULES_DOC = "docs/rules.md"

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in the user's input."""

    path: str
    line: int
    col: int
    rule: str
    message: str
    severity: str = "error"
    focus: str = ""
    value: str = ""
    predicate: str = ""
    details: tuple[str, ...] = field(default=(), compare=False)

    @property
    def help(self) -> str:
        return f"{RULES_DOC}#{self.rule}"

    def location(self) -> str:
        loc = self.path or "<atlas>"
        if self.line:
            loc += f":{self.line}"
            if self.col:
                loc += f":{self.col}"
        return loc

    def as_text(self) -> str:
        where = f" <{self.focus}>" if self.focus else ""
        return f"{self.location()}: {self.severity} [{self.rule}]{where} {self.message}"

    def as_github(self) -> str:
        # Workflow commands: properties are comma-separated, so escape per the runner's rules.
        def prop(value: str) -> str:
            return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")

        def data(value: str) -> str:
            return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

        level = "error" if self.severity == "error" else "warning" if self.severity == "warning" else "notice"
        props = [f"file={prop(self.path)}"] if self.path else []
        if self.line:
            props.append(f"line={self.line}")
        if self.col:
            props.append(f"col={self.col}")
        props.append(f"title={prop(self.rule)}")
        where = f" <{self.focus}>" if self.focus else ""
        return f"::{level} {','.join(props)}::{data(self.message + where)}"

    def as_dict(self) -> dict:
        out = asdict(self)
        out["details"] = list(self.details)
        out["help"] = self.help
        return out


def sort_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.path, p.line, p.col, SEVERITY_ORDER.get(p.severity, 9), p.rule, p.focus, p.value, p.message))


def render(problems: list[Problem], fmt: str) -> str:
    """Render problems as ``text``, ``json`` or ``github`` annotations."""
    problems = sort_problems(problems)
    if fmt == "json":
        return json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False) + "\n"
    if fmt == "github":
        return "".join(p.as_github() + "\n" for p in problems)
    return "".join(p.as_text() + "\n" for p in problems)


class AtlasError(Exception):
    """Base of the errors a job raises; carries its exit code."""

    exit_code = EXIT_USAGE


class UsageError(AtlasError):
    """The command cannot run as asked (bad arguments, missing project, unknown query): exit 2."""

    exit_code = EXIT_USAGE


class InvalidData(AtlasError):
    """The atlas data is wrong; ``problems`` says where and why: exit 1."""

    exit_code = EXIT_INVALID

    def __init__(self, problems: list[Problem], summary: str = ""):
        self.problems = sort_problems(problems)
        super().__init__(summary or f"{len(self.problems)} problem(s) in the atlas data")


class AtlasWarning(UserWarning):
    """Something the user should know that does not stop the command (the CLI prints it on stderr)."""


class StaleStoreWarning(AtlasWarning):
    """The store could not be brought up to date with the files: the answer comes from the last build."""


class UnknownTermWarning(AtlasWarning):
    """A parameter names an atlas IRI that nothing in the atlas has (a mistyped slug or concept, say)."""
