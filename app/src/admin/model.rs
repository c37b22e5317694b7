//! The admin console's shared types (the JSON shapes of the admin API) and
//! the rules for its query parameters, checked on the server.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

pub const USERS_PER_PAGE: u64 = 20;
pub const MESSAGES_PER_PAGE: u64 = 50;
pub const AUDIT_PER_PAGE: u64 = 50;
const MAX_PAGE: u64 = 1_000_000;

pub const ROLE_ADMIN: &str = "admin";
pub const ROLE_USER: &str = "user";

/// The dashboard's figures. "Today" starts at UTC midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub users: u64,
    pub active_users: u64,
    pub admins: u64,
    pub online_now: u64,
    pub messages_today: u64,
    pub messages_total: u64,
}

/// A user as the console shows them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AdminUser {
    pub id: i32,
    pub username: String,
    pub email: String,
    /// `admin` or `user`.
    pub role: String,
    pub is_active: bool,
    pub online: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserList {
    pub users: Vec<AdminUser>,
    /// Users matching the filters, over all pages.
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

/// A room as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminRoom {
    pub id: i32,
    pub name: String,
    pub is_public: bool,
    pub archived: bool,
    pub members: u64,
    pub messages: u64,
    /// When the newest message was sent (ms), if any.
    pub last_activity: Option<i64>,
}

/// A message as the console shows it: with both participants' names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminMessage {
    pub id: i64,
    pub sender: String,
    pub recipient: String,
    pub body: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageList {
    /// Newest first.
    pub messages: Vec<AdminMessage>,
    pub page: u64,
    /// True when a next (older) page exists.
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// Who acted: an admin's username, or `command line`.
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub message_id: Option<i64>,
    pub detail: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditList {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

/// Files stored by one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonStorage {
    pub username: String,
    pub files: u64,
    pub bytes: u64,
}

/// A stored file, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminFile {
    pub id: String,
    pub name: String,
    pub uploader: String,
    pub size: u64,
    pub mime: String,
    /// Sent with a message (else still waiting to be sent).
    pub sent: bool,
    pub created_at: i64,
}

/// The console's Files page: storage per person, most first, and the
/// largest files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Storage {
    pub people: Vec<PersonStorage>,
    pub largest: Vec<AdminFile>,
}

/// Every action the audit log records: (code, what the console calls it).
pub const ACTIONS: &[(&str, &str)] = &[
    ("create_admin", "Created admin"),
    ("promote", "Promoted to admin"),
    ("demote", "Demoted to user"),
    ("deactivate", "Deactivated"),
    ("reactivate", "Reactivated"),
    ("change_email", "Changed email"),
    ("reset_password", "Reset password"),
    ("end_sessions", "Ended sessions"),
    ("delete_message", "Deleted message"),
    ("archive_room", "Archived room"),
    ("delete_room", "Deleted room"),
    ("delete_file", "Removed file"),
    ("signup_mode", "Changed who may sign up"),
    ("join_code", "Made a new join link"),
];

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignupMode {
    /// Anyone who reaches the sign-up page.
    #[default]
    Open,
    /// Only people with the current join link.
    Invite,
    /// Nobody; admins create accounts (`kanect-server create-admin`).
    Closed,
}

impl SignupMode {
    pub const ALL: [SignupMode; 3] = [Self::Open, Self::Invite, Self::Closed];

    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Invite => "invite",
            Self::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Anyone can sign up",
            Self::Invite => "Only people with the join link",
            Self::Closed => "Nobody (sign-up is closed)",
        }
    }

    pub fn parse(code: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|m| m.code() == code)
            .ok_or_else(|| FieldError::new("mode", "Use open, invite or closed."))
    }
}

/// Who may sign up, and the join link's code (for admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupPolicy {
    pub mode: SignupMode,
    /// The current join code; `/signup?join=<code>` lets people in while the
    /// mode is `invite`.
    pub join_code: String,
    /// The whole join link, at the origin people use to reach Kanect.
    pub join_link: String,
}

pub fn action_label(code: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, label)| label)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoleFilter {
    #[default]
    Any,
    Admin,
    User,
}

