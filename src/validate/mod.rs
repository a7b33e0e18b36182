//! Validation: the schema policy applied to each entry's JSON document.
//!
//! Each entry rule has its own policy: the Q&A schema for `entries = "qa"`, and a minimal
//! one for `entries = "sections"`, where sections of tutorials and library docs are not
//! expected to look like interview answers.

pub mod schema;

pub use schema::Policy;

use crate::config::EntryMode;
use std::path::Path;

pub struct Policies {
    pub qa: Policy,
    pub sections: Policy,
}

impl Policies {
    /// `qa` and `sections`: the schema files, or the built-in defaults when `None`.
    pub fn load(qa: Option<&Path>, sections: Option<&Path>) -> Result<Policies, schema::PolicyError> {
        Ok(Policies {
            qa: Policy::load(qa, schema::DEFAULT_SCHEMA)?,
            sections: Policy::load(sections, schema::SECTIONS_SCHEMA)?,
        })
    }

    pub fn for_mode(&self, mode: EntryMode) -> &Policy {
        match mode {
            EntryMode::Qa => &self.qa,
            EntryMode::Sections => &self.sections,
        }
    }

    /// Every `x-rule` name either schema defines.
    pub fn rule_names(&self) -> Vec<String> {
        let mut names = self.qa.rule_names();
        names.extend(self.sections.rule_names());
        names.sort();
        names.dedup();
        names
    }

    /// Both schemas' bytes, for cache keys.
    pub fn source(&self) -> String {
        format!("{}\n{}", self.qa.source, self.sections.source)
    }
}
