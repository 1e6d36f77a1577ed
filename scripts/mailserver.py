#!/usr/bin/env python3
"""A real IMAP and SMTP server for development and the tests: Dovecot from Debian and an SMTP
front that hands every message to Dovecot's LMTP, both on 127.0.0.1 in one folder.

    scripts/mailserver.py serve [--dir /tmp/pipeline-crm-mail-dev]  # foreground, Ctrl-C stops (make mail-dev)
    scripts/mailserver.py start --dir DIR                   # in the background (.ci/run)
    scripts/mailserver.py stop --dir DIR
    scripts/mailserver.py add-user --dir DIR ADDRESS PASSWORD

Dovecot needs no systemd: it runs as root from a short config in DIR (its own base_dir, a
passwd-file of users with plain passwords, a static userdb, Maildir under DIR/mail, IMAP with
STARTTLS, IMAPS and LMTP on high ports) and stops by the PID in its master.pid. The SMTP front
(aiosmtpd, a development dependency) asks for a login (after STARTTLS) from the same passwd-file, refuses
recipients Dovecot does not know with 550 5.1.1, offers STARTTLS with the same self-signed
certificate, and delivers through LMTP, so a message sent to a user is in that user's INBOX
when the SMTP transaction ends. DIR/server.json tells the ports and the certificate.

Install Dovecot with: apt-get install -y --no-install-recommends dovecot-imapd dovecot-lmtpd
"""

import argparse
import contextlib
import json
import os
import pwd
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Outside the checkout: Dovecot's processes run as the dovecot user and must reach the folder,
# and var/ is private to its owner.
DEFAULT_DIR = Path(tempfile.gettempdir()) / "pipeline-crm-mail-dev"
DEFAULT_PORTS = {"imap": 14143, "imaps": 14993, "lmtp": 14024, "smtp": 14025}
DEV_USERS = {
    "rep1@crm.test": "demo",
    "rep2@crm.test": "demo",
    "manager@crm.test": "demo",
    "dropbox@crm.test": "demo",
    "customer@customer.test": "demo",
}

