"""qa-lint's Python side (embedded in the worker with include_str!).

serve(in_fd, out_fd, child_setup, fork_sibling, confine) is the worker's supervisor loop. The
wire protocol (pool <-> supervisor <-> fork server <-> child, and what each side checks) is
written down in one place: the module doc of src/exec/protocol.rs; tests/protocol.rs holds both sides to it.

Entries run in forked children (copies of this process as it was before the first request,
made by the fork server of qa_forkserver.py) with rlimits, a temp cwd, an
audit-hook sandbox (a guard against accidents) and, in a confined worker, the kernel's
confinement (src/exec/confine.rs). A child is *reused* for the next entry when that entry belongs
to the same group (Markdown file) with the same sandbox settings, `limits.reuse` is on, the
previous entry was clean and neither entry is risky (see _risk_reason / qa_child.Child.after_entry).
Otherwise a fresh child is forked (with `reuse = false`, always under --strict-sandbox, every
entry gets its own fork).

A *spare* child is forked ahead, while an entry runs in the live child, so that the next entry
that needs a fresh child finds one already set up (and, in a confined worker, already confined
with the settings of the entry during which it was forked: a spare whose settings do not match
is discarded). The spare never runs anything before it is handed its first request, and, like
every child, comes from the fork server: it has never seen another child's pipes or request.
"""
import fcntl, gc, json, mmap, os, platform, select, shutil, signal, sys, tempfile, time, traceback

from qa_child import Child as _Child, plan_of as _plan_of
from qa_page import SIZE as _PAGE_SIZE, STMT as _STMT, results_left as _results_left, send as _send_all, \
    send_json as _send
from qa_reap import alive as _alive, kill as _kill, reap_all as _reap_all, sweep as _sweep
from qa_forkserver import ForkServer as _ForkServer, ServerGone
from qa_risk import risk_reason as _risk_reason
from qa_state import ProcessState as _ProcessState
from qa_requests import Requests as _Requests, parse as _parse

REUSE_MAX = 512  # entries per child before a fresh fork (bounds slow leaks: memory, caches)
_TRACE = bool(os.environ.get("QA_LINT_EXEC_TRACE"))
# Fork the next child ahead (the pool decides: pool.rs, spare_wanted); read by serve().
_SPARE = True
# Working directories on tmpfs when there is one: creating and removing a directory per child
# on a disk file system was a tenth of the supervisor's time (py-spy, bench corpus).
_TMP_BASE = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK) else None
# Largest request handed to a child ahead of time (the pool sends none bigger ahead either,
# pool.rs PIPELINE_MAX_BYTES): it waits in the pipe, which holds 64 KiB, while the child is
# still busy, so that writing it never blocks the supervisor.
_AHEAD_MAX = 32 << 10
# Bytes a child may send per entry beyond what its output cap explains (JSON escaping can make
# one byte of output six bytes on the wire; sources and wanted texts of sessions come back too).
_WIRE_SLACK = 1 << 20


def _trace(msg):
    if _TRACE:
        try:
            os.write(2, ("qa-lint exec[%d]: %s\n" % (os.getpid(), _visible(msg))).encode("utf-8", "replace"))
        except OSError:
            pass


def _visible(text):
    """Trace text (file names, risk reasons quoting a snippet) as the reports show it: control
    characters as escapes and no CI runner command (`##[`; a line never starts with `::`, it
    starts with `qa-lint exec`), as src/report/escape.rs does."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text.replace("##[", "#\\x23[")

# ------------------------------------------------------------------ supervisor (worker process)


class _Live:
    """The supervisor's handle on a forked child (idle between entries when reusable)."""
    __slots__ = ("pid", "req_w", "res_r", "shm", "root", "group", "runs", "reusable", "buf", "sandbox",
                 "plan")


