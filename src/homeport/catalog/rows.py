"""Reading a catalog CSV file: the columns, the source and the date of every row checked, and every
error naming the file, the line and the field (`providers.csv, line 7, field 'as_of': ...`).

The residency tables (countries, providers, provider regions, endpoints) and the price tables share this
reader; each loader then checks what is particular to its table with `Row.bad` (cells.py has typed cells).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from homeport.core.errors import CatalogError

CONFIDENCE = ("verified", "unverified")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Row:
    file: str
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values[column]

    @property
    def ref(self) -> str:
        """`providers.csv:7`: how a verdict or a report cites this row."""
        return f"{self.file}:{self.line}"

    def bad(self, column: str, why: str) -> CatalogError:
        return bad(self.file, self.line, column, why)

    def words(self, column: str) -> tuple[str, ...]:
        """A space-separated list cell."""
        return tuple(self.values[column].split())


def bad(file: str, line: int, column: str, why: str) -> CatalogError:
    return CatalogError(f"{file}, line {line}, field {column!r}: {why}",
                        hint="fix the row (the packaged catalog is a bug to report)")


def read_rows(name: str, columns: tuple[str, ...], *, required: tuple[str, ...] = (),
              path: str | Path | None = None) -> list[Row]:
    """The rows of catalog/data/`name` (or of `path`, for tests and local catalogs). Checks that the header
    is exactly `columns`, that `required` cells, `source` and `as_of` are filled, that `as_of` is a date
    and `confidence` (where the table has it) is verified or unverified. Cells are stripped."""
    if path is None:
        with resources.files("homeport.catalog").joinpath("data", name).open(encoding="utf-8") as fh:
            return _parse(fh, name, columns, required)
    with open(path, encoding="utf-8") as fh:
        return _parse(fh, Path(path).name, columns, required)


def _parse(fh, file: str, columns: tuple[str, ...], required: tuple[str, ...]) -> list[Row]:
    reader = csv.DictReader(fh)
    header = tuple(reader.fieldnames or ())
    if header != columns:
        missing = [c for c in columns if c not in header]
        extra = [c for c in header if c not in columns]
        what = "is missing" if missing else "is not expected"
        column = (missing or extra or [columns[0]])[0]
        raise bad(file, 1, column, f"the column {what} (columns, in order: {', '.join(columns)})")
    rows = []
    for values in reader:
        line = reader.line_num
        if None in values or any(v is None for v in values.values()):
            raise bad(file, line, columns[-1], f"the row has {len(values) - (None in values)} cells or more "
                      f"than {len(columns)}: expected {len(columns)}")
        row = Row(file, line, {k: v.strip() for k, v in values.items()})
        for column in (*required, "source", "as_of"):
            if not row[column]:
                raise row.bad(column, "is empty")
        if not _DATE.match(row["as_of"]):
            raise row.bad("as_of", f"expected a date YYYY-MM-DD, got {row['as_of']!r}")
        if "confidence" in row.values and row["confidence"] not in CONFIDENCE:
            raise row.bad("confidence", f"expected one of {', '.join(CONFIDENCE)}, got {row['confidence']!r}")
        rows.append(row)
    return rows
