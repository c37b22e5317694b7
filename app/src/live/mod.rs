//! Live delivery: the in-process event hub and the `/ws` socket that carries
//! its events (server), and the browser's reconnecting client.

pub mod client;
#[cfg(feature = "ssr")]
pub mod hub;
#[cfg(feature = "ssr")]
pub mod ws;
