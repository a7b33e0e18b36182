"""The supervisor's side of the pool's pipe (qa_helper.serve): the request lines, read whole,
and, without waiting, the next one if it has arrived (the pool sends it ahead; see
src/exec/protocol.rs). Loaded by the worker as module `qa_requests`; runs no snippet code.
"""
import json, os, select


class Requests:
    """The pool's request lines, one per entry. The pool sends the next entry before the answer
    to the one before it (pool.rs, PIPELINE), so that `ready()` can hand it to a reused child
    the moment it has sent its last result."""

    def __init__(self, fd):
        self.fd, self.buf, self.scanned = fd, bytearray(), 0
        self.eof = False

    def _line(self):
        i = self.buf.find(b"\n", self.scanned)
        if i < 0:
            self.scanned = len(self.buf)  # a long line arriving in pieces is scanned once
            return None
        line = bytes(self.buf[:i + 1])
        del self.buf[:i + 1]
        self.scanned = 0
        return line

    def unread(self, line):
        self.buf[0:0] = line
        self.scanned = 0

    def next(self):
        """The next line, waiting for it; b"" at the end of input."""
        while True:
            line = self._line()
            if line is not None:
                return line
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return b""
            self.buf += chunk

    def ready(self):
        """The next line if all of it has arrived, else None; never waits."""
        while True:
            line = self._line()
            if line is not None:
                return line
            if self.eof or not select.select([self.fd], [], [], 0)[0]:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                self.eof = True
                return None
            self.buf += chunk


def parse(line):
    """(request, the line as the child gets it, nonce): the nonce is held by the supervisor only
    (children come from the fork server: they never see it); the child's copy has it zeroed
    (same length: no re-encoding)."""
    req = json.loads(line)
    nonce = req.pop("nonce", "")
    if nonce:
        line = line.replace(nonce.encode(), b"0" * len(nonce), 1)
    return req, line, nonce
