"""Output folders: what a command writes, checked before any work and written all at once or not at all.

``export``, ``report`` and ``network`` write several files into a folder the user names. An existing file
in its place, or a folder that cannot be created or written, is a usage error (exit 2) with the path and
the reason, never a traceback; the files appear only once all of them are complete, so a failure leaves
the folder as it was.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import shutil
from pathlib import Path

from .errors import UsageError

# Names that look like a file someone meant to write, not a folder (export, report and network write folders).
FILE_SUFFIXES = {".ttl", ".nt", ".nq", ".jsonld", ".json", ".csv", ".graphml", ".gexf", ".md", ".html", ".png", ".svg", ".zip", ".gz"}


def check_out_dir(out_dir: str | os.PathLike, what: str) -> Path:
    """The folder ``what`` (``"the report"``, say) is written into, or a UsageError saying why it cannot be.

    Checked before the work starts: an existing file, a name that looks like a file, or a parent that is a
    file or cannot be written into.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file: {what} is written into a folder (e.g. {out.with_suffix('')}/), give its path")
    if not out.exists() and out.suffix.lower() in FILE_SUFFIXES:
        raise UsageError(f"{out} looks like a file name: {what} is written into a folder of several files, give the folder's path")
    existing = next((p for p in (out, *out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise UsageError(f"cannot write {what} to {out}: {existing} is a file, not a folder")
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {what} to {out}: {existing} is not writable")
    return out


def write_files(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Write all files into ``out_dir`` or none: temporary files first, renamed into place at the end."""
    created = not out_dir.exists()
    temps: dict[str, Path] = {}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            tmp = out_dir / f".{name}.{secrets.token_hex(6)}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, unlike mkstemp's 0600
            temps[name] = tmp
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        # a folder where a file goes would fail its rename half-way through: refuse before anything is replaced
        in_the_way = sorted(name for name in temps if (out_dir / name).is_dir())
        if in_the_way:
            raise UsageError(f"cannot write to {out_dir}: {', '.join(in_the_way)} {'is a folder' if len(in_the_way) == 1 else 'are folders'}; "
                             "move it away or choose another folder")
        for name, tmp in temps.items():
            os.replace(tmp, out_dir / name)
        temps.clear()
        return [out_dir / name for name in files]
    except OSError as error:
        raise UsageError(f"cannot write to {out_dir}: {error.strerror or error}") from None
    finally:
        for tmp in temps.values():
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
        if created and out_dir.is_dir() and not any(out_dir.iterdir()):
            shutil.rmtree(out_dir, ignore_errors=True)


def csv_text(header: list[str], rows, *, line_end: str = "\n") -> str:
    """A CSV table (header, then the rows) as text; ``line_end`` "\r\n" for RFC 4180 (the export's tables)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


__all__ = ["check_out_dir", "write_files", "csv_text"]
