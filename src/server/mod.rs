//! `qa-lint server`: the Language Server Protocol over stdio, for Markdown files.
//!
//! One thread owns all state and handles messages in order; runs of the examples happen in
//! child processes (see [`analyze`]) whose results come back on a channel. On open, the
//! static diagnostics are published at once and a run starts; on change, the static check is
//! debounced and a run in progress is cancelled; on save (and, optionally, after a pause in
//! typing) the examples run again, from the cache for every entry that did not change.

mod actions;
mod analyze;
mod diagnostics;
mod hover;
mod position;
mod progress;
mod store;

use crossbeam_channel::{select, Receiver, Sender};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{notification as n, request as r, Uri};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use store::Doc;

/// How long typing must pause before the static check runs.
const STATIC_DEBOUNCE: Duration = Duration::from_millis(150);

/// A finished run: the document, the generation it ran on, its result and its progress token.
struct RunDone(Uri, u64, analyze::RunResult, Option<String>);

struct Server {
    conn: Connection,
    docs: HashMap<Uri, Doc>,
    /// Where runs start (the relative default cache directory is found from here, as the
    /// CLI finds it from its working directory) and where unsaved buffers are checked from.
    root: PathBuf,
    exe: PathBuf,
    /// Where runs keep their results: `QA_LINT_CACHE_DIR` or `.qa-lint-cache`, from the root.
    cache_dir: PathBuf,
    /// Also run the examples after this long without typing (`None`: on open and save only).
    run_after_pause: Option<Duration>,
    done_tx: Sender<RunDone>,
    done_rx: Receiver<RunDone>,
    /// Documents waiting for a run: one runs at a time, since each run already uses every
    /// core (an editor that restores twenty tabs must not start twenty runs at once).
    queue: std::collections::VecDeque<Uri>,
    progress: progress::Progress,
    shutting_down: bool,
}

/// Run the server on standard input and output; the exit code is 0 after a shutdown request
/// and an exit notification, 1 when the client went away or exited without shutting down.
pub fn run() -> i32 {
    let (conn, io) = Connection::stdio();
    let code = match serve(conn) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("qa-lint server: {e}");
            1
        }
    };
    // The writer thread ends once the connection (its sender) is dropped, inside serve.
    let _ = io.join();
    code
}

fn capabilities() -> serde_json::Value {
    use lsp_types::*;
    let caps = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::FULL),
            save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                include_text: Some(false),
            })),
            ..TextDocumentSyncOptions::default()
        })),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::new("source.fixAll.qa-lint"),
            ]),
            ..CodeActionOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    };
    serde_json::json!({
        "capabilities": caps,
        "serverInfo": { "name": "qa-lint", "version": env!("CARGO_PKG_VERSION") },
    })
}

fn serve(conn: Connection) -> Result<i32, String> {
    let (id, params) = conn.initialize_start().map_err(|e| e.to_string())?;
    conn.initialize_finish(id, capabilities()).map_err(|e| e.to_string())?;
    // rootUri is deprecated in favour of workspaceFolders; clients send one or both.
    let root = params["workspaceFolders"][0]["uri"]
        .as_str()
        .or(params["rootUri"].as_str())
        .and_then(|u| u.parse::<Uri>().ok())
        .map(|u| store::uri_to_path(&u, std::path::Path::new(".")))
        .filter(|p| p.is_dir())
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."));
    let pause = params["initializationOptions"]["runAfterPauseMs"].as_u64();
    let watch = params["capabilities"]["workspace"]["didChangeWatchedFiles"]["dynamicRegistration"] == true;
    let (done_tx, done_rx) = crossbeam_channel::unbounded();
    let mut server = Server {
        conn,
        docs: HashMap::new(),
        root: root.clone(),
        exe: analyze::current_exe(),
        cache_dir: root.join(
            crate::environment::Environment::read()
                .cache_dir
                .unwrap_or_else(|| ".qa-lint-cache".into()),
        ),
        run_after_pause: pause.filter(|&ms| ms > 0).map(Duration::from_millis),
        done_tx,
        done_rx,
        queue: std::collections::VecDeque::new(),
        progress: progress::Progress::new(params["capabilities"]["window"]["workDoneProgress"] == true),
        shutting_down: false,
    };
    if watch {
        server.watch_config_files();
    }
    let code = server.main_loop();
    for doc in server.docs.values_mut() {
        doc.cancel_run();
    }
    Ok(code)
}

