"""The core's paging loop, against a listing of 23 rows served by each declared scheme."""

import types

import pytest

from neuromodels.core.paging import OffsetPaging, Page, PageNumberPaging, SinglePage, Window, read_pages

ROWS = list(range(23))


def fake_conn(calls):
    def map_values(fn, items, desc=None):
        return [fn(i) for i in items]

    return types.SimpleNamespace(transport=types.SimpleNamespace(map_values=map_values))


def server(paging, calls, tell_total=True):
    def read(window: Window) -> Page[int]:
        calls.append(paging.params(window))
        rows = ROWS[window.start : window.start + window.size] if window.size else ROWS
        if tell_total:
            return Page(rows, total_items=len(ROWS))
        return Page(rows)

    return read


@pytest.mark.parametrize("paging", [OffsetPaging(size=5), PageNumberPaging(size=5), OffsetPaging(size=23),
                                    OffsetPaging(size=100), SinglePage()])
@pytest.mark.parametrize("tell_total", [True, False])
@pytest.mark.parametrize("limit", [None, 1, 5, 7, 23, 40])
def test_every_row_once_and_no_more_than_the_limit(paging, tell_total, limit):
    calls: list = []
    got = [r for page in read_pages(fake_conn(calls), paging, server(paging, calls, tell_total), limit) for r in page]
    want = ROWS if limit is None else ROWS[:limit]
    assert got[: len(want)] == want
    assert len(got) <= (len(ROWS) if isinstance(paging, SinglePage) else len(want) + paging.size)
    if isinstance(paging, PageNumberPaging):
        assert {c["size"] for c in calls} == {calls[0]["size"]}, "numbered pages keep one size"
    if limit is not None and not isinstance(paging, SinglePage):
        assert all(c.get("max", c.get("size", 0)) <= max(limit, 1) or isinstance(paging, PageNumberPaging)
                   for c in calls[:1]), "the first page asks for no more than the limit"


def test_a_told_total_reads_the_rest_at_once_and_an_untold_one_until_a_short_page():
    calls: list = []
    list(read_pages(fake_conn(calls), OffsetPaging(size=10), server(OffsetPaging(size=10), calls), None))
    assert calls == [{"offset": 0, "max": 10}, {"offset": 10, "max": 10}, {"offset": 20, "max": 3}]
    calls.clear()
    list(read_pages(fake_conn(calls), OffsetPaging(size=10), server(OffsetPaging(size=10), calls, False), None))
    assert calls == [{"offset": 0, "max": 10}, {"offset": 10, "max": 10}, {"offset": 20, "max": 10}]


def test_a_server_that_serves_fewer_rows_than_asked_loses_none():
    """A server capping its pages at 4 rows while telling the total: read on from where the rows
    ended, never skipping the rows between."""
    calls: list = []
    paging = OffsetPaging(size=10)

    def capped(window: Window) -> Page[int]:
        calls.append(paging.params(window))
        return Page(ROWS[window.start : window.start + min(window.size, 4)], total_items=len(ROWS))

    got = [r for page in read_pages(fake_conn(calls), paging, capped, None) for r in page]
    assert got == ROWS


def test_a_server_that_ignores_the_paging_parameters_is_a_protocol_error_not_an_endless_loop():
    from neuromodels.core.errors import ProtocolError

    rows = [types.SimpleNamespace(id=i) for i in range(5)]
    calls: list = []

    def same_page(window: Window) -> Page:
        calls.append(window)
        return Page(rows)  # the first page, whatever was asked, and no total

    with pytest.raises(ProtocolError, match="same page twice"):
        for _ in read_pages(fake_conn(calls), OffsetPaging(size=5), same_page, None):
            pass
    assert len(calls) == 2
