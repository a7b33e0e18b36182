//! The worker pool: N `<exe> __worker` processes, one Rust thread per worker pulling entries
//! from a shared queue. See `worker.rs` for the worker side and `qa_helper.py` for the protocol.
//!
//! Isolation layers: the worker is spawned with a scrubbed environment, in its own process group,
//! with `PR_SET_PDEATHSIG(SIGKILL)` and no core files; inside it, entries run in forked children
//! with rlimits and a sandbox (see `qa_helper.py`): one child per entry, or with
//! [`Limits::reuse`] one child for a run of clean entries of the same file. The Rust side adds a watchdog: a worker
//! that does not answer within the entry timeout + 5 s is killed (whole group) and replaced, and
//! a worker that dies mid-entry costs that entry only ([`EntryOutcome::Crashed`]).

use super::claim::Claims;
pub use super::claim::MAX_CLAIM;
use super::protocol::*;
pub use super::worker_process::{cli_command, set_worker_command, worker_command, WorkerCommand};
use super::worker_process::{spawn_worker_process, LineReader, ReadErr, Worker, WorkerEnv};
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::Child;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// Extra time the Rust watchdog allows beyond the entry's own timeout.
pub const WATCHDOG_GRACE: Duration = Duration::from_secs(5);
/// Entries a worker thread keeps at its worker: the next is sent before the answer to the one
/// before it, so the supervisor can hand it to a reused child the moment that child is done
/// (qa_helper.py, `look_ahead`), and the three processes overlap instead of taking turns.
pub const PIPELINE: usize = 2;
/// Largest request sent ahead of an answer. A pipe holds 64 KiB: a bigger request sent ahead
/// could block this thread while the supervisor blocks writing a big answer to it.
const PIPELINE_MAX_BYTES: usize = 32 << 10;
/// How long a new worker may take to start CPython and say hello.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a dropped pool waits for its workers to end on their own (stdin closed) before it
/// kills them. A worker that ends on its own has reaped its children, so their CPU time is in
/// this process's `RUSAGE_CHILDREN` (what `/usr/bin/time` and the bench report); a killed one
/// takes its children's accounting with it.
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// A spawn request for the spawner thread: which executable, confined or not, with a spare
/// child or not, and where to send the child.
type SpawnReq = (PathBuf, bool, bool, WorkerEnv, mpsc::Sender<io::Result<Child>>);

/// A pool of Python workers. Workers are started lazily and kept across [`Pool::run`] calls;
/// they are killed when the pool is dropped (or, through PDEATHSIG, when this process dies).
pub struct Pool {
    size: usize,
    limits: Limits,
    exe: PathBuf,
    idle: Mutex<Vec<Worker>>,
    /// Workers started ([`Pool::launch`]) whose hello has not been read yet: their CPython
    /// starts while this process still parses; [`Pool::spawn`] takes them first.
    launched: Mutex<Vec<Worker>>,
    version: Mutex<Option<String>>,
    /// A start-up error that will not go away by retrying (e.g. a venv of the wrong Python).
    fatal: Mutex<Option<String>>,
    next_id: AtomicU64,
    /// Set by [`Pool::with_policy`]; else probed when the first worker starts (a pipeline run
    /// always sets it, so `--sandbox weak` never pays the probe's fork).
    policy: std::sync::OnceLock<super::confine::Policy>,
    /// Whether workers fork their next child ahead (see [`spare_wanted`]).
    spare: bool,
    /// What workers are given of qa-lint's environment ([`Pool::with_environment`]).
    env: WorkerEnv,
    /// Key of the per-request nonces (random per pool, never leaves this process).
    nonce_key: [u8; 32],
    spawn_tx: Mutex<Option<mpsc::Sender<SpawnReq>>>,
    spawner: Option<std::thread::JoinHandle<()>>,
}

