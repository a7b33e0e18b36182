//! Make a plain `cargo build` produce a binary that finds *its* libpython at run time.
//!
//! Without a RUNPATH the loader may pick another libpython of the same soname (Debian's
//! 3.11.2 beside pyenv's 3.11.7, see docs/architecture.md), so we bake the lib dir pyo3
//! linked against. We also bake the *base* interpreter path: building inside a venv would
//! otherwise record the venv's python, and start-up resolves `sys.prefix` from it.
fn main() {
    // Only the binary links libpython; the wheel's extension module must not.
    if std::env::var_os("CARGO_FEATURE_EMBED").is_some() {
        pyo3_build_config::add_libpython_rpath_link_args();
    }
    let ask = |code: &str| {
        pyo3_build_config::get()
            .executable()
            .and_then(|exe| std::process::Command::new(exe).args(["-c", code]).output().ok())
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let base = ask("import sys; print(sys._base_executable)");
    println!("cargo:rustc-env=QA_BUILD_PYTHON={base}");
    // The embedded interpreter's version, known without starting Python: cache keys and the
    // summary of a fully cached run use it.
    let version = ask("import platform; print(platform.python_implementation(), platform.python_version())");
    println!("cargo:rustc-env=QA_BUILD_PYTHON_VERSION={version}");
    precompile_embedded_python();
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-env-changed=VIRTUAL_ENV");
    println!("cargo:rerun-if-changed=build.rs");
    rule_registry();
}

/// The worker's Python modules (`src/exec/qa_*.py`), compiled by the build's Python into
/// `$OUT_DIR/embedded_python.bin`: that Python's bytecode magic (4 bytes), then a marshalled
/// dict of module name -> code object. A worker whose Python has the same magic loads them
/// as they are (compiling ~5,000 lines cost each worker 19 ms at start); any other Python (the
/// abi3 wheel on another version) compiles the embedded sources, as does every worker when
/// this step could not run (the file is then empty).
fn precompile_embedded_python() {
    let root = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("src/exec");
    println!("cargo:rerun-if-changed={}", root.display());
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded_python.bin");
    const SCRIPT: &str = r#"
import glob, marshal, os, sys, _frozen_importlib_external as ext
root, out = sys.argv[1], sys.argv[2]
codes = {}
for path in sorted(glob.glob(os.path.join(root, "qa_*.py"))):
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as f:
        codes[name[:-3]] = compile(f.read(), name, "exec", dont_inherit=True)
with open(out, "wb") as f:
    f.write(ext.MAGIC_NUMBER + marshal.dumps(codes))
"#;
    let ok = pyo3_build_config::get().executable().is_some_and(|exe| {
        std::process::Command::new(exe)
            .args(["-c", SCRIPT])
            .arg(&root)
            .arg(&out)
            .status()
            .is_ok_and(|s| s.success())
    });
    if !ok {
        std::fs::write(&out, b"").expect("OUT_DIR is writable");
    }
}

/// The rule registry, generated from `docs/rules/*.md`: a rule is its doc. Each file starts
/// with front matter (`code`, `severity`, `step`, `summary`) and its body is what
/// `qa-lint rule NAME` prints; `src/rules/mod.rs` includes the table this writes. A doc whose
/// heading or "Default severity" sentence disagrees with its front matter fails the build, so
/// the text a user reads cannot drift from what the binary does.
fn rule_registry() {
    let dir = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("docs/rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut rules = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("docs/rules") {
        let path = entry.expect("docs/rules entry").path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().expect("UTF-8 rule name").to_string();
        let text = std::fs::read_to_string(&path).expect("rule doc");
        let fail = |why: &str| -> ! { panic!("{}: {why}", path.display()) };
        let Some(rest) = text.strip_prefix("---\n") else {
            fail("no front matter (--- code, severity, step, summary ---)")
        };
        let Some((front, body)) = rest.split_once("\n---\n") else {
            fail("front matter not closed by ---")
        };
        let field = |key: &str| -> String {
            front
                .lines()
                .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(": ")))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| fail(&format!("front matter has no `{key}`")))
                .to_string()
        };
        let (code, severity, step, summary) = (field("code"), field("severity"), field("step"), field("summary"));
        let body = body.trim_start_matches('\n');
        if !body.starts_with(&format!("# {name} ({code})\n")) {
            fail(&format!("the doc must start with `# {name} ({code})`"));
        }
        let words = body.split_whitespace().collect::<Vec<_>>().join(" ");
        if !words.contains(&format!("Default severity: {severity}.")) {
            fail(&format!("the doc must say `Default severity: {severity}.`"));
        }
        let capital = |w: &str| w[..1].to_uppercase() + &w[1..];
        let sev = match severity.as_str() {
            "error" | "warning" => capital(&severity),
            _ => fail("severity is error or warning"),
        };
        let step = match step.as_str() {
            "read" | "parse" | "validate" | "execute" | "report" => capital(&step),
            _ => fail("step is read, parse, validate, execute or report"),
        };
        let variant: String = name.split('-').map(capital).collect();
        let line = format!("    {variant} {code:?} {name:?} {sev} {step} {summary:?} {body:?};\n");
        rules.push((code, line));
    }
    rules.sort();
    for pair in rules.windows(2) {
        if pair[0].0 == pair[1].0 {
            panic!("two rules have the code {}", pair[0].0);
        }
    }
    let table: String = rules.into_iter().map(|(_, line)| line).collect();
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("rules.rs");
    std::fs::write(out, format!("rules! {{\n{table}}}\n")).expect("write the rule table");
}
