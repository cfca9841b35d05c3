//! `rapport backup FILE`: a consistent copy of the database.

use app::db::{Db, Engine};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists; choose a new file name")]
    Exists(String),
    #[error("the SQLite backup failed: {0}")]
    Sqlite(sqlx::Error),
    #[error("pg_dump could not be run (is the PostgreSQL client installed?): {0}")]
    PgDumpMissing(std::io::Error),
    #[error("pg_dump failed with {0}")]
    PgDumpFailed(std::process::ExitStatus),
}

pub async fn backup(db: &Db, url: &str, file: &std::path::Path) -> Result<(), BackupError> {
    if file.exists() {
        return Err(BackupError::Exists(file.display().to_string()));
    }
    match db.engine {
        // VACUUM INTO writes a transactionally consistent, compacted copy while the
        // database stays in use.
        Engine::Sqlite => sqlx::query("VACUUM INTO $1")
            .bind(file.display().to_string())
            .execute(&db.pool)
            .await
            .map(|_| ())
            .map_err(BackupError::Sqlite),
        // pg_dump reads one snapshot, so the copy is consistent too.
        Engine::Postgres => {
            // The password goes to pg_dump through its environment, never its command
            // line, which every local user can read in the process list.
            let (url, password) = without_password(url);
            let mut command = tokio::process::Command::new("pg_dump");
            command
                .arg("--format=custom")
                .arg("--file")
                .arg(file)
                .arg("--dbname")
                .arg(&url);
            if let Some(password) = password {
                command.env("PGPASSWORD", password);
            }
            let status = command.status().await.map_err(BackupError::PgDumpMissing)?;
            if status.success() {
                Ok(())
            } else {
                Err(BackupError::PgDumpFailed(status))
            }
        }
    }
}

/// The URL without the password of its user part, and that password (percent-decoded).
fn without_password(url: &str) -> (String, Option<String>) {
    let (Some(scheme_end), Some(at)) = (url.find("://"), url.rfind('@')) else {
        return (url.to_string(), None);
    };
    if at < scheme_end {
        return (url.to_string(), None);
    }
    let userinfo = &url[scheme_end + 3..at];
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_string(), None);
    };
    let stripped = format!("{}://{}@{}", &url[..scheme_end], user, &url[at + 1..]);
    (stripped, Some(percent_decode(password)))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            without_password("postgres://app:s%40cret@db:5432/rapport"),
            (
                "postgres://app@db:5432/rapport".to_string(),
                Some("s@cret".to_string())
            )
        );
        assert_eq!(
            without_password("postgres://app@db/rapport"),
            ("postgres://app@db/rapport".to_string(), None)
        );
        assert_eq!(
            without_password("postgres:///rapport"),
            ("postgres:///rapport".to_string(), None)
        );
    }
}
