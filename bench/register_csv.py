"""A register for timing `tact customers import`: N made-up customers, each with a reference,
an email, a mobile number and a postal address (the "three contacts and a reference" rows of
bench/README.md's bulk-loading figures), every one distinct, so the import's check for
repeated details finds nothing and is timed at its full cost.

    .venv/bin/python bench/register_csv.py 100000 /var/tmp/register.csv   # up to 900,000 rows
    time .venv/bin/tact customers import /var/tmp/register.csv --workers 2

Written to a path outside the repository: a data set is never committed.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("path", type=Path)
    args = parser.parse_args()
    with args.path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["name", "reference", "email", "phone", "address"])
        for n in range(args.rows):
            out.writerow(
                [
                    f"Person {n}",
                    f"BR-{n:07d}",
                    f"person{n}@example.org",
                    f"+44 7400 {100000 + n:06d}",
                    f"{n} Example Street;Exampletown;ZZ{n % 90 + 10} {n % 9}ZZ",
                ]
            )


if __name__ == "__main__":
    main()
