//! Runnable examples of the otaseal crates: a minimal update server (`update_server.rs`) and a
//! CI publisher (`publish.rs`), beside this crate.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod publish;
pub mod update_server;
