//! `qa-lint server` driven the way an editor drives it: the real binary, LSP JSON-RPC messages
//! framed with Content-Length over its standard input and output.
//!
//! No test measures time: every wait is a generous upper bound that only stops a hang.

mod common;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The client can watch files for the server and show progress (as VS Code, Neovim and
/// Helix can).
fn client_capabilities() -> Value {
    json!({
        "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } },
        "window": { "workDoneProgress": true },
    })
}

/// Long enough for a debug build on a loaded 2-core machine to start Python and run.
const WAIT: Duration = Duration::from_secs(90);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: mpsc::Receiver<Value>,
    next_id: i64,
    /// Messages read while waiting for something else.
    backlog: Vec<Value>,
}

impl Client {
    /// Start the server in `dir` and complete the initialize handshake.
    fn start(dir: &Path, init_options: Value) -> Client {
        Client::start_env(dir, init_options, &[])
    }

    fn start_env(dir: &Path, init_options: Value, env: &[(&str, &str)]) -> Client {
        let mut child = common::command(dir, &["server"])
            .envs(env.iter().copied())
            .env("QA_LINT_CACHE_DIR", dir.join(".cache"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start qa-lint server");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("Content-Length header")];
                r.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).expect("JSON body")).is_err() {
                    return;
                }
            }
        });
        let mut c = Client {
            stdin: child.stdin.take(),
            child,
            rx,
            next_id: 1,
            backlog: Vec::new(),
        };
        let root = format!("file://{}", dir.display());
        let init = c.request(
            "initialize",
            json!({ "processId": null, "rootUri": root, "capabilities": client_capabilities(), "initializationOptions": init_options }),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "qa-lint", "{init}");
        assert_eq!(init["result"]["capabilities"]["hoverProvider"], true);
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(|m| m["id"] == id && m.get("method").is_none())
    }

    /// The first message (read now or earlier) that `pred` accepts.
    fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let msg = self
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no matching message; got so far: {:#?}", self.backlog));
            if pred(&msg) {
                return msg;
            }
            self.backlog.push(msg);
        }
    }

    /// The first diagnostics published for `version` that `pred` accepts.
    fn diagnostics(&mut self, version: i64, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let msg = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["version"] == version
                && pred(m["params"]["diagnostics"].as_array().unwrap())
        });
        msg["params"]["diagnostics"].as_array().unwrap().clone()
    }

    fn shutdown_and_exit(mut self) -> i32 {
        let resp = self.request("shutdown", Value::Null);
        assert!(resp.get("error").is_none(), "{resp}");
        assert_eq!(resp["result"], Value::Null);
        self.notify("exit", Value::Null);
        drop(self.stdin.take());
        self.wait_exit()
    }

    fn wait_exit(&mut self) -> i32 {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().expect("exited, not killed");
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn codes(diags: &[Value]) -> Vec<&str> {
    diags.iter().filter_map(|d| d["code"].as_str()).collect()
}

fn at_line<'a>(diags: &'a [Value], code: &str, line: u64) -> Option<&'a Value> {
    diags
        .iter()
        .find(|d| d["code"] == code && d["range"]["start"]["line"] == line)
}

/// Apply LSP text edits (non-overlapping, in one document) to `text`.
fn apply_edits(text: &str, edits: &[Value]) -> String {
    let offset = |pos: &Value| {
        let (line, col) = (
            pos["line"].as_u64().unwrap() as usize,
            pos["character"].as_u64().unwrap() as usize,
        );
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let rest = &text[start..];
        let mut units = 0;
        let mut off = start;
        for c in rest.chars() {
            if units >= col {
                break;
            }
            units += c.len_utf16();
            off += c.len_utf8();
        }
        off
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (s, e, t) in spans {
        out.replace_range(s..e, t);
    }
    out
}

fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("qa-lint.toml"), "entries = \"sections\"\n").unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn open(c: &mut Client, uri: &str, text: &str) {
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "markdown", "version": 1, "text": text } }),
    );
}

fn change_and_save(c: &mut Client, uri: &str, version: i64, text: &str) {
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
    );
    c.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
}

