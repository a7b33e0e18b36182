//! Confinement of one forked child (one entry, or a run of entries of one file): see
//! `confine.rs` for the whole design. Called from Python (`qa_child.Child`) after the child
//! has read its first request and before any snippet code runs; nothing here can be undone by
//! the child afterwards.

use landlock::{
    path_beneath_rules, AccessFs, CompatLevel, Compatible, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus,
    Scope, ABI,
};
use seccompiler::{
    sock_filter, BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::BTreeMap;
use std::ffi::CString;

/// What one child may do (from the entry's sandbox settings).
pub struct ChildRules<'a> {
    /// The child's scratch root: a fresh tmpfs of `scratch_bytes` is mounted on it.
    pub root: &'a str,
    pub scratch_bytes: u64,
    pub allow_network: bool,
    pub allow_subprocess: bool,
    pub allow_writes_outside: bool,
}

fn os_err(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

fn cstr(s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| format!("path with NUL: {s:?}"))
}

fn mount_tmpfs(target: &str, bytes: u64) -> Result<(), String> {
    let t = cstr(target)?;
    let data = cstr(&format!("size={bytes},mode=700"))?;
    let flags = libc::MS_NOSUID | libc::MS_NODEV;
    // SAFETY: mount(2) with valid C strings.
    if unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            t.as_ptr(),
            c"tmpfs".as_ptr(),
            flags,
            data.as_ptr().cast(),
        )
    } != 0
    {
        return Err(os_err(&format!("mounting the scratch tmpfs on {target}")));
    }
    Ok(())
}

/// Makes every mount of the child's (private) mount namespace read-only, recursively: Landlock
/// keeps file contents outside the scratch directory unwritable but not their metadata (mode,
/// owner, times, extended attributes), which a read-only mount refuses with EROFS. The scratch
/// tmpfs and `/dev/shm` are mounted afterwards, writable.
fn read_only_tree() -> Result<(), String> {
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    const MOUNT_ATTR_RDONLY: u64 = 0x1;
    const AT_RECURSIVE: libc::c_int = 0x8000;
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_RDONLY,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: mount_setattr(2) on "/" with a valid, correctly sized mount_attr.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            c"/".as_ptr(),
            AT_RECURSIVE,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if rc != 0 {
        return Err(os_err("making the mount tree read-only (mount_setattr)"));
    }
    Ok(())
}

