//! Kernel confinement of the workers (Linux): the boundary against hostile snippets.
//!
//! The audit hook in `qa_sandbox.py` only stops accidents. The boundary is set up here, in two
//! layers:
//!
//! * **Per worker** ([`enter_worker_namespaces`], called by `worker_main` before CPython starts):
//!   new user, mount, network, IPC and PID namespaces. The worker's Python supervisor is PID 1 of
//!   its namespace, so `/proc` (mounted fresh) shows only the sandbox's own processes: not
//!   qa-lint, its environment, memory or file descriptors, nor the CI runner. The network
//!   namespace has only a loopback interface, and it is down. `/dev/shm` and `/run` are fresh
//!   tmpfs mounts, so nothing written there survives the worker and host sockets under `/run`
//!   are out of sight. When the supervisor dies (it dies with qa-lint) the kernel kills every
//!   process left in its PID namespace, however it was started (`setsid`, double fork).
//! * **Per forked child** (`confine_child.rs`): a private mount namespace with a size-capped
//!   tmpfs as the entry's scratch directory (and another as its `/dev/shm`), a loopback-only
//!   network namespace of its own when the entry may use the network, `PR_SET_DUMPABLE 0`,
//!   Landlock (writes only in the scratch directory; no signals to and no abstract Unix sockets
//!   of processes outside the child; no ptrace-type access to them, which also closes
//!   `/proc/<pid>/fd`, `mem` and `environ` of the supervisor), no capabilities, and a seccomp
//!   filter.
//!
//! Where the kernel does not offer this (no unprivileged user namespaces, no Landlock, macOS),
//! [`probe`] says why; `--strict-sandbox` then refuses to run unless `--sandbox=weak` is given,
//! and the default mode warns once and runs with the audit hook only.

use std::ffi::CString;
use std::sync::OnceLock;

/// How much confinement the user asked for (`--sandbox`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SandboxMode {
    /// Kernel confinement where the kernel offers it; elsewhere a warning and the audit hook only
    /// (with `--strict-sandbox`: refuse to run).
    #[default]
    Auto,
    /// Kernel confinement or refuse to run (exit 2).
    Kernel,
    /// The audit hook only, no kernel confinement (accepts the weaker boundary explicitly).
    Weak,
}

/// What a pool's workers do: decided from the command line with the run's settings
/// ([`decide`], in `settings::RunSettings::resolve`) and handed to the pool
/// (`Pool::with_policy`); a pool made without one confines where the kernel allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Workers run in namespaces and children are locked with Landlock and seccomp.
    pub kernel: bool,
    /// `--strict-sandbox`: one fork per entry, no timeout above the trusted config's, a cache
    /// namespace of its own.
    pub strict: bool,
}

impl Policy {
    /// Kernel confinement where this machine offers it; not strict.
    pub fn detect() -> Policy {
        Policy {
            kernel: probe().is_ok(),
            strict: false,
        }
    }
}

/// Decides the policy from the command line. `Err` = refuse to run, with the reason and the
/// remedy; `Ok((policy, Some(warning)))` = run weaker and say so once.
pub fn decide(mode: SandboxMode, strict: bool) -> Result<(Policy, Option<String>), String> {
    let weak = Policy { kernel: false, strict };
    match mode {
        SandboxMode::Weak => Ok((weak, None)),
        SandboxMode::Kernel | SandboxMode::Auto => match probe() {
            Ok(()) => Ok((Policy { kernel: true, strict }, None)),
            Err(why) if mode == SandboxMode::Kernel || strict => Err(format!(
                "kernel confinement is not available: {why}\n\
                 qa-lint runs untrusted snippets in user, PID, network and mount namespaces with \
                 Landlock and seccomp; without them a snippet can forge results and reach the job.\n\
                 remedy: run on Linux with unprivileged user namespaces (check with \
                 `unshare --user --net true`; on Ubuntu 24.04+ runners: `sudo sysctl -w \
                 kernel.apparmor_restrict_unprivileged_userns=0`), or accept the weaker audit-hook \
                 sandbox explicitly with `--sandbox=weak`"
            )),
            Err(why) => Ok((
                weak,
                Some(format!(
                    "warning: kernel confinement is not available ({why}); snippets run with the \
                     audit-hook sandbox only, which does not stop a snippet written to break out \
                     (see SECURITY.md)"
                )),
            )),
        },
    }
}

/// Steps of the namespace set-up, in order; a failing step's index is the probe's exit code.
const STEPS: [&str; 9] = [
    "",
    "unshare(CLONE_NEWUSER) failed (unprivileged user namespaces are disabled)",
    "writing /proc/self/uid_map or gid_map failed",
    "unshare of mount, network, IPC and PID namespaces failed",
    "fork into the new PID namespace failed",
    "making mounts private failed",
    "mounting a fresh /proc failed (the container masks /proc)",
    "mounting tmpfs on /dev/shm or /run failed",
    "Landlock or seccomp is not available in this kernel",
];

/// The strings [`enter`] writes, prepared before any fork (no allocation after it).
struct Prepared {
    uid_map: CString,
    gid_map: CString,
}

fn prepare() -> Prepared {
    // SAFETY: plain getters.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    Prepared {
        uid_map: CString::new(format!("0 {uid} 1\n")).expect("no NUL"),
        gid_map: CString::new(format!("0 {gid} 1\n")).expect("no NUL"),
    }
}

