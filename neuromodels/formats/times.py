"""Times as servers write them (ISO 8601 with ``T`` or a space, ``Z`` or an offset, any number of
fraction digits), read the same way on every supported Python and pandas.

>>> parse_iso("2026-12-06T08:52:29.45796+00:00").microsecond, parse_iso("2026-12-06 08:52:29Z").tzinfo is not None
(457960, True)
>>> iso_series(["2026-12-06T11:35:46.814+00:00", "2026-12-06T11:35:47Z"]).dt.second.tolist()
[46, 47]
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    import pandas as pd

_FRACTION = re.compile(r"(\.\d+)")


def parse_iso(value: Any) -> dt.datetime:
    """An aware datetime from ISO text (naive times are taken as UTC). Python 3.10's
    ``fromisoformat`` takes only 3 or 6 fraction digits: the fraction is padded or cut to 6."""
    text = str(value).strip().replace(" ", "T", 1).replace("Z", "+00:00")
    text = _FRACTION.sub(lambda m: (m.group(1) + "000000")[:7], text, count=1)
    parsed = dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.timezone.utc)


def iso_series(values: Iterable[Any]) -> "pd.Series":
    """A UTC datetime Series from ISO texts (None stays missing), on pandas 1.5 as on 3."""
    import pandas as pd

    parsed = [None if v is None else parse_iso(v) for v in values]
    return pd.Series(pd.to_datetime(parsed, utc=True))
