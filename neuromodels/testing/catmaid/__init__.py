"""The bundled CATMAID server: ``serve("catmaid")``, ``neuromodels serve catmaid``, or with your
own neurons ``python -m neuromodels.testing.catmaid --seed-swc DIR``.

>>> from neuromodels.testing import serve
>>> with serve("catmaid") as server:
...     ids = server.add_swc("1 1 0 0 0 5 -1\\n2 3 10 0 0 2 1\\n", name="tiny", annotations=["mine"])
...     sorted(ids)
['tiny']
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Iterable

from werkzeug.test import Client

from ..harness import LocalServer
from .app import CatmaidApp
from .store import PROJECT_ID


class CatmaidServer(LocalServer):
    """A loopback CATMAID seeded with project 1, stack 1 and user ``admin`` with a token."""

    backend = "catmaid"
    project = PROJECT_ID
    app = CatmaidApp

    def add_swc(self, source: str | Path, *, name: str | None = None,
                annotations: Iterable[str] = ("Import",)) -> dict[str, int]:
        """Import neurons: ``source`` is SWC text, an ``.swc`` file or a folder of them (each
        neuron named after its file unless ``name`` is given). Returns name -> skeleton id.
        Works whether or not the server is running (it goes through the app, not the network)."""
        if isinstance(source, str) and "\n" in source:
            items = [(name or "neuron", source)]
        else:
            path = Path(source)
            files = sorted(path.glob("*.swc")) if path.is_dir() else [path]
            items = [(name or f.stem if len(files) == 1 else f.stem, f.read_text()) for f in files]
        app: CatmaidApp = self._app  # type: ignore[assignment]
        client = Client(app.wsgi)
        headers = {"X-Authorization": f"Token {self.token}"}
        form = {f"annotations[{i}]": a for i, a in enumerate(annotations)}
        result = {}
        for label, text in items:
            response = client.post(f"/{self.project}/skeletons/import", headers=headers,
                                   data={"name": label, **form, "file": (io.BytesIO(text.encode()), f"{label}.swc")})
            if response.status_code != 200:
                body = response.get_json(silent=True)
                said = body.get("error") if isinstance(body, dict) and body.get("error") else \
                    response.get_data(as_text=True)[:300]
                raise ValueError(f"could not import {label}: {said}")
            result[label] = int(response.get_json()["skeleton_id"])
        return result


SERVER = CatmaidServer
