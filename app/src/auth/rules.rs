//! Account input rules, as parse-don't-validate newtypes.
//!
//! Pure functions, compiled for both the server (where they are enforced) and the
//! browser (where the same checks give instant feedback). A value of type
//! `Username`, `Email` or `Password` has passed its rule; nothing else creates one.

use crate::error::FieldError;

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const EMAIL_MAX: usize = 254;

/// A username as typed (case kept for display); `key()` is its unique, case-folded form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        let len = name.chars().count();
        if !(USERNAME_MIN..=USERNAME_MAX).contains(&len) {
            return Err(FieldError::new(
                "username",
                format!("Use {USERNAME_MIN} to {USERNAME_MAX} characters."),
            ));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            return Err(FieldError::new(
                "username",
                format!("'{bad}' is not allowed: use letters, digits, '_', '.' or '-'."),
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive key that must be unique.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// An email address, stored lower-cased so uniqueness is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        let invalid = || {
            FieldError::new(
                "email",
                "Enter a valid email address, like name@example.com.",
            )
        };
        if email.is_empty() {
            return Err(FieldError::new("email", "Enter your email address."));
        }
        if email.len() > EMAIL_MAX || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let labels_ok = domain.split('.').count() >= 2
            && domain.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local.is_empty() || local.len() > 64 || local.contains('@') || !labels_ok {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the length rule. (The "not a common password" rule
/// needs a dictionary and is enforced on the server only.)
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let len = raw.chars().count();
        if len < PASSWORD_MIN {
            return Err(FieldError::new(
                "password",
                format!("Use at least {PASSWORD_MIN} characters."),
            ));
        }
        if len > PASSWORD_MAX {
            return Err(FieldError::new(
                "password",
                format!("Use at most {PASSWORD_MAX} characters."),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Everything the sign-up form sends, checked field by field.
#[derive(Debug)]
pub struct NewAccount {
    pub username: Username,
    pub email: Email,
    pub password: Password,
}

impl NewAccount {
    /// Checks every field and reports every problem at once, not just the first.
    pub fn parse(
        username: &str,
        email: &str,
        password: &str,
        password_again: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let username = Username::parse(username);
        let email = Email::parse(email);
        let password = Password::parse(password);
        let mut errors = Vec::new();
        if password.is_ok() && password_again != password.as_ref().map(|p| p.expose()).unwrap_or("")
        {
            errors.push(FieldError::new(
                "password_again",
                "The two passwords differ.",
            ));
        }
        match (username, email, password) {
            (Ok(username), Ok(email), Ok(password)) if errors.is_empty() => Ok(Self {
                username,
                email,
                password,
            }),
            (u, e, p) => {
                let mut all: Vec<FieldError> =
                    [u.err(), e.err(), p.err()].into_iter().flatten().collect();
                all.append(&mut errors);
                Err(all)
            }
        }
    }
}

/// A rough strength score from 0 (very weak) to 4 (strong) for the live meter.
///
/// It looks at length, variety and repetition only; the server additionally
/// refuses passwords found in a list of the most common ones.
pub fn strength(password: &str) -> u8 {
    let len = password.chars().count();
    if len == 0 {
        return 0;
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let variety = distinct.len() as f64 / len as f64;
    let mut score: i32 = match len {
        0..=7 => 0,
        8..=10 => 1,
        11..=13 => 2,
        14..=17 => 3,
        _ => 4,
    };
    score += match classes {
        0 | 1 => -1,
        2 => 0,
        _ => 1,
    };
    if variety < 0.3 {
        score -= 1;
    }
    if len < PASSWORD_MIN || distinct.len() < 4 {
        score = score.min(0);
    }
    score.clamp(0, 4) as u8
}

pub fn strength_label(score: u8) -> &'static str {
    match score {
        0 => "Very weak",
        1 => "Weak",
        2 => "Fair",
        3 => "Good",
        _ => "Strong",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_keep_their_case_but_compare_case_insensitively() {
        let u = Username::parse("  Dora.the-Explorer_1 ").unwrap();
        assert_eq!(u.as_str(), "Dora.the-Explorer_1");
        assert_eq!(u.key(), "dora.the-explorer_1");
    }

    #[test]
    fn usernames_outside_the_length_or_alphabet_are_refused() {
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse(&"a".repeat(32)).is_ok());
        let err = Username::parse("bad name").unwrap_err();
        assert_eq!(err.field, "username");
        assert!(err.message.contains("' '"), "{}", err.message);
        assert!(Username::parse("<script>").is_err());
        assert!(Username::parse("émile").is_err());
    }

    #[test]
    fn emails_are_lower_cased_and_checked_for_shape() {
        assert_eq!(
            Email::parse(" Nemo@Example.ORG ").unwrap().as_str(),
            "nemo@example.org"
        );
        for bad in [
            "",
            "nemo",
            "nemo@",
            "@example.org",
            "nemo@example",
            "ne mo@example.org",
            "nemo@-x.org",
            "a@b@c.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn passwords_must_be_8_to_128_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn password_debug_output_hides_the_secret() {
        assert_eq!(
            format!("{:?}", Password::parse("hunter2hunter2").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn a_new_account_reports_every_bad_field_at_once() {
        let errors = NewAccount::parse("x", "nope", "short", "short").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["username", "email", "password"]);
    }

    #[test]
    fn differing_passwords_are_reported_on_the_second_field() {
        let errors = NewAccount::parse("dora", "dora@example.org", "correct horse", "correct hose")
            .unwrap_err();
        assert_eq!(
            errors,
            vec![FieldError::new(
                "password_again",
                "The two passwords differ."
            )]
        );
        assert!(
            NewAccount::parse("dora", "dora@example.org", "correct horse", "correct horse").is_ok()
        );
    }

    #[test]
    fn strength_grows_with_length_and_variety() {
        assert_eq!(strength(""), 0);
        assert_eq!(strength("aaaaaaaaaaaaaaaa"), 0);
        assert!(strength("password") <= 1);
        assert!(strength("Tr0ub4dor&3xyz") >= 3);
        assert_eq!(strength("correct-Horse-battery-staple-9"), 4);
        assert!(strength("abc") < strength("abcdefgh12"));
    }
}
