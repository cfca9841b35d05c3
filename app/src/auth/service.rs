//! Password hashing, sign-in and database-stored sessions (server only).

use crate::auth::{CurrentUser, Role};
use crate::db::{now, Db, DbRow, Row};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::ids::{TeamId, UserId};
use crate::request::cookie_value;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use tokio::sync::Semaphore;

pub const SESSION_COOKIE: &str = "rapport_session";
/// The session cookie's name under https (see [`session_cookie_name`]).
pub const SECURE_SESSION_COOKIE: &str = "__Host-rapport_session";
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

/// Failed sign-ins one client may make on one account within [`FAILURE_WINDOW_SECS`].
pub const MAX_FAILURES_PER_ACCOUNT_AND_CLIENT: i64 = 10;
/// Failed sign-ins one client may make across all accounts within the window.
pub const MAX_FAILURES_PER_CLIENT: i64 = 50;
/// Failures on one account, from all clients, after which each attempt on it is slowed.
pub const SLOW_AFTER_ACCOUNT_FAILURES: i64 = 10;
pub const FAILURE_WINDOW_SECS: i64 = 15 * 60;
/// The longest e-mail address (RFC 5321 path limit); anything longer is refused unread.
pub const MAX_EMAIL_LEN: usize = 254;
/// The longest password looked at; longer ones are refused before hashing.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// The delay added to an attempt on an account that `failures` attempts from all clients
/// have failed on in the window: nothing up to the threshold, then 250 ms more per failure,
/// at most 5 s. An account is slowed for everyone, never locked, so no stranger can lock a
/// user out.
pub fn account_delay_ms(failures: i64) -> u64 {
    let over = (failures - SLOW_AFTER_ACCOUNT_FAILURES).max(0) as u64;
    (over * 250).min(5_000)
}

/// Checks e-mail and password for a client address. Unknown e-mail, wrong password and
/// deactivated account give the same error after the same amount of work.
///
/// The attempt is recorded in the database *before* the password is hashed and the
/// counters are read after, so parallel guesses (on any number of app servers) each see
/// every attempt made before them: at most [`MAX_FAILURES_PER_ACCOUNT_AND_CLIENT`] of them
/// reach the hash (the last of any eleven sees the ten others). A refused attempt removes
/// its own row again, so waiting is enough.
pub async fn authenticate(
    db: &Db,
    email: &str,
    password: &str,
    client: &str,
) -> AppResult<CurrentUser> {
    let email = email.trim().to_lowercase();
    if email.len() > MAX_EMAIL_LEN || password.len() > MAX_PASSWORD_LEN {
        return Err(AppError::InvalidCredentials);
    }
    let t = now();
    let since = t - FAILURE_WINDOW_SECS;
    sqlx::query("DELETE FROM signin_attempts WHERE at <= $1")
        .bind(since)
        .execute(&db.pool)
        .await?;
    let attempt: i64 = sqlx::query_scalar(
        "INSERT INTO signin_attempts (email, client, at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(&email)
    .bind(client)
    .bind(t)
    .fetch_one(&db.pool)
    .await?;
    let pair: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM signin_attempts WHERE email = $1 AND client = $2 AND at > $3",
    )
    .bind(&email)
    .bind(client)
    .bind(since)
    .fetch_one(&db.pool)
    .await?;
    let by_client: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM signin_attempts WHERE client = $1 AND at > $2")
            .bind(client)
            .bind(since)
            .fetch_one(&db.pool)
            .await?;
    if pair > MAX_FAILURES_PER_ACCOUNT_AND_CLIENT || by_client > MAX_FAILURES_PER_CLIENT {
        sqlx::query("DELETE FROM signin_attempts WHERE id = $1")
            .bind(attempt)
            .execute(&db.pool)
            .await?;
        audit_signin(db, &email, client, "signin_refused").await;
        return Err(AppError::RateLimited);
    }
    let on_account: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM signin_attempts WHERE email = $1 AND at > $2")
            .bind(&email)
            .bind(since)
            .fetch_one(&db.pool)
            .await?;
    // Every attempt counts: the row is written and committed before any count is read,
    // so of parallel attempts each sees all that committed before it.
    let delay = account_delay_ms(on_account - 1);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let result = check_credentials(db, &email, password).await;
    match &result {
        // Success clears this client's failures on this account; other clients keep theirs.
        Ok(_) => {
            sqlx::query("DELETE FROM signin_attempts WHERE email = $1 AND client = $2")
                .bind(&email)
                .bind(client)
                .execute(&db.pool)
                .await?;
        }
        Err(AppError::InvalidCredentials) => {
            audit_signin(db, &email, client, "signin_failed").await;
        }
        // Not a verdict on the password: the attempt does not count.
        Err(_) => {
            let _ = sqlx::query("DELETE FROM signin_attempts WHERE id = $1")
                .bind(attempt)
                .execute(&db.pool)
                .await;
        }
    }
    result
}