fn bind(src: &str, target: &str) -> Result<(), String> {
    let (s, t) = (cstr(src)?, cstr(target)?);
    // SAFETY: mount(2) with valid C strings.
    if unsafe {
        libc::mount(
            s.as_ptr(),
            t.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    } != 0
    {
        return Err(os_err(&format!("bind-mounting {src} on {target}")));
    }
    Ok(())
}

/// A network namespace of the child's own with its loopback interface up: `allow-network`
/// reaches only servers the entry itself starts.
fn private_loopback() -> Result<(), String> {
    // SAFETY: unshare + an ioctl on a socket we own; the ifreq is zeroed and NUL-terminated.
    unsafe {
        if libc::unshare(libc::CLONE_NEWNET) != 0 {
            return Err(os_err("unshare(CLONE_NEWNET)"));
        }
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if s < 0 {
            return Err(os_err("socket"));
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (d, b) in ifr.ifr_name.iter_mut().zip(b"lo\0") {
            *d = *b as libc::c_char;
        }
        let ok = libc::ioctl(s, libc::SIOCGIFFLAGS, &mut ifr) == 0 && {
            ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            libc::ioctl(s, libc::SIOCSIFFLAGS, &ifr) == 0
        };
        libc::close(s);
        if !ok {
            return Err(os_err("bringing up the loopback interface"));
        }
    }
    Ok(())
}

fn landlock(rules: &ChildRules) -> Result<(), String> {
    let abi = ABI::V6;
    let err = |e: landlock::RulesetError| format!("Landlock: {e}");
    let mut rs = Ruleset::default().set_compatibility(CompatLevel::BestEffort);
    if !rules.allow_writes_outside {
        rs = rs.handle_access(AccessFs::from_write(abi)).map_err(err)?;
    }
    let mut created = rs
        .scope(Scope::Signal | Scope::AbstractUnixSocket)
        .map_err(err)?
        .create()
        .map_err(err)?;
    if !rules.allow_writes_outside {
        created = created
            .add_rules(path_beneath_rules([rules.root, "/dev/shm"], AccessFs::from_write(abi)))
            .map_err(err)?
            .add_rules(path_beneath_rules(
                ["/dev/null", "/dev/zero", "/dev/full"],
                AccessFs::from_file(abi) & AccessFs::from_write(abi),
            ))
            .map_err(err)?;
    }
    // Best effort picks what the kernel offers; a kernel without all of it (the signal scope
    // needs ABI 6) would confine less without a word, so it is a confinement failure instead.
    let status = created.restrict_self().map_err(err)?;
    if status.ruleset != RulesetStatus::FullyEnforced {
        return Err(format!(
            "Landlock: this kernel enforces only part of the ruleset ({:?}); kernel confinement needs Landlock ABI 6 (Linux 6.12)",
            status.ruleset
        ));
    }
    Ok(())
}

/// Syscalls no snippet needs and an attacker would use: another process's memory, the mount
/// table, new namespaces, kernel key rings and modules, io_uring (which bypasses seccomp).
const DENIED: &[i64] = &[
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_process_madvise,
    libc::SYS_pidfd_getfd,
    libc::SYS_kcmp,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_chroot,
    libc::SYS_unshare,
    libc::SYS_setns,
    libc::SYS_open_tree,
    libc::SYS_move_mount,
    libc::SYS_fsopen,
    libc::SYS_fsconfig,
    libc::SYS_fsmount,
    libc::SYS_fspick,
    libc::SYS_mount_setattr,
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_userfaultfd,
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_kexec_load,
    libc::SYS_open_by_handle_at,
    libc::SYS_name_to_handle_at,
    libc::SYS_personality,
];

/// Built in each child: the rules name the child's own pid (`other_processes`), about 0.2 ms
/// of the step (docs/performance.md); installing the three filters is the rest.
fn seccomp(rules: &ChildRules) -> Result<(), String> {
    let err = |e: seccompiler::BackendError| format!("seccomp: {e}");
    // The syscall numbers above are this build's; the filter checks the same architecture.
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(err)?;
    let mut map: BTreeMap<i64, Vec<SeccompRule>> = DENIED.iter().map(|&s| (s, vec![])).collect();
    if !rules.allow_subprocess {
        map.insert(libc::SYS_execve, vec![]);
        map.insert(libc::SYS_execveat, vec![]);
    }
    // New namespaces through clone(2); clone3 takes its flags in memory that seccomp cannot
    // read, so it answers ENOSYS and the C library falls back to clone.
    let ns = [
        libc::CLONE_NEWUSER,
        libc::CLONE_NEWNS,
        libc::CLONE_NEWNET,
        libc::CLONE_NEWPID,
        libc::CLONE_NEWIPC,
        libc::CLONE_NEWUTS,
        libc::CLONE_NEWCGROUP,
    ];
    let clone_rules = ns
        .iter()
        .map(|&f| {
            let c = SeccompCondition::new(0, SeccompCmpArgLen::Qword, SeccompCmpOp::MaskedEq(f as u64), f as u64)?;
            SeccompRule::new(vec![c])
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    map.insert(libc::SYS_clone, clone_rules);
    for (nr, rules) in other_processes().map_err(err)? {
        map.insert(nr, rules);
    }
    if !rules.allow_writes_outside {
        for (nr, rules) in metadata().map_err(err)? {
            map.insert(nr, rules);
        }
    }
    let filter = SeccompFilter::new(
        map,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )
    .map_err(err)?;
    let prog: BpfProgram = filter.try_into().map_err(err)?;
    // clone3 answers ENOSYS (not EPERM), so that the C library falls back to clone.
    let enosys = SeccompFilter::new(
        BTreeMap::from([(libc::SYS_clone3, vec![])]),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        arch,
    )
    .map_err(err)?;
    let prog2: BpfProgram = enosys.try_into().map_err(err)?;
    seccompiler::apply_filter(&prog2).map_err(|e| format!("seccomp: {e}"))?;
    seccompiler::apply_filter(&prog).map_err(|e| format!("seccomp: {e}"))?;
    if cfg!(target_arch = "x86_64") {
        seccompiler::apply_filter(&no_x32()).map_err(|e| format!("seccomp: {e}"))?;
    }
    Ok(())
}

type Rules = Vec<(i64, Vec<SeccompRule>)>;

fn arg(index: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, seccompiler::BackendError> {
    SeccompCondition::new(index, SeccompCmpArgLen::Dword, op, value)
}

/// Calls that change another process's limits, scheduling or memory placement: the worker's
/// supervisor, fork server and spare child are in reach by PID, and what a snippet set on them
/// would hold for the entries of other files. Allowed on the child itself (`0` or its PID).
fn other_processes() -> Result<Rules, seccompiler::BackendError> {
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() } as u64;
    let not_me = |index: u8| -> Result<Vec<SeccompCondition>, seccompiler::BackendError> {
        Ok(vec![
            arg(index, SeccompCmpOp::Ne, 0)?,
            arg(index, SeccompCmpOp::Ne, me)?,
        ])
    };
    let by_pid = |nr: i64| -> Result<(i64, Vec<SeccompRule>), seccompiler::BackendError> {
        Ok((nr, vec![SeccompRule::new(not_me(0)?)?]))
    };
    let mut out = vec![
        by_pid(libc::SYS_prlimit64)?,
        by_pid(libc::SYS_sched_setaffinity)?,
        by_pid(libc::SYS_sched_setscheduler)?,
        by_pid(libc::SYS_sched_setparam)?,
        by_pid(libc::SYS_sched_setattr)?,
        by_pid(libc::SYS_migrate_pages)?,
        by_pid(libc::SYS_move_pages)?,
    ];
    // setpriority(which, who, prio): a process group or a user always reaches others.
    let mut prio = not_me(1)?;
    prio.insert(0, arg(0, SeccompCmpOp::Eq, libc::PRIO_PROCESS as u64)?);
    out.push((
        libc::SYS_setpriority,
        vec![
            SeccompRule::new(prio)?,
            SeccompRule::new(vec![arg(0, SeccompCmpOp::Ne, libc::PRIO_PROCESS as u64)?])?,
        ],
    ));
    // ioprio_set(which, who, prio): IOPRIO_WHO_PROCESS is 1.
    let mut io = not_me(1)?;
    io.insert(0, arg(0, SeccompCmpOp::Eq, 1)?);
    out.push((
        libc::SYS_ioprio_set,
        vec![
            SeccompRule::new(io)?,
            SeccompRule::new(vec![arg(0, SeccompCmpOp::Ne, 1)?])?,
        ],
    ));
    Ok(out)
}

/// Metadata Landlock does not guard: the set-user-ID and set-group-ID bits (on any file) and
/// extended attributes. File modes without those bits stay allowed (Landlock already keeps
/// writes inside the scratch directory; a mode is no write).
fn metadata() -> Result<Rules, seccompiler::BackendError> {
    // The mode holds S_ISUID, or S_ISGID: (mode & bit) == bit for either bit.
    let mode_at = |index: u8| -> Result<Vec<SeccompRule>, seccompiler::BackendError> {
        [libc::S_ISUID, libc::S_ISGID]
            .into_iter()
            .map(|bit| SeccompRule::new(vec![arg(index, SeccompCmpOp::MaskedEq(bit as u64), bit as u64)?]))
            .collect()
    };
    let mut out = vec![
        (libc::SYS_chmod, mode_at(1)?),
        (libc::SYS_fchmod, mode_at(1)?),
        (libc::SYS_fchmodat, mode_at(2)?),
    ];
    for nr in [
        libc::SYS_setxattr,
        libc::SYS_lsetxattr,
        libc::SYS_fsetxattr,
        libc::SYS_removexattr,
        libc::SYS_lremovexattr,
        libc::SYS_fremovexattr,
    ] {
        out.push((nr, vec![]));
    }
    Ok(out)
}

/// x86_64's filters above match syscalls by their x86_64 numbers; the same numbers with bit 30
/// set are the x32 ABI's, which the architecture check lets through. They answer EPERM.
fn no_x32() -> BpfProgram {
    const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JGE_K: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
    const RET_K: u16 = 0x06; // BPF_RET | BPF_K
    const RET_ERRNO: u32 = 0x0005_0000; // SECCOMP_RET_ERRNO
    const RET_ALLOW: u32 = 0x7fff_0000; // SECCOMP_RET_ALLOW
    let op = |code: u16, jt: u8, jf: u8, k: u32| sock_filter { code, jt, jf, k };
    vec![
        op(LD_W_ABS, 0, 0, 0), // seccomp_data.nr
        op(JGE_K, 0, 1, 0x4000_0000),
        op(RET_K, 0, 0, RET_ERRNO | libc::EPERM as u32),
        op(RET_K, 0, 0, RET_ALLOW),
    ]
}

/// Drops every capability the child holds in the worker's user namespace (it is root there),
/// so it can neither mount nor change namespaces even where seccomp would let it.
fn drop_capabilities() -> Result<(), String> {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let hdr = Header {
        version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
        pid: 0,
    };
    let data = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: capset with a v3 header and two data words.
    if unsafe { libc::syscall(libc::SYS_capset, &hdr, data.as_ptr()) } != 0 {
        return Err(os_err("capset"));
    }
    Ok(())
}

/// Confines the calling child for good. Order matters: mounts and the network need the
/// capabilities that are dropped afterwards; Landlock needs `no_new_privs`; seccomp comes last
/// because it forbids `mount` and `unshare`. Returns how long each step took (µs), which the
/// supervisor traces (`QA_LINT_EXEC_TRACE`) and `bench/confine_steps.py` sums up.
pub fn confine(rules: &ChildRules) -> Result<Vec<(&'static str, u64)>, String> {
    let mut steps = Vec::new();
    let mut step = |name: &'static str, f: &mut dyn FnMut() -> Result<(), String>| {
        let started = std::time::Instant::now();
        let done = f();
        steps.push((name, started.elapsed().as_micros() as u64));
        done
    };
    // A mount namespace of its own, and SysV IPC of its own (shared memory, semaphores, message
    // queues): nothing an entry leaves there is seen by the next one.
    step("namespaces", &mut || {
        // SAFETY: plain syscalls on the calling process.
        if unsafe { libc::unshare(libc::CLONE_NEWNS | libc::CLONE_NEWIPC) } != 0 {
            return Err(os_err("unshare(CLONE_NEWNS | CLONE_NEWIPC)"));
        }
        Ok(())
    })?;
    if !rules.allow_writes_outside {
        step("read-only mounts", &mut read_only_tree)?;
    }
    step("scratch tmpfs", &mut || {
        mount_tmpfs(rules.root, rules.scratch_bytes)?;
        let shm = format!("{}/.shm", rules.root);
        std::fs::create_dir(&shm).map_err(|e| format!("creating {shm}: {e}"))?;
        bind(&shm, "/dev/shm")
    })?;
    if rules.allow_network {
        step("loopback network", &mut private_loopback)?;
    }
    step("no_new_privs", &mut || {
        // SAFETY: prctl on the calling process.
        unsafe {
            if libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) != 0
                || libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            {
                return Err(os_err("prctl"));
            }
        }
        Ok(())
    })?;
    step("landlock", &mut || landlock(rules))?;
    step("capabilities", &mut drop_capabilities)?;
    step("seccomp", &mut || seccomp(rules))?;
    Ok(steps)
}