CONFIG = """\
# Written by scripts/mailserver.py: a development IMAP/LMTP server in {root}.
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = {uid}
ssl = yes
ssl_cert = <{root}/tls/cert.pem
ssl_key = <{root}/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u/Maildir
lmtp_save_to_detail_mailbox = no
recipient_delimiter = +
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    auto = create
    special_use = \\Sent
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    port = {lmtp}
  }}
  unix_listener lmtp {{
    mode = 0
  }}
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0600
  }}
}}
service anvil {{
  unix_listener anvil {{
    mode = 0600
  }}
  # No growing delay after failed logins from 127.0.0.1 (the tests try wrong passwords on purpose).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


class MailServer:
    """Dovecot (IMAP, IMAPS, LMTP) and the SMTP front, rooted in one folder."""

    def __init__(self, root, ports=None):
        self.root = Path(root).resolve()
        self.ports = dict(ports or free_ports())
        self.host = "127.0.0.1"
        self._smtp = None

    # -- set-up -------------------------------------------------------------------------------

    @property
    def config_path(self):
        return self.root / "dovecot.conf"

    @property
    def users_path(self):
        return self.root / "users"

    @property
    def cert_path(self):
        return self.root / "tls" / "cert.pem"

    def prepare(self):
        dovecot = pwd.getpwnam("dovecot")
        for sub in ("run", "state", "mail", "tls"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        # Dovecot's auth and mail processes run as the dovecot user: they must reach the folder.
        self.root.chmod(0o755)
        os.chown(self.root / "mail", dovecot.pw_uid, dovecot.pw_gid)
        if not self.cert_path.exists():
            self._make_certificate()
        self.users_path.touch(mode=0o644, exist_ok=True)
        self.config_path.write_text(
            CONFIG.format(root=self.root, uid=dovecot.pw_uid, gid=dovecot.pw_gid, **self.ports), encoding="utf-8"
        )

    def _make_certificate(self):
        key = self.root / "tls" / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", str(key), "-out", str(self.cert_path)],
            check=True, capture_output=True,
        )  # fmt: skip
        key.chmod(0o600)

    def add_user(self, address, password):
        """Add a user (or change the password); Dovecot rereads the file when it changes."""
        self.add_users({address: password})

    def add_users(self, users):
        """Add several users with one change of the passwd-file (one wait, below)."""
        previous = self.users_path.stat().st_mtime
        lines = [
            line
            for line in self.users_path.read_text(encoding="utf-8").splitlines()
            if line and line.split(":", 1)[0] not in users
        ]
        lines += [f"{address}:{{PLAIN}}{password}::::::" for address, password in users.items()]
        tmp = self.users_path.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tmp.chmod(0o644)
        os.replace(tmp, self.users_path)
        # Dovecot notices a changed passwd-file by its mtime in whole seconds: move it at least a
        # second past the previous change, so that two changes within a second are both seen.
        stamp = max(time.time() + 1, previous + 1)
        os.utime(self.users_path, (stamp, stamp))
        # And it looks at the file at most once a second (the second of its last look-up): wait
        # for the next second, so that the next sign-in reads the new file.
        time.sleep(1.02 - time.time() % 1)

    def users(self):
        users = {}
        for line in self.users_path.read_text(encoding="utf-8").splitlines():
            if line:
                address, secret = line.split(":")[:2]
                users[address] = secret.removeprefix("{PLAIN}")
        return users

    def maildir(self, address):
        return self.root / "mail" / address / "Maildir"

    # -- running ------------------------------------------------------------------------------

    def start_dovecot(self):
        self.prepare()
        subprocess.run(["dovecot", "-c", str(self.config_path)], check=True)
        wait_for_port(self.host, self.ports["imap"])
        wait_for_port(self.host, self.ports["lmtp"])

    def stop_dovecot(self):
        pid_file = self.root / "run" / "master.pid"
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.05)

    def start_smtp(self):
        """The SMTP front in a thread of this process (aiosmtpd's Controller)."""
        from aiosmtpd.controller import Controller

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.root / "tls" / "key.pem")
        self._smtp = Controller(
            LmtpRelay(self),
            hostname=self.host,
            port=self.ports["smtp"],
            tls_context=context,
            require_starttls=False,
            auth_required=True,
            auth_require_tls=True,
            authenticator=self._authenticate,
            server_hostname="localhost",
        )
        self._smtp.start()

    def stop_smtp(self):
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode()
            if self.users().get(login) == auth_data.password.decode():
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self):
        self.start_dovecot()
        self.start_smtp()
        self.write_state()

    def stop(self):
        self.stop_smtp()
        self.stop_dovecot()

    def write_state(self, pid=None):
        state = {"host": self.host, "ports": self.ports, "cert": str(self.cert_path), "root": str(self.root)}
        if pid:
            state["pid"] = pid
        (self.root / "server.json").write_text(json.dumps(state, indent=2), encoding="utf-8")

    @classmethod
    def from_state(cls, root):
        state = json.loads((Path(root) / "server.json").read_text(encoding="utf-8"))
        return cls(state["root"], state["ports"])

    # -- helpers for tests --------------------------------------------------------------------

    def deliver(self, sender, recipients, message_bytes):
        """Hand a message to Dovecot's LMTP directly (as the MTA of the recipient would)."""
        # One recipient per transaction: LMTP answers DATA once per recipient, which smtplib's
        # LMTP class does not read.
        refused = {}
        with smtplib.LMTP(self.host, self.ports["lmtp"], timeout=10) as lmtp:
            for recipient in recipients:
                try:
                    lmtp.sendmail(sender, [recipient], message_bytes)
                except smtplib.SMTPRecipientsRefused as error:
                    refused.update(error.recipients)
        return refused


