//! One module per command.

pub(crate) mod bench;
pub(crate) mod bundle;
pub(crate) mod docs;
pub(crate) mod key;
pub(crate) mod manifest;
pub(crate) mod migrate;
pub(crate) mod open;
mod plugin;
pub(crate) mod protocol;
pub(crate) mod seal;
mod v3out;
