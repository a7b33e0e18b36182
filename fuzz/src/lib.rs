//! Shared invariants for the fuzz targets; see checks.rs.
pub mod checks;
