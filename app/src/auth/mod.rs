//! Accounts: sign up, log in, log out, and who the current user is.
//!
//! - `rules`: input rules shared by browser and server.
//! - `api`: the server functions (`/api/signup`, `/api/login`, `/api/logout`,
//!   `/api/current_user`), thin adapters over `server`.
//! - `server` (ssr): account creation, authentication, session handling.
//! - `throttle`, `signup_limit`, `password` (ssr): log-in throttling, sign-up
//!   limits, bounded argon2id hashing; `session_store` (ssr): sessions in the database.
//! - `visitor` (ssr): resolves who is visiting before a page renders.
//! - `pages`: the sign-up and log-in pages.

pub mod api;
pub mod pages;
pub mod rules;

#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod session_store;
#[cfg(feature = "ssr")]
pub mod signup_limit;
#[cfg(feature = "ssr")]
pub mod throttle;
#[cfg(feature = "ssr")]
pub mod visitor;

use serde::{Deserialize, Serialize};

/// The logged-in person, as every page and server function sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i32,
    pub username: String,
    pub is_admin: bool,
    /// Others see when they are typing.
    #[serde(default = "yes")]
    pub share_typing: bool,
    /// Others see how far they have read, and they see others'.
    #[serde(default = "yes")]
    pub share_receipts: bool,
}

fn yes() -> bool {
    true
}
