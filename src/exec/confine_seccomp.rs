//! The seccomp filters of a confined child (see `confine.rs` for the whole design): which
//! syscalls a snippet may not make, built once per worker and installed by each child.
//!
//! Building the programs was about a third of a child's seccomp step (about 120 of 330 µs on
//! the development machine, docs/performance.md), and every child built the same ones but for
//! its own pid, which the rules on other processes name. So the worker builds them before its
//! first child (`prepare`), twice, for two different pids: the instructions where the two
//! builds differ are where the pid goes, and a child copies the programs and writes its pid
//! there. When the two builds differ in anything
//! else (a compiler that laid out a program by the pid's value), the worker keeps no template
//! and each child builds its own, as before: the filter a child installs is the same either way
//! (`tests` below hold a patched program to a freshly built one).

use seccompiler::{
    sock_filter, BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// What a child's programs depend on besides its pid: the entry's sandbox settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Variant {
    allow_subprocess: bool,
    allow_writes_outside: bool,
}

impl Variant {
    const ALL: [Variant; 4] = [
        Variant {
            allow_subprocess: false,
            allow_writes_outside: false,
        },
        Variant {
            allow_subprocess: false,
            allow_writes_outside: true,
        },
        Variant {
            allow_subprocess: true,
            allow_writes_outside: false,
        },
        Variant {
            allow_subprocess: true,
            allow_writes_outside: true,
        },
    ];

    fn index(self) -> usize {
        usize::from(self.allow_subprocess) * 2 + usize::from(self.allow_writes_outside)
    }
}

/// The programs one child installs, in order (`no_x32` comes after them on x86_64).
#[derive(Debug, Clone, PartialEq)]
struct Programs {
    /// clone3 answers ENOSYS, so that the C library falls back to clone, which `main` checks.
    enosys: BpfProgram,
    main: BpfProgram,
}

/// Two different pids to build with: where the builds differ is the pid. (Any two would do: a
/// constant that happens to equal one of them is the same in both builds, so it is not
/// patched.)
const PID_A: u64 = 0x5ec0_0a0a;
const PID_B: u64 = 0x5ec0_0b0b;

/// A variant's programs built for no pid in particular, and where a child's pid goes.
struct Template {
    programs: Programs,
    pid_slots: Vec<usize>,
}

impl Template {
    fn new(v: Variant) -> Result<Option<Template>, String> {
        Ok(Template::from_builds(build(v, PID_A)?, build(v, PID_B)?))
    }

    /// The template of two builds for `PID_A` and `PID_B`; None when they differ in more than
    /// the pid's immediates.
    fn from_builds(a: Programs, b: Programs) -> Option<Template> {
        if a.enosys != b.enosys || a.main.len() != b.main.len() {
            return None;
        }
        let mut pid_slots = Vec::new();
        for (i, (x, y)) in a.main.iter().zip(&b.main).enumerate() {
            if (x.code, x.jt, x.jf) != (y.code, y.jt, y.jf) {
                return None;
            }
            if x.k != y.k {
                if (u64::from(x.k), u64::from(y.k)) != (PID_A, PID_B) {
                    return None;
                }
                pid_slots.push(i);
            }
        }
        Some(Template { programs: a, pid_slots })
    }

    fn for_pid(&self, pid: u32) -> Programs {
        let mut p = self.programs.clone();
        for &i in &self.pid_slots {
            p.main[i].k = pid;
        }
        p
    }
}

/// Built by `prepare` in the worker before its fork server exists: every child inherits it.
/// Indexed by `Variant::index`.
static TEMPLATES: OnceLock<[Option<Template>; 4]> = OnceLock::new();

/// Builds every variant's template (a confined worker calls this before it forks anything).
pub fn prepare() {
    TEMPLATES.get_or_init(|| {
        let mut t = [None, None, None, None];
        for v in Variant::ALL {
            t[v.index()] = Template::new(v).ok().flatten();
        }
        t
    });
}

/// The programs a child with `pid` installs: from the worker's template when there is one.
fn programs_for(v: Variant, pid: u32) -> Result<Programs, String> {
    match TEMPLATES.get().and_then(|t| t[v.index()].as_ref()) {
        Some(t) => Ok(t.for_pid(pid)),
        None => build(v, u64::from(pid)),
    }
}

