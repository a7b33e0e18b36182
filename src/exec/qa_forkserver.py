"""The worker's fork server (embedded in the worker as module `qa_forkserver`).

A fork shares every page of the forking process copy-on-write. When the supervisor forked each
entry's child itself, every fork re-shared the supervisor's own working set (which grows with the
requests it decodes): its next writes faulted and copied those pages again, and the kernel copied
its page tables, about 2 ms of kernel time in the supervisor per child (docs/performance-history.md).

The fork server is forked from the supervisor once, before the first request, and does nothing but
fork: its memory stays the pristine image every child starts from. It forks with CLONE_PARENT
(`fork_sibling`, src/exec/worker.rs), so each child is the supervisor's own child, as if the
supervisor had forked it: the supervisor waits for it, reads how it ended, and kills its process
group as before. A child made here has never seen a request, not even the one another child runs
at that moment.

The wire: one SOCK_SEQPACKET message per child, a JSON object with the child's descriptors
attached (SCM_RIGHTS); the answer is the child's pid, or minus an errno when the fork failed.
"""
import errno, gc, json, os, signal, socket, struct, sys

from qa_state import ProcessState

_PID = struct.Struct("i")


class ServerGone(OSError):
    """The server's socket is broken: it has ended or is ending (reaped or not yet)."""


class ForkServer:
    """The supervisor's handle on its fork server."""

    def __init__(self, fork_sibling, child_main, setup, supervisor, close_fds, forget):
        """Forks the server now. `child_main(fds, args)` runs in each child and never returns;
        `setup(supervisor)` ties the server's life to the supervisor's (PR_SET_PDEATHSIG);
        `close_fds` are the supervisor's descriptors the server must not hold, and `forget()`
        drops, in the server, what else of the supervisor's state the children must not see."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # ---- the server: never returns
            try:
                mine.close()
                for fd in close_fds:
                    os.close(fd)
                forget()
                if setup(supervisor):
                    _serve(theirs, fork_sibling, child_main)
            finally:
                os._exit(0)
        theirs.close()
        self.sock, self.pid = mine, pid

    def fork(self, fds, args):
        """A new child of the supervisor, handed copies of `fds` and `args` (JSON). Raises
        ServerGone when the server has ended: only its death closes its end of the socket, and
        a killed server's socket breaks before it can be reaped, so that is asked of the socket,
        not of waitpid (which may still see it running)."""
        if self.sock.fileno() < 0:  # buried, and its successor could not be started
            raise ServerGone(errno.EPIPE, "the qa-lint fork server has ended")
        try:
            socket.send_fds(self.sock, [json.dumps(args).encode()], fds)
            data = self.sock.recv(_PID.size)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise ServerGone(e.errno, "the qa-lint fork server has ended") from e
        if len(data) != _PID.size:
            raise ServerGone(errno.EPIPE, "the qa-lint fork server has ended")
        pid = _PID.unpack(data)[0]
        if pid < 0:
            raise OSError(-pid, os.strerror(-pid))
        return pid

    def close(self):
        """Ends the server (it exits when its socket closes); the supervisor reaps it."""
        self.sock.close()

    def bury(self):
        """After ServerGone: makes sure the server is dead and reaps it."""
        self.sock.close()
        pid, self.pid = self.pid, -1  # buried once: later calls touch no pid
        if pid <= 0:
            return
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == 0:  # still exiting (never signal a reaped pid)
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except ChildProcessError:
            pass  # already reaped (a sweep for orphans waits for any child)


def _serve(sock, fork_sibling, child_main):
    state = ProcessState()  # the supervisor's, inherited: what every child starts from
    while True:
        try:
            # CLOEXEC: a subprocess a snippet starts must not inherit the child's protocol pipes.
            msg, fds, _, _ = socket.recv_fds(sock, 1 << 16, 8, socket.MSG_CMSG_CLOEXEC)
        except OSError:
            return
        if not msg:
            return
        args = json.loads(msg)
        if args.get("doctest") and "doctest" not in sys.modules:
            # Imported here, once a worker meets a session: the children after it inherit it.
            import doctest  # noqa: F401
            gc.freeze()
        # Another process may have changed this one's limits, affinity or niceness since the
        # last child; a change that cannot be undone ends the server (a new one is forked).
        if not state.reassert():
            return
        try:
            pid = fork_sibling()
        except OSError as e:
            pid = -(e.errno or errno.EAGAIN)
        if pid == 0:  # ---- a child: never returns
            try:
                sock.close()
                child_main(fds, args)
            finally:
                os._exit(70)
        for fd in fds:
            os.close(fd)
        try:
            sock.send(_PID.pack(pid))
        except OSError:
            return