impl Pool {
    /// `jobs` = number of workers (0 = `available_parallelism`). Workers re-execute the current
    /// executable as `<exe> __worker`, which must call [`super::worker_main`].
    ///
    /// Workers are confined where the kernel allows ([`super::confine::Policy::detect`]);
    /// [`Pool::with_policy`] sets the run's policy instead.
    pub fn new(jobs: usize, limits: Limits) -> Pool {
        let size = if jobs == 0 { cores() } else { jobs };
        let exe = worker_command().map_or_else(
            || std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe")),
            |w| w.program.clone(),
        );
        // PR_SET_PDEATHSIG fires when the *thread* that forked the worker exits, so all workers
        // are spawned by this long-lived thread.
        let (tx, rx) = mpsc::channel::<SpawnReq>();
        let spawner = std::thread::Builder::new()
            .name("qa-lint-spawner".into())
            .spawn(move || {
                for (exe, kernel, spare, env, reply) in rx {
                    let _ = reply.send(spawn_worker_process(&exe, kernel, spare, &env));
                }
            })
            .expect("spawn thread");
        Pool {
            size,
            limits,
            exe,
            idle: Mutex::new(Vec::new()),
            launched: Mutex::new(Vec::new()),
            version: Mutex::new(None),
            fatal: Mutex::new(None),
            next_id: AtomicU64::new(1),
            policy: std::sync::OnceLock::new(),
            spare: spare_wanted(size, None),
            env: (None, None),
            nonce_key: random_key(),
            spawn_tx: Mutex::new(Some(tx)),
            spawner: Some(spawner),
        }
    }

    /// The run's confinement policy: confined workers when `kernel`; with `strict`, one fork
    /// per entry (the entry timeout is capped where it is planned). Before any worker starts.
    pub fn with_policy(mut self, policy: super::confine::Policy) -> Pool {
        if policy.strict {
            self.limits.reuse = false;
        }
        self.policy = std::sync::OnceLock::from(policy);
        self
    }

    fn policy(&self) -> super::confine::Policy {
        *self.policy.get_or_init(super::confine::Policy::detect)
    }

    /// The run's environment ([`crate::environment::Environment`]): workers get its
    /// `VIRTUAL_ENV` and `QA_LINT_EXEC_TRACE`, and `QA_LINT_SPARE` decides the spare. Without
    /// it, workers get neither and the spare is decided by the cores. Before any worker starts.
    pub fn with_environment(mut self, env: &crate::environment::Environment) -> Pool {
        self.spare = spare_wanted(self.size, env.spare);
        self.env = (env.virtual_env.clone(), env.exec_trace.clone());
        self
    }

    /// Use another executable for the workers (it must call `worker_main()` on `__worker`);
    /// for tests whose own binary is a test harness.
    pub fn with_worker_exe(mut self, exe: impl Into<PathBuf>) -> Pool {
        self.exe = exe.into();
        self
    }

