//! Per-client rate limit of the public form, and which address a request comes from.
//! The client address is the TCP peer; `X-Forwarded-For` is believed only when the peer is
//! one of the configured proxies (`RAPPORT_TRUSTED_PROXIES`), since anyone can send it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// A token bucket per client: `burst` answers at once, then one every `refill_secs`.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, f64)>>,
}

impl RateLimiter {
    pub fn new(burst: u32, per_minute: u32) -> Self {
        RateLimiter {
            burst: f64::from(burst.max(1)),
            per_sec: f64::from(per_minute.max(1)) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// From `RAPPORT_FEEDBACK_RATE_PER_MINUTE` (default 10 a minute, bursts of 20).
    pub fn from_env() -> Self {
        let per_minute: u32 = std::env::var("RAPPORT_FEEDBACK_RATE_PER_MINUTE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10);
        RateLimiter::new(per_minute.saturating_mul(2).max(20), per_minute)
    }

    /// Takes one token for `client` at time `now` (seconds); `false` when none is left.
    pub fn allow(&self, client: IpAddr, now: f64) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 100_000 {
            // Forget full buckets: they behave exactly like new ones.
            let (burst, per_sec) = (self.burst, self.per_sec);
            buckets.retain(|_, (tokens, at)| *tokens + (now - *at) * per_sec < burst);
        }
        let entry = buckets.entry(client).or_insert((self.burst, now));
        let tokens = (entry.0 + (now - entry.1).max(0.0) * self.per_sec).min(self.burst);
        if tokens >= 1.0 {
            *entry = (tokens - 1.0, now);
            true
        } else {
            *entry = (tokens, now);
            false
        }
    }
}

/// Proxies whose `X-Forwarded-For` is believed, from `RAPPORT_TRUSTED_PROXIES`
/// (comma-separated addresses).
pub fn trusted_proxies_from_env() -> Vec<IpAddr> {
    std::env::var("RAPPORT_TRUSTED_PROXIES")
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// The client of a request: the peer, unless the peer is a trusted proxy, in which case
/// the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded_for
        .unwrap_or_default()
        .rsplit(',')
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_burst_is_allowed_then_refilled_over_time() {
        let limiter = RateLimiter::new(3, 60);
        let a = ip("10.0.0.1");
        assert!((0..3).all(|_| limiter.allow(a, 0.0)));
        assert!(!limiter.allow(a, 0.5));
        assert!(limiter.allow(ip("10.0.0.2"), 0.5), "other clients are not affected");
        assert!(limiter.allow(a, 1.6));
        assert!(!limiter.allow(a, 1.7));
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy = ip("10.0.0.9");
        let trusted = [proxy];
        assert_eq!(
            client_address(ip("1.2.3.4"), Some("5.6.7.8"), &trusted),
            ip("1.2.3.4")
        );
        assert_eq!(
            client_address(proxy, Some("9.9.9.9, 5.6.7.8"), &trusted),
            ip("5.6.7.8")
        );
        assert_eq!(
            client_address(proxy, Some("5.6.7.8, 10.0.0.9"), &trusted),
            ip("5.6.7.8")
        );
        assert_eq!(client_address(proxy, None, &trusted), proxy);
        assert_eq!(client_address(proxy, Some("garbage"), &trusted), proxy);
    }
}
