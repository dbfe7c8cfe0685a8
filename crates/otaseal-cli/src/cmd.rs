//! One module per command.

pub(crate) mod bundle;
pub(crate) mod key;
pub(crate) mod migrate;
pub(crate) mod protocol;
