"""What the dataset converters share: reading a text file as numbered lines, staging
the parsed lines in DuckDB on disk, writing the daily Parquet deliveries, checking
them, and publishing them atomically.

A converter is a `Dataset`: SQL that parses the lines into typed columns and a reject
reason, and SQL that turns the parsed lines into impression and engagement rows.
`convert` runs it on one input file:

1. `LineSource` reads the file in 32 MiB blocks and cuts each block at its newlines
   with NumPy: a line is the bytes between two ``\\n`` (a ``\\r`` before the ``\\n`` is
   dropped, so CRLF files read the same; a last line without ``\\n`` is a line; the
   final ``\\n`` does not start one). Line numbers are counted here, in file order,
   so they are exact by construction; a ``.gz`` file is decompressed on the fly.
   DuckDB scans these Arrow batches and parses them in parallel into the table
   ``parsed`` of a DuckDB file in a temporary folder inside OUT (``memory_limit``
   and ``temp_directory`` set: it spills to disk rather than holding a file of tens
   of GB in memory). A line that is not UTF-8 is rejected (``bad_encoding``, its
   text shown with ``\\xNN`` escapes), an empty one too (``blank_line``); a line
   longer than 256 MiB (no such line in these datasets: the wrong file) stops the
   conversion. (DuckDB's own ``read_csv`` with ``row_number() over ()`` also
   numbers lines right, in a single-threaded pipeline, but it stops the whole file
   on one line that is not UTF-8 or holds a stray ``\\r``, and with
   ``ignore_errors`` it skips such lines and shifts every later number.) List fields
   stay one string in ``parsed``: DuckDB stores a string much faster than a list.
2. Per log and UTC day of the row's timestamp, one Parquet file
   ``<log>/<delivery>/<YYYY-MM-DD>.parquet``, rows sorted by source line (so the
   same input gives the same files), written by DuckDB with zstd; the rejected
   lines to ``rejected_lines/<delivery>.parquet`` (always, even empty).
3. Checks, before anything is published: lines read = lines converted + lines
   rejected = rows DuckDB parsed; the impressions and engagements (per action)
   counted back from the written files equal what the converted lines imply; every
   file holds only its day; the line numbers are 1..lines read, each once. A failure
   raises `ConversionError`.
4. The summary goes to ``conversions/<delivery>.json``; the staged files then replace
   the delivery's previous files (a re-run of the same input), each by a rename
   within OUT: the previous record is set aside first, the new record moved in
   last, and ``conversions/README.md`` is written before any rename. In a folder
   with ``conversions/`` the dbt project reads a delivery only with its record, so
   a run killed between two renames leaves a delivery that is not read (the
   refresh names it), and converting the same input again replaces it. Files of
   other deliveries are never touched. The staging folder,
   ``OUT/.converting-<delivery>-*`` (the DuckDB file, about the size of the output,
   and DuckDB's spill files), is deleted at the end, failed or not; only a killed run
   leaves it behind, to delete by hand. It is outside ``impressions/`` and
   ``engagements/``, so the dbt project never reads a half-written delivery.

Progress: one line on stderr when it is a terminal (bytes read, lines, lines/s, then
the day being written); DuckDB's own progress bar when stdout is one.

Delivery names (`delivery_names`): the input's file name without extension
(``training.tsv`` -> ``training``, ``training.tsv.gz`` -> ``training``); when
several inputs of one run share it, ``<parent folder>-<stem>``
(``MINDlarge_train/behaviors.tsv`` -> ``MINDlarge_train-behaviors``); characters
other than letters, digits, ``.``, ``_`` and ``-`` become ``_``. ``--name`` sets it
for a single input. A name already used in OUT for another input file is refused
(its ``conversions/<name>.json`` names the input), so a second file never replaces
the first one's days by accident; so is an OUT without ``conversions/`` that holds
impressions or engagements already (an upstream job's raw folder).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from feedpipe.datasets.checks import ConversionError, Dataset
from feedpipe.datasets.writer import check_name_free, configure, publish, stage_and_write

__all__ = ["ConversionError", "Dataset", "LineSource", "convert", "delivery_names", "main_for"]


CHUNK_BYTES = 1 << 25


# A longer line is not one of these datasets' (their lines have a few KB): stop there
# rather than hold a file without newlines in memory.
MAX_LINE_BYTES = 1 << 28


DEFAULT_MEMORY_LIMIT = "4GB"


NEWLINE = 0x0A


LINE_SCHEMA = pa.schema(
    [pa.field("line_number", pa.int64(), nullable=False), pa.field("line", pa.large_binary())]
)


NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _stem(path: Path) -> str:
    name = path.name[: -len(".gz")] if path.name.endswith(".gz") else path.name
    return Path(name).stem or name


def safe_name(text: str) -> str:
    """`text` with only letters, digits, `.`, `_` and `-`, not starting with `.`."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).lstrip("._-")
    return cleaned or "input"


