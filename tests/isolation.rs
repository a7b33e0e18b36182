//! Isolation between entries of one file when the worker reuses a forked child for them
//! (`Limits::reuse`, the default): through the real worker (`qa-lint __worker`) and the pool API,
//! so the tests see exact output events and process ids.
//!
//! Each test runs entries of one group (file) in order on one worker: an entry that changes
//! process state, then an entry that must not see the change. The pids prove that clean entries
//! really share a child (otherwise the isolation tests would prove nothing).

use qa_lint::exec::{BlockJob, BlockMode, EntryJob, EntryOutcome, EntryResult, Limits, Pool};
use std::time::Duration;

fn pool(reuse: bool) -> Pool {
    let limits = Limits {
        timeout: Duration::from_secs(10),
        reuse,
        ..Limits::default()
    };
    Pool::new(1, limits).with_worker_exe(env!("CARGO_BIN_EXE_qa-lint"))
}

fn entry(n: usize, code: &str, files: &[(&str, &str)]) -> EntryJob {
    EntryJob {
        blocks: vec![BlockJob {
            filename: format!("<qa:iso.md:{}>", n * 10),
            source: code.to_string(),
            mode: BlockMode::Exec,
            fresh_namespace: false,
        }],
        files: files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect(),
        group: "iso.md".into(),
        ..EntryJob::default()
    }
}

fn completed(o: &EntryOutcome) -> &EntryResult {
    match o {
        EntryOutcome::Completed(r) => r,
        other => panic!("entry did not complete: {other:#?}"),
    }
}

/// All printed text of an entry, one string per print/write event.
fn printed(o: &EntryOutcome) -> Vec<String> {
    let r = completed(o);
    let mut out = Vec::new();
    for b in &r.blocks {
        assert!(b.errors.is_empty(), "unexpected errors: {:#?}", b.errors);
        out.extend(b.events.iter().map(|e| e.text.clone()));
    }
    out
}

const PID: &str = "import os\nprint(os.getpid())\n";

#[test]
fn clean_entries_share_a_child_and_see_a_fresh_state() {
    let jobs = vec![
        entry(
            1,
            &format!("{PID}x = 1\nnames = dir()\nprint(sorted(k for k in names if not k.startswith('__')))\n"),
            &[],
        ),
        entry(2, &format!("{PID}print('x' in dir())\n"), &[]),
    ];
    let out = pool(true).run_collect(jobs);
    let (a, b) = (printed(&out[0]), printed(&out[1]));
    assert_eq!(a[0], b[0], "two clean entries of one file should share a forked child");
    assert_eq!(a[1], "['os', 'x']");
    assert_eq!(b[1], "False", "entry 2 saw entry 1's namespace");
}

#[test]
fn module_attribute_env_cwd_and_sys_path_do_not_leak() {
    let jobs = vec![
        // A module attribute: the static check sends this entry to a child of its own.
        entry(1, &format!("{PID}import json\njson.dumps = None\nprint(json.dumps)\n"), &[]),
        entry(2, &format!("{PID}import json\nprint(json.dumps({{'a': 1}}))\n"), &[]),
        // Patched through a function parameter (the static check allows the module as an argument
        // of no other function): also a child of its own.
        entry(3, "def poke(m):\n    m.loads = None\nimport json\npoke(json)\nprint(json.loads)\n", &[]),
        entry(4, "import json\nprint(json.loads('[1]'))\n", &[]),
        // Environment, working directory, sys.path, builtins, a module from the entry's dir:
        // all allowed in a shared child, and reset after the entry.
        entry(
            5,
            &format!(
                "{PID}import os, sys, builtins\nos.environ['QA_ISO'] = '1'\nopen('left.txt', 'w').close()\n\
                 os.chdir('/')\nsys.path.append('/nowhere')\nbuiltins.LEAK = 1\nimport helper\nprint(helper.VALUE)\n"
            ),
            &[("helper.py", "VALUE = 'entry five'\n")],
        ),
        entry(
            6,
            &format!(
                "{PID}import os, sys\nprint(os.environ.get('QA_ISO'))\nprint(os.listdir('.'))\n\
                 print('/nowhere' in sys.path)\nprint(hasattr(__builtins__, 'LEAK'))\nimport helper\nprint(helper.VALUE)\n"
            ),
            &[("helper.py", "VALUE = 'entry six'\n")],
        ),
    ];
    let out = pool(true).run_collect(jobs);
    let p: Vec<Vec<String>> = out.iter().map(printed).collect();
    assert_eq!(p[0][1], "None");
    assert_eq!(p[1][1], "{\"a\": 1}", "json.dumps = None leaked into the next entry");
    assert_ne!(p[0][0], p[1][0], "a risky entry must not share its child");
    assert_eq!(p[2], vec!["None"]);
    assert_eq!(p[3], vec!["[1]"], "json.loads patched through a parameter leaked");
    // builtins.LEAK = 1 is risky by itself (a write through a module), so entry 5 runs alone;
    // the rest of the reset is proved by entries 7 and 8 below.
    assert_eq!(p[4][1], "entry five");
    assert_eq!(p[5][1..], ["None", "['helper.py']", "False", "False", "entry six"]);
}

