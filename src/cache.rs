//! The result cache: one file per entry, keyed by everything that can change its result, and
//! one per Markdown file holding what its examples came to once judged.
//!
//! An entry's key hashes its job (code, modes, fixture files, requirements, limits,
//! sandbox) with a salt of qa-lint's version, the embedded Python's version, the active
//! virtual environment, and the run-wide execution settings (`pipeline::open_cache`: limits,
//! isolation, strictness); the schema and rule levels only change judging, after the cache.
//! A file's key ([`Cache::file_key`]) hashes its path as given and its text, the effective
//! configuration, the keys of its entries (with what preparing them found on disk) and the
//! day (a claim of today's date is judged against the clock), so an unchanged file costs one
//! read on a re-run, no judging; an edit to one entry misses the file's record and takes the
//! other entries from theirs. Keys hold no machine-specific paths or times, so a cache
//! restored on another machine (`actions/cache`) is still valid. Files are written atomically
//! (temp file + rename); a corrupt, truncated or foreign file is ignored and rewritten, never
//! trusted, never fatal.
//!
//! Under `--strict-sandbox` the cache is a namespace of its own (the salt says "strict"), so a
//! trusted run never reads a result computed from a pull request, and every record carries a
//! MAC (keyed BLAKE3) whose key comes from `QA_LINT_CACHE_KEY` in qa-lint's own environment,
//! which no snippet can read. A record without a valid MAC (for example a cache committed to the
//! pull request) is ignored. Without the variable a strict run neither reads nor writes a cache.
//! Snippets cannot write the cache either way: only the main process does, and confined
//! snippets may write only in their scratch directory.

use crate::exec::{EntryJob, EntryOutcome};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// 2: records hold a `payload` (an entry's outcome, or a file's judged result).
const FORMAT: u32 = 2;

pub struct Cache {
    dir: PathBuf,
    salt: blake3::Hash,
    /// Strict runs: the MAC key; `Some(None)` = strict without a key, the cache is off.
    mac_key: Option<Option<[u8; 32]>>,
}

#[derive(Serialize, Deserialize)]
struct Record<T> {
    format: u32,
    key: String,
    payload: T,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    mac: String,
}

fn mac(key: &[u8; 32], record_key: &str, payload: &[u8]) -> String {
    let mut h = blake3::Hasher::new_keyed(key);
    h.update(record_key.as_bytes());
    h.update(payload);
    h.finalize().to_hex().to_string()
}

/// Hashes `b` length-prefixed, so that fields cannot run into each other.
fn field(h: &mut blake3::Hasher, b: &[u8]) {
    h.update(&(b.len() as u64).to_le_bytes());
    h.update(b);
}

impl Cache {
    /// Open (and create) the cache directory; `salt_parts` are hashed into every key; `strict`
    /// (`--strict-sandbox`) makes it the MAC-keyed namespace described above, keyed by
    /// `env.cache_key`; `env.virtual_env` is part of the salt.
    pub fn open(dir: &Path, salt_parts: &[&str], strict: bool, env: &crate::environment::Environment) -> Cache {
        if std::fs::create_dir_all(dir).is_ok() {
            let ignore = dir.join(".gitignore");
            if !ignore.exists() {
                let _ = std::fs::write(ignore, "# Created by qa-lint: the cache is rebuilt on demand.\n*\n");
            }
        }
        let mut h = blake3::Hasher::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(crate::exec::build_python_version().as_bytes());
        if let Some(venv) = &env.virtual_env {
            // Installed packages change results; pyvenv.cfg changes when the venv is rebuilt.
            h.update(venv.as_encoded_bytes());
            h.update(&std::fs::read(Path::new(&venv).join("pyvenv.cfg")).unwrap_or_default());
        }
        let mac_key = strict.then(|| {
            env.cache_key
                .as_ref()
                .map(|k| blake3::derive_key("qa-lint strict cache v1", k.as_bytes()))
        });
        if strict {
            h.update(b"strict");
        }
        for p in salt_parts {
            h.update(&(p.len() as u64).to_le_bytes());
            h.update(p.as_bytes());
        }
        Cache {
            dir: dir.to_path_buf(),
            salt: h.finalize(),
            mac_key,
        }
    }

