//! Runner behaviour that a fixture cannot pin down on every machine (issue 13's bugs that
//! depend on an installed third-party package).

mod common;

/// `import requests` binds a socket at import time (urllib3 probes IPv6 with
/// `bind(('::1', 0))` and catches the error): not the snippet's doing, so no
/// sandbox-violation.
#[test]
fn an_import_time_ipv6_probe_is_no_sandbox_violation() {
    if !common::need(common::python_has("requests"), "the Python package requests") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let md = "## 1. Does Importing Requests Work?\n\n```python\nimport requests\nprint(requests.__name__)  # requests\n```\n";
    std::fs::write(dir.path().join("a.md"), md).unwrap();
    let out = common::qa_in(
        dir.path(),
        &[
            "--no-cache",
            "--entries",
            "sections",
            "--output-format",
            "concise",
            "--config",
            "/dev/null",
            "a.md",
        ],
    );
    assert!(!out.stdout.contains("sandbox-violation"), "{}", out.stdout);
    assert!(out.stdout.contains("0 errors"), "{}", out.stdout);
}

/// A real bind by the snippet itself is still blocked and reported.
#[test]
fn a_bind_by_the_snippet_is_still_a_violation() {
    let dir = tempfile::tempdir().unwrap();
    let md = "## 1. Can an Example Open a Server Socket?\n\n```python\nimport socket\ns = socket.socket(socket.AF_INET6)\ns.bind((\"::1\", 0))\n```\n";
    std::fs::write(dir.path().join("a.md"), md).unwrap();
    let out = common::qa_in(
        dir.path(),
        &[
            "--no-cache",
            "--entries",
            "sections",
            "--output-format",
            "concise",
            "--config",
            "/dev/null",
            "a.md",
        ],
    );
    assert!(out.stdout.contains("sandbox-violation"), "{}", out.stdout);
}
