//! The wire protocol of src/exec/protocol.rs (its module doc), held to on both sides: this test
//! speaks it by hand to a real `qa-lint __worker` (the Rust worker and the Python supervisor and
//! child behind it) and parses the answers with the pool's own result types.

mod common;

use qa_lint::exec::EntryOutcome;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

struct Worker {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Worker {
    fn start(kernel: bool) -> (Worker, serde_json::Value) {
        let mut cmd = common::command(&common::root(), &["__worker"]);
        if kernel {
            cmd.arg("kernel");
        }
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut hello = String::new();
        out.read_line(&mut hello).unwrap();
        (Worker { child, out }, serde_json::from_str(&hello).unwrap())
    }

    fn ask(&mut self, req: &serde_json::Value) -> serde_json::Value {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{req}").unwrap();
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(id: u64, nonce: &str, code: &str, max_output: u64) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "nonce": nonce,
        "blocks": [{"filename": "<qa:a.md:1>", "source": code, "mode": "exec"}],
        "files": [],
        "requires": [],
        "timeout": 10.0,
        "sandbox": {"allow_network": false, "allow_subprocess": false, "allow_writes_outside": false},
        "limits": {"timeout": 10.0, "memory_bytes": 1u64 << 30, "cpu_seconds": null, "file_size_bytes": 64u64 << 20,
                   "open_files": 256, "max_processes": 1024, "max_output_bytes": max_output, "reuse": false,
                   "scratch_bytes": 64u64 << 20},
        "group": "a.md",
    })
}

fn printed(outcome: &EntryOutcome) -> String {
    match outcome {
        EntryOutcome::Completed(r) => r.blocks[0].events.iter().map(|e| e.text.as_str()).collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn both_sides_keep_the_documented_protocol() {
    for kernel in [true, false] {
        let (mut w, hello) = Worker::start(kernel);
        assert!(hello["python"].as_str().unwrap().starts_with("CPython 3."), "{hello}");
        assert_eq!(hello["confined"], kernel, "{hello}");
        // The answer echoes id and nonce; the child sees its request with the nonce zeroed.
        let nonce = "0123456789abcdef0123456789abcdef";
        let code = "import qa_runner\nprint(qa_runner.CUR.req.get('nonce'))";
        let a = w.ask(&request(7, nonce, code, 1 << 20));
        assert_eq!((a["id"].as_u64(), a["nonce"].as_str()), (Some(7), Some(nonce)), "{a}");
        let outcome: EntryOutcome = serde_json::from_value(a["outcome"].clone()).unwrap();
        assert_eq!(printed(&outcome), "0".repeat(32), "kernel = {kernel}");
        // A child that writes more than the documented cap is killed, not buffered.
        let flood = "import os\nfds = [int(f) for f in os.listdir('/proc/self/fd') if int(f) > 2]\nfor _ in range(64):\n    for fd in fds:\n        try:\n            os.write(fd, b'B0' + b'[' * (1 << 20) + b'\\n')\n        except OSError:\n            pass";
        let a = w.ask(&request(8, nonce, flood, 1 << 10));
        let outcome: EntryOutcome = serde_json::from_value(a["outcome"].clone()).unwrap();
        match outcome {
            EntryOutcome::Crashed { detail, .. } => assert!(detail.contains("bytes of results"), "{detail}"),
            other => panic!("kernel = {kernel}: {other:?}"),
        }
    }
}
