//! Issue 26: what each step of confining a child costs is measured in the child and traced
//! (`QA_LINT_EXEC_TRACE=1`), one line per child; `bench/confine_steps.py` sums them up.

use super::attack::victims;
use super::common;

#[test]
fn each_strict_child_traces_what_each_confinement_step_took() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), victims(3)).unwrap();
    let args = ["--no-cache", "--strict-sandbox", "--jobs", "1", "a.md"];
    let out = common::qa_in_env(dir.path(), &args, &[("QA_LINT_EXEC_TRACE", "1")]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let traced: Vec<&str> = out
        .stderr
        .lines()
        .filter_map(|l| l.split(" confined: ").nth(1))
        .collect();
    // Strict mode forks a fresh child for every entry, and confines each.
    assert_eq!(traced.len(), 3, "{}", out.stderr);
    for steps in traced {
        let named: Vec<(&str, u64)> = steps
            .split(", ")
            .map(|s| {
                let (name, us) = s
                    .strip_suffix(" us")
                    .and_then(|s| s.rsplit_once(' '))
                    .expect("NAME N us");
                (name, us.parse().expect("microseconds"))
            })
            .collect();
        let names: Vec<&str> = named.iter().map(|s| s.0).collect();
        assert_eq!(
            names,
            [
                "namespaces",
                "read-only mounts",
                "scratch tmpfs",
                "no_new_privs",
                "landlock",
                "capabilities",
                "seccomp",
                "rlimits"
            ],
            "{steps}"
        );
        assert!(named.iter().map(|s| s.1).sum::<u64>() > 0, "{steps}");
    }
}
