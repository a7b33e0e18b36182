//! Confinement of one forked child (one entry, or a run of entries of one file): see
//! `confine.rs` for the whole design. Called from Python (`qa_child.Child`) after the child
//! has read its first request and before any snippet code runs; nothing here can be undone by
//! the child afterwards.

use landlock::{
    path_beneath_rules, AccessFs, CompatLevel, Compatible, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus,
    Scope, ABI,
};
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
    step("seccomp", &mut || {
        super::confine_seccomp::install(rules.allow_subprocess, rules.allow_writes_outside)
    })?;
    Ok(steps)
}
