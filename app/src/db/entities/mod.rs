//! SeaORM entities, one file per table.

pub mod session;
pub mod user;
