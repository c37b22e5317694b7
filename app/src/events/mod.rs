//! The event log: every change a client shows, numbered, stored in the same
//! transaction as the change, replayed to a client that resumes.
//!
//! Server-only. `log` appends and reads events; the live layer (`live`)
//! delivers them after commit, in id order. The wire format of each event is
//! `chat::model::Event`, stored pre-encoded: a frame is encoded once and the
//! same bytes go to every recipient, live or on resume.

pub mod log;
