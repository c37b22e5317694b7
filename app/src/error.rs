//! `AppError`: the one error type every server function returns.
//!
//! Each variant is a category a person can act on. Internal details (database
//! text, I/O errors) are logged on the server and never serialised: the browser
//! only ever sees the safe message chosen here. The same value travels over the
//! wire as JSON, so a Rust client, the browser and `curl` all see one shape.

use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A problem with one form field or API parameter, reported next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Collects every invalid parameter of one request, so a single answer can
/// name them all: `take` each parsed value, then `finish`.
#[derive(Debug, Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    /// The value, or its type's default after noting the error (the caller
    /// must `finish` before using any value).
    pub fn take<T: Default>(&mut self, parsed: Result<T, FieldError>) -> T {
        parsed.unwrap_or_else(|e| {
            self.0.push(e);
            T::default()
        })
    }

    pub fn add(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// `Validation` listing every error noted, if any.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation { fields: self.0 })
        }
    }
}

/// Read with `"kind"` as the first key (`crate::wire`), as it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    /// Not logged in, or the credentials were wrong.
    #[error("{message}")]
    Unauthorized { message: String },
    /// Logged in, but not allowed to do this.
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("{what} not found.")]
    NotFound { what: String },
    /// One or more fields are invalid; every problem is listed, by field.
    #[error("{}", summarise(fields))]
    Validation { fields: Vec<FieldError> },
    #[error("{message}")]
    Conflict { message: String },
    #[error("Too many attempts. Try again in {}.", wait_text(*retry_after_secs))]
    RateLimited { retry_after_secs: u64 },
    /// The server is busy (a bounded queue is full); nothing was done.
    #[error("Kanect is busy right now. Try again in {}.", wait_text(*retry_after_secs))]
    Unavailable { retry_after_secs: u64 },
    /// Something broke on the server; the details are in the server log.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never reached Kanect's code, or its answer could not be read
    /// (network down, server restarting, malformed request).
    #[error("{message}")]
    Transport { message: String },
}

/// `AppError`'s variants as serde reads them once `"kind"` has named one
/// (`crate::wire`). Add a new `AppError` variant here too: the compiler
/// checks the fields, and `every_kind_of_error_serialises` that none is missing.
#[derive(Deserialize)]
#[serde(remote = "AppError", rename_all = "snake_case")]
#[allow(dead_code)]
enum AppErrorTwin {
    Unauthorized { message: String },
    Forbidden,
    NotFound { what: String },
    Validation { fields: Vec<FieldError> },
    Conflict { message: String },
    RateLimited { retry_after_secs: u64 },
    Unavailable { retry_after_secs: u64 },
    Internal,
    Transport { message: String },
}

crate::wire::tag_first!(AppError, "kind", AppErrorTwin);

impl AppError {
    pub fn unauthorized() -> Self {
        Self::Unauthorized {
            message: "Please log in.".into(),
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            fields: vec![FieldError::new(field, message)],
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound { what: what.into() }
    }

    /// The message for `field`, if this error is about that field.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation { fields } => fields
                .iter()
                .find(|f| f.field == field)
                .map(|f| f.message.clone()),
            _ => None,
        }
    }

    /// The message to show above a form: everything not tied to one field.
    pub fn form_message(&self) -> Option<String> {
        match self {
            Self::Validation { .. } => None,
            other => Some(other.to_string()),
        }
    }

    /// The HTTP status a server function answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthorized { .. } => 401,
            Self::Forbidden => 403,
            Self::NotFound { .. } => 404,
            Self::Conflict { .. } => 409,
            Self::Validation { .. } => 422,
            Self::RateLimited { .. } => 429,
            Self::Transport { .. } => 400,
            Self::Unavailable { .. } => 503,
            Self::Internal => 500,
        }
    }
}