def serve(in_fd, out_fd, child_setup, fork_sibling, confine=None):
    """`confine` (from Rust, None in a weak worker) locks each forked child; a confined worker is
    PID 1 of its own PID namespace (see src/exec/confine.rs). `fork_sibling` is os.fork() for the
    fork server: its children are this process's (CLONE_PARENT)."""
    global _TMP_BASE, _SPARE
    me = os.getpid()
    # The pool's word to this supervisor, not part of the environment the snippets see.
    _SPARE = os.environ.pop("QA_LINT_SPARE", "1") != "0"
    if confine is not None:
        _TMP_BASE = "/run"  # the worker's private tmpfs; each child mounts its own scratch on its root
    _send(out_fd, {"python": "%s %s" % (platform.python_implementation(), platform.python_version()),
                   "prefix": sys.prefix, "pid": me, "confined": confine is not None})
    _trace("worker ready (%s)" % ("confined" if confine is not None else "not confined"))
    requests = _Requests(in_fd)
    gc.freeze()  # keep the supervisor's objects out of the children's GC (less copy-on-write)
    sup = _Supervisor(in_fd, out_fd, child_setup, me, confine, fork_sibling, requests)
    while True:
        # The next entry: one already running in the live child (handed to it ahead), one read
        # ahead that could not be, or the next line of the pool.
        ahead, sup.ahead, sup.pending = sup.ahead or sup.pending, None, None
        line = None if ahead else requests.next()
        if line == b"":
            sup.retire(now=True)
            sup.forks.close()
            _reap_all(time.monotonic() + 0.3)
            return
        req, cleanup = {}, []
        sup.cleanup, sup.nonce = cleanup, ""
        try:
            if ahead is None:
                ahead = _parse(line) + (None, None)
            req, line, sup.nonce, risk, started = ahead
            ahead = None
            sup.req = req
            outcome = sup.supervise(req, line, risk, started)
            resp = b'{"id":%d,"nonce":"%s","outcome":%s}' % (req["id"], sup.nonce.encode(), outcome)
        except BaseException:
            if os.getpid() != me:
                os._exit(0)
            sup.retire()
            # With the request's nonce, the pool reports the error on this entry and goes on
            # with this worker (without it, the answer is a desync and the worker is killed).
            resp = json.dumps({"id": req.get("id"), "nonce": sup.nonce,
                               "error": traceback.format_exc()}).encode()
        if os.getpid() != me:
            os._exit(0)
        if sup.ahead is not None and sup.live is not sup.ahead_child:
            # The child it was handed to is gone (this entry left it unfit, timed out, crashed):
            # it runs from the start in the next child.
            sup.pending, sup.ahead = sup.ahead[:4] + (None,), None
        # Limits, affinity or niceness another process changed are put back before the next
        # entry; what cannot be (a lowered hard limit) retires this worker: the pool replaces it.
        intact = sup.state.reassert()
        if not intact:
            resp = resp[:-1] + b',"retire":true}'
        _send_all(out_fd, resp + b"\n")
        for fn in cleanup:  # reaping + rmtree after answering: overlaps with the parent's work
            try:
                fn()
            except OSError:
                pass
        if not intact:
            _trace("retiring: this process's state was changed and cannot be restored")
            sup.retire(now=True)
            sup.forks.close()
            _reap_all(time.monotonic() + 0.3)
            return


def _steps(steps):
    """A child's confinement steps for the trace. The child wrote them, so they are checked as
    anything else it sends: what is not a list of (name, microseconds) is said so, not trusted."""
    try:
        return ", ".join("%s %d us" % (str(name), int(us)) for name, us in steps)
    except (TypeError, ValueError):
        return "(not a list of steps)"


def _is_result(block):
    """Whether a `B` line's payload is a block's result (a JSON object), as the runner writes."""
    try:
        return isinstance(json.loads(block), dict)
    except ValueError:
        return False


def _block_line(ln):
    """A child's `B` line: the block's result (raw JSON, spliced into the answer as is; checked
    with `_is_result` only for an entry that did not finish) and whether output was truncated
    so far."""
    return ln[2:], ln[1:2] == b"1"


