//! Per-client rate limit of the public form. Which address a request comes from is
//! `request::client_address`.
//!
//! On PostgreSQL, where several app servers share one database, the buckets live in the
//! `rate_buckets` table, so a client gets one allowance however the balancer spreads its
//! requests. SQLite serves one app server by construction; there the buckets stay in its
//! memory, which spares every answer a write transaction of its own.

use crate::db::{Db, Engine, Row};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// A token bucket per client: `burst` answers at once, then one every `refill_secs`.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    per_sec: f64,
    table: Mutex<Buckets>,
}

/// Tokens and time of the last take, by client; and when full buckets were last forgotten.
#[derive(Debug, Default)]
struct Buckets {
    by_client: HashMap<IpAddr, (f64, f64)>,
    last_prune: f64,
}

/// The key of a client: its address, or for IPv6 its /64 network (one household or
/// device gets a whole /64 and could rotate through it).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

impl RateLimiter {
    pub fn new(burst: u32, per_minute: u32) -> Self {
        RateLimiter {
            burst: f64::from(burst.max(1)),
            per_sec: f64::from(per_minute.max(1)) / 60.0,
            table: Mutex::new(Buckets::default()),
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
    /// Shared by all servers on PostgreSQL (see the module documentation). Should the
    /// database fail, the answer is let through: storing it fails the same way.
    pub async fn allow_shared(&self, db: &Db, scope: &str, client: IpAddr, now: f64) -> bool {
        if db.engine != Engine::Postgres {
            return self.allow(client, now);
        }
        match self
            .take_in_database(db, scope, client_key(client), now)
            .await
        {
            Ok(allowed) => allowed,
            Err(e) => {
                tracing::error!(error = %e, "rate limit unavailable");
                true
            }
        }
    }

    async fn take_in_database(
        &self,
        db: &Db,
        scope: &str,
        client: IpAddr,
        now: f64,
    ) -> Result<bool, sqlx::Error> {
        let client = client.to_string();
        let mut tx = db.pool.begin().await?;
        sqlx::query(
            "INSERT INTO rate_buckets (scope, client, tokens, at) VALUES ($1, $2, $3, $4)              ON CONFLICT (scope, client) DO NOTHING",
        )
        .bind(scope)
        .bind(&client)
        .bind(self.burst)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(
            "SELECT tokens, at FROM rate_buckets WHERE scope = $1 AND client = $2 FOR UPDATE",
        )
        .bind(scope)
        .bind(&client)
        .fetch_one(&mut *tx)
        .await?;
        let (allowed, tokens) = take(
            row.try_get("tokens")?,
            row.try_get("at")?,
            now,
            self.burst,
            self.per_sec,
        );
        sqlx::query(
            "UPDATE rate_buckets SET tokens = $1, at = $2 WHERE scope = $3 AND client = $4",
        )
        .bind(tokens)
        .bind(now)
        .bind(scope)
        .bind(&client)
        .execute(&mut *tx)
        .await?;
        // Buckets that have filled up again behave exactly like new ones: forget them,
        // now and then, so a flood of addresses leaves nothing behind.
        if rand::random::<u8>() < 4 {
            sqlx::query("DELETE FROM rate_buckets WHERE scope = $1 AND at < $2")
                .bind(scope)
                .bind(now - self.burst / self.per_sec)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(allowed)
    }

    /// The in-memory bucket of `client` (one server).
    pub fn allow(&self, client: IpAddr, now: f64) -> bool {
        let mut guard = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let Buckets {
            by_client: buckets,
            last_prune,
        } = &mut *guard;
        // Forget buckets that have filled up again (they behave exactly like new ones),
        // at most once a second so a flood of new addresses cannot make every call scan.
        if buckets.len() > 10_000 && now - *last_prune >= 1.0 {
            let (burst, per_sec) = (self.burst, self.per_sec);
            buckets.retain(|_, (tokens, at)| *tokens + (now - *at) * per_sec < burst);
            *last_prune = now;
        }
        let entry = buckets
            .entry(client_key(client))
            .or_insert((self.burst, now));
        let (allowed, tokens) = take(entry.0, entry.1, now, self.burst, self.per_sec);
        *entry = (tokens, now);
        allowed
    }
}

/// One request against a bucket that held `tokens` at time `at`: refilled at `per_sec` up
/// to `burst`, then one token taken if there is one. Answers whether it was, and what is
/// left.
fn take(tokens: f64, at: f64, now: f64, burst: f64, per_sec: f64) -> (bool, f64) {
    let tokens = (tokens + (now - at).max(0.0) * per_sec).min(burst);
    if tokens >= 1.0 {
        (true, tokens - 1.0)
    } else {
        (false, tokens)
    }
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
        assert!(
            limiter.allow(ip("10.0.0.2"), 0.5),
            "other clients are not affected"
        );
        assert!(limiter.allow(a, 1.6));
        assert!(!limiter.allow(a, 1.7));
        // Addresses of one IPv6 /64 share a bucket.
        let one = RateLimiter::new(1, 1);
        assert!(one.allow(ip("2001:db8:1:2::1"), 0.0));
        assert!(!one.allow(ip("2001:db8:1:2:ffff::9"), 0.0));
        assert!(one.allow(ip("2001:db8:1:3::1"), 0.0));
    }
}