def delivery_names(inputs: Sequence[Path], name: str | None = None) -> list[str]:
    """One unique delivery name per input (see the module docstring)."""
    if name is not None:
        if len(inputs) != 1:
            raise ConversionError("--name sets the delivery name of a single input")
        if not NAME_PATTERN.fullmatch(name):
            raise ConversionError(
                f"--name {name!r}: use letters, digits, '.', '_' and '-' (not first)"
            )
        return [name]
    stems = [safe_name(_stem(path)) for path in inputs]
    names = [
        safe_name(f"{path.resolve().parent.name}-{_stem(path)}") if stems.count(stem) > 1 else stem
        for path, stem in zip(inputs, stems, strict=True)
    ]
    for candidate in names:
        if names.count(candidate) > 1:
            clashing = [str(p) for p, n in zip(inputs, names, strict=True) if n == candidate]
            raise ConversionError(
                f"inputs {', '.join(clashing)} would share the delivery name {candidate!r}: "
                "convert them one at a time with --name"
            )
    return names


class Progress:
    """One status line on stderr (only when it is a terminal), at most twice a second."""

    def __init__(self, label: str, total_bytes: int, enabled: bool | None = None):
        self.label = label
        self.total = max(total_bytes, 1)
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self.shown = 0.0

    def update(self, done_bytes: int, lines: int, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self.shown < 0.5):
            return
        self.shown = now
        rate = lines / max(now - self.started, 1e-9)
        share = min(done_bytes / self.total, 1.0)
        sys.stderr.write(
            f"\r{self.label}: {share:6.1%} of {self.total / 1e9:.2f} GB, "
            f"{lines:,} lines, {rate:,.0f} lines/s"
        )
        sys.stderr.flush()

    def message(self, text: str, end: str = "\n") -> None:
        if self.enabled:
            sys.stderr.write(f"\r{self.label}: {text}\033[K{end}")
            sys.stderr.flush()


class LineSource:
    """The lines of a file as Arrow record batches (line_number, line bytes), read in
    blocks of `chunk_bytes`; `lines_read` counts them as they go. A line longer than
    `max_line_bytes` stops the reading with a `ConversionError` (kept in `error`, as
    DuckDB reports it as its own error)."""

    def __init__(
        self,
        path: Path,
        chunk_bytes: int = CHUNK_BYTES,
        progress: Progress | None = None,
        max_line_bytes: int | None = None,
    ):
        if chunk_bytes < 1:
            raise ValueError("chunk_bytes must be positive")
        self.path = path
        self.chunk_bytes = chunk_bytes
        self.progress = progress
        self.max_line_bytes = MAX_LINE_BYTES if max_line_bytes is None else max_line_bytes
        self.lines_read = 0
        self.finished = False
        self.error: ConversionError | None = None

    def _too_long(self, size: int, line_number: int) -> None:
        if size > self.max_line_bytes:
            self.error = ConversionError(
                f"{self.path}: line {line_number} is longer than "
                f"{self.max_line_bytes:,} bytes; is this the right file?"
            )
            raise self.error

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(LINE_SCHEMA, self._batches())

    def _batch(self, buffer: bytearray, ends: np.ndarray) -> pa.RecordBatch:
        count = int(ends.size)
        offsets = np.empty(count + 1, dtype=np.int64)
        offsets[0] = 0
        offsets[1:] = ends + 1
        with_newlines = pa.LargeBinaryArray.from_buffers(
            pa.large_binary(), count, [None, pa.py_buffer(offsets), pa.py_buffer(buffer)]
        )
        numbers = np.arange(self.lines_read + 1, self.lines_read + count + 1, dtype=np.int64)
        self.lines_read += count
        return pa.record_batch(
            [pa.array(numbers), pc.binary_slice(with_newlines, 0, -1)], schema=LINE_SCHEMA
        )

    def _batches(self) -> Iterator[pa.RecordBatch]:
        with self.path.open("rb") as raw:
            stream = gzip.GzipFile(fileobj=raw) if self.path.name.endswith(".gz") else raw
            carry = b""
            while True:
                buffer = bytearray(len(carry) + self.chunk_bytes)
                buffer[: len(carry)] = carry
                got = stream.readinto(memoryview(buffer)[len(carry) :])
                if not got:
                    break
                size = len(carry) + got
                data = np.frombuffer(buffer, dtype=np.uint8, count=size)
                ends = np.flatnonzero(data == NEWLINE)
                if ends.size == 0:
                    self._too_long(size, self.lines_read + 1)
                    carry = bytes(buffer[:size])
                    continue
                lengths = np.diff(ends, prepend=-1) - 1
                longest = int(lengths.argmax())
                self._too_long(int(lengths[longest]), self.lines_read + longest + 1)
                batch = self._batch(buffer, ends)
                carry = bytes(buffer[int(ends[-1]) + 1 : size])
                if self.progress is not None:
                    self.progress.update(raw.tell(), self.lines_read)
                yield batch
            if carry:
                self._too_long(len(carry), self.lines_read + 1)
                self.lines_read += 1
                yield pa.record_batch(
                    [pa.array([self.lines_read], pa.int64()), pa.array([carry], pa.large_binary())],
                    schema=LINE_SCHEMA,
                )
        if self.progress is not None:
            self.progress.update(self.path.stat().st_size, self.lines_read, force=True)
        self.finished = True