    pub fn key(&self, job: &EntryJob) -> String {
        let mut h = blake3::Hasher::new();
        h.update(self.salt.as_bytes());
        for b in &job.blocks {
            field(&mut h, b.filename.as_bytes());
            field(&mut h, b.source.as_bytes());
            field(&mut h, format!("{:?}{}", b.mode, b.fresh_namespace).as_bytes());
        }
        for (name, bytes) in &job.files {
            field(&mut h, name.as_bytes());
            field(&mut h, bytes);
        }
        field(&mut h, job.requires.join(",").as_bytes());
        field(&mut h, format!("{:?}{:?}", job.timeout, job.sandbox).as_bytes());
        h.finalize().to_hex().to_string()
    }

    /// The key of a Markdown file's judged result: its path as given and its text, the
    /// effective configuration (as JSON), the entries it runs (index, key, and what preparing
    /// them reported, as JSON) and today's UTC day.
    pub fn file_key(&self, path: &str, text: &str, config_json: &str, entries: &[(usize, &str, String)]) -> String {
        let mut h = blake3::Hasher::new();
        h.update(self.salt.as_bytes());
        field(&mut h, b"judged file");
        field(&mut h, path.as_bytes());
        let day = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 86_400);
        field(&mut h, &day.to_le_bytes());
        field(&mut h, text.as_bytes());
        field(&mut h, config_json.as_bytes());
        for (i, key, prepared) in entries {
            field(&mut h, &(*i as u64).to_le_bytes());
            field(&mut h, key.as_bytes());
            field(&mut h, prepared.as_bytes());
        }
        h.finalize().to_hex().to_string()
    }

    /// Whether the cache holds no records at all (a first run, or after `rm -r`): then every
    /// entry will run, and the run starts its Python before it has parsed anything.
    pub fn is_empty(&self) -> bool {
        std::fs::read_dir(&self.dir).map_or(true, |mut d| !d.any(|e| e.is_ok_and(|e| e.path().is_dir())))
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{key}.json"))
    }

    /// A stored outcome, if present and valid for exactly this key.
    pub fn get(&self, key: &str) -> Option<EntryOutcome> {
        self.get_record(key)
    }

    /// Store an outcome, if it is one to keep ([`Cache::keeps`]).
    pub fn put(&self, key: &str, outcome: &EntryOutcome) {
        if Cache::keeps(outcome) {
            self.put_record(key, outcome);
        }
    }

    /// Whether an outcome is stored. Timeouts and crashes are not: they may depend on load. Nor
    /// is one where a module was not found (a `requires=` module, or an import that raised
    /// ModuleNotFoundError): installing it is the fix the report asks for, and the packages of
    /// the environment are not in the key.
    pub fn keeps(outcome: &EntryOutcome) -> bool {
        let EntryOutcome::Completed(result) = outcome else {
            return false;
        };
        !result.blocks.iter().any(|b| {
            b.errors.iter().any(|e| e.type_name == "ModuleNotFoundError")
                || b.session.iter().any(|s| s.missing_module.is_some())
        })
    }

    /// A stored record of any kind, if present and valid for exactly this key (and, in strict
    /// runs, carrying a valid MAC).
    pub fn get_record<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        if self.mac_key == Some(None) {
            return None;
        }
        let bytes = std::fs::read(self.path(key)).ok()?;
        let record: Record<Box<serde_json::value::RawValue>> = serde_json::from_slice(&bytes).ok()?;
        if record.format != FORMAT || record.key != key {
            return None;
        }
        if let Some(Some(k)) = &self.mac_key {
            if record.mac != mac(k, key, record.payload.get().as_bytes()) {
                return None;
            }
        }
        serde_json::from_str(record.payload.get()).ok()
    }

    /// Stores a record under `key` (atomically: a reader sees the old file or the new one).
    pub fn put_record<T: Serialize>(&self, key: &str, payload: &T) {
        if self.mac_key == Some(None) {
            return;
        }
        let path = self.path(key);
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let Ok(payload) = serde_json::value::to_raw_value(payload) else {
            return;
        };
        let record = Record {
            format: FORMAT,
            key: key.to_string(),
            mac: match &self.mac_key {
                Some(Some(k)) => mac(k, key, payload.get().as_bytes()),
                _ => String::new(),
            },
            payload,
        };
        let Ok(json) = serde_json::to_vec(&record) else { return };
        if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) {
            use std::io::Write;
            if tmp.write_all(&json).is_ok() {
                let _ = tmp.persist(&path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cache;
    use crate::exec::{BlockJob, BlockMode, EntryJob, EntryOutcome, EntryResult};
    use std::time::Duration;

    fn job(code: &str) -> EntryJob {
        EntryJob {
            blocks: vec![BlockJob {
                filename: "<qa:a.md:3>".into(),
                source: code.into(),
                mode: BlockMode::Exec,
                fresh_namespace: false,
            }],
            timeout: Some(Duration::from_secs(5)),
            ..EntryJob::default()
        }
    }

    #[test]
    fn a_key_changes_with_anything_that_changes_the_run_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path(), &["salt"], false, &Default::default());
        let key = cache.key(&job("print(1)"));
        assert_eq!(key, cache.key(&job("print(1)")));
        assert_eq!(
            key,
            Cache::open(dir.path(), &["salt"], false, &Default::default()).key(&job("print(1)"))
        );
        assert_ne!(key, cache.key(&job("print(2)")));
        assert_ne!(
            key,
            Cache::open(dir.path(), &["other salt"], false, &Default::default()).key(&job("print(1)"))
        );
        let mut slower = job("print(1)");
        slower.timeout = Some(Duration::from_secs(9));
        assert_ne!(key, cache.key(&slower));
        let mut networked = job("print(1)");
        networked.sandbox.allow_network = true;
        assert_ne!(key, cache.key(&networked));
        let mut with_file = job("print(1)");
        with_file.files.push(("data.txt".into(), b"x".to_vec()));
        assert_ne!(key, cache.key(&with_file));
        // Salt parts are length-prefixed: ["ab", "c"] and ["a", "bc"] differ.
        assert_ne!(
            Cache::open(dir.path(), &["ab", "c"], false, &Default::default()).key(&job("")),
            Cache::open(dir.path(), &["a", "bc"], false, &Default::default()).key(&job(""))
        );
    }

    #[test]
    fn outcomes_round_trip_but_timeouts_crashes_missing_modules_and_corrupt_files_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path(), &[], false, &Default::default());
        assert!(dir.path().join(".gitignore").is_file());
        let done = EntryOutcome::Completed(EntryResult::default());
        let key = cache.key(&job("print(1)"));
        assert_eq!(cache.get(&key), None);
        cache.put(&key, &done);
        assert_eq!(cache.get(&key), Some(done.clone()));
        // A record is only valid for its own key, even under another name.
        let other = cache.key(&job("print(2)"));
        std::fs::create_dir_all(cache.path(&other).parent().unwrap()).unwrap();
        std::fs::copy(cache.path(&key), cache.path(&other)).unwrap();
        assert_eq!(cache.get(&other), None);
        // A torn file is ignored, and the next put replaces it.
        std::fs::write(cache.path(&key), b"{\"format\": 1, \"ke").unwrap();
        assert_eq!(cache.get(&key), None);
        cache.put(&key, &done);
        assert_eq!(cache.get(&key), Some(done));
        let slow = cache.key(&job("import time; time.sleep(9)"));
        let timed_out = EntryOutcome::TimedOut {
            result: EntryResult::default(),
            stmt: None,
        };
        cache.put(&slow, &timed_out);
        assert_eq!(cache.get(&slow), None);
        let crashed = EntryOutcome::Crashed {
            result: EntryResult::default(),
            detail: "exit code 3".into(),
            stmt: None,
        };
        cache.put(&slow, &crashed);
        assert_eq!(cache.get(&slow), None);
        let missing = EntryOutcome::MissingModules(vec!["numpy".into()]);
        cache.put(&slow, &missing);
        assert_eq!(cache.get(&slow), None, "a module installed later would stay missing");
    }
}