fn write_file(path: &std::ffi::CStr, data: &std::ffi::CStr) -> bool {
    // SAFETY: raw syscalls on our own buffers (async-signal-safe).
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return false;
        }
        let n = data.to_bytes().len();
        let ok = libc::write(fd, data.as_ptr().cast(), n) == n as isize;
        libc::close(fd);
        ok
    }
}

fn mount(
    src: &std::ffi::CStr,
    target: &std::ffi::CStr,
    fstype: &std::ffi::CStr,
    flags: u64,
    data: &std::ffi::CStr,
) -> bool {
    // SAFETY: mount(2) with valid C strings.
    unsafe {
        libc::mount(
            src.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            flags,
            data.as_ptr().cast(),
        ) == 0
    }
}

/// The namespace and mount steps shared by [`probe`] and [`enter_worker_namespaces`]. Only
/// async-signal-safe calls: the probe runs it in a child forked from a threaded process.
/// Returns 0, or the failing step's index; in the returned process (`Ok(true)` = the child in
/// the new PID namespace) the caller goes on; the waiting parent never returns.
fn enter(p: &Prepared, close_in_parent: &[i32]) -> Result<(), u8> {
    // SAFETY: raw syscalls; the parent branch only waits and exits.
    unsafe {
        if libc::unshare(libc::CLONE_NEWUSER) != 0 {
            return Err(1);
        }
        let _ = write_file(c"/proc/self/setgroups", c"deny");
        if !write_file(c"/proc/self/uid_map", &p.uid_map) || !write_file(c"/proc/self/gid_map", &p.gid_map) {
            return Err(2);
        }
        let flags = libc::CLONE_NEWNS | libc::CLONE_NEWNET | libc::CLONE_NEWIPC | libc::CLONE_NEWPID;
        if libc::unshare(flags) != 0 {
            return Err(3);
        }
        let pid = libc::fork();
        if pid < 0 {
            return Err(4);
        }
        if pid > 0 {
            // The waiter, outside the new PID namespace: it only passes the exit status on.
            for &fd in close_in_parent {
                libc::close(fd);
            }
            let mut st = 0;
            while libc::waitpid(pid, &mut st, 0) < 0 {
                if *libc::__errno_location() != libc::EINTR {
                    libc::_exit(70);
                }
            }
            if libc::WIFSIGNALED(st) {
                let sig = libc::WTERMSIG(st);
                libc::prctl(libc::PR_SET_PDEATHSIG, 0, 0, 0, 0);
                libc::signal(sig, libc::SIG_DFL);
                libc::kill(libc::getpid(), sig);
            }
            libc::_exit(libc::WEXITSTATUS(st));
        }
        // PID 1 of the new namespace; it dies with the waiter (which dies with qa-lint).
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
        if !mount(c"none", c"/", c"", libc::MS_REC | libc::MS_PRIVATE, c"") {
            return Err(5);
        }
        let hard = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        if !mount(c"proc", c"/proc", c"proc", hard, c"") {
            return Err(6);
        }
        if !mount(c"tmpfs", c"/dev/shm", c"tmpfs", hard, c"size=1m,mode=1777")
            || !mount(c"tmpfs", c"/run", c"tmpfs", hard, c"size=4m,mode=755")
        {
            return Err(7);
        }
        let abi = libc::syscall(libc::SYS_landlock_create_ruleset, std::ptr::null::<u8>(), 0usize, 1u32);
        if abi < 1 || libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) < 0 {
            return Err(8);
        }
    }
    Ok(())
}

/// Whether this machine can confine workers; `Err` says which step failed. Tried once per
/// process, in a forked child, so this process itself changes nothing.
pub fn probe() -> Result<(), String> {
    static RESULT: OnceLock<Result<(), String>> = OnceLock::new();
    RESULT
        .get_or_init(|| {
            if !cfg!(target_os = "linux") {
                return Err("kernel confinement needs Linux".into());
            }
            let p = prepare();
            // SAFETY: the child only makes async-signal-safe calls (see `enter`) and exits.
            let pid = unsafe { libc::fork() };
            if pid < 0 {
                return Err("fork failed".into());
            }
            if pid == 0 {
                let code = enter(&p, &[]).err().unwrap_or(0);
                // SAFETY: immediate exit of the forked child.
                unsafe { libc::_exit(i32::from(code)) }
            }
            let mut st = 0;
            // SAFETY: waiting for our own child.
            while unsafe { libc::waitpid(pid, &mut st, 0) } < 0 {
                if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                    return Err("waitpid failed".into());
                }
            }
            match libc::WIFEXITED(st).then(|| libc::WEXITSTATUS(st)) {
                Some(0) => Ok(()),
                Some(c) if (c as usize) < STEPS.len() => Err(STEPS[c as usize].to_string()),
                _ => Err(format!("the probe process ended with status {st}")),
            }
        })
        .clone()
}

/// Puts the calling worker (single-threaded, before CPython starts) into its namespaces. The
/// calling process becomes a waiter that never returns; the function returns in its child, PID
/// 1 of the new PID namespace. `protocol_fds` are closed in the waiter, so that the pool sees
/// end-of-file when the supervisor dies.
pub fn enter_worker_namespaces(protocol_fds: &[i32]) -> Result<(), String> {
    let p = prepare();
    enter(&p, protocol_fds).map_err(|c| STEPS[c as usize].to_string())
}