    /// Number of workers.
    pub fn size(&self) -> usize {
        self.size
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Version of the embedded interpreter as the workers see it, e.g. "CPython 3.11.7".
    /// Starts a worker if none has started yet; fails with a clear message when the interpreter
    /// cannot start (e.g. `VIRTUAL_ENV` points at a venv of another Python version).
    pub fn python_version(&self) -> anyhow::Result<String> {
        if let Some(v) = self.version.lock().unwrap().clone() {
            return Ok(v);
        }
        let w = self.spawn().map_err(anyhow::Error::msg)?;
        self.idle.lock().unwrap().push(w);
        Ok(self.version.lock().unwrap().clone().unwrap_or_default())
    }

    /// Runs all entries across the workers and calls `on_done(index_in_jobs, outcome)` as each one
    /// finishes (from worker threads, in completion order: the caller sorts). Never fails as a
    /// whole: worker trouble becomes [`EntryOutcome::Crashed`] for the entry concerned.
    ///
    /// A worker thread claims a run of consecutive jobs of the same [`EntryJob::group`] at once
    /// (at most [`MAX_CLAIM`]) and sends them in order, so its worker can reuse one forked child
    /// for them; jobs with an empty group are claimed one by one; and it may claim the next job
    /// ahead while its worker still runs one (claim.rs says when).
    pub fn run<F>(&self, jobs: Vec<EntryJob>, on_done: F)
    where
        F: Fn(usize, EntryOutcome) + Sync,
    {
        let threads = self.size.min(jobs.len());
        let claims = Claims::new(&jobs, threads);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    let mut worker = self.idle.lock().unwrap().pop();
                    self.run_claims(&mut worker, &jobs, &claims, &on_done);
                    if let Some(w) = worker {
                        self.idle.lock().unwrap().push(w);
                    }
                });
            }
        });
    }

    /// How many workers [`Pool::run`] would keep busy with `jobs`: one per claim, at most
    /// the pool's size (a thread that finds nothing to claim starts no worker).
    pub fn workers_for(&self, jobs: &[EntryJob]) -> usize {
        super::claim::runs(jobs, self.size)
    }

    /// [`Pool::run`] collecting the outcomes in job order.
    pub fn run_collect(&self, jobs: Vec<EntryJob>) -> Vec<EntryOutcome> {
        let n = jobs.len();
        let slots: Vec<Mutex<Option<EntryOutcome>>> = (0..n).map(|_| Mutex::new(None)).collect();
        self.run(jobs, |i, o| *slots[i].lock().unwrap() = Some(o));
        slots
            .into_iter()
            .map(|m| {
                m.into_inner()
                    .unwrap()
                    .unwrap_or_else(|| Self::crashed("no result".into()))
            })
            .collect()
    }

    fn crashed(detail: String) -> EntryOutcome {
        EntryOutcome::Crashed {
            result: EntryResult::default(),
            detail,
            stmt: None,
        }
    }

    /// Runs the jobs this thread claims, each run in order, on one worker, [`PIPELINE`] at a
    /// time. With nothing left to send while a request is in flight, it claims the next job
    /// ahead when it may (claim.rs): the worker's pipeline stays full across runs. When the
    /// worker dies or is retired, the entries already sent to it after the one that was
    /// running are sent again to the next worker: each entry's outcome comes from one
    /// complete run.
    fn run_claims<F>(&self, slot: &mut Option<Worker>, jobs: &[EntryJob], claims: &Claims, on_done: &F)
    where
        F: Fn(usize, EntryOutcome) + Sync,
    {
        let mut queue: VecDeque<usize> = claims.first().into_iter().flatten().collect();
        let mut in_flight: VecDeque<(usize, Sent)> = VecDeque::new();
        // The worker stopped taking requests (a write failed) while it had some in flight:
        // their answers may be in its pipe already (a supervisor that retires answers, then
        // exits), so they are read before it is replaced.
        let mut stopped = false;
        loop {
            while in_flight.len() < PIPELINE && !stopped {
                if queue.is_empty() {
                    let more = match in_flight.back() {
                        None => claims.run(),
                        Some(&(running, _)) => claims.ahead(running),
                    };
                    queue.extend(more.into_iter().flatten());
                }
                let Some(&i) = queue.front() else { break };
                let request = self.request(&jobs[i]);
                if !in_flight.is_empty() && request.line.len() > PIPELINE_MAX_BYTES {
                    break;
                }
                queue.pop_front();
                match self.send(slot, request) {
                    Ok(sent) => in_flight.push_back((i, sent)),
                    Err(Unsent::NoWorker(detail)) => on_done(i, Self::crashed(detail)),
                    Err(Unsent::WriteFailed(e)) if in_flight.is_empty() => {
                        let st = slot.take().map(|mut w| w.kill()).unwrap_or_default();
                        let detail = format!("the Python worker died ({st}; write failed: {e})");
                        on_done(i, Self::crashed(detail));
                    }
                    Err(Unsent::WriteFailed(_)) => {
                        // The entries in flight are answered below (or found dead there);
                        // this one goes again, to the next worker.
                        queue.push_front(i);
                        stopped = true;
                        break;
                    }
                }
            }
            let Some((i, sent)) = in_flight.pop_front() else {
                if std::mem::take(&mut stopped) {
                    if let Some(mut w) = slot.take() {
                        w.kill();
                    }
                }
                if queue.is_empty() {
                    return;
                }
                continue;
            };
            let outcome = self.receive(slot, &jobs[i], &sent);
            on_done(i, outcome);
            if slot.is_none() {
                stopped = false;
                while let Some((j, _)) = in_flight.pop_back() {
                    queue.push_front(j);
                }
            }
        }
    }

    /// The request line for `job`, with a fresh id and nonce.
    fn request(&self, job: &EntryJob) -> Request {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // Under --strict-sandbox the entry's plan already holds the trusted cap
        // (settings::plan_entry): the limit is decided once, where the diagnostic reads it.
        let timeout = job.timeout.unwrap_or(self.limits.timeout);
        let nonce = blake3::keyed_hash(&self.nonce_key, &id.to_le_bytes()).to_hex();
        let nonce = nonce.as_str()[..32].to_string();
        let req = WireRequest {
            id,
            nonce: &nonce,
            blocks: &job.blocks,
            files: job.files.iter().map(|(p, b)| (p.as_str(), latin1(b))).collect(),
            requires: &job.requires,
            timeout: timeout.as_secs_f64(),
            sandbox: job.sandbox,
            limits: &self.limits,
            group: &job.group,
        };
        let mut line = serde_json::to_string(&req).expect("serialise request");
        line.push('\n');
        Request {
            line,
            sent: Sent {
                id,
                nonce,
                len: 0,
                timeout,
            },
        }
    }

    /// Sends a request to the worker (started if there is none). A worker whose stdin failed
    /// is left in `slot` for the caller: it may still hold answers.
    fn send(&self, slot: &mut Option<Worker>, request: Request) -> Result<Sent, Unsent> {
        if slot.is_none() {
            match self.spawn() {
                Ok(w) => *slot = Some(w),
                Err(e) => return Err(Unsent::NoWorker(format!("could not start a Python worker: {e}"))),
            }
        }
        let w = slot.as_mut().expect("worker");
        let stdin = w.stdin.as_mut().expect("stdin is open until the pool is dropped");
        if let Err(e) = stdin.write_all(request.line.as_bytes()).and_then(|_| stdin.flush()) {
            return Err(Unsent::WriteFailed(e));
        }
        Ok(Sent {
            len: request.line.len(),
            ..request.sent
        })
    }

    /// Waits for the answer to `sent`, the oldest request in flight. Its watchdog starts now,
    /// when the worker has answered every request sent before it.
    fn receive(&self, slot: &mut Option<Worker>, job: &EntryJob, sent: &Sent) -> EntryOutcome {
        let Some(w) = slot.as_mut() else {
            return Self::crashed("the Python worker died".to_string());
        };
        let (id, nonce, timeout) = (sent.id, sent.nonce.as_str(), sent.timeout);
        let deadline = Instant::now() + timeout + WATCHDOG_GRACE;
        let cap = response_cap(&self.limits, sent.len);
        let (detail, fatal) = match w.out.read_line(deadline, cap) {
            Ok(text) => match serde_json::from_str::<WireResponse>(&text) {
                Ok(r) if r.id == Some(id) && r.nonce == nonce => match (r.outcome, r.error) {
                    (Some(o), _) => match check_outcome(&o, job) {
                        Ok(()) => {
                            if r.retire {
                                if let Some(mut w) = slot.take() {
                                    w.kill();
                                }
                            }
                            return o;
                        }
                        Err(e) => (format!("invalid result: {e}"), true),
                    },
                    (None, e) => (format!("qa-lint helper error: {}", e.unwrap_or_default()), false),
                },
                Ok(r) => (
                    format!(
                        "protocol desync: response id {:?}, expected {id}, or a wrong nonce",
                        r.id
                    ),
                    true,
                ),
                Err(e) => (format!("unreadable worker response ({e}): {:.200}", text), true),
            },
            Err(ReadErr::TooLong) => (format!("the worker's answer exceeded {cap} bytes"), true),
            Err(ReadErr::Timeout) => (
                format!(
                    "worker watchdog: no answer within {:.1}s; worker killed and replaced",
                    (timeout + WATCHDOG_GRACE).as_secs_f64()
                ),
                true,
            ),
            Err(ReadErr::Eof) => ("the Python worker died".to_string(), true),
            Err(ReadErr::Io(e)) => (format!("reading from the worker failed: {e}"), true),
        };
        if fatal {
            let st = slot.take().map(|mut w| w.kill()).unwrap_or_default();
            return Self::crashed(format!("{detail} ({st})"));
        }
        Self::crashed(detail)
    }

    /// Starts workers, without waiting for them, until `n` are started or ready: a worker's
    /// CPython takes tens of milliseconds to start (more with a `site` that imports), time the
    /// run can spend parsing, or starting the others, instead of waiting for each in turn.
    pub fn launch(&self, n: usize) {
        if self.fatal.lock().unwrap().is_some() {
            return;
        }
        let have = self.idle.lock().unwrap().len() + self.launched.lock().unwrap().len();
        for _ in have..n.min(self.size) {
            match self.start() {
                Ok(w) => self.launched.lock().unwrap().push(w),
                Err(_) => return, // spawn() meets the same error, and reports it
            }
        }
    }

    /// A worker, started earlier ([`Pool::launch`]) or now, once its hello line has been read.
    fn spawn(&self) -> Result<Worker, String> {
        if let Some(f) = self.fatal.lock().unwrap().clone() {
            return Err(f);
        }
        let launched = self.launched.lock().unwrap().pop();
        let w = match launched {
            Some(w) => w,
            None => self.start()?,
        };
        self.greet(w)
    }

    /// Starts a worker process (the spawner thread forks it).
    fn start(&self) -> Result<Worker, String> {
        let (rtx, rrx) = mpsc::channel();
        {
            let guard = self.spawn_tx.lock().unwrap();
            let tx = guard.as_ref().ok_or("pool is shutting down")?;
            tx.send((
                self.exe.clone(),
                self.policy().kernel,
                self.spare,
                self.env.clone(),
                rtx,
            ))
            .map_err(|_| "spawner thread is gone")?;
        }
        let child = rrx.recv().map_err(|_| "spawner thread is gone".to_string())?;
        let mut child = child.map_err(|e| format!("cannot run {} __worker: {e}", self.exe.display()))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let out = LineReader::new(child.stdout.take().expect("piped stdout"));
        Ok(Worker {
            pid: child.id() as i32,
            child,
            stdin: Some(stdin),
            out,
        })
    }

    /// Reads a started worker's hello: ready, or why it cannot start.
    fn greet(&self, mut w: Worker) -> Result<Worker, String> {
        match w.out.read_line(Instant::now() + STARTUP_TIMEOUT, 1 << 20) {
            Ok(text) => match serde_json::from_str::<WireHello>(&text) {
                Ok(WireHello { fatal: Some(f), .. }) => {
                    w.kill();
                    *self.fatal.lock().unwrap() = Some(f.clone());
                    Err(f)
                }
                Ok(WireHello { confined: false, .. }) if self.policy().kernel => {
                    w.kill();
                    let f = "the worker did not confine itself".to_string();
                    *self.fatal.lock().unwrap() = Some(f.clone());
                    Err(f)
                }
                Ok(WireHello { python: Some(v), .. }) => {
                    *self.version.lock().unwrap() = Some(v);
                    Ok(w)
                }
                _ => Err(format!("bad hello from worker: {text:.200} ({})", w.kill())),
            },
            Err(ReadErr::Timeout) => Err(format!("worker did not start in time ({})", w.kill())),
            Err(_) => Err(format!("worker exited during start-up ({})", w.kill())),
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Started and never used: nothing of theirs to wind down, so no grace period either.
        drop(std::mem::take(&mut *self.launched.lock().unwrap()));
        let mut idle = std::mem::take(&mut *self.idle.lock().unwrap());
        for w in &mut idle {
            w.stdin.take(); // end of input: the supervisor ends its children and exits
        }
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        for w in &mut idle {
            w.wait_until(deadline);
        }
        drop(idle); // Worker::drop kills what is left
        self.spawn_tx.lock().unwrap().take();
        if let Some(h) = self.spawner.take() {
            let _ = h.join();
        }
    }
}