impl Server {
    fn main_loop(&mut self) -> i32 {
        loop {
            let wait = self.next_deadline().map_or(Duration::from_secs(3600), |t| {
                t.saturating_duration_since(Instant::now())
            });
            let receiver = self.conn.receiver.clone();
            let done_rx = self.done_rx.clone();
            select! {
                recv(receiver) -> msg => match msg {
                    Ok(Message::Notification(not)) if not.method == n::Exit::METHOD => {
                        return if self.shutting_down { 0 } else { 1 };
                    }
                    Ok(msg) => self.handle(msg),
                    // The client closed our standard input without an exit notification.
                    Err(_) => return 1,
                },
                recv(done_rx) -> done => {
                    if let Ok(done) = done {
                        self.finished(done);
                    }
                }
                default(wait) => {}
            }
            self.fire_due();
            self.start_queued();
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.docs
            .values()
            .flat_map(|d| [d.static_due, d.exec_due])
            .flatten()
            .min()
    }

    fn fire_due(&mut self) {
        let now = Instant::now();
        let uris: Vec<Uri> = self.docs.keys().cloned().collect();
        for uri in uris {
            let Some(doc) = self.docs.get_mut(&uri) else { continue };
            if doc.static_due.is_some_and(|t| t <= now) {
                self.check_static(&uri);
            }
            if self.docs.get(&uri).and_then(|d| d.exec_due).is_some_and(|t| t <= now) {
                self.start_run(&uri);
            }
        }
    }

    fn handle(&mut self, msg: Message) {
        match msg {
            Message::Request(req) => self.request(req),
            Message::Notification(not) => self.notification(not),
            Message::Response(_) => {}
        }
    }

    fn respond(&self, resp: Response) {
        let _ = self.conn.sender.send(resp.into());
    }

    fn request(&mut self, req: Request) {
        if self.shutting_down {
            let msg = "the server is shutting down".to_string();
            return self.respond(Response::new_err(req.id, ErrorCode::InvalidRequest as i32, msg));
        }
        match req.method.as_str() {
            r::Shutdown::METHOD => {
                self.shutting_down = true;
                for doc in self.docs.values_mut() {
                    doc.cancel_run();
                }
                self.respond(Response::new_ok(req.id, ()));
            }
            r::CodeActionRequest::METHOD => {
                let result = req.extract::<lsp_types::CodeActionParams>(r::CodeActionRequest::METHOD);
                match result {
                    Ok((id, p)) => {
                        let uri = p.text_document.uri;
                        let actions = self
                            .docs
                            .get(&uri)
                            .map(|d| actions::actions(&uri, d, p.range))
                            .unwrap_or_default();
                        self.respond(Response::new_ok(id, actions));
                    }
                    Err(e) => self.bad_params(e),
                }
            }
            r::HoverRequest::METHOD => match req.extract::<lsp_types::HoverParams>(r::HoverRequest::METHOD) {
                Ok((id, p)) => {
                    let pos = p.text_document_position_params;
                    let hover = self
                        .docs
                        .get(&pos.text_document.uri)
                        .and_then(|d| hover::hover(d, pos.position, &self.cache_dir));
                    self.respond(Response::new_ok(id, hover));
                }
                Err(e) => self.bad_params(e),
            },
            _ => {
                let msg = format!("qa-lint server does not handle {}", req.method);
                self.respond(Response::new_err(req.id, ErrorCode::MethodNotFound as i32, msg));
            }
        }
    }

    fn bad_params(&self, e: lsp_server::ExtractError<Request>) {
        if let lsp_server::ExtractError::JsonError { method, error } = e {
            self.log(&format!("ignoring {method} with bad parameters: {error}"));
        }
    }

    fn notification(&mut self, not: Notification) {
        match not.method.as_str() {
            n::DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(not.params) else {
                    return;
                };
                let d = p.text_document;
                self.docs
                    .insert(d.uri.clone(), Doc::new(&d.uri, &self.root, d.text, d.version));
                self.check_static(&d.uri);
                self.start_run(&d.uri);
            }
            n::DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(not.params) else {
                    return;
                };
                let pause = self.run_after_pause;
                let Some(doc) = self.docs.get_mut(&p.text_document.uri) else {
                    return;
                };
                // Full sync: the last change holds the whole new text.
                let Some(change) = p.content_changes.into_iter().last() else {
                    return;
                };
                doc.edit(change.text);
                doc.version = p.text_document.version;
                doc.cancel_run();
                // The text it was queued for is gone; the next save or pause queues it again.
                self.queue.retain(|u| *u != p.text_document.uri);
                let now = Instant::now();
                doc.static_due = Some(now + STATIC_DEBOUNCE);
                doc.exec_due = pause.map(|p| now + p);
            }
            n::DidSaveTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(not.params) else {
                    return;
                };
                let uri = p.text_document.uri;
                if self.docs.get(&uri).is_some_and(|d| d.static_due.is_some()) {
                    self.check_static(&uri);
                }
                self.start_run(&uri);
            }
            n::DidChangeWatchedFiles::METHOD => {
                // A configuration or schema changed: every open file is checked and run again
                // (the cache keeps that cheap for entries whose execution settings did not change).
                let now = Instant::now();
                for doc in self.docs.values_mut() {
                    doc.generation += 1;
                    doc.cancel_run();
                    doc.static_due = Some(now);
                    doc.exec_due = Some(now);
                }
            }
            n::DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(not.params) else {
                    return;
                };
                if let Some(mut doc) = self.docs.remove(&p.text_document.uri) {
                    doc.cancel_run();
                }
                self.publish_raw(p.text_document.uri, Vec::new(), None);
            }
            _ => {}
        }
    }

    /// Ask the client to tell us when a configuration file or a schema changes.
    fn watch_config_files(&self) {
        let watchers: Vec<_> = [
            "**/qa-lint.toml",
            "**/.qa-lint.toml",
            "**/pyproject.toml",
            "**/*.schema.json",
        ]
        .into_iter()
        .map(|glob| lsp_types::FileSystemWatcher {
            glob_pattern: lsp_types::GlobPattern::String(glob.into()),
            kind: None,
        })
        .collect();
        let registration = lsp_types::Registration {
            id: "qa-lint-config".into(),
            method: n::DidChangeWatchedFiles::METHOD.into(),
            register_options: serde_json::to_value(lsp_types::DidChangeWatchedFilesRegistrationOptions { watchers })
                .ok(),
        };
        let params = lsp_types::RegistrationParams {
            registrations: vec![registration],
        };
        let req = Request::new(
            "qa-lint-watch".to_string().into(),
            r::RegisterCapability::METHOD.into(),
            params,
        );
        let _ = self.conn.sender.send(req.into());
    }

    fn check_static(&mut self, uri: &Uri) {
        let Some(doc) = self.docs.get_mut(uri) else { return };
        doc.static_due = None;
        doc.statics = analyze::check_static(&doc.path, &doc.text);
        self.publish(uri);
    }

    fn start_run(&mut self, uri: &Uri) {
        let busy = self.docs.iter().any(|(u, d)| u != uri && d.running.is_some());
        let Some(doc) = self.docs.get_mut(uri) else { return };
        doc.exec_due = None;
        if doc.running.is_some() || doc.ran_current() || doc.statics.is_err() || self.shutting_down {
            return;
        }
        if busy {
            if !self.queue.contains(uri) {
                self.queue.push_back(uri.clone());
            }
            return;
        }
        let tx = self.done_tx.clone();
        let (key, generation) = (uri.clone(), doc.generation);
        let token = self
            .progress
            .begin(&self.conn.sender, &doc.run_path.display().to_string());
        let ended = token.clone();
        let started = analyze::spawn_exec(&self.exe, &self.root, &doc.run_path, &doc.text, move |result| {
            let _ = tx.send(RunDone(key, generation, result, token));
        });
        match started {
            Ok(run) => doc.running = Some(run),
            Err(e) => {
                if let Some(token) = ended {
                    progress::Progress::end(&self.conn.sender, &token);
                }
                self.log(&format!("cannot start qa-lint check: {e}"));
            }
        }
    }

    /// Start the next queued run when none is running.
    fn start_queued(&mut self) {
        while !self.docs.values().any(|d| d.running.is_some()) {
            let Some(uri) = self.queue.pop_front() else { return };
            self.start_run(&uri);
        }
    }

    fn finished(&mut self, RunDone(uri, generation, result, token): RunDone) {
        if let Some(token) = token {
            progress::Progress::end(&self.conn.sender, &token);
        }
        let Some(doc) = self.docs.get_mut(&uri) else { return };
        if doc.generation != generation {
            return; // A stale run (cancelled, or finished just as the text changed).
        }
        doc.running = None;
        match result {
            analyze::RunResult::Done(diags) => {
                doc.executed = Some((generation, diags));
                self.publish(&uri);
            }
            analyze::RunResult::Failed(message) => self.show_error(&message),
            analyze::RunResult::Cancelled => {}
        }
    }

    fn publish(&self, uri: &Uri) {
        let Some(doc) = self.docs.get(uri) else { return };
        let index = position::LineIndex::new(&doc.text);
        let diags = match doc.current() {
            Ok(d) => d.iter().map(|d| diagnostics::to_lsp(d, &index)).collect(),
            Err(e) => vec![diagnostics::setup_error(&e)],
        };
        self.publish_raw(uri.clone(), diags, Some(doc.version));
    }

    fn publish_raw(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = lsp_types::PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        let not = Notification::new(n::PublishDiagnostics::METHOD.into(), params);
        let _ = self.conn.sender.send(not.into());
    }

    fn message(&self, typ: lsp_types::MessageType, text: &str, method: &str) {
        let params = lsp_types::ShowMessageParams {
            typ,
            message: format!("qa-lint: {text}"),
        };
        let _ = self.conn.sender.send(Notification::new(method.into(), params).into());
    }

    fn show_error(&self, text: &str) {
        self.message(lsp_types::MessageType::ERROR, text, n::ShowMessage::METHOD);
    }

    fn log(&self, text: &str) {
        self.message(lsp_types::MessageType::WARNING, text, n::LogMessage::METHOD);
    }
}
