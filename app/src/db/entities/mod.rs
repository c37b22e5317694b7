//! SeaORM entities, one file per table.

pub mod audit;
pub mod conversation;
pub mod event;
pub mod membership;
pub mod mention;
pub mod message;
pub mod reaction;
pub mod session;
pub mod session_end;
pub mod site_setting;
pub mod upload;
pub mod user;
