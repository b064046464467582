"""A real IMAP server for tests: Debian's dovecot on 127.0.0.1, with a config of its own in a
temporary folder (random free port, plaintext login allowed on 127.0.0.1, one test user in a
passwd-file, maildir storage), run in the foreground as a child process and stopped at teardown.

As root (the CI machine) dovecot's login processes must not run as root and mail may not be
owned by uid 0: the login processes run as the packaged `dovenull` user in their chroot, and the
mailbox belongs to `nobody`. The folder is then made with mkdtemp (traversable, as dovecot's
unprivileged processes need) instead of pytest's private tmp_path."""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from imap_tools import MailBoxUnencrypted, MailMessageFlags

from helpdesk.inbound_mail.imap_settings import ImapSettings

HOST = "127.0.0.1"
USER = "helpdesk"
PASSWORD = "imap-test-password"
START_TIMEOUT_SECONDS = 30.0


def dovecot_binary() -> str | None:
    """Debian puts it in /usr/sbin, which an unprivileged user's PATH may not have."""
    return shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.access(p, os.X_OK)), None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _config(root: Path, port: int) -> str:
    if os.geteuid() == 0:
        mail_user, mail_group = pwd.getpwnam("nobody"), grp.getgrnam("nogroup")
        uid, gid = mail_user.pw_uid, mail_group.gr_gid
        users = "default_internal_user = root\ndefault_internal_group = root\ndefault_login_user = dovenull\n"
        login_chroot = ""  # the packaged default: chrooted into base_dir/login
    else:
        uid, gid = os.getuid(), os.getgid()
        me, my_group = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
        users = f"default_internal_user = {me}\ndefault_internal_group = {my_group}\ndefault_login_user = {me}\n"
        login_chroot = "  chroot =\n"  # an unprivileged user cannot chroot
    return f"""\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = {HOST}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
{users}mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
{login_chroot}  inet_listener imap {{
    address = {HOST}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


@dataclass
class DovecotServer:
    root: Path
    port: int
    process: subprocess.Popen | None = None

    @classmethod
    def start(cls) -> DovecotServer:
        root = Path(tempfile.mkdtemp(prefix="ccr-dovecot-"))
        root.chmod(0o711)  # dovecot's unprivileged processes pass through it to the mail folder
        server = cls(root=root, port=_free_port())
        for folder in ("run", "state", "mail"):
            (root / folder).mkdir()
        if os.geteuid() == 0:
            os.chown(root / "mail", pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
        (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        (root / "dovecot.conf").write_text(_config(root, server.port))
        server.process = subprocess.Popen([dovecot_binary() or "dovecot", "-F", "-c", str(root / "dovecot.conf")],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            server._wait_until_login_works()
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_until_login_works(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self.process.returncode}: "
                                   f"{self.process.stderr.read().decode(errors='replace')}{self.log()}")
            try:
                with self.mailbox():
                    return
            except (OSError, Exception) as exc:  # noqa: BLE001  (refused, or up but not yet logging in)
                last_error = exc
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not accept a login within {START_TIMEOUT_SECONDS}s: {last_error}\n{self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- talking to it as a test -------------------------------------------------------------

    def mailbox(self):
        return MailBoxUnencrypted(HOST, self.port, timeout=10).login(USER, PASSWORD)

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put a mail into the mailbox, unseen, as the mail server would on delivery."""
        with self.mailbox() as box:
            box.append(raw, folder, flag_set=())

    def unseen_count(self) -> int:
        with self.mailbox() as box:
            return len(box.uids("UNSEEN"))

    def flags(self) -> list[tuple[str, ...]]:
        """The flags of every mail in the INBOX, oldest first."""
        with self.mailbox() as box:
            return [m.flags for m in box.fetch("ALL", mark_seen=False, headers_only=True)]

    def settings(self, **overrides) -> ImapSettings:
        values = {"host": HOST, "port": self.port, "security": "none", "user": USER, "password": PASSWORD,
                  "folder": "INBOX", "notes_address": "notes@support.example.com",
                  "reply_address": "support@support.example.com", "unknown_senders": "open", "timeout": 10.0}
        values.update(overrides)
        return ImapSettings(**values)

    def env(self, **overrides: str) -> dict[str, str]:
        """The same settings as HELPDESK_IMAP_* variables (for a subprocess)."""
        env = {"HELPDESK_IMAP_HOST": HOST, "HELPDESK_IMAP_PORT": str(self.port), "HELPDESK_IMAP_SECURITY": "none",
               "HELPDESK_IMAP_USER": USER, "HELPDESK_IMAP_PASSWORD": PASSWORD,
               "HELPDESK_IMAP_NOTES_ADDRESS": "notes@support.example.com",
               "HELPDESK_IMAP_REPLY_ADDRESS": "support@support.example.com",
               "HELPDESK_IMAP_UNKNOWN_SENDERS": "open"}
        env.update(overrides)
        return env


SEEN = MailMessageFlags.SEEN
