"""docs/COMPATIBILITY.md's command table must match what the binary implements."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_compatibility_table_is_current(is_magpie):
    if not is_magpie:
        pytest.skip("the table describes Magpie")
    magpie = os.environ.get("MAGPIE_BIN", os.path.join(ROOT, "build", "magpie-server"))
    rc = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "compat_table.py"),
                         magpie, "--check"], timeout=120).returncode
    assert rc == 0, ("docs/COMPATIBILITY.md is out of date: run "
                     "/usr/bin/python3 scripts/compat_table.py")
