"""conn.activate() in a real Jupyter kernel: the connection stays current across cells without a
`with` block, worker threads started in a cell see it, a `with` block still wins inside it, and
deactivate()/close() end it. Skipped when jupyter_client/ipykernel are not installed."""

from __future__ import annotations

from typing import Any

import pytest

from neuromodels.testing import serve

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")


@pytest.fixture(scope="module")
def kernel():
    from jupyter_client.manager import start_new_kernel

    try:
        manager, client = start_new_kernel(kernel_name="python3", startup_timeout=60)
    except Exception as e:  # noqa: BLE001 - no usable kernel here: skip, never fail
        pytest.skip(f"no Jupyter kernel could start ({type(e).__name__})")
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def run(client: Any, code: str) -> dict[str, Any]:
    """Execute one cell; its result text, printed text and error name."""
    cell: dict[str, Any] = {"result": None, "stdout": "", "error": None}

    def hook(message: dict[str, Any]) -> None:
        kind, content = message["msg_type"], message["content"]
        if kind == "execute_result":
            cell["result"] = content["data"]["text/plain"]
        elif kind == "stream":
            cell["stdout"] += content["text"]
        elif kind == "error":
            cell["error"] = content["ename"]

    reply = client.execute_interactive(code, timeout=60, output_hook=hook)
    assert reply["content"]["status"] in ("ok", "error")
    return cell


def test_activate_lasts_across_cells_until_deactivated(kernel):
    with serve("catmaid") as server:
        setup = run(kernel, (
            "from neuromodels import Connection, Project, NoConnection\n"
            f"conn = Connection({server.url!r}, backend='catmaid', project={server.project}, token={server.token!r})\n"
            "conn.activate()\n"
            "None"
        ))
        assert setup["error"] is None
        assert run(kernel, f"Project.fetch({server.project}).id")["result"] == str(server.project)
        assert run(kernel, "Connection.current() is conn")["result"] == "True"  # a later cell still sees it
        threads = run(kernel, (
            "import threading\n"
            "seen = []\n"
            "t = threading.Thread(target=lambda: seen.append(Project.fetch(%d).id)); t.start(); t.join()\n"
            "seen" % server.project
        ))
        assert threads["result"] == f"[{server.project}]"
        other = run(kernel, (
            f"other = Connection({server.url!r}, backend='catmaid', project=999, token={server.token!r})\n"
            "with other:\n"
            "    inner = Connection.current() is other\n"
            "(inner, Connection.current() is conn)"
        ))
        assert other["result"] == "(True, True)"  # `with` wins inside its block, then activate again
        assert run(kernel, "conn.deactivate()")["error"] is None
        assert run(kernel, f"Project.fetch({server.project})")["error"] == "NoConnection"
        assert run(kernel, f"conn.activate(); Project.fetch({server.project}).id")["result"] == str(server.project)
        assert run(kernel, "conn.close()")["error"] is None
        assert run(kernel, "Connection.current()")["error"] == "NoConnection"


def test_an_interrupt_shown_to_the_user_is_forgotten_by_the_next_cell(kernel):
    # Code that stops on Ctrl-C with a bare `raise KeyboardInterrupt` (instead of
    # Transport.reraise_interrupt()) must not leave the next cells unable to send anything.
    stopped = run(kernel, (
        "from neuromodels.parallel import _interrupt_flag, interrupted\n"
        "_interrupt_flag().record()\n"
        "assert interrupted()\n"
        "raise KeyboardInterrupt"
    ))
    assert stopped["error"] == "KeyboardInterrupt"
    assert run(kernel, "interrupted()")["result"] == "False"
