//! Password hashing, sign-in and database-stored sessions (server only).

use crate::auth::{CurrentUser, Role};
use crate::db::{now, Db, DbRow, Row};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::ids::{TeamId, UserId};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use tokio::sync::Semaphore;

pub const SESSION_COOKIE: &str = "rapport_session";
/// A session unused for this long ends.
pub const IDLE_TIMEOUT_SECS: i64 = 8 * 3600;
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 7 * 24 * 3600;
/// `last_seen_at` is written at most this often, so reads do not all become writes.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// Argon2 is deliberately slow: it runs on the blocking pool, a few at a time, so sign-in
/// bursts cannot starve the async runtime or the machine.
fn hashing_permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Semaphore::new(cores.max(1))
    })
}

pub async fn hash_password(password: &str) -> AppResult<String> {
    let password = password.to_string();
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|_| AppError::Internal)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| {
                tracing::error!(error = %e, "password hashing failed");
                AppError::Internal
            })
    })
    .await
    .map_err(|_| AppError::Internal)?
}

pub async fn verify_password(password: &str, hash: &str) -> bool {
    let password = password.to_string();
    let hash = hash.to_string();
    let Ok(_permit) = hashing_permits().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the e-mail is unknown, so both failures cost the same.
async fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DECOY.get() {
        return h;
    }
    let h = hash_password("decoy password never used")
        .await
        .unwrap_or_default();
    DECOY.get_or_init(|| h)
}

pub(crate) fn user_from_row(row: &DbRow) -> AppResult<CurrentUser> {
    let role: String = row.try_get("role")?;
    let language: String = row.try_get("language")?;
    Ok(CurrentUser {
        id: UserId(row.try_get("id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: Role::parse(&role).ok_or(AppError::Internal)?,
        team_id: row.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
        language: Lang::parse(&language).unwrap_or_default(),
    })
}

/// Failed sign-ins allowed per e-mail within [`FAILURE_WINDOW_SECS`] before further
/// attempts are refused until the window has passed. Counted per server instance.
pub const MAX_FAILURES: u32 = 10;
pub const FAILURE_WINDOW_SECS: i64 = 15 * 60;

fn failures() -> &'static Mutex<HashMap<String, (u32, i64)>> {
    static FAILURES: OnceLock<Mutex<HashMap<String, (u32, i64)>>> = OnceLock::new();
    FAILURES.get_or_init(Default::default)
}

fn is_throttled(email: &str, at: i64) -> bool {
    let map = failures().lock().unwrap_or_else(|e| e.into_inner());
    map.get(email)
        .is_some_and(|(n, first)| *n >= MAX_FAILURES && at - first < FAILURE_WINDOW_SECS)
}

fn note_failure(email: &str, at: i64) {
    let mut map = failures().lock().unwrap_or_else(|e| e.into_inner());
    if map.len() > 10_000 {
        map.retain(|_, (_, first)| at - *first < FAILURE_WINDOW_SECS);
    }
    let entry = map.entry(email.to_string()).or_insert((0, at));
    if at - entry.1 >= FAILURE_WINDOW_SECS {
        *entry = (0, at);
    }
    entry.0 += 1;
}

fn clear_failures(email: &str) {
    failures()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(email);
}

/// Checks e-mail and password. Unknown e-mail, wrong password and deactivated account
/// give the same error after the same amount of work.
pub async fn authenticate(db: &Db, email: &str, password: &str) -> AppResult<CurrentUser> {
    let email = email.trim().to_lowercase();
    if is_throttled(&email, now()) {
        return Err(AppError::RateLimited);
    }
    let result = check_credentials(db, &email, password).await;
    match &result {
        Ok(_) => clear_failures(&email),
        Err(AppError::InvalidCredentials) => note_failure(&email, now()),
        Err(_) => {}
    }
    result
}

async fn check_credentials(db: &Db, email: &str, password: &str) -> AppResult<CurrentUser> {
    let row = sqlx::query(
        "SELECT id, email, name, role, team_id, language, active, password_hash FROM users WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(row) => {
            let hash: String = row.try_get("password_hash")?;
            let active: i64 = row.try_get("active")?;
            let ok = verify_password(password, &hash).await;
            if ok && active == 1 {
                user_from_row(&row)
            } else {
                Err(AppError::InvalidCredentials)
            }
        }
        None => {
            let _ = verify_password(password, decoy_hash().await).await;
            Err(AppError::InvalidCredentials)
        }
    }
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a new session and returns its token (only its hash is stored).
pub async fn create_session(db: &Db, user: UserId) -> AppResult<String> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let t = now();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash(&token))
    .bind(user.0)
    .bind(t)
    .bind(t)
    .execute(&db.pool)
    .await?;
    Ok(token)
}

/// The user behind a session token, if the session is alive and the user active.
pub async fn session_user(db: &Db, token: &str) -> AppResult<Option<CurrentUser>> {
    session_user_at(db, token, now()).await
}

pub async fn session_user_at(db: &Db, token: &str, at: i64) -> AppResult<Option<CurrentUser>> {
    let hash = token_hash(token);
    let row = sqlx::query(
        "SELECT s.created_at AS s_created, s.last_seen_at AS s_seen, u.id, u.email, u.name, u.role, \
         u.team_id, u.language, u.active \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let created: i64 = row.try_get("s_created")?;
    let seen: i64 = row.try_get("s_seen")?;
    let active: i64 = row.try_get("active")?;
    if active != 1 || at - seen > IDLE_TIMEOUT_SECS || at - created > ABSOLUTE_TIMEOUT_SECS {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&hash)
            .execute(&db.pool)
            .await?;
        return Ok(None);
    }
    if at - seen > TOUCH_INTERVAL_SECS {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(at)
            .bind(&hash)
            .execute(&db.pool)
            .await?;
    }
    user_from_row(&row).map(Some)
}

pub async fn end_session(db: &Db, token: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn end_all_sessions(db: &Db, user: UserId) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.0)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The `Set-Cookie` value for a session token (or for clearing it, with `None`).
pub fn session_cookie(token: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(t) => format!(
            "{SESSION_COOKIE}={t}; Path=/; HttpOnly; SameSite=Lax; Max-Age={ABSOLUTE_TIMEOUT_SECS}{secure}"
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

/// Reads one cookie from a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_parsing() {
        assert_eq!(
            cookie_value("a=1; rapport_session=xyz; b=2", SESSION_COOKIE),
            Some("xyz")
        );
        assert_eq!(cookie_value("a=1", SESSION_COOKIE), None);
    }

    #[test]
    fn cookie_flags() {
        let c = session_cookie(Some("t"), true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(!session_cookie(Some("t"), false).contains("Secure"));
    }
}