#[test]
fn reset_in_a_shared_child() {
    // Nothing here is risky: entries 1 and 2 share a child and the reset alone isolates them.
    let jobs = vec![
        entry(
            1,
            &format!(
                "{PID}import os, sys\nos.environ['QA_ISO'] = '1'\nopen('left.txt', 'w').close()\n\
                 os.chdir('/')\nsys.path.append('/nowhere')\nimport helper\nprint(helper.VALUE)\n"
            ),
            &[("helper.py", "VALUE = 'entry one'\n")],
        ),
        entry(
            2,
            &format!(
                "{PID}import os, sys\nprint(os.environ.get('QA_ISO'))\nprint(os.listdir('.'))\n\
                 print('/nowhere' in sys.path)\nimport helper\nprint(helper.VALUE)\n"
            ),
            &[("helper.py", "VALUE = 'entry two'\n")],
        ),
    ];
    let out = pool(true).run_collect(jobs);
    let (a, b) = (printed(&out[0]), printed(&out[1]));
    assert_eq!(a[0], b[0], "these clean entries should share a child");
    assert_eq!(a[1], "entry one");
    assert_eq!(b[1..], ["None", "['helper.py']", "False", "entry two"]);
}

/// A helper module (so the entry itself imports nothing risky) that leaves a thread printing.
const CHATTY: &str = "import threading, time\n\
def _chatter():\n    while True:\n        print('leak')\n        time.sleep(0.005)\n\
threading.Thread(target=_chatter, daemon=True).start()\n";

#[test]
fn a_leftover_thread_does_not_print_into_the_next_entry() {
    for (n, code) in [
        // found by the static check (imports threading)
        (1, format!("{PID}{}", CHATTY)),
        // found only at run time (the thread comes from a module in the entry's dir)
        (3, format!("{PID}import chatty\n")),
    ] {
        let jobs = vec![
            entry(n, &code, &[("chatty.py", CHATTY)]),
            entry(
                n + 1,
                &format!("{PID}import time\ntime.sleep(0.3)\nprint('clean')\n"),
                &[],
            ),
            entry(n + 2, PID, &[]),
        ];
        let out = pool(true).run_collect(jobs);
        let first = completed(&out[0]);
        assert!(first.threads_left >= 1, "entry {n}: {first:#?}");
        let (a, b, c) = (printed(&out[0]), printed(&out[1]), printed(&out[2]));
        assert_eq!(b[1..], ["clean"], "entry {}: output leaked from the thread", n + 1);
        assert_ne!(a[0], b[0], "entry {}: ran in the dirty child", n + 1);
        assert_eq!(b[0], c[0], "clean entries after a fresh fork should share it");
        assert_eq!(completed(&out[1]).threads_left, 0);
    }
}

#[test]
fn a_crash_or_timeout_only_costs_its_own_entry() {
    let mut hang = entry(2, "import time\nx = 1\ntime.sleep(30)\n", &[]);
    hang.timeout = Some(Duration::from_millis(500));
    let jobs = vec![
        entry(1, "print('before')\n", &[]),
        hang,
        entry(3, "import os\nprint('ok')\nos.abort()\n", &[]),
        entry(4, "print('after')\n", &[]),
    ];
    let out = pool(true).run_collect(jobs);
    assert_eq!(printed(&out[0]), ["before"]);
    match &out[1] {
        EntryOutcome::TimedOut { stmt, .. } => assert_eq!(*stmt, Some((0, 3, 3))),
        o => panic!("expected a timeout: {o:#?}"),
    }
    match &out[2] {
        EntryOutcome::Crashed { detail, result, .. } => {
            assert!(detail.contains("SIGABRT"), "{detail}");
            assert_eq!(result.blocks.len(), 0);
        }
        o => panic!("expected a crash: {o:#?}"),
    }
    assert_eq!(printed(&out[3]), ["after"]);
}

