"""A throwaway self-signed certificate for a bundled server on https (``serve(..., tls=True)``).

Made with the ``openssl`` command rather than a Python package: the standard library can use a
certificate but not make one, and the ``cryptography`` package is not among neuromodels'
dependencies. A certificate kept in the repository would expire and its key would be public;
one made at start lives as long as the server, in a private temporary folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ..core.errors import NotSupported


def self_signed(folder: str, days: int = 7) -> tuple[str, str]:
    """``(certificate, key)`` paths in ``folder``: valid for 127.0.0.1 and localhost, and its own
    authority (trust the certificate file, e.g. ``REQUESTS_CA_BUNDLE=<it>``)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise NotSupported("a bundled server on https needs the openssl command to make its certificate")
    cert, key = os.path.join(folder, "certificate.pem"), os.path.join(folder, "key.pem")
    argv = [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", str(days),
            "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign"]
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=60, check=False)
    if done.returncode != 0:
        raise NotSupported(f"openssl could not make a certificate for the bundled server: {done.stderr.strip()[:300]}")
    os.chmod(key, 0o600)
    return cert, key
