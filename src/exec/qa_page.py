"""The page a child shares with its supervisor: a sealed memfd both map (qa_helper.fork_once
makes it), holding which statement is running and the results of the entry so far.

A child sends an entry's results over its pipe in one write, when the entry ends: one wake-up
of the supervisor per entry, where a line per block woke it after every block (and the woken
supervisor took the CPU from the child on a busy machine). Until then each block's result line
is also copied onto the page, so that an entry that times out or crashes still reports the
blocks that finished: the supervisor reads the page once the child is dead.

Layout: STMT (entry seq, block, first line, last line; block -1 = none yet), then the results
header (entry seq, spilled, bytes used), then the result lines. An entry whose results outgrow
the page *spills*: the lines the page holds go to the pipe, then `spilled` is set, and later
lines go straight to the pipe. So when `spilled` is not set, the pipe has none of the entry's
lines (or, if the child died between that write and the flag, the same lines again): the
supervisor takes the page's. When it is set, the pipe has them all.

Loaded by the worker as module `qa_page` (before the runner and the child); nothing here runs
snippet code.
"""
import json, os, struct

STMT = struct.Struct("iiii")
_HEAD = struct.Struct("iiI")  # entry seq, spilled, bytes used
_DATA = STMT.size + _HEAD.size
# Only the pages a child writes are ever allocated (a memfd is sparse): most entries use one.
SIZE = 1 << 20
# Bound once: a snippet that patches os.write or json.dumps must not break the protocol.
_write = os.write
dumps = json.JSONEncoder(ensure_ascii=False).encode


def send(fd, data):
    """Writes all of `data` to `fd` (the protocol's one writer, for the child and the supervisor)."""
    view = memoryview(data)
    while view:
        view = view[_write(fd, view):]


def encode_line(tag, obj):
    """One protocol line: `tag`, then `obj` as JSON (lone surrogates become '?', serde_json
    would reject them)."""
    return tag + dumps(obj).encode("utf-8", "replace") + b"\n"


def send_json(fd, obj, tag=b""):
    """Writes one protocol line (`encode_line`)."""
    send(fd, encode_line(tag, obj))


class Results:
    """The child's side: one entry's result lines, kept on the page until `finish` sends them."""

    def __init__(self, shm, fd, seq):
        self.shm, self.fd, self.seq = shm, fd, seq
        self.lines, self.used, self.spilled = [], 0, False
        _HEAD.pack_into(shm, STMT.size, seq, 0, 0)

    def add(self, line):
        if self.spilled:
            send(self.fd, line)
            return
        end = _DATA + self.used + len(line)
        if end > SIZE:
            send(self.fd, b"".join(self.lines) + line)
            self.lines = []
            _HEAD.pack_into(self.shm, STMT.size, self.seq, 1, self.used)
            self.spilled = True
            return
        self.shm[_DATA + self.used:end] = line
        self.used += len(line)  # after the bytes: a child killed in between leaves them out
        _HEAD.pack_into(self.shm, STMT.size, self.seq, 0, self.used)
        self.lines.append(line)

    def finish(self, last):
        """Sends the lines not sent yet and the entry's `last` line, in one write."""
        lines, self.lines = self.lines, []
        send(self.fd, b"".join(lines) + last)


def results_left(shm, seq):
    """The supervisor's side, once the child is dead: the result lines of entry `seq` that only
    the page holds (None: the pipe has them, or the page is of another entry)."""
    s, spilled, used = _HEAD.unpack_from(shm, STMT.size)
    if s != seq or spilled or used > SIZE - _DATA:
        return None
    return bytes(shm[_DATA:_DATA + used])
