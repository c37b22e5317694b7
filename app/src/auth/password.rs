//! Password hashing (argon2id at OWASP's parameters: 19 MiB, t=2, p=1) and the
//! common-password check. Hashing is CPU-heavy by design, so it always runs on
//! tokio's blocking pool, never on the async workers — and at most one hash
//! per core at a time (`Hashing`): more would only add memory (19 MiB each)
//! and latency. Up to `QUEUE_PER_CORE` per core wait for a turn; beyond that
//! a request is answered `Unavailable` (503) at once, doing no work. The limit
//! is the process's: it is a property of the machine's cores, shared by
//! sign-ups, log-ins, password resets and the command line.

use std::sync::OnceLock;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::error::AppError;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
}

/// A hash of a random password, verified against when the user does not exist
/// so that "no such user" costs as long as "wrong password".
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_now("kanect-decoy-password-never-matches").unwrap_or_default())
}

/// Requests waiting for a hashing slot, per core, before new ones are refused.
pub const QUEUE_PER_CORE: usize = 16;

/// The process's hashing slots and queue.
struct Hashing {
    slots: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    max_waiting: usize,
}

fn hashing() -> &'static Hashing {
    static HASHING: OnceLock<Hashing> = OnceLock::new();
    HASHING.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Hashing {
            slots: tokio::sync::Semaphore::new(cores),
            waiting: Default::default(),
            max_waiting: cores * QUEUE_PER_CORE,
        }
    })
}

/// Runs `work` on the blocking pool once a hashing slot is free.
async fn with_slot<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    /// Counts one waiter until dropped (also when the request is abandoned).
    struct Waiting<'a>(&'a AtomicUsize);
    impl Drop for Waiting<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, SeqCst);
        }
    }
    let h = hashing();
    let waiting = Waiting(&h.waiting);
    if h.waiting.fetch_add(1, SeqCst) >= h.max_waiting {
        return Err(AppError::Unavailable {
            retry_after_secs: 2,
        });
    }
    let permit = h.slots.acquire().await;
    drop(waiting);
    let _permit = permit.map_err(|_| AppError::Internal)?;
    Ok(tokio::task::spawn_blocking(work).await?)
}

pub async fn hash(password: String) -> Result<String, AppError> {
    with_slot(move || hash_now(&password)).await?
}

/// Checks `password` against `phc`, or against the decoy when `phc` is `None`
/// (always false, same cost).
pub async fn verify(password: String, phc: Option<String>) -> Result<bool, AppError> {
    with_slot(move || {
        let real = phc.is_some();
        let phc = phc.unwrap_or_else(|| decoy_hash().to_owned());
        let Ok(parsed) = PasswordHash::new(&phc) else {
            tracing::error!("stored password hash is not a valid PHC string");
            return false;
        };
        let ok = argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && real
    })
    .await
}

/// True when the whole password (ignoring case) is one of the 10,000 most common
/// passwords in zxcvbn's list, or is just the person's own name or address.
pub fn is_common(password: &str, user_inputs: &[&str]) -> bool {
    use zxcvbn::matching::patterns::MatchPattern;
    const TOP_N: usize = 10_000;
    let lower = password.to_lowercase();
    if user_inputs
        .iter()
        .any(|u| !u.is_empty() && u.to_lowercase() == lower)
    {
        return true;
    }
    let entropy = zxcvbn::zxcvbn(password, &[]);
    let seq = entropy.sequence();
    // zxcvbn's dictionary type is not exported; its default is the passwords list.
    seq.len() == 1
        && matches!(&seq[0].pattern, MatchPattern::Dictionary(d)
            if !d.reversed && d.dictionary_name == Default::default() && d.rank <= TOP_N)
}

/// Refuses a password that is among the most common or close to the
/// account's own name or email, as a `password` field error.
pub fn refuse_common(password: &str, username: &str, email: &str) -> Result<(), AppError> {
    let local_part = email.split('@').next().unwrap_or_default();
    if is_common(password, &[username, local_part]) {
        return Err(AppError::field(
            "password",
            "This password is too common; pick one that is harder to guess.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let phc = hash("correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            verify("correct horse battery".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify("correct horse batterY".into(), Some(phc))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn verifying_without_a_user_is_always_false() {
        assert!(
            !verify("kanect-decoy-password-never-matches".into(), None)
                .await
                .unwrap()
        );
    }

    #[test]
    fn the_most_common_passwords_are_recognised() {
        for pw in [
            "password",
            "12345678",
            "Password1",
            "qwertyuiop",
            "iloveyou",
        ] {
            assert!(is_common(pw, &[]), "{pw} not seen as common");
        }
        for pw in ["correct-horse-battery-9", "Kanect!rocks-2026", "vq8#Lm2@pZ"] {
            assert!(!is_common(pw, &[]), "{pw} seen as common");
        }
        assert!(is_common("doreamon99", &["doreamon99"]));
    }
}
