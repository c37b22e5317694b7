//! Live delivery: the in-process event hub, the `/ws` socket that carries its
//! events and the watch that closes sockets of ended sessions (server), and the
//! browser's reconnecting client.

pub mod client;
#[cfg(feature = "ssr")]
pub mod hub;
#[cfg(feature = "ssr")]
pub mod session_watch;
#[cfg(feature = "ssr")]
pub mod ws;
