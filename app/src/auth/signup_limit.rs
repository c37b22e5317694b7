//! How many accounts may be created per hour: per client address and in
//! total. Checked after a sign-up's fields are valid and before its password
//! is hashed, so typos cost nothing and a flood of sign-ups costs at most the
//! limit's worth of hashing. In memory; with several nodes each tells the
//! others of every sign-up it lets through (`share_with`, `apply`).

use std::{net::IpAddr, num::NonZeroU32, time::Duration};

use governor::{
    DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock,
};

use crate::error::AppError;

pub struct SignupLimiter {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    total: DefaultDirectRateLimiter,
    /// Tells the installation's other nodes (see `share_with`).
    peers: std::sync::OnceLock<Box<dyn Fn(IpAddr) + Send + Sync>>,
}

fn per_hour(n: u32) -> Quota {
    let burst = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    let period = Duration::from_secs(3600) / burst.get();
    Quota::with_period(period.max(Duration::from_nanos(1)))
        .unwrap_or_else(|| Quota::per_hour(burst))
        .allow_burst(burst)
}

impl SignupLimiter {
    pub fn new(per_ip_per_hour: u32, total_per_hour: u32) -> Self {
        Self {
            per_ip: RateLimiter::keyed(per_hour(per_ip_per_hour)),
            total: RateLimiter::direct(per_hour(total_per_hour)),
            peers: std::sync::OnceLock::new(),
        }
    }

    /// From now on, every sign-up let through here is also handed to `tell`.
    pub fn share_with(&self, tell: impl Fn(IpAddr) + Send + Sync + 'static) {
        let _ = self.peers.set(Box::new(tell));
    }

    /// Takes from the budgets what a sign-up on another node took.
    pub fn apply(&self, ip: IpAddr) {
        let _ = self.per_ip.check_key(&ip);
        let _ = self.total.check();
    }

    /// Takes one sign-up from `ip`'s and everyone's budget, or says how long to wait.
    pub fn check(&self, ip: IpAddr) -> Result<(), AppError> {
        let now = governor::clock::DefaultClock::default().now();
        let refused = |wait: Duration| {
            crate::metrics::refused("signup");
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        };
        self.per_ip
            .check_key(&ip)
            .map_err(|n| refused(n.wait_time_from(now)))?;
        self.total
            .check()
            .map_err(|n| refused(n.wait_time_from(now)))?;
        if self.per_ip.len() > 100_000 {
            self.per_ip.retain_recent();
        }
        if let Some(tell) = self.peers.get() {
            tell(ip);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_gets_its_share_and_everyone_the_total() {
        let limit = SignupLimiter::new(2, 3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limit.check(a).is_ok());
        assert!(limit.check(a).is_ok());
        let Err(AppError::RateLimited { retry_after_secs }) = limit.check(a) else {
            panic!("a third sign-up from one address within the hour is refused");
        };
        assert!(
            (60..=1800).contains(&retry_after_secs),
            "{retry_after_secs}"
        );
        assert!(limit.check(b).is_ok());
        assert!(limit.check(b).is_err(), "the total of 3 an hour is used up");
    }
}