impl RoleFilter {
    pub fn parse(raw: Option<&str>) -> Result<Self, FieldError> {
        match raw.map(str::trim).unwrap_or_default() {
            "" | "any" => Ok(Self::Any),
            ROLE_ADMIN => Ok(Self::Admin),
            ROLE_USER => Ok(Self::User),
            _ => Err(FieldError::new("role", "Choose any, admin or user.")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ActiveFilter {
    #[default]
    Any,
    Active,
    Inactive,
}

impl ActiveFilter {
    pub fn parse(raw: Option<&str>) -> Result<Self, FieldError> {
        match raw.map(str::trim).unwrap_or_default() {
            "" | "any" => Ok(Self::Any),
            "active" => Ok(Self::Active),
            "inactive" => Ok(Self::Inactive),
            _ => Err(FieldError::new("active", "Choose any, active or inactive.")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserSort {
    #[default]
    Username,
    Email,
    Newest,
    Oldest,
}

impl UserSort {
    pub fn parse(raw: Option<&str>) -> Result<Self, FieldError> {
        match raw.map(str::trim).unwrap_or_default() {
            "" | "username" => Ok(Self::Username),
            "email" => Ok(Self::Email),
            "newest" => Ok(Self::Newest),
            "oldest" => Ok(Self::Oldest),
            _ => Err(FieldError::new(
                "sort",
                "Sort by username, email, newest or oldest.",
            )),
        }
    }
}

/// A role to give someone: `admin` or `user`.
pub fn parse_role(raw: &str) -> Result<&'static str, FieldError> {
    match raw.trim() {
        ROLE_ADMIN => Ok(ROLE_ADMIN),
        ROLE_USER => Ok(ROLE_USER),
        _ => Err(FieldError::new("role", "Choose admin or user.")),
    }
}

/// A 1-based page number (missing means 1).
pub fn parse_page(raw: Option<u64>) -> Result<u64, FieldError> {
    match raw.unwrap_or(1) {
        p @ 1..=MAX_PAGE => Ok(p),
        _ => Err(FieldError::new("page", "Pages are numbered from 1.")),
    }
}

/// An optional audit action filter: empty, or one of `ACTIONS`.
pub fn parse_action(raw: Option<&str>) -> Result<Option<&'static str>, FieldError> {
    match raw.map(str::trim).unwrap_or_default() {
        "" => Ok(None),
        code => ACTIONS
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(c, _)| Some(*c))
            .ok_or_else(|| FieldError::new("action", "Choose an action from the list.")),
    }
}

/// A search text: trimmed, at most 200 characters; empty means no filter.
pub fn parse_search(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let text = raw.map(str::trim).unwrap_or_default();
    if text.chars().count() > 200 {
        return Err(FieldError::new(field, "Search for at most 200 characters."));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// An optional `YYYY-MM-DD` (UTC) date as the ms of its midnight.
pub fn parse_day(field: &str, raw: Option<&str>) -> Result<Option<i64>, FieldError> {
    match raw.map(str::trim).unwrap_or_default() {
        "" => Ok(None),
        text => crate::dates::parse_date(text)
            .map(Some)
            .ok_or_else(|| FieldError::new(field, "Use a date like 2026-11-25.")),
    }
}

/// Number of pages for `total` items (at least 1, so "page 1 of 1" when empty).
pub fn pages(total: u64, per_page: u64) -> u64 {
    total.div_ceil(per_page).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_accept_their_words_and_name_their_field_otherwise() {
        assert_eq!(RoleFilter::parse(None), Ok(RoleFilter::Any));
        assert_eq!(RoleFilter::parse(Some("admin")), Ok(RoleFilter::Admin));
        assert_eq!(RoleFilter::parse(Some("root")).unwrap_err().field, "role");
        assert_eq!(
            ActiveFilter::parse(Some("inactive")),
            Ok(ActiveFilter::Inactive)
        );
        assert_eq!(
            ActiveFilter::parse(Some("yes")).unwrap_err().field,
            "active"
        );
        assert_eq!(UserSort::parse(Some("newest")), Ok(UserSort::Newest));
        assert_eq!(UserSort::parse(Some("id; drop")).unwrap_err().field, "sort");
        assert_eq!(parse_role("user"), Ok(ROLE_USER));
        assert!(parse_role("superuser").is_err());
    }

    #[test]
    fn pages_start_at_one() {
        assert_eq!(parse_page(None), Ok(1));
        assert_eq!(parse_page(Some(3)), Ok(3));
        assert_eq!(parse_page(Some(0)).unwrap_err().field, "page");
        assert_eq!(pages(0, 20), 1);
        assert_eq!(pages(41, 20), 3);
    }

    #[test]
    fn actions_and_dates_are_checked() {
        assert_eq!(parse_action(Some("deactivate")), Ok(Some("deactivate")));
        assert_eq!(parse_action(Some("")), Ok(None));
        assert_eq!(parse_action(Some("explode")).unwrap_err().field, "action");
        assert_eq!(action_label("delete_message"), "Deleted message");
        assert_eq!(parse_day("from", Some("1970-01-02")), Ok(Some(86_400_000)));
        assert_eq!(parse_day("to", Some("yesterday")).unwrap_err().field, "to");
        assert_eq!(parse_search("text", Some("  hi ")), Ok(Some("hi".into())));
        assert!(parse_search("text", Some(&"x".repeat(201))).is_err());
    }
}
