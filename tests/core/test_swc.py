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


def test_byte_order_mark_and_crlf_accepted(tmp_path):
    text = "\ufeff# from a Windows editor\r\n1 1 0 0 0 1 -1\r\n2 3 1 0 0 1 1\r\n"
    assert parse_swc(text)["node_id"].tolist() == [1, 2]
    assert parse_swc(text.encode("utf-8"))["node_id"].tolist() == [1, 2]
    path = tmp_path / "bom.swc"
    path.write_bytes(text.encode("utf-8"))
    assert parse_swc(path)["parent_id"].tolist() == [-1, 1]
    assert parse_swc(str(path))["parent_id"].tolist() == [-1, 1]
    # A BOM before a node row (no comment first) is not read as part of the id.
    assert parse_swc("\ufeff1 1 0 0 0 1 -1\n")["node_id"].tolist() == [1]


@pytest.mark.parametrize("text,line,message", [
    ("1 1 0 0 0 1 -1\n2 3 1e400 0 0 1 1\n", 2, "finite"),
    ("1 1 0 0 0 1e400 -1\n", 1, "finite"),
    ("1 1 0 0 0 1 -1\n99999999999999999999 3 1 0 0 1 1\n", 2, "64-bit"),
    ("1 1 0 0 0 1 -1\n2 3 1 0 0 1 18446744073709551616\n", 2, "64-bit"),
    ("1 1 0 0 0 1 -1\n1e400 3 1 0 0 1 1\n", 2, "not a number"),
    ("1 1 0 0 0 1 -1\n2.5 3 1 0 0 1 1\n", 2, "not an integer"),
])
def test_absurd_numbers_name_the_line(text, line, message):
    with pytest.raises(SWCError, match=f"line {line}: .*{message}"):
        parse_swc(text)


def test_large_ids_kept_exactly():
    big = 2**53 + 1  # not representable as a float
    df = parse_swc(f"{big} 1 0 0 0 1 -1\n{big + 2} 3 1 0 0 1 {big}\n")
    assert df["node_id"].tolist() == [big, big + 2] and df["parent_id"].tolist() == [-1, big]


def test_export_types_follow_the_swc_standard():
    nodes = parse_swc("1 1 0 0 0 1 -1\n2 3 1 0 0 1 1\n3 3 2 0 0 1 2\n").drop(columns="type")
    rows = [line.split() for line in to_swc(nodes).splitlines()]
    assert [r[1] for r in rows] == ["1", "0", "0"]  # no soma tag: the root is the soma, the rest undefined
    rows = [line.split() for line in to_swc(nodes, soma=[2]).splitlines()]
    assert [r[1] for r in rows] == ["0", "1", "0"]  # CATMAID's "soma" tag wins over the root
    n = Neuron(name="tagged", nodes=nodes, tags={"soma": [3]})
    assert [line.split()[1] for line in n.to_swc().splitlines() if not line.startswith("#")] == ["0", "0", "1"]
    # A table with its own types (NeuroMorpho) keeps them.
    typed = parse_swc("1 1 0 0 0 1 -1\n2 2 1 0 0 1 1\n3 4 2 0 0 1 2\n")
    assert [line.split()[1] for line in to_swc(typed).splitlines()] == ["1", "2", "4"]


def test_cable_length():
    from neuromodels.formats.swc import cable_length

    n = Neuron.from_swc("1 1 0 0 0 1 -1\n2 3 3 4 0 1 1\n3 3 3 4 12 1 2\n4 3 0 0 1 1 1\n")
    assert cable_length(n.nodes) == pytest.approx(5 + 12 + 1)
    assert n.cable_length == pytest.approx(18)
    with pytest.raises(ValueError, match="no nodes loaded"):
        Neuron(name="empty").cable_length
