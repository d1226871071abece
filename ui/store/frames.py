"""A run's history tables (its update:data curve, pinned curves ...) as Arrow IPC bytes, bounded both ways.

Arrow's file format keeps numbers exact, is written in milliseconds (Parquet took ten times as long for a
100,000-row update:data history) and reads back without running anything. Text columns are stored as
dictionaries, each parameter's name once rather than on every row; nothing is compressed. On the way out,
where the bytes come from the database, the reader counts rows batch by batch, validates every buffer
against the file and checks the bounds (InvalidInput); on the way in a table out of bounds is a
programming error (ValueError).
"""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ui.store.errors import InvalidInput

MAX_FRAMES = 8  # tables per run
MAX_ROWS = 250_000  # rows per table: a full update:data history (2,048 rows x ~100 weights) fits
MAX_COLUMNS = 16
MAX_TEXT = 200  # characters of a text cell (a parameter's name, a run's label)


def encode(name: str, frame: pd.DataFrame) -> bytes:
    try:
        if not isinstance(frame, pd.DataFrame):
            raise InvalidInput(f"must be a table, not {type(frame).__name__}")
        table = _checked(pa.Table.from_pandas(frame, preserve_index=False, nthreads=1).combine_chunks())
    except (InvalidInput, pa.ArrowException) as problem:
        detail = problem if isinstance(problem, InvalidInput) else "must hold numbers or text in each column"
        raise ValueError(f"history table {name!r} {detail}") from None
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def decode(name: str, raw: bytes) -> pd.DataFrame:
    """The table stored under `name`; InvalidInput if the bytes are not a table within the bounds."""
    try:
        reader = pa.ipc.open_file(pa.BufferReader(raw))
        batches, rows = [], 0
        for i in range(reader.num_record_batches):
            batches.append(reader.get_batch(i))
            rows += batches[-1].num_rows
            if rows > MAX_ROWS:
                raise InvalidInput(f"has over {MAX_ROWS:,} rows, the most kept")
        table = pa.Table.from_batches(batches, schema=reader.schema)
        table.validate(full=True)  # offsets, lengths and dictionary indices within bounds, before any is read
        frame = _checked(table).to_pandas()
    except InvalidInput as problem:
        raise InvalidInput(f"its history table {name!r} {problem}") from None
    except (pa.ArrowException, OSError, ValueError):
        raise InvalidInput(f"its history table {name!r} cannot be read") from None
    return frame.astype({c: str for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})


def _checked(table: pa.Table) -> pa.Table:
    """The table with its text columns dictionary-encoded; InvalidInput saying what is wrong (its size, a
    column's name or kind, a text's length). Checks each distinct text once: a history repeats few names."""
    if table.num_rows > MAX_ROWS or table.num_columns > MAX_COLUMNS:
        raise InvalidInput(f"has {table.num_rows:,} rows and {table.num_columns} columns; at most {MAX_ROWS:,} "
                           f"and {MAX_COLUMNS}")
    for i, column in enumerate(table.schema):
        kind = column.type
        if len(column.name) > MAX_TEXT or not column.name or column.name.startswith("__index_level_"):
            raise InvalidInput("must name its columns with short text")
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
            continue
        if _text(kind):
            values = table.column(i).dictionary_encode()
        elif pa.types.is_dictionary(kind) and _text(kind.value_type) and pa.types.is_integer(kind.index_type):
            values = table.column(i)
        else:
            raise InvalidInput(f"column {column.name!r} must hold numbers or text")
        if values.null_count:
            raise InvalidInput(f"column {column.name!r} has empty cells")
        if any(len(chunk.dictionary) and pc.max(pc.utf8_length(chunk.dictionary)).as_py() > MAX_TEXT
               for chunk in values.chunks):
            raise InvalidInput(f"column {column.name!r} holds text over {MAX_TEXT} characters")
        table = table.set_column(i, column.name, values)
    return table


def _text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