class LmtpRelay:
    """aiosmtpd handler: refuse unknown recipients, deliver the rest through LMTP."""

    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local, _, domain = address.rpartition("@")
        if f"{local.split('+', 1)[0]}@{domain}" not in self.server.users():
            return "550 5.1.1 User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        try:
            refused = self.server.deliver(envelope.mail_from, envelope.rcpt_tos, envelope.original_content)
        except smtplib.SMTPRecipientsRefused as error:
            return f"550 5.1.1 {', '.join(error.recipients)} refused"
        except (OSError, smtplib.SMTPException) as error:
            return f"451 4.3.0 delivery failed: {error}"
        if refused:
            return f"550 5.1.1 {', '.join(refused)} refused"
        return "250 2.0.0 delivered"


def free_ports():
    ports = {}
    sockets = []
    for name in DEFAULT_PORTS:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
        ports[name] = sock.getsockname()[1]
    for sock in sockets:
        sock.close()
    return ports


def wait_for_port(host, port, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing answers on {host}:{port} after {timeout} s") from None
            time.sleep(0.05)


def dovecot_available():
    return shutil.which("dovecot") is not None and os.geteuid() == 0


def _serve(server):
    server.start()
    print(
        f"IMAP 127.0.0.1:{server.ports['imap']} (STARTTLS), IMAPS :{server.ports['imaps']}, "
        f"SMTP :{server.ports['smtp']} (login, STARTTLS), LMTP :{server.ports['lmtp']}; "
        f"users in {server.users_path}; certificate {server.cert_path}",
        flush=True,
    )
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    try:
        while not stop:
            time.sleep(0.2)
    finally:
        server.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["serve", "start", "stop", "add-user"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--fixed-ports", action="store_true", help=f"use {DEFAULT_PORTS} instead of free ports")
    parser.add_argument("args", nargs="*")
    options = parser.parse_args(argv)
    if not dovecot_available():
        sys.exit("Dovecot is not installed or this is not root: apt-get install -y dovecot-imapd dovecot-lmtpd")
    root = options.dir.resolve()
    if options.command == "add-user":
        address, password = options.args
        server = MailServer.from_state(root)
        server.add_user(address, password)
        return
    if options.command == "stop":
        with contextlib.suppress(FileNotFoundError):
            state = json.loads((root / "server.json").read_text(encoding="utf-8"))
            if state.get("pid"):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(state["pid"], signal.SIGTERM)
                    for _ in range(100):
                        os.kill(state["pid"], 0)
                        time.sleep(0.05)
        MailServer(root, {}).stop_dovecot()
        return
    ports = DEFAULT_PORTS if options.fixed_ports or options.command == "serve" else None
    server = MailServer(root, ports)
    server.prepare()
    server.add_users(DEV_USERS)
    if options.command == "serve":
        _serve(server)
        return
    # start: the same server in a detached child; wait until server.json names it.
    (root / "server.json").unlink(missing_ok=True)
    log = open(root / "mailserver.log", "a")  # noqa: SIM115 (the child keeps it)
    child = subprocess.Popen(
        [sys.executable, __file__, "_child", "--dir", str(root), json.dumps(server.ports)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    for _ in range(300):
        if (root / "server.json").exists():
            print((root / "server.json").read_text(encoding="utf-8"))
            return
        if child.poll() is not None:
            sys.exit(f"the mail server did not start; see {root / 'mailserver.log'}")
        time.sleep(0.1)
    sys.exit("the mail server did not start within 30 s")


def _child(argv):
    root = Path(argv[argv.index("--dir") + 1])
    ports = json.loads(argv[-1])
    server = MailServer(root, ports)
    server.start()
    server.write_state(pid=os.getpid())
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        while not stop:
            time.sleep(0.2)
    finally:
        server.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        _child(sys.argv[2:])
    else:
        main()