/// Writes a failed or refused sign-in to the audit log: the e-mail tried and the client
/// address, never the password. Logged rather than failed when the write fails, so the
/// answer to the user stays the same.
async fn audit_signin(db: &Db, email: &str, client: &str, action: &str) {
    let user: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&db.pool)
        .await
        .ok()
        .flatten();
    let written = sqlx::query(
        "INSERT INTO audit_log (at, actor_id, entity, entity_id, action, field, before_value, after_value) \
         VALUES ($1, NULL, 'user', $2, $3, 'client', NULL, $4)",
    )
    .bind(now())
    .bind(user.unwrap_or(0))
    .bind(action)
    .bind(format!("{email} from {client}"))
    .execute(&db.pool)
    .await;
    if let Err(e) = written {
        tracing::warn!(error = %e, "sign-in audit entry not written");
    }
}

/// Clears every recorded sign-in failure of one account (an admin's action), so its user
/// is neither refused nor slowed any more.
pub async fn clear_signin_failures(db: &Db, email: &str) -> AppResult<u64> {
    let done = sqlx::query("DELETE FROM signin_attempts WHERE email = $1")
        .bind(email.trim().to_lowercase())
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
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

/// The session cookie's name. Under https it carries the `__Host-` prefix: the browser then
/// accepts it only with `Secure`, `Path=/` and no `Domain`, so no other site on a sibling
/// domain can plant or overwrite it.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The session token among `Cookie` headers, under the name this deployment uses.
pub fn session_token<'a>(
    cookie_headers: impl IntoIterator<Item = &'a str>,
    secure: bool,
) -> Option<&'a str> {
    let name = session_cookie_name(secure);
    cookie_headers
        .into_iter()
        .find_map(|h| cookie_value(h, name))
}

/// The `Set-Cookie` value for a session token (or for clearing it, with `None`).
pub fn session_cookie(token: Option<&str>, secure: bool) -> String {
    let name = session_cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(t) => format!(
            "{name}={t}; Path=/; HttpOnly; SameSite=Lax; Max-Age={ABSOLUTE_TIMEOUT_SECS}{secure}"
        ),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

/// How many staff accounts exist: none means the one-time setup page is open.
pub async fn count_users(db: &Db) -> AppResult<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(&db.pool)
        .await?
        .try_get("n")?)
}

/// The signed-in user's own interface language.
pub async fn set_own_language(db: &Db, id: UserId, lang: Lang) -> AppResult<()> {
    sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
        .bind(lang.code())
        .bind(id.0)
        .execute(&db.pool)
        .await?;
    Ok(())
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
        assert!(c.starts_with("__Host-rapport_session=t;") && !c.contains("Domain"));
        assert!(session_cookie(Some("t"), false).starts_with("rapport_session=t;"));
        // Under https only the prefixed cookie counts: a planted plain one is ignored.
        let headers = ["rapport_session=planted", "__Host-rapport_session=real"];
        assert_eq!(session_token(headers, true), Some("real"));
        assert_eq!(session_token(["rapport_session=planted"], true), None);
        assert_eq!(
            session_token(["rapport_session=plain"], false),
            Some("plain")
        );
    }
}
