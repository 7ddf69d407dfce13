"""Converters from public recommendation datasets to the project's raw input contract.

    python -m feedpipe.datasets.recsys2020 training.tsv --out data/recsys2020/raw
    python -m feedpipe.datasets.mind train/behaviors.tsv dev/behaviors.tsv --out data/mind/raw

Each converter streams its text files (tens of GB) through DuckDB into daily Parquet
deliveries, ``OUT/impressions/<delivery>/<YYYY-MM-DD>.parquet`` and
``OUT/engagements/<delivery>/<YYYY-MM-DD>.parquet``, lists every line it could not
convert, with its line number and reason, in ``OUT/rejected_lines/<delivery>.parquet``
and writes a summary to ``OUT/conversions/<delivery>.json``. The shared machinery
(line reader, staging, atomic publication, checks) is in ``common``.
"""
