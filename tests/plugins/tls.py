"""Self-signed certificates for TLS tests on loopback (made with the ``openssl`` command).

``make_certificate(folder, name, *extra)`` writes ``name-key.pem`` and ``name.pem`` (its own CA)
into ``folder``; extra arguments go to ``openssl req`` (e.g. ``-addext subjectAltName=IP:127.0.0.1``).
Tests that need one skip when ``openssl`` is missing (``needs_openssl``).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="openssl is needed to make a test CA"
)


def make_certificate(folder, name: str, *extra: str):
    key, cert = folder / f"{name}-key.pem", folder / f"{name}.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}", *extra],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return key, cert


def loopback_certificate(folder):
    """A self-signed certificate valid for 127.0.0.1: ``(key path, certificate path)``."""
    return make_certificate(folder, "127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")