/// Installs the calling child's filters (the last step of confining it): nothing it does
/// afterwards can remove them.
pub fn install(allow_subprocess: bool, allow_writes_outside: bool) -> Result<(), String> {
    let v = Variant {
        allow_subprocess,
        allow_writes_outside,
    };
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() } as u32;
    let programs = programs_for(v, pid)?;
    let apply = |p: &BpfProgram| seccompiler::apply_filter(p).map_err(|e| format!("seccomp: {e}"));
    apply(&programs.enosys)?;
    apply(&programs.main)?;
    if cfg!(target_arch = "x86_64") {
        apply(&no_x32())?;
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

/// A child's programs for `pid` (the child's own: `other_processes`), not yet installed.
fn build(v: Variant, pid: u64) -> Result<Programs, String> {
    let err = |e: seccompiler::BackendError| format!("seccomp: {e}");
    // The syscall numbers above are this build's; the filter checks the same architecture.
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(err)?;
    let mut map: BTreeMap<i64, Vec<SeccompRule>> = DENIED.iter().map(|&s| (s, vec![])).collect();
    if !v.allow_subprocess {
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
    for (nr, rules) in other_processes(pid).map_err(err)? {
        map.insert(nr, rules);
    }
    if !v.allow_writes_outside {
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
    let enosys: BpfProgram = enosys.try_into().map_err(err)?;
    Ok(Programs { enosys, main: prog })
}

type Rules = Vec<(i64, Vec<SeccompRule>)>;

fn arg(index: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, seccompiler::BackendError> {
    SeccompCondition::new(index, SeccompCmpArgLen::Dword, op, value)
}

/// Calls that change another process's limits, scheduling or memory placement: the worker's
/// supervisor, fork server and spare child are in reach by PID, and what a snippet set on them
/// would hold for the entries of other files. Allowed on the child itself (`0` or its PID).
fn other_processes(me: u64) -> Result<Rules, seccompiler::BackendError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What a child installs from the worker's templates is what it would have built itself,
    /// for every sandbox setting: the lookup included.
    #[test]
    fn a_child_installs_the_program_built_for_its_pid_and_settings() {
        prepare();
        for v in Variant::ALL {
            let t = TEMPLATES.get().unwrap()[v.index()]
                .as_ref()
                .expect("the builds differ only in the pid");
            assert!(!t.pid_slots.is_empty(), "the rules name the child's pid");
            for pid in [1u32, 2, 77, 4_194_303] {
                assert_eq!(
                    programs_for(v, pid).unwrap(),
                    build(v, u64::from(pid)).unwrap(),
                    "{v:?}, pid {pid}"
                );
            }
        }
    }

    #[test]
    fn each_sandbox_setting_has_its_own_filter() {
        let built: Vec<Programs> = Variant::ALL.iter().map(|&v| build(v, 7).unwrap()).collect();
        for (i, a) in built.iter().enumerate() {
            for b in &built[i + 1..] {
                assert_ne!(a.main, b.main, "two sandbox settings gave one filter");
            }
        }
    }

    /// Builds that differ in anything but the pid's immediates give no template (each child
    /// then builds its own).
    #[test]
    fn builds_that_differ_elsewhere_give_no_template() {
        let v = Variant::ALL[0];
        let (a, b) = (build(v, PID_A).unwrap(), build(v, PID_B).unwrap());
        assert!(Template::from_builds(a.clone(), b.clone()).is_some());
        let slot = Template::from_builds(a.clone(), b.clone()).unwrap().pid_slots[0];
        let mut jump = b.clone();
        jump.main[slot].jt ^= 1;
        assert!(Template::from_builds(a.clone(), jump).is_none(), "a jump that moved");
        let mut other = b.clone();
        other.main[slot].k = 12345;
        assert!(
            Template::from_builds(a.clone(), other).is_none(),
            "a value that is not the pid"
        );
        let mut longer = b.clone();
        longer.main.push(longer.main[0].clone());
        assert!(Template::from_builds(a.clone(), longer).is_none(), "another length");
        let mut enosys = b;
        enosys.enosys[0].k ^= 1;
        assert!(Template::from_builds(a, enosys).is_none(), "another clone3 program");
    }
}
