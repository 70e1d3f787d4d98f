"""SWC parsing that survives real files, and clear errors for malformed ones."""

import pytest

from neuromodels import Neuron
from neuromodels.formats.swc import SWCError, parse_swc, roots, to_swc

MESSY = (
    "# header comment\r\n"
    "  1 1   0.00   0.00   0.00 8.147 -1   \r\n"
    "\t3\t3\t1.5\t2\t3\t0.5\t2 # trailing comment\n"
    "# a comment in the middle\n"
    "2  3 1 1 1 0.5   1\n"
    "4 -1 9 9 9 1 -1\n"
)


def test_messy_real_file():
    df = parse_swc(MESSY)
    assert sorted(df["node_id"]) == [1, 2, 3, 4]
    assert df.set_index("node_id").loc[3, "parent_id"] == 2  # parent listed after the child
    assert sorted(roots(df)) == [1, 4]  # several roots are kept
    assert df.set_index("node_id").loc[4, "type"] == -1


@pytest.mark.parametrize("text,message", [
    ("1 1 0 0 0 1 -1\n2 1 0 0 0 1\n", "expected 7 columns"),
    ("1 1 0 0 0 1 2\n2 1 0 0 0 1 1\n", "cycle"),
    ("1 1 0 0 0 1 -1\n2 1 0 0 0 1 7\n", "parent node 7"),
    ("1 1 0 0 0 1 -1\n1 1 0 0 0 1 -1\n", "more than once"),
    ("1 1 x 0 0 1 -1\n", "not a number"),
    ("1 1 nan 0 0 1 -1\n", "finite"),
    ("# nothing\n", "no nodes"),
])
def test_malformed(text, message):
    with pytest.raises(SWCError, match=message):
        parse_swc(text)


def test_round_trip(tmp_path):
    n = Neuron.from_swc(MESSY, name="messy")
    path = tmp_path / "out.swc"
    n.to_swc(path)
    again = Neuron.from_swc(path)
    assert again.name == "out" and len(again.nodes) == 4
    assert to_swc(again.nodes).count("\n") == 4