def convert(
    dataset: Dataset,
    input_path: Path,
    out: Path,
    name: str,
    *,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    progress: bool | None = None,
) -> dict:
    """Convert one input file into the delivery `name` under `out`; returns the
    summary (also written to ``out/conversions/<name>.json``). Raises
    `ConversionError` (nothing published) when a check fails."""
    started = time.monotonic()
    input_path = Path(input_path)
    out = Path(out)
    if not input_path.is_file():
        raise ConversionError(f"{input_path}: no such file")
    out.mkdir(parents=True, exist_ok=True)
    check_name_free(out, name, input_path)
    size = input_path.stat().st_size
    status = Progress(f"{dataset.name} {name}", size, progress)
    staging = Path(tempfile.mkdtemp(prefix=f".converting-{name}-", dir=out))
    try:
        spill = staging / "spill"
        spill.mkdir()
        source = LineSource(input_path, chunk_bytes, status)
        with duckdb.connect(str(staging / "work.duckdb")) as connection:
            configure(connection, spill, memory_limit, threads)
            counts = stage_and_write(dataset, source, connection, staging, name, status)
        seconds = time.monotonic() - started
        summary = {
            "dataset": dataset.name,
            "input": str(input_path.resolve()),
            "input_bytes": size,
            "delivery": name,
            "out": str(out.resolve()),
            **counts,
            "seconds": round(seconds, 1),
            "lines_per_second": round(counts["lines_read"] / max(seconds, 1e-9)),
            "converted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        record = staging / "conversions" / f"{name}.json"
        record.parent.mkdir()
        record.write_text(json.dumps(summary, indent=2) + "\n")
        publish(staging, out, name)
        status.message(f"done in {summary['seconds']} s")
    except BaseException:
        status.message("failed, nothing published")
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary


def main_for(dataset: Dataset, doc: str, argv: list[str] | None = None) -> int:
    """The command line of a converter module (`python -m feedpipe.datasets.<name>`)."""
    parser = argparse.ArgumentParser(
        prog=f"feedpipe.datasets.{dataset.name}",
        description=doc.split("\n\n")[0],
        epilog="Layout, mapping and reject reasons: see the module docstring.",
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="input file(s)")
    parser.add_argument("--out", type=Path, required=True, help="the raw folder to write into")
    parser.add_argument(
        "--memory-limit",
        default=DEFAULT_MEMORY_LIMIT,
        help=f"DuckDB memory_limit, beyond which it spills to OUT (default {DEFAULT_MEMORY_LIMIT})",
    )
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    parser.add_argument("--name", help="the delivery name of a single input (default: its stem)")
    args = parser.parse_args(argv)
    try:
        missing = [str(path) for path in args.inputs if not path.is_file()]
        if missing:
            raise ConversionError(f"no such file: {', '.join(missing)}")
        names = delivery_names(args.inputs, args.name)
        for input_path, name in zip(args.inputs, names, strict=True):
            summary = convert(
                dataset,
                input_path,
                args.out,
                name,
                memory_limit=args.memory_limit,
                threads=args.threads,
            )
            print(json.dumps(summary, indent=2), flush=True)
    except (ConversionError, duckdb.Error, OSError) as error:
        print(f"feedpipe.datasets.{dataset.name}: {error}", file=sys.stderr)
        return 1
    return 0
