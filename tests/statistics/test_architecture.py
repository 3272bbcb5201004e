"""Statistics and payments import no domain app (equipment, ip_listings, cms): the domain apps register
with them. Inside them, the modules that others build on never import back (no circles)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "contract",
    [
        "statistics-independent",
        "payments-independent",
        "payments-services-below-tasks",
        "statistics-registry-below-cache",
    ],
)
def test_import_contract_is_kept(contract):
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--contract", contract, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("app", ["marketplace/payments", "marketplace/statistics"])
def test_templates_compare_nothing_with_raw_strings(app):
    """A status or method is asked of the model (`payment.is_failed`) or the view (a flag in the
    context), never spelt out in a template."""
    compared = re.compile(r"""(==|!=)\s*["']|["']\s*(==|!=)""")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / app / "templates").rglob("*.*"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if compared.search(line)
    ]
    assert not found, found
