//! qa-lint: keep technical Q&A written in Markdown correct.
//!
//! The pipeline, one module per step, data flowing one way:
//! [`discover`] files -> [`source`] read -> [`markdown`] parse into [`entry`] entries ->
//! [`parts`] + [`document`] build the JSON each entry is judged by -> [`validate`] against
//! the schema -> [`claims`] + [`exec`] run the Python and judge its claims ([`examples`]) ->
//! [`suppress`] apply the user's choices -> [`report`] render.

pub mod baseline;
pub mod cache;
pub mod check;
pub mod claims;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod document;
pub mod entry;
pub mod environment;
pub mod examples;
pub mod exec;
pub mod fix;
pub mod git;
pub mod markdown;
pub mod parts;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod select;
pub mod server;
pub mod settings;
pub mod shard;
pub mod source;
pub mod suppress;
pub mod validate;