/// Largest answer line a worker may send for a request of `request_len` bytes: what the output
/// cap explains (JSON escaping may turn a byte into six), plus the echoed sources, plus slack.
/// The supervisor caps what it reads from the child the same way, so only a broken or hijacked
/// supervisor ever reaches this.
fn response_cap(limits: &Limits, request_len: usize) -> usize {
    let out = usize::try_from(limits.max_output_bytes).unwrap_or(usize::MAX / 16);
    out.saturating_mul(8)
        .saturating_add(request_len.saturating_mul(2))
        .saturating_add(2 << 20)
}

/// A result may describe only the job it answers: no more blocks than the job has (all of
/// them when it completed), no missing module it did not require.
fn check_outcome(o: &EntryOutcome, job: &EntryJob) -> Result<(), String> {
    let n = job.blocks.len();
    let (got, exact) = match o {
        EntryOutcome::Completed(r) => (r.blocks.len(), true),
        EntryOutcome::TimedOut { result, .. } | EntryOutcome::Crashed { result, .. } => (result.blocks.len(), false),
        EntryOutcome::MissingModules(m) => {
            return match m.iter().find(|m| !job.requires.contains(m)) {
                Some(m) => Err(format!("missing module {m:?} was not required")),
                None => Ok(()),
            }
        }
    };
    if got > n || (exact && got != n) {
        return Err(format!("{got} block results for {n} blocks"));
    }
    Ok(())
}

