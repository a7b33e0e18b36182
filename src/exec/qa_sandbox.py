"""The audit-hook sandbox installed in each forked child (see SECURITY.md for its limits)."""
import os

import qa_runner

# ------------------------------------------------------------------ sandbox (audit hook, child only)

_NET = {"socket.connect", "socket.bind", "socket.sendto"}
_PROC = {"os.system", "os.exec", "os.posix_spawn", "os.fork", "os.forkpty", "subprocess.Popen",
         "pty.spawn", "os.spawn"}
_FS = {"os.remove", "os.rename", "os.rmdir", "shutil.rmtree", "os.truncate", "os.mkdir"}
_WFLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
# Events that leave process state behind even when allowed: the child is not reused after them.
# (sys.settrace is checked after the entry instead: doctest calls it to restore the old tracer.)
DIRTY = _PROC | {"socket.__new__", "sys.addaudithook",
                  "resource.setrlimit", "resource.prlimit", "os.kill", "os.killpg", "signal.pthread_kill",
                  "sys._current_frames"}
# Every event the hook acts on (and the prefixes of DIRTY's families): the others (`compile`,
# `exec`, `object.__getattr__`, a few per statement) leave at the first test.
_WATCHED = frozenset(DIRTY | _NET | _PROC | _FS | {"open"})
_DIRTY_FAMILIES = ("ctypes.", "fcntl.")


class Sandbox:
    """What the audit hook (installed once per child) enforces for the entry running now."""
    def __init__(self):
        self.active = False
        self.deny_net = self.deny_proc = self.deny_write = False
        self.tmp, self.prefix = "", ""
        self.dirty = None  # runtime evidence that the process state changed (see qa_sandbox.DIRTY)

    def arm(self, sb, tmp):
        self.deny_net = not sb.get("allow_network")
        self.deny_proc = not sb.get("allow_subprocess")
        self.deny_write = not sb.get("allow_writes_outside")
        self.tmp, self.prefix = tmp, tmp + os.sep
        self.dirty = None
        self.active = True


def make_hook(sb):
    busy = []

    def outside(path):
        if isinstance(path, int) or path is None:
            return False
        try:
            p = os.path.realpath(os.path.join(os.getcwd(), os.fsdecode(path)))
        except Exception:
            return True
        return not (p == sb.tmp or p.startswith(sb.prefix) or p == os.devnull)

    def hook(event, args):
        if event not in _WATCHED and not event.startswith(_DIRTY_FAMILIES) or busy or not sb.active:
            return
        msg = None
        busy.append(1)
        try:
            if sb.dirty is None and (event in DIRTY or event.startswith(_DIRTY_FAMILIES)):
                sb.dirty = "audit event " + event
            if sb.deny_net and event in _NET:
                msg = "network access blocked (%s to %r)" % (event, args[1] if len(args) > 1 else None)
            elif sb.deny_proc and event in _PROC:
                msg = "subprocess blocked (%s)" % event
            elif sb.deny_write and event == "open":
                path, mode, flags = (tuple(args) + (None, None, None))[:3]
                writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                    (isinstance(flags, int) and flags & _WFLAGS)
                if writing and outside(path):
                    msg = "write outside the working directory blocked (open %r, mode %r)" % (
                        os.fsdecode(path), mode if mode is not None else flags)
            elif sb.deny_write and event in _FS:
                paths = args[:2] if event == "os.rename" else args[:1]
                if any(outside(p) for p in paths):
                    msg = "change outside the working directory blocked (%s %r)" % (event, paths[0])
        finally:
            busy.pop()
        if msg is not None:
            msg = "qa-lint sandbox: " + msg
            if qa_runner.CUR is not None:
                qa_runner.CUR.violation(msg)
            raise PermissionError(msg)

    return hook