/// The code action titled `starts` offered for the diagnostic `d`, as its list of edits.
fn action_edits(c: &mut Client, uri: &str, d: &Value, starts: &str) -> Vec<Value> {
    let resp = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": d["range"], "context": { "diagnostics": [d] } }),
    );
    let actions = resp["result"].as_array().expect("a list of actions").clone();
    let action = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with(starts))
        .unwrap_or_else(|| panic!("no action `{starts}` in {actions:#?}"));
    let kind = if starts.starts_with("Fix all") {
        "source.fixAll.qa-lint"
    } else {
        "quickfix"
    };
    assert_eq!(action["kind"], kind);
    action["edit"]["changes"][uri].as_array().unwrap().clone()
}

const TEXT: &str = "\
## Arithmetic

```python
print(2 * 2)  # 5
print(3 * 3)  # 10
```

## Errors

```python
int(\"x\")
```
";

#[test]
fn wrong_claim_is_published_fixed_by_the_action_and_cleared() {
    let dir = workspace(&[("guide.md", TEXT)]);
    let uri = format!("file://{}/guide.md", dir.path().display());
    let mut c = Client::start(dir.path(), Value::Null);
    open(&mut c, &uri, TEXT);
    // The run's diagnostics: both wrong claims, at their lines (0-based 3 and 4), with the
    // CLI's message and help, and the unclaimed exception of the second section.
    let diags = c.diagnostics(1, |d| codes(d).contains(&"QA201"));
    // What the editor shows, in full.
    insta::assert_json_snapshot!("published_after_open", diags);
    let first = at_line(&diags, "QA201", 3).expect("mismatch on line 4").clone();
    assert_eq!(first["severity"], 1);
    assert_eq!(first["source"], "qa-lint");
    assert_eq!(first["range"]["start"]["character"], 16);
    assert_eq!(
        first["message"],
        "output does not match the claim: claimed `5`, got `4`\nhelp: write `4` here (qa-lint --fix does it)"
    );
    assert!(at_line(&diags, "QA201", 4).is_some(), "{diags:#?}");
    assert!(at_line(&diags, "QA202", 10).is_some(), "{diags:#?}");

    // Hover on the wrong claim shows the verdict and the actual output.
    let hover = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 3, "character": 2 } }),
    );
    let shown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        shown.contains("output-mismatch") && shown.contains("actual output: `4`"),
        "{shown}"
    );
    assert!(shown.ends_with("this line showed:\n```text\n4\n```"), "{shown}");

    // One action fixes every wrong claim of the file, as `qa-lint --fix` would.
    let all = action_edits(&mut c, &uri, &first, "Fix all wrong claims in this file (2)");
    let fixed_all = apply_edits(TEXT, &all);
    assert!(fixed_all.contains("# 4\nprint(3 * 3)  # 9\n"), "{fixed_all}");

    // Fix the first claim with its action, suppress the second with the other action.
    let fix = action_edits(&mut c, &uri, &first, "Replace the claim with `4`");
    let text = apply_edits(TEXT, &fix);
    assert!(text.contains("print(2 * 2)  # 4\n"), "{text}");
    let second = at_line(&diags, "QA201", 4).unwrap().clone();
    let disable = action_edits(&mut c, &uri, &second, "Disable output-mismatch for this line");
    let text = apply_edits(&text, &disable);
    // On a line of code, a Python comment line above that line only.
    assert!(
        text.contains("print(2 * 2)  # 4\n# qa-lint-disable-next-line output-mismatch\nprint(3 * 3)  # 10\n"),
        "{text}"
    );
    change_and_save(&mut c, &uri, 2, &text);
    // Until the run on the new text is done, the last run's verdict stays, moved with the
    // edit (the added line pushed the mismatch down a line).
    let carried = c.diagnostics(2, |d| codes(d).contains(&"QA201"));
    let moved = carried.iter().find(|d| d["code"] == "QA201").unwrap();
    assert_eq!(moved["range"]["start"]["line"], 5, "{carried:#?}");
    // After the run (the exception is still reported), no mismatch is left and the
    // suppression is used.
    let after = c.diagnostics(2, |d| codes(d) == ["QA202"]);
    assert_eq!(codes(&after), ["QA202"], "{after:#?}");

    // Hover on a claim the new comment covers says so.
    let hover = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 5, "character": 2 } }),
    );
    let shown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        shown.contains("claim `10` not reported: a `qa-lint-disable` comment covers it"),
        "{shown}"
    );
    assert_eq!(c.shutdown_and_exit(), 0);
}

