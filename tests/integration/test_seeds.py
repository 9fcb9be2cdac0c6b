"""Runs every examples/seeds/*.py script against the server under test.

Each script is a sample from the seed articles (shared/seeds/*.txt) kept close
to verbatim; it asserts what its article claims and exits 0 on success.
"""

import glob
import os
import subprocess

import pytest

from conftest import PYTHON, REPO, SANITIZED

SEED_DIR = os.path.join(REPO, "examples", "seeds")
SCRIPTS = sorted(glob.glob(os.path.join(SEED_DIR, "*.py")))


def test_seed_scripts_exist():
    names = {os.path.basename(s) for s in SCRIPTS}
    assert {"basic_operations.py", "cache_aside_profile.py", "cache_result_decorator.py",
            "stampede_lock.py", "session_ttl.py", "ttl_get_data.py", "async_cache.py",
            "hit_rate.py"} <= names, names


@pytest.mark.parametrize("script", SCRIPTS, ids=[os.path.basename(s) for s in SCRIPTS])
def test_seed_script(server, r, script):
    env = dict(os.environ, REDIS_URL="redis://127.0.0.1:%d/0" % server.port)
    p = subprocess.run([PYTHON, script], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120 if SANITIZED else 60)
    out = p.stdout.decode("utf-8", "replace")
    assert p.returncode == 0, "%s exited %d:\n%s" % (os.path.basename(script), p.returncode,
                                                     out[-3000:])
    assert "DEMONSTRATED:" in out.strip().splitlines()[-1], out[-1000:]
    # the scripts clean up after themselves
    assert r.dbsize() == 0, r.keys("*")
