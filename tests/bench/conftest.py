"""tests/bench: the benchmark harness's parsers and tables (bench/dswbench), without root, DPDK or traffic."""
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixture_text():
    return lambda name: (FIXTURES / name).read_text()


@pytest.fixture
def fixture_json():
    return lambda name: json.loads((FIXTURES / name).read_text())