#[test]
fn structure_problems_come_before_any_run_and_config_errors_are_shown() {
    let text = "## Broken\n\n```python\nprint(1)  # 1\n";
    let dir = workspace(&[]);
    let uri = format!("file://{}/broken.md", dir.path().display());
    // A change publishes the static check (no run happens until a save).
    let mut c = Client::start(dir.path(), Value::Null);
    open(&mut c, &uri, "## Fine\n");
    c.diagnostics(1, |d| d.is_empty());
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": text }] }),
    );
    let diags = c.diagnostics(2, |d| !d.is_empty());
    let fence = at_line(&diags, "QA003", 2).unwrap_or_else(|| panic!("{diags:#?}"));
    assert_eq!(fence["severity"], 1);

    // A broken qa-lint.toml is reported in the file, not swallowed.
    std::fs::write(dir.path().join("qa-lint.toml"), "entries = 3\n").unwrap();
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": "## Fine\n" }] }),
    );
    let diags = c.diagnostics(3, |d| !d.is_empty());
    let msg = diags[0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("qa-lint cannot check this file:") && msg.contains("qa-lint.toml:1: invalid configuration"),
        "{msg}"
    );
    assert_eq!(c.shutdown_and_exit(), 0);
}

#[test]
fn a_file_the_cli_already_checked_runs_from_the_shared_cache() {
    let dir = workspace(&[("guide.md", TEXT)]);
    let cli = common::command(dir.path(), &["--output-format", "concise", "guide.md"])
        .env("QA_LINT_CACHE_DIR", dir.path().join(".cache"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&cli.stdout).contains("guide.md:4:17: QA201"));
    // With execution forbidden, only cached results can produce the mismatch.
    let mut c = Client::start_env(dir.path(), Value::Null, &[("QA_LINT_FORBID_EXEC", "1")]);
    let uri = format!("file://{}/guide.md", dir.path().display());
    open(&mut c, &uri, TEXT);
    let diags = c.diagnostics(1, |d| codes(d).contains(&"QA201"));
    assert!(at_line(&diags, "QA201", 3).is_some(), "{diags:#?}");
    assert_eq!(c.shutdown_and_exit(), 0);
}

#[test]
fn with_run_after_pause_the_examples_run_without_a_save() {
    let dir = workspace(&[]);
    let uri = format!("file://{}/draft.md", dir.path().display());
    let mut c = Client::start(dir.path(), json!({ "runAfterPauseMs": 100 }));
    open(&mut c, &uri, "## Draft\n");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": TEXT.replace("# 10", "# 9") }] }),
    );
    let diags = c.diagnostics(2, |d| codes(d).contains(&"QA201"));
    assert!(at_line(&diags, "QA201", 3).is_some(), "{diags:#?}");
    assert!(at_line(&diags, "QA201", 4).is_none(), "{diags:#?}");
    // The right claim on line 5 holds.
    let hover = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 4, "character": 17 } }),
    );
    let shown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert_eq!(
        shown,
        "qa-lint: claim `9` **holds**: the actual output matched it on the last run\n\nthis line showed:\n```text\n9\n```"
    );
    assert_eq!(c.shutdown_and_exit(), 0);
}

#[test]
fn documents_opened_together_all_get_their_run() {
    let dir = workspace(&[]);
    let mut c = Client::start(dir.path(), Value::Null);
    let uris: Vec<String> = (1..=3)
        .map(|i| format!("file://{}/doc{i}.md", dir.path().display()))
        .collect();
    for (i, uri) in uris.iter().enumerate() {
        open(&mut c, uri, &format!("## Doc\n\n```python\nprint({i} + 1)  # 0\n```\n"));
    }
    // Runs are queued one after another; each document gets its own result.
    for (i, uri) in uris.iter().enumerate() {
        let msg = c.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri.as_str()
                && codes(m["params"]["diagnostics"].as_array().unwrap()).contains(&"QA201")
        });
        let message = msg["params"]["diagnostics"][0]["message"].as_str().unwrap();
        assert!(message.contains(&format!("got `{}`", i + 1)), "{message}");
    }
    assert_eq!(c.shutdown_and_exit(), 0);
}

