"""Write the nginx site for the helpdesk's replicas: deploy/nginx/helpdesk.conf.in filled in.

    python deploy/nginx/render_config.py --server-name help.example.com \\
        --replica 10.0.0.11:8501 --replica 10.0.0.12:8501 > /etc/nginx/conf.d/helpdesk.conf
    nginx -t && nginx -s reload

Each replica gets a route (named after its address) and an upstream group of its own with the others as
backups; the route cookie then always names the replica that answered (the template says why).
Adding a replica is a new --replica and a reload. Standard library only, so it runs anywhere."""
from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("helpdesk.conf.in")
_REPLICA = re.compile(r"[A-Za-z0-9.-]+:\d{1,5}|\[[0-9A-Fa-f:.]+\]:\d{1,5}")
_NAME = re.compile(r"[A-Za-z0-9.*_-]+")
DEFAULT_FAIL_TIMEOUT = 10


def route_of(replica: str) -> str:
    """A replica's route: from its address, so adding or removing another renames nothing (a renamed
    route would send its browsers' uploads away from their websocket)."""
    return "r" + hashlib.sha256(replica.encode()).hexdigest()[:10]


def _shares(count: int) -> list[str]:
    """split_clients percentages: equal shares, the last one taking the rest ("*")."""
    share = int(10000 / count) / 100
    return [f"{share:g}%"] * (count - 1) + ["*"]


def render(*, replicas: list[str], server_name: str, certificate: str, certificate_key: str, log_dir: str,
           http_listen: list[str], https_listen: list[str], fail_timeout: int = DEFAULT_FAIL_TIMEOUT,
           template: str | None = None) -> str:
    if not replicas:
        raise ValueError("name at least one replica (--replica host:port)")
    for replica in replicas:
        if not _REPLICA.fullmatch(replica):
            raise ValueError(f"a replica is host:port, such as 10.0.0.11:8501, not {replica!r}")
    if len(set(replicas)) != len(replicas):
        raise ValueError("each replica once")
    for name in server_name.split():
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a server name: {name!r}")
    if not 1 <= fail_timeout <= 3600:
        raise ValueError(f"--fail-timeout is seconds from 1 to 3600, not {fail_timeout}")
    routes = [route_of(replica) for replica in replicas]
    upstreams = []
    for route, replica in zip(routes, replicas):
        backups = "".join(f"    server {other} backup;\n" for other in replicas if other != replica)
        upstreams.append(f"upstream helpdesk_{route} {{\n"
                         f"    server {replica} max_fails=1 fail_timeout={fail_timeout}s;\n"
                         f"{backups}    keepalive 16;\n}}\n")
    values = {
        "@NEW_ROUTES@": "".join(f"    {share} {route};\n" for share, route in zip(_shares(len(routes)), routes)),
        "@KNOWN_ROUTES@": "".join(f"    {route} {route};\n" for route in routes),
        "@SERVED_ROUTES@": "".join(f'    "~(^|, ){re.escape(replica)}$" {route};\n'
                                   for route, replica in zip(routes, replicas)),
        "@UNCHANGED_ROUTES@": "".join(f'    "{route}:{route}" "";\n' for route in routes),
        "@UPSTREAMS@": "\n".join(upstreams),
        "@HTTP_LISTEN@": "".join(f"    listen {address};\n" for address in http_listen),
        "@HTTPS_LISTEN@": "".join(f"    listen {address} ssl;\n" for address in https_listen),
        "@SERVER_NAME@": server_name,
        "@CERTIFICATE@": certificate,
        "@CERTIFICATE_KEY@": certificate_key,
        "@LOG_DIR@": log_dir.rstrip("/"),
    }
    text = TEMPLATE.read_text() if template is None else template
    for marker, value in values.items():
        if marker not in text:
            raise ValueError(f"the template has no {marker}")
        text = text.replace(marker, value)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replica", action="append", required=True, help="host:port of a Streamlit replica (repeat)")
    parser.add_argument("--server-name", required=True, help="the public name(s), e.g. help.example.com")
    parser.add_argument("--certificate", help="default: Let's Encrypt's fullchain.pem for the first server name")
    parser.add_argument("--certificate-key", help="default: Let's Encrypt's privkey.pem for the first server name")
    parser.add_argument("--log-dir", default="/var/log/nginx")
    parser.add_argument("--fail-timeout", type=int, default=DEFAULT_FAIL_TIMEOUT,
                        help="seconds a replica that refused a connection is left alone (default 10)")
    parser.add_argument("--http-listen", action="append", help="default: 80 and [::]:80 (repeat)")
    parser.add_argument("--https-listen", action="append", help="default: 443 and [::]:443 (repeat)")
    args = parser.parse_args(argv)
    first = args.server_name.split()[0]
    try:
        sys.stdout.write(render(
            replicas=args.replica, server_name=args.server_name,
            certificate=args.certificate or f"/etc/letsencrypt/live/{first}/fullchain.pem",
            certificate_key=args.certificate_key or f"/etc/letsencrypt/live/{first}/privkey.pem",
            log_dir=args.log_dir, http_listen=args.http_listen or ["80", "[::]:80"],
            https_listen=args.https_listen or ["443", "[::]:443"], fail_timeout=args.fail_timeout))
    except ValueError as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