/// 32 random bytes from the kernel (a fixed fallback only if /dev/urandom is missing, which
/// leaves the nonces predictable but the protocol working).
fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut key);
    }
    key
}

/// The machine's cores: what `--jobs 0` and the default number of workers mean.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The cores a pool of `workers` leaves free: where work done beside the entries (a child
/// forked ahead, the next files checked ahead) costs the workers nothing. With a worker per
/// core there are none, and such work only takes CPU from them.
pub fn free_cores(workers: usize) -> usize {
    cores().saturating_sub(workers)
}

/// Whether the workers of a pool of `workers` should fork their next child ahead, while an entry
/// runs: `QA_LINT_SPARE=0` or `1` (`asked`) decides (the bench's before/after); otherwise only
/// when a core is left over for it ([`free_cores`]). Measured on 2 cores (docs/performance-history.md): with `--jobs 1` the spare
/// takes the fork off the entries' path (strict: about a third less wall time); with a worker
/// per core it only adds its CPU (5-10%) to cores that are busy already.
fn spare_wanted(workers: usize, asked: Option<bool>) -> bool {
    asked.unwrap_or_else(|| free_cores(workers) > 0)
}

/// A request line and what its answer must carry.
struct Request {
    line: String,
    sent: Sent,
}

/// Why a request was not sent.
enum Unsent {
    /// No worker could be started (the entry's outcome says why).
    NoWorker(String),
    /// The worker no longer reads its requests (it exited, or is exiting).
    WriteFailed(io::Error),
}

/// A request in flight: what its answer must carry and how long it may take.
struct Sent {
    id: u64,
    nonce: String,
    len: usize,
    timeout: Duration,
}
