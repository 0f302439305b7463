"""`make run` must keep working: the demo, at the small size, syncs end to end."""

import subprocess
import sys
from pathlib import Path

from fixtures.confluence.expected import expected_counts
from fixtures.confluence.generator import generate_site

ROOT = Path(__file__).resolve().parent.parent


def test_demo_syncs_the_mock_confluence_and_says_where_to_look(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fixtures.demo",
            "--data-size",
            "small",
            "--exit-after-sync",
            "--data-dir",
            str(tmp_path / "demo"),
            "--es-port",
            "0",
            "--confluence-port",
            "0",
            "--ui-port",
            "0",
            "--timeout",
            "240",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "✓ sync completed:" in out, out
    summary = next(line for line in out.splitlines() if line.startswith("✓ sync completed:"))
    site = generate_site("small", 1, "cloud")  # what the demo's mock serves (its default seed)
    expected = expected_counts(site, site.user_by_username("admin"))
    kinds = sorted(kind for kind in expected if kind != "total" and expected[kind])
    assert summary == "✓ sync completed: " + ", ".join(f"{expected[kind]} {kind}" for kind in kinds)
    assert "web UI            http://127.0.0.1:" in out
    assert "Traceback" not in out
    log = (tmp_path / "demo" / "logs" / "connectors.log").read_text()
    assert f"sync ended completed: indexed={expected['total']} deleted=0 total={expected['total']}" in log