#[test]
fn strict_mode_forks_every_entry() {
    let jobs = vec![entry(1, PID, &[]), entry(2, PID, &[])];
    let out = pool(false).run_collect(jobs);
    assert_ne!(printed(&out[0]), printed(&out[1]));
}

/// Entries of different files on one worker, as `isolation = "worker"` (the default) sends them.
fn entry_of(file: &str, code: &str) -> EntryJob {
    EntryJob {
        group: "*".into(),
        ..entry(0, code, &[])
    }
    .named(file)
}

trait Named {
    fn named(self, file: &str) -> Self;
}

impl Named for EntryJob {
    fn named(mut self, file: &str) -> Self {
        for b in &mut self.blocks {
            b.filename = format!("<qa:{file}:1>");
        }
        self
    }
}

#[test]
fn state_the_static_check_cannot_see_is_restored_or_retires_the_child() {
    // Each change goes through `getattr(module, name)`, which the static risk check lets pass:
    // what catches it is the comparison of the process state before and after the entry.
    let umask = "import os\nprint(os.getpid())\nset_umask = getattr(os, 'umask')\nprint(set_umask(0o077))\n";
    let decimal_set =
        "import os, decimal\nprint(os.getpid())\ngetattr(decimal, 'setcontext')(decimal.Context(prec=5))\n";
    let decimal_get = "import os, decimal\nprint(os.getpid())\nprint(decimal.getcontext().prec)\n";
    let handler = "import os, _signal\nprint(os.getpid())\nprint(getattr(_signal, 'getsignal')(10))\n\
                   getattr(_signal, 'signal')(10, getattr(_signal, 'SIG_IGN'))\n";
    let jobs = vec![
        entry_of("a.md", umask),
        entry_of("b.md", umask),
        entry_of("c.md", decimal_set),
        entry_of("d.md", decimal_get),
        entry_of("e.md", handler),
        entry_of("f.md", handler),
    ];
    let out = pool(true).run_collect(jobs);
    let p: Vec<Vec<String>> = out.iter().map(printed).collect();
    // A umask is put back in place: the same child goes on.
    assert_eq!(p[0][0], p[1][0], "a restored umask keeps the child");
    assert_eq!(p[1][1], p[0][1], "b.md saw a.md's umask");
    assert_ne!(p[0][1], "63");
    // A decimal context cannot be told apart from the entry's own use: the child is retired.
    assert_ne!(p[2][0], p[3][0], "a changed decimal context must retire the child");
    assert_eq!(p[3][1], "28", "d.md saw c.md's decimal precision");
    // A signal handler is put back.
    assert_eq!(p[4][1], p[5][1], "f.md saw e.md's signal handler");
    assert_eq!(p[5][1], "0", "SIG_DFL");
}

fn with_block(mut job: EntryJob, source: &str) -> EntryJob {
    let n = job.blocks.len();
    job.blocks.push(BlockJob {
        filename: format!("{}+{n}", job.blocks[0].filename),
        source: source.to_string(),
        mode: BlockMode::Exec,
        fresh_namespace: false,
    });
    job
}

