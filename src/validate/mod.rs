//! Validation: the schema policy applied to each entry's JSON document.

pub mod schema;

pub use schema::Policy;