#[test]
fn a_changed_configuration_applies_to_open_files() {
    let dir = workspace(&[]);
    let uri = format!("file://{}/guide.md", dir.path().display());
    let mut c = Client::start(dir.path(), Value::Null);
    // The server asks to be told about configuration files; answer as a client does.
    let reg = c.wait_for(|m| m["method"] == "client/registerCapability");
    let globs = &reg["params"]["registrations"][0]["registerOptions"]["watchers"];
    assert!(
        globs
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["globPattern"] == "**/qa-lint.toml"),
        "{reg}"
    );
    c.send(json!({ "jsonrpc": "2.0", "id": reg["id"], "result": null }));
    open(&mut c, &uri, TEXT);
    let diags = c.diagnostics(1, |d| codes(d).contains(&"QA201"));
    assert_eq!(at_line(&diags, "QA201", 3).unwrap()["severity"], 1);
    std::fs::write(
        dir.path().join("qa-lint.toml"),
        "entries = \"sections\"\n[rules]\noutput-mismatch = \"warning\"\n",
    )
    .unwrap();
    let changed = format!("file://{}/qa-lint.toml", dir.path().display());
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": changed, "type": 2 }] }),
    );
    // The file's version is unchanged; the new level shows once the file is checked again.
    let diags = c.diagnostics(1, |d| at_line(d, "QA201", 3).is_some_and(|d| d["severity"] == 2));
    assert_eq!(codes(&diags), ["QA201", "QA201", "QA202"], "{diags:#?}");
    assert_eq!(c.shutdown_and_exit(), 0);
}

#[test]
fn a_run_shows_progress_from_start_to_end() {
    let dir = workspace(&[]);
    let uri = format!("file://{}/guide.md", dir.path().display());
    let mut c = Client::start(dir.path(), Value::Null);
    open(&mut c, &uri, TEXT);
    let create = c.wait_for(|m| m["method"] == "window/workDoneProgress/create");
    let token = create["params"]["token"].clone();
    c.send(json!({ "jsonrpc": "2.0", "id": create["id"], "result": null }));
    let begin = c.wait_for(|m| m["method"] == "$/progress" && m["params"]["token"] == token);
    assert_eq!(begin["params"]["value"]["kind"], "begin");
    assert_eq!(begin["params"]["value"]["message"], "running the examples of guide.md");
    let end = c.wait_for(|m| m["method"] == "$/progress" && m["params"]["token"] == token);
    assert_eq!(end["params"]["value"]["kind"], "end");
    // The run's diagnostics follow its end.
    c.diagnostics(1, |d| codes(d).contains(&"QA201"));
    assert_eq!(c.shutdown_and_exit(), 0);
}

/// The processes the server has started and that are still alive.
fn children(pid: u32) -> Vec<String> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(list.split_whitespace().map(str::to_string));
        }
    }
    out
}

#[test]
fn a_change_cancels_the_run_in_progress() {
    let looping = "## Slow\n\n```python\nprint('start')  # start\nwhile True:\n    pass\n```\n";
    let dir = workspace(&[]);
    // Without cancellation the first run would hold its child process for two minutes.
    std::fs::write(
        dir.path().join("qa-lint.toml"),
        "entries = \"sections\"\n[exec]\ntimeout = 120\n",
    )
    .unwrap();
    let uri = format!("file://{}/slow.md", dir.path().display());
    let mut c = Client::start(dir.path(), Value::Null);
    open(&mut c, &uri, looping);
    c.diagnostics(1, |_| true);
    let pid = c.child.id();
    let deadline = Instant::now() + WAIT;
    while children(pid).is_empty() {
        assert!(Instant::now() < deadline, "no run started");
        std::thread::sleep(Duration::from_millis(20));
    }
    change_and_save(&mut c, &uri, 2, "## Quick\n\n```python\nprint(1 + 1)  # 3\n```\n");
    let diags = c.diagnostics(2, |d| codes(d).contains(&"QA201"));
    assert!(at_line(&diags, "QA201", 3).is_some(), "{diags:#?}");
    // The new run has finished; the cancelled one must be gone too.
    while !children(pid).is_empty() {
        assert!(Instant::now() < deadline, "the first run was not cancelled");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(c.shutdown_and_exit(), 0);
}

#[test]
fn exit_without_shutdown_is_an_error_and_requests_after_shutdown_are_refused() {
    let dir = workspace(&[]);
    let mut c = Client::start(dir.path(), Value::Null);
    c.notify("exit", Value::Null);
    assert_eq!(c.wait_exit(), 1);

    let mut c = Client::start(dir.path(), Value::Null);
    let resp = c.request("shutdown", Value::Null);
    assert_eq!(resp["result"], Value::Null);
    let resp = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///x.md" }, "position": { "line": 0, "character": 0 } }),
    );
    assert_eq!(resp["error"]["code"], -32600, "{resp}");
    c.notify("exit", Value::Null);
    assert_eq!(c.wait_exit(), 0);
}
