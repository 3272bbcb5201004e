"""Run every benchmark (make bench). Each module in BENCHMARKS has a main() that prints its table."""

import os
import sys
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ["bench.ledger_dashboard"]


def main():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.bench")
    for dotted in BENCHMARKS:
        print(f"== {dotted}")
        import_module(dotted).main()


if __name__ == "__main__":
    main()
