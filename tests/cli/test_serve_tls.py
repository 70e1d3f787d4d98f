"""Bundled servers on https: a self-signed certificate made at start, printed for clients to trust."""

import pytest
import requests

from neuromodels import Connection, NeuronCollection
from neuromodels.cli import server_lines
from neuromodels.testing import serve


def test_tls_server_prints_its_certificate_and_only_trusting_it_works():
    with serve("neuromorpho", tls=True) as server:
        assert server.url.startswith("https://127.0.0.1:")
        lines = dict(line.split("=", 1) for line in server_lines(server))
        assert lines["CERTIFICATE"] == server.certificate and lines["URL"] == server.url
        assert requests.get(server.url + "/api/health", verify=server.certificate, timeout=10).json() == {"status": "UP"}
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.url + "/api/health", timeout=10)  # not trusted by default
        with Connection(server.url, backend="neuromorpho", verify=server.certificate, progress=False):
            assert NeuronCollection(species="rat").count() == 7
        server.stop()
        server.start()  # a restart keeps its certificate
        assert requests.get(server.url + "/api/health", verify=lines["CERTIFICATE"], timeout=10).ok


def test_plain_servers_print_no_certificate():
    with serve("neuromorpho") as server:
        assert server.certificate is None
        assert not any(line.startswith("CERTIFICATE=") for line in server_lines(server))
