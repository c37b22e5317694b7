//! The admin console at `/admin`, for users with the `admin` role — enforced
//! by every server function, not by hiding links.
//!
//! - `model`: the API's types and the rules for its parameters.
//! - `api`: the server functions (`/api/admin_*`).
//! - `users`, `moderation`, `rooms`, `files`, `audit`, `stats`, `signup_policy` (ssr): the operations.
//! - `pages`: the console's pages (dashboard, users, rooms, messages, files, audit log, settings).

pub mod api;
pub mod model;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod audit;
#[cfg(feature = "ssr")]
pub mod files;
#[cfg(feature = "ssr")]
pub mod moderation;
#[cfg(feature = "ssr")]
pub mod rooms;
#[cfg(feature = "ssr")]
pub mod signup_policy;
#[cfg(feature = "ssr")]
pub mod stats;
#[cfg(feature = "ssr")]
pub mod users;