class _Supervisor:
    def __init__(self, in_fd, out_fd, setup, me, confine, fork_sibling, requests):
        self.in_fd, self.out_fd, self.setup, self.me, self.confine = in_fd, out_fd, setup, me, confine
        self.fork_sibling, self.requests = fork_sibling, requests
        # The next entry read ahead: (req, line, nonce, risk, started): `started` = its sequence
        # number in the live child it was handed to (`ahead`), None if it was not (`pending`).
        self.ahead = self.pending = self.ahead_child = None
        self.unstarted = False  # the last collect() saw the child die before the entry began
        self.live = self.spare = None
        self.cleanup = []
        self.nonce, self.req = "", None  # the request in flight (forget() drops it)
        self.sessions = False  # a session block was met: children need doctest
        self.state = _ProcessState()  # limits, affinity, niceness as they are before any entry
        # Forked now, while this process is still the pristine image (before any request).
        self.forks = self.new_fork_server()

    def supervise(self, req, line, risk=None, started=None):
        """Runs one entry and returns its outcome. `started`: it was handed to the live child
        ahead (look_ahead) and is running there as entry number `started`; `risk`: its risk
        check, when already made."""
        group = req.get("group") or ""
        lim = req["limits"]
        cap = 8 * int(lim.get("max_output_bytes", 1 << 20)) + 2 * len(line) + _WIRE_SLACK
        if started is not None:
            _trace("entry %d handed ahead to %d" % (started, self.live.pid))
            self.look_ahead(self.live)
            return self.collect(self.live, started, float(req["timeout"]), cap)
        can_reuse = bool(group) and lim.get("reuse", True)
        if not self.sessions and any(b["mode"] == "session" for b in req["blocks"]):
            self.sessions = True  # the fork server imports doctest for the children from now on
        if risk is None:
            risk = _risk_reason(req) if can_reuse else None
        c = self.live
        if c is not None:
            why = self.unfit(c, req, can_reuse, risk)
            if why:
                _trace("retire %d (%s)" % (c.pid, why))
                self.retire()
                c = None
        if c is None:
            c = self.live = self.take(req, group, can_reuse and not risk)
            _trace("child %d for %s%s" % (c.pid, group or "?", " (risky: %s)" % risk if risk else ""))
        else:
            _trace("reuse %d for entry %d" % (c.pid, c.runs + 1))
        seq = self.hand(c, req, line)
        if _SPARE and self.spare is None:  # forked while the entry runs in the live child
            try:
                self.spare = self.fork(_plan_of(req) if self.confine is not None else None)
                _trace("spare %d" % self.spare.pid)
            except OSError as e:  # no spare (e.g. the process limit): forked when needed instead
                _trace("no spare: %r" % (e,))
        self.look_ahead(c)
        # Every request carries its timeout (Rust resolves it, with its one default).
        outcome = self.collect(c, seq, float(req["timeout"]), cap)
        if self.unstarted:
            # The child died before it began this entry (another entry's process killed it,
            # a spare waiting its turn): nothing of the entry ran, so it runs once more, in a
            # child forked for it now.
            _trace("child %d died before entry %d began; once more in a fresh child" % (c.pid, seq))
            c = self.live = self.fork(None)
            c.group, c.reusable = group, can_reuse and not risk
            seq = self.hand(c, req, line)
            outcome = self.collect(c, seq, float(req["timeout"]), cap)
        return outcome

    def hand(self, c, req, line):
        """Sends `req` to child `c`; returns its sequence number there."""
        # A child's first line says whether it may run more than one entry ("1") or not ("0").
        head = b"" if c.runs else b"1\n" if c.reusable else b"0\n"
        c.runs += 1
        c.sandbox = req["sandbox"]
        try:
            _send_all(c.req_w, head + (line if line.endswith(b"\n") else line + b"\n"))
        except OSError:
            pass  # the child is gone: the read below sees EOF and reports how it ended
        return c.runs

    def unfit(self, c, req, can_reuse, risk):
        """Why live child `c` may not run `req` next (None: it may)."""
        if not (can_reuse and c.reusable):
            return "no reuse"
        if c.group != (req.get("group") or ""):
            return "new group"
        if c.sandbox != req["sandbox"]:
            return "other sandbox settings"  # a confined child cannot be loosened
        if risk:
            return "risky entry: " + risk
        if c.runs >= REUSE_MAX:
            return "%d entries run" % c.runs
        return None

    def look_ahead(self, c):
        """While `c` runs an entry: when the pool's next entry has arrived and `c` may run it
        too, hand it over now, so that `c` starts it as soon as it has sent the last result
        of this one (the child stops instead when this entry leaves it unfit, see
        qa_child.Child.main; collect() then takes it back)."""
        if not c.reusable or self.pending is not None or self.ahead is not None:
            return
        line = self.requests.ready()
        if line is None:
            return
        if len(line) > _AHEAD_MAX:  # the child reads it only after its entry: it must fit the pipe
            self.requests.unread(line)
            return
        try:
            req, line, nonce = _parse(line)
            lim = req["limits"]
            can_reuse = bool(req.get("group")) and lim.get("reuse", True)
            risk = _risk_reason(req) if can_reuse else None
        except BaseException:
            self.requests.unread(line)  # the main loop parses it again and answers the error
            return
        if self.unfit(c, req, can_reuse, risk):
            self.pending = (req, line, nonce, risk, None)
            return
        try:
            _send_all(c.req_w, line)
        except OSError:
            self.pending = (req, line, nonce, risk, None)
            return
        c.runs += 1
        self.ahead, self.ahead_child = (req, line, nonce, risk, c.runs), c

    def take(self, req, group, reusable):
        """A fresh child for `req`: the spare when it is alive and confined the way `req` needs,
        else a new fork."""
        s, self.spare = self.spare, None
        if s is not None and (s.plan != (_plan_of(req) if self.confine is not None else None)
                              or not _alive(s.pid) or not self.state.matches(s.pid)):
            _trace("discard spare %d" % s.pid)
            self.end(s, None, now=False)
            s = None
        if s is None:
            s = self.fork(None)
        s.group, s.reusable = group, reusable
        return s

    def fork(self, plan):
        """A new child, forked by the fork server (qa_forkserver.py), that waits for its first
        request; `plan` (confined workers): confine it now with those settings (see
        qa_child.plan_of), else after its first request."""
        try:
            return self.fork_once(plan)
        except ServerGone:
            # Killed (by a weak worker's entry, or kill(-1) after a fork loop, see end()): the
            # next server is forked from this process, which has run no snippet; it keeps none
            # of the children's pipes and pages, nor the request in flight (new_fork_server),
            # nor what fork_once opened for the child it could not get (closed by then).
            _trace("fork server %d gone; a new one" % self.forks.pid)
            self.forks.bury()
            self.forks = self.new_fork_server()
            return self.fork_once(plan)

    def fork_once(self, plan):
        root = os.path.realpath(tempfile.mkdtemp(prefix="qa-lint-", dir=_TMP_BASE))
        mine, theirs, shm = [], [], None
        try:
            req_r, req_w = os.pipe()
            mine.append(req_w)
            theirs.append(req_r)
            res_r, res_w = os.pipe()
            mine.append(res_r)
            theirs.append(res_w)
            # The page both sides map (qa_page.py), sealed at its size: a child that truncated it
            # would make the supervisor's next read of it a SIGBUS (writes stay allowed).
            shm_fd = os.memfd_create("qa-lint-page", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
            theirs.append(shm_fd)
            os.ftruncate(shm_fd, _PAGE_SIZE)
            fcntl.fcntl(shm_fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
            shm = mmap.mmap(shm_fd, _PAGE_SIZE)
            args = {"root": root, "plan": plan, "doctest": self.sessions}
            pid = self.forks.fork(theirs, args)
        except BaseException:
            for fd in mine:
                os.close(fd)
            if shm is not None:
                shm.close()
            shutil.rmtree(root, ignore_errors=True)
            raise
        finally:
            for fd in theirs:  # the child has its own copies
                os.close(fd)
        try:
            os.setpgid(pid, pid)  # also done by the child; whichever runs first wins the race
        except OSError:
            pass
        c = _Live()
        c.pid, c.req_w, c.res_r, c.shm, c.root = pid, req_w, res_r, shm, root
        c.group, c.runs, c.reusable, c.buf, c.sandbox, c.plan = "", 0, False, b"", None, plan
        return c

    def new_fork_server(self):
        def child_main(fds, args):  # in the fork server's child: never returns
            code = 70
            req_r, res_w, shm_fd = fds
            try:
                shm = mmap.mmap(shm_fd, _PAGE_SIZE)
                os.close(shm_fd)
                plan = tuple(args["plan"]) if args["plan"] is not None else None
                code = _Child(req_r, res_w, shm, args["root"], plan, self.confine).main(self.setup, self.me)
            except BaseException:
                try:
                    _send(res_w, traceback.format_exc(), b"I")
                except BaseException:
                    pass
            finally:
                os._exit(code)
        # What the server must not hold: the pool's pipes and, for a server started again after
        # the first was killed, the pipes of the children that exist (their requests and results).
        fds = [self.in_fd, self.out_fd]
        for o in (self.live, self.spare):
            if o is not None:
                fds += [o.req_w, o.res_r]

        def forget():  # in the server: nothing of the children that exist or of the entry in flight
            for o in (self.live, self.spare):
                if o is not None:
                    o.shm.close()  # their shared pages: a child must not write another's
            self.live = self.spare = None
            self.ahead = self.pending = self.ahead_child = None
            self.requests.buf = bytearray()
            self.nonce = ""
            self.cleanup = []
            if self.req is not None:
                self.req.clear()
        return _ForkServer(self.fork_sibling, child_main, self.setup, self.me, fds, forget)

    def retire(self, status=None, now=False):
        """Kills the live child's process group (grandchildren too); reaping and removing its
        temp root happen after the answer (or `now`: the end of the run, the spare goes too)."""
        c, self.live = self.live, None
        if c is not None:
            self.end(c, status, now)
        if now and self.spare is not None:
            s, self.spare = self.spare, None
            self.end(s, None, now)

    def end(self, c, status, now):
        """Kills child `c` (the live one or a spare) and everything a confined entry started."""
        for fd in (c.req_w, c.res_r):
            try:
                os.close(fd)
            except OSError:
                pass
        c.shm.close()
        _kill(c.pid, status)
        keep = {self.me, self.forks.pid} | ({self.spare.pid} if self.spare else set())
        if self.confine is not None and not _sweep(keep, c.pid):
            # Processes kept appearing: kill(-1) ends everything but this PID 1, the spare and
            # the fork server too (fork() starts a new server when it finds this one gone).
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            if self.spare is not None:
                s, self.spare = self.spare, None
                self.end(s, None, now)

        def reap(pid=c.pid, root=c.root, status=status):
            # A confined child's exit tears down its mount namespace, which can take a few ms:
            # with no live child, the sweep below reaps it (now or after a later entry) instead
            # of waiting for it (a spare still waiting for its first request is not reaped).
            if status is None and (self.confine is None or self.live is not None):
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
            while self.confine is not None and self.live is None:  # orphans were re-parented to us
                try:
                    if os.waitpid(-1, os.WNOHANG)[0] == 0:
                        break
                except ChildProcessError:
                    break
            shutil.rmtree(root, ignore_errors=True)
        if now:
            reap()
        else:
            self.cleanup.append(reap)

    def collect(self, c, seq, timeout, cap):
        self.unstarted = False
        blocks, done, missing, internal, status = [], None, None, None, None
        truncated = timed_out = flooded = False
        got = 0
        deadline = time.monotonic() + timeout
        r = c.res_r
        buf = c.buf
        chunk = b""  # what the child sent before this entry's turn (handed ahead) comes first
        while True:
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for i, ln in enumerate(lines):
                tag = ln[:1]
                if tag == b"B":
                    block, cut = _block_line(ln)
                    blocks.append(block)
                    truncated = truncated or cut
                elif tag == b"D":
                    done = json.loads(ln[1:])
                elif tag == b"M":
                    missing = ln[1:]
                elif tag == b"I":
                    internal = json.loads(ln[1:])
                if done is not None or missing is not None:
                    # What follows is the next entry's, handed ahead (look_ahead): kept for it.
                    buf = b"".join(l + b"\n" for l in lines[i + 1:]) + buf
                    break
            if done is not None or missing is not None:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            # The pool's next entry may arrive while this one runs: it is handed ahead then.
            watch = self.in_fd if c.reusable and self.ahead is None and self.pending is None \
                and not self.requests.eof else None
            ready, _, _ = select.select([r] if watch is None else [r, watch], [], [], min(left, 0.5))
            if watch is not None and watch in ready:
                self.look_ahead(c)
                if r not in ready:
                    chunk = b""
                    continue
            if not ready:  # child gone while a grandchild still holds the pipe?
                p, st = os.waitpid(c.pid, os.WNOHANG)
                if p:
                    status = st
                    break
                chunk = b""
                continue
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            got += len(chunk)
            if got > cap:  # more than any honest result: stop reading, the child is killed below
                flooded = True
                break
        c.buf = buf
        if flooded:
            done = missing = None
            blocks = []
        ok = done is not None or missing is not None
        if _TRACE and done is not None and done.get("confine"):  # bench/confine_steps.py reads this
            _trace("child %d confined: %s" % (c.pid, _steps(done["confine"])))
        if done is not None and done.get("dirty"):
            _trace("child %d dirty after entry %d: %s" % (c.pid, seq, done["dirty"]))
        stmt = None
        if not ok:  # timeout or crash: the shared page says what was running (child stopped first)
            _kill(c.pid, status)
            if status is None:
                _, status = os.waitpid(c.pid, 0)
            s, bi, first, last = _STMT.unpack_from(c.shm, 0)
            if s == seq and bi >= 0:
                stmt = [bi, first, last]
            kept = None if flooded else _results_left(c.shm, seq)
            if kept is not None:  # the blocks that finished, sent only at the entry's end
                parsed = [_block_line(ln) for ln in kept.split(b"\n") if ln[:1] == b"B"]
                blocks = [block for block, _ in parsed]
                truncated = truncated or any(cut for _, cut in parsed)
            # An entry that did not finish may have written anything on its pipe and its page
            # (a flood of `B` lines): only results that are results go into the answer, which
            # the pool must be able to read to report the timeout or the crash. (A finished
            # entry's lines are not parsed here, a cost on every entry: garbage there makes the
            # answer unreadable, and the pool reports that entry and replaces the worker.)
            blocks = [b for b in blocks if _is_result(b)]
            self.unstarted = s != seq and not timed_out and not flooded and internal is None
            self.retire(status=status)
        elif not c.reusable or (done is not None and done.get("dirty")) or missing is not None:
            self.retire()
        if missing is not None:
            return b'{"kind":"missing_modules","data":%s}' % missing
        if done is not None:
            truncated = bool(done.get("truncated", truncated))
        result = b'{"blocks":[%s],"output_truncated":%s,"threads_left":%d}' % (
            b",".join(blocks), b"true" if truncated else b"false",
            done["threads_left"] if done else 0)
        if done is not None:
            return b'{"kind":"completed","data":%s}' % result
        if timed_out:
            return b'{"kind":"timed_out","data":{"result":%s,"stmt":%s}}' % (result, json.dumps(stmt).encode())
        if flooded:
            detail = "the entry sent more than %d bytes of results; killed" % cap
        elif internal:
            detail = "qa-lint helper error: " + internal
        elif os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = "?"
            detail = "killed by signal %d (%s)" % (sig, name)
        else:
            detail = "exit code %d" % os.waitstatus_to_exitcode(status)
        return b'{"kind":"crashed","data":{"result":%s,"detail":%s,"stmt":%s}}' % (
            result, json.dumps(detail).encode(), json.dumps(stmt).encode())