fn summarise(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// "2 minutes", "1 minute", "30 seconds": rounded up, so the wait is never short.
pub fn wait_text(secs: u64) -> String {
    if secs < 60 {
        let s = secs.max(1);
        format!("{s} second{}", if s == 1 { "" } else { "s" })
    } else {
        let m = secs.div_ceil(60);
        format!("{m} minute{}", if m == 1 { "" } else { "s" })
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::wire::TextJson;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport {
            message: value.to_string(),
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;

    impl From<sea_orm::DbErr> for AppError {
        fn from(err: sea_orm::DbErr) -> Self {
            if crate::db::is_nul_in_text(&err) {
                // Fields are checked for control characters where they are
                // read; this catches one that was not, as bad input.
                tracing::warn!(error = %err, "text with NUL reached the database");
                return AppError::field("input", "Text can't contain NUL characters.");
            }
            tracing::error!(error = %err, "database error");
            AppError::Internal
        }
    }

    impl From<tower_sessions::session::Error> for AppError {
        fn from(err: tower_sessions::session::Error) -> Self {
            tracing::error!(error = %err, "session store error");
            AppError::Internal
        }
    }

    impl From<tokio::task::JoinError> for AppError {
        fn from(err: tokio::task::JoinError) -> Self {
            tracing::error!(error = %err, "blocking task failed");
            AppError::Internal
        }
    }

    /// Finishes a server function: on error, sets the HTTP status that matches it
    /// so plain HTTP clients can branch on the status without parsing the body.
    /// A plain HTML form post (JavaScript off) keeps Leptos' redirect back to the
    /// form instead, carrying the error in the URL.
    pub fn reply<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(err) = &result
            && !is_form_post()
            && let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
            && let Ok(status) = http_status(err.status())
        {
            res.set_status(status);
        }
        result
    }

    /// True inside a server function called by a plain HTML form (JavaScript
    /// off): browsers ask for `text/html`, the hydrated app for JSON.
    pub fn is_form_post() -> bool {
        leptos::prelude::use_context::<axum::http::request::Parts>().is_some_and(|p| {
            p.headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
        })
    }

    fn http_status(code: u16) -> Result<axum::http::StatusCode, ()> {
        axum::http::StatusCode::from_u16(code).map_err(|_| ())
    }
}

#[cfg(feature = "ssr")]
pub use ssr::{is_form_post, reply};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_rounded_up_to_whole_minutes() {
        assert_eq!(wait_text(61), "2 minutes");
        assert_eq!(wait_text(60), "1 minute");
        assert_eq!(wait_text(0), "1 second");
        assert_eq!(wait_text(45), "45 seconds");
    }

    #[test]
    fn errors_round_trip_through_json_with_their_fields() {
        let err = AppError::field("email", "That email is already registered.");
        let json = serde_json::to_string(&err).unwrap();
        assert!(json.contains(r#""kind":"validation""#), "{json}");
        let back: AppError = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.field_message("email").as_deref(),
            Some("That email is already registered.")
        );
        assert_eq!(back.form_message(), None);
    }

    #[test]
    fn fields_reports_every_bad_parameter() {
        let mut check = Fields::default();
        let a: u64 = check.take(Ok(3));
        let b: u64 = check.take(Err(FieldError::new("page", "bad")));
        check.add(FieldError::new("to", "worse"));
        assert_eq!((a, b), (3, 0));
        let err = check.finish().unwrap_err();
        assert_eq!(err.field_message("page").as_deref(), Some("bad"));
        assert_eq!(err.field_message("to").as_deref(), Some("worse"));
        assert!(Fields::default().finish().is_ok());
    }

    #[test]
    fn every_kind_of_error_serialises() {
        let all = [
            AppError::unauthorized(),
            AppError::Forbidden,
            AppError::not_found("User"),
            AppError::field("page", "bad"),
            AppError::Conflict {
                message: "last admin".into(),
            },
            AppError::RateLimited {
                retry_after_secs: 3,
            },
            AppError::Unavailable {
                retry_after_secs: 1,
            },
            AppError::Internal,
            AppError::from_server_fn_error(ServerFnErrorErr::Args("user_id: invalid digit".into())),
        ];
        // Every variant is listed: a new one fails to compile here until it
        // is added above and to `AppErrorTwin`, which reads it.
        let kinds: std::collections::HashSet<u8> = all
            .iter()
            .map(|e| match e {
                AppError::Unauthorized { .. } => 0,
                AppError::Forbidden => 1,
                AppError::NotFound { .. } => 2,
                AppError::Validation { .. } => 3,
                AppError::Conflict { .. } => 4,
                AppError::RateLimited { .. } => 5,
                AppError::Unavailable { .. } => 6,
                AppError::Internal => 7,
                AppError::Transport { .. } => 8,
            })
            .collect();
        assert_eq!(kinds.len(), 9);
        for err in all {
            let json = serde_json::to_string(&err).unwrap_or_else(|e| panic!("{err:?}: {e}"));
            assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
        }
    }

    #[test]
    fn internal_errors_show_no_details() {
        assert_eq!(
            AppError::Internal.to_string(),
            "Something went wrong on our side. Please try again."
        );
        assert_eq!(AppError::Internal.status(), 500);
    }
}
