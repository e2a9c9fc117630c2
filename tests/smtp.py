"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd, in a thread of the test's process, or started as
its own process with `python tests/smtp.py FOLDER` for end-to-end runs): each message it accepts is kept,
as received, in `messages` (and, as its own process, written to FOLDER as N.eml)."""

from __future__ import annotations

import email
import email.policy
import socket
import sys
import time
from pathlib import Path

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, refuse: bool, folder: Path | None):
        self.refuse, self.folder, self.messages = refuse, folder, []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.7.1 relaying denied"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "raw": raw,
                              "message": email.message_from_bytes(raw, policy=email.policy.default)})
        if self.folder is not None:
            (self.folder / f"{len(self.messages)}.eml").write_bytes(raw)
        return "250 Message accepted for delivery"


class Mailbox:
    def __init__(self, *, refuse: bool = False, folder: Path | None = None, port: int | None = None):
        self.port = port or free_port()
        self.handler = _Handler(refuse, folder)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[dict]:
        return self.handler.messages

    def __enter__(self) -> "Mailbox":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


if __name__ == "__main__":  # python tests/smtp.py FOLDER PORT
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    with Mailbox(folder=folder, port=int(sys.argv[2])):
        (folder / "ready").write_text("ok")
        while True:
            time.sleep(3600)
