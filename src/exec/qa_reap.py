"""Ending processes, for the supervisor (qa_helper.py): killing an entry child's process group,
sweeping what an entry started out of a confined worker's PID namespace, and reaping. Loaded
by the worker as module `qa_reap`; nothing here runs snippet code.
"""
import os, signal, time


def kill(pid, status):
    """SIGKILL a child's whole process group (grandchildren too), and the child itself if it
    has not been reaped yet (`status` None)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    if status is None:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def reap_all(deadline):
    """At the end of the run: waits (until `deadline`) for every child, all of them killed, so
    that their CPU time is accounted to this process and, through it, to qa-lint."""
    while time.monotonic() < deadline:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                time.sleep(0.001)
        except ChildProcessError:
            return


def alive(pid):
    """Whether child `pid` has not ended (it is reaped if it has)."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == 0
    except ChildProcessError:
        return False


def sweep(keep, child):
    """SIGKILLs every process of a confined worker's PID namespace except those in `keep` (this
    PID 1 and the spare): what an entry started, also what left its process group (setsid, a
    double fork). kill(-1) does that in one call but would take the spare along. Then waits (a
    little) until those processes, `child` itself aside (its exit is reaped later), have died,
    so that the next entry, which may start at once in the spare, finds none of them. False
    when new processes kept appearing (a fork loop): the caller falls back to kill(-1)."""
    seen = set()
    for _ in range(8):
        try:
            pids = {int(p) for p in os.listdir("/proc") if p.isdigit()}
        except OSError:
            return False
        new = pids - seen - keep
        if not new:
            break
        for p in new:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        seen |= new
    else:
        return False
    left, deadline = seen - {child}, time.monotonic() + 0.5
    while left and time.monotonic() < deadline:
        left = {p for p in left if running(p)}
        if left:
            time.sleep(0.0005)
    return True


def running(pid):
    """Whether `pid` exists and is not a zombie yet."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False
