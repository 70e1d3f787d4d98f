"""``python -m neuromodels.testing.catmaid --seed-swc DIR``: the KEY=value lines come first (the
output can be sourced), a broken file is named in one line and skipped, no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_until_seeded(args: list[str], expect_seeded: int, timeout: float = 30.0) -> tuple[list[str], str, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "neuromodels.testing.catmaid", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while sum(line.startswith("# seeded") for line in lines) < expect_seeded and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    return lines, err, proc.returncode


def test_a_broken_file_is_reported_and_the_rest_seeded(tmp_path):
    (tmp_path / "good.swc").write_text("1 1 0 0 0 1 -1\n2 3 10 0 0 1 1\n")
    (tmp_path / "broken.swc").write_text("1 1 zero 0 0 1 -1\n")
    (tmp_path / "binary.swc").write_bytes(b"\xff\xfe\x00bin")
    (tmp_path / "other.swc").write_text("1 1 5 5 5 1 -1\n")
    lines, err, code = run_until_seeded(["--seed-swc", str(tmp_path)], expect_seeded=2)
    assert [line.split("=")[0] for line in lines[:4]] == ["URL", "PROJECT", "TOKEN", "DB"]
    assert all(line.startswith("# seeded ") for line in lines[4:])
    assert sorted(line.split()[-1] for line in lines[4:]) == ["good", "other"]
    assert "Traceback" not in err
    skipped = [line for line in err.splitlines() if "skipped" in line]
    assert len(skipped) == 2 and any("broken.swc" in s and "zero" in s for s in skipped)
    assert any("binary.swc" in s for s in skipped)
    assert code == 0


def test_the_output_can_be_sourced(tmp_path):
    (tmp_path / "a.swc").write_text("1 1 0 0 0 1 -1\n")
    lines, _, _ = run_until_seeded(["--seed-swc", str(tmp_path)], expect_seeded=1)
    env_file = tmp_path / "server.env"
    env_file.write_text("\n".join(lines) + "\n")
    shown = subprocess.run(["sh", "-c", f'set -a; . "{env_file}"; set +a; echo "$PROJECT $URL"'],
                           capture_output=True, text=True, timeout=10)
    assert shown.returncode == 0 and shown.stderr == ""
    project, url = shown.stdout.split()
    assert project == "1" and url.startswith("http://127.0.0.1:")


def test_a_missing_path_is_one_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "neuromodels.testing.catmaid", "--seed-swc", str(tmp_path / "nope")],
                          capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "no such file or folder" in done.stderr


@pytest.fixture(autouse=True)
def _posix_only():
    if os.name != "posix":
        pytest.skip("signals and sh")