/// Python that does not parse never runs: the child compiles a block whole before it runs a
/// statement of it, with the parser the static check uses. So such a block (Python 2, a
/// sketch) does not send its entry to a child of its own. A `__future__` import can change
/// the grammar the child parses with, so there it still does.
#[test]
fn a_block_that_does_not_parse_does_not_cost_a_child_of_its_own() {
    let python2 = "print \"a Python 2 page\"\nimport os\nos.umask(0)\n";
    let jobs = vec![
        with_block(entry(1, PID, &[]), python2),
        entry(2, PID, &[]),
        with_block(
            entry(3, &format!("from __future__ import barry_as_FLUFL\n{PID}"), &[]),
            "print(1 <> 2)\n",
        ),
        entry(4, PID, &[]),
    ];
    let out = pool(true).run_collect(jobs);
    let p: Vec<Vec<String>> = out.iter().map(printed).collect();
    assert!(
        completed(&out[0]).blocks[1].syntax_error.is_some(),
        "the Python 2 block must not compile: {:#?}",
        completed(&out[0]).blocks[1]
    );
    assert_eq!(
        p[0][0], p[1][0],
        "an entry with a block that cannot run should share its child"
    );
    assert_eq!(
        p[2][1], "True",
        "the future import changes what the next block parses as"
    );
    assert_ne!(
        p[2][0], p[3][0],
        "a block only the future import makes parse must run alone"
    );
    // The same import spelled with full-width underscores: Python reads identifiers NFKC-
    // normalised, so it is the same future import, and the check must see it as one.
    let jobs = vec![
        with_block(
            entry(
                5,
                &format!("from _\u{ff3f}future\u{ff3f}\u{ff3f} import barry_as_FLUFL\n{PID}"),
                &[],
            ),
            "print(1 <> 2)\n",
        ),
        entry(6, PID, &[]),
    ];
    let out = pool(true).run_collect(jobs);
    let p: Vec<Vec<String>> = out.iter().map(printed).collect();
    assert_eq!(p[0][1], "True");
    assert_ne!(p[0][0], p[1][0], "a future import in another spelling was not seen");
}

/// A `file=` block or fixture module runs when a block imports it: the static check reads it
/// as it reads the blocks, so a module that patches another sends its entry to a child of its
/// own, and the next entry sees the module unpatched.
#[test]
fn the_static_check_reads_the_modules_an_entry_brings() {
    let patch = "import json\njson.dumps = lambda *a, **k: 'patched'\n";
    let jobs = vec![
        entry(1, &format!("{PID}import helper\n"), &[("helper.py", patch)]),
        entry(2, &format!("{PID}import json\nprint(json.dumps([1]))\n"), &[]),
    ];
    let out = pool(true).run_collect(jobs);
    let p: Vec<Vec<String>> = out.iter().map(printed).collect();
    assert_eq!(
        p[1][1], "[1]",
        "a module the first entry brought patched json for the second"
    );
    assert_ne!(p[0][0], p[1][0], "an entry whose module patches json must run alone");
}

/// A reusable child reads its size through a descriptor it keeps open (to re-arm the memory
/// limit before each entry). An entry that closes that descriptor and gets its number back for a
/// file of its own must not set the next entry's limit: the child opens /proc again.
#[test]
fn an_entry_that_takes_the_childs_statm_descriptor_does_not_set_the_next_limit() {
    let take = "import os\n\
        def target(n):\n    try:\n        return os.readlink('/proc/self/fd/' + n)\n    except OSError:\n        return ''\n\
        fd = next(int(n) for n in os.listdir('/proc/self/fd') if target(n).endswith('/statm'))\n\
        os.fdopen(fd).close()\n\
        with open('fake', 'w') as f:\n    f.write('1 1 1 1 1 1 1\\n')\n\
        assert os.open('fake', os.O_RDONLY) == fd\n\
        print(os.getpid())\n";
    // The next entry's address-space limit is its size before it ran plus its memory budget
    // (Limits::default, 1 GiB): from the fake file it would be 4 KiB plus the budget.
    // (Read from /proc: importing `resource` would send the entry to a child of its own.)
    let limit = "vm = int(open('/proc/self/statm').read().split()[0]) * os.sysconf('SC_PAGE_SIZE')\n\
        soft = next(l for l in open('/proc/self/limits') if l.startswith('Max address space')).split()[3]\n\
        print(round((int(soft) - vm) / 2**20))\n";
    let jobs = vec![entry(1, take, &[]), entry(2, &format!("{PID}{limit}"), &[])];
    let out = pool(true).run_collect(jobs);
    let (a, b) = (printed(&out[0]), printed(&out[1]));
    assert_eq!(
        a[0], b[0],
        "the second entry must run in the same child, or this proves nothing"
    );
    let headroom: i64 = b[1].parse().unwrap();
    assert!(
        (1000..=1024).contains(&headroom),
        "the memory limit leaves {headroom} MiB above the entry's size, not its 1024 MiB budget"
    );
}
