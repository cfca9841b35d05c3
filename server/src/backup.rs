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
            let status = tokio::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--file")
                .arg(file)
                .arg("--dbname")
                .arg(url)
                .status()
                .await
                .map_err(BackupError::PgDumpMissing)?;
            if status.success() {
                Ok(())
            } else {
                Err(BackupError::PgDumpFailed(status))
            }
        }
    }
}
