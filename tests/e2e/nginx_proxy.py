"""Debian's nginx in front of the test's replicas, with the site deploy/ makes.

The site is made as an operator makes it (deploy/nginx/render_config.py from helpdesk.conf.in),
with only what must differ on a test machine given as options: the replicas, the ports (127.0.0.1
only), a throwaway certificate, the log folder, a shorter fail_timeout. nginx gets a prefix directory
of its own under tmp (pid, logs, temp files), runs in the foreground as the current user, and connects
to the replicas from 127.0.0.2 (`proxy_bind`), so to them it is a proxy on another machine, as in
production: a peer Streamlit's server does not trust by itself."""
from __future__ import annotations

import datetime
import ipaddress
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RENDER = PROJECT_ROOT / "deploy" / "nginx" / "render_config.py"
PROXY_SOURCE_ADDRESS = "127.0.0.2"
START_DEADLINE_S = 30
_LOG_LINE = re.compile(r'"(?P<request>[^"]*)" (?P<status>\d{3}) .* "(?P<agent>[^"]*)" '
                       r'route=(?P<route>\S+) upstream=(?P<upstream>.*)$')


@dataclass(frozen=True)
class LoggedRequest:
    request: str
    status: int
    agent: str
    route: str
    upstreams: tuple[str, ...]  # more than one when nginx moved on from a replica that refused


@dataclass
class Proxy:
    base_url: str  # https://127.0.0.1:<port>
    http_url: str  # the plain-HTTP server, which only redirects
    access_log: Path

    def browser_requests(self) -> list[LoggedRequest]:
        """What the browser asked for (not this module's own probes)."""
        return [r for r in self.requests() if not r.agent.startswith("Python-urllib")]

    def requests(self) -> list[LoggedRequest]:
        found = []
        for line in self.access_log.read_text(errors="replace").splitlines():
            if match := _LOG_LINE.search(line):
                upstreams = tuple(u.strip() for u in re.split(r"[,:]\s", match["upstream"]) if u.strip() != "-")
                found.append(LoggedRequest(match["request"], int(match["status"]), match["agent"], match["route"],
                                           upstreams))
        return found

    def wait_until_served(self, route: str, *, by: str, deadline_s: float = 30) -> None:
        """Until nginx sends a request carrying route cookie `route` to replica `by` (after it was
        down, nginx tries it again once its fail_timeout has passed)."""
        deadline = time.monotonic() + deadline_s
        while True:
            probe = urllib.request.Request(f"{self.base_url}/_stcore/health",
                                           headers={"Cookie": f"ccr_route={route}"})
            answered = _answers(probe)
            probes = [r for r in self.requests() if r.agent.startswith("Python-urllib") and r.route == route]
            if answered and probes and probes[-1].upstreams[-1:] == (by,):
                return
            assert time.monotonic() < deadline, f"nginx did not send route {route} to {by} within {deadline_s} s"
            time.sleep(0.5)  # between probes: each one is a request nginx logs


def render_site(prefix: Path, *, replicas: list[str], https_port: int, http_port: int, certificate: Path,
                key: Path) -> str:
    """The site as an operator makes it (deploy/nginx/render_config.py), for this machine: 127.0.0.1
    only (CI containers may have no IPv6), a throwaway certificate, logs under `prefix`."""
    command = [sys.executable, str(RENDER), "--server-name", "127.0.0.1", "--certificate", str(certificate),
               "--certificate-key", str(key), "--log-dir", str(prefix / "logs"),
               "--http-listen", f"127.0.0.1:{http_port}", "--https-listen", f"127.0.0.1:{https_port}",
               # A replica that was stopped is tried again after 2 s, not 10: the test waits for that.
               "--fail-timeout", "2"]
    for replica in replicas:
        command += ["--replica", replica]
    rendered = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert rendered.returncode == 0, rendered.stderr
    return rendered.stdout


def main_config(prefix: Path, site: Path) -> str:
    temp = prefix / "temp"
    # As root (CI) nginx would hand its workers to "nobody", who cannot read pytest's tmp folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}daemon off;
worker_processes 1;
pid {prefix / 'nginx.pid'};
error_log {prefix / 'logs' / 'error.log'} info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {temp / 'body'};
    proxy_temp_path {temp / 'proxy'};
    fastcgi_temp_path {temp / 'fastcgi'};
    uwsgi_temp_path {temp / 'uwsgi'};
    scgi_temp_path {temp / 'scgi'};
    access_log off;
    proxy_bind {PROXY_SOURCE_ADDRESS};
    include {site};
}}
"""


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 valid for a day (the browser is told to accept it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    certificate_path, key_path = folder / "proxy.crt", folder / "proxy.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return certificate_path, key_path


def _answers(url: str | urllib.request.Request) -> bool:
    insecure = ssl.create_default_context()
    insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=2, context=insecure) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def nginx_proxy(prefix: Path, *, replicas: list[str], https_port: int, http_port: int) -> Iterator[Proxy]:
    """nginx on https_port / http_port in front of `replicas` ("127.0.0.1:port"), until the
    block ends; yields once a request through it reaches a replica."""
    executable = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if executable is None:
        skip_or_fail("nginx is not installed (apt-get install nginx)")
    for folder in ("logs", "temp"):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    certificate, key = self_signed_certificate(prefix)
    site = prefix / "helpdesk.conf"
    site.write_text(render_site(prefix, replicas=replicas, https_port=https_port, http_port=http_port,
                                certificate=certificate, key=key))
    conf = prefix / "nginx.conf"
    conf.write_text(main_config(prefix, site))
    error_log = prefix / "logs" / "error.log"
    command = [executable, "-p", f"{prefix}/", "-c", str(conf), "-e", str(error_log)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, f"nginx -t refused the configuration:\n{checked.stderr}\n{site.read_text()}"
    with open(prefix / "logs" / "nginx.out", "wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    proxy = Proxy(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}",
                  prefix / "logs" / "helpdesk.access.log")
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        while not _answers(f"{proxy.base_url}/_stcore/health"):
            if time.monotonic() > deadline:
                pytest.fail(f"nginx did not pass /_stcore/health on within {START_DEADLINE_S} s:\n"
                            + error_log.read_text(errors="replace"))
            try:  # the pause between polls, which also notices nginx exiting at once
                server.wait(timeout=0.25)
            except subprocess.TimeoutExpired:
                continue
            pytest.fail("nginx exited while starting:\n" + error_log.read_text(errors="replace"))
        yield proxy
    finally:
        server.terminate()  # SIGTERM: nginx's fast shutdown
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
