use crate::audit::service::{record, Change};
use crate::auth::permissions::{may_manage_users, Assignee};
use crate::auth::service::{end_all_sessions, hash_password};
use crate::auth::{CurrentUser, Role};
use crate::db::{now, Db, DbRow, Row};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::ids::{TeamId, UserId};
use crate::users::model::{NewUser, NewUserInput, StaffMember, Team, UserUpdate};

fn require_admin(actor: &CurrentUser) -> AppResult<()> {
    if may_manage_users(actor) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Whether an insert is the one-time setup, which only the first user may pass.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Setup {
    FirstUserOnly,
    Any,
}

async fn insert_user(
    db: &Db,
    actor: Option<UserId>,
    user: NewUser,
    setup: Setup,
) -> AppResult<UserId> {
    let hash = hash_password(user.password.expose()).await?;
    let t = now();
    let mut tx = db.begin_write().await?;
    if setup == Setup::FirstUserOnly {
        // Two setup forms sent at once must not make two admins: the count and the insert
        // happen under the table's write lock (SQLite's BEGIN IMMEDIATE takes it already),
        // so the second waits for the first and then finds a user.
        if db.engine == crate::db::Engine::Postgres {
            sqlx::query("LOCK TABLE users IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if n > 0 {
            return Err(AppError::Forbidden);
        }
    }
    if let Some(team) = user.team_id {
        team_exists(&mut tx, team).await?;
    }
    let id: i64 = sqlx::query(
        "INSERT INTO users (email, name, role, team_id, active, language, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $7) RETURNING id",
    )
    .bind(user.email.as_str())
    .bind(&user.name)
    .bind(user.role.as_str())
    .bind(user.team_id.map(|t| t.0))
    .bind(user.language.code())
    .bind(hash)
    .bind(t)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    record(
        &mut tx,
        actor,
        Change::new("user", id, "create").values(
            None,
            Some(format!(
                "{} <{}> {}",
                user.name,
                user.email.as_str(),
                user.role.as_str()
            )),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(UserId(id))
}

async fn team_exists(conn: &mut sqlx::AnyConnection, team: TeamId) -> AppResult<()> {
    sqlx::query("SELECT id FROM teams WHERE id = $1")
        .bind(team.0)
        .fetch_optional(conn)
        .await?
        .map(|_| ())
        .ok_or_else(|| AppError::field("team_id", crate::i18n::Key::ErrInvalidChoice))
}

/// The one-time setup: only while there are no users at all.
pub async fn create_first_admin(db: &Db, input: NewUserInput) -> AppResult<UserId> {
    // Validate first, so a bad form reports its fields rather than "forbidden".
    NewUser::try_from(input.clone())?;
    if crate::auth::service::count_users(db).await? > 0 {
        return Err(AppError::Forbidden);
    }
    insert_admin(db, input, Setup::FirstUserOnly).await
}

/// For operators (`rapport create-admin`, first start from the environment).
pub async fn create_admin_unchecked(db: &Db, input: NewUserInput) -> AppResult<UserId> {
    insert_admin(db, input, Setup::Any).await
}

async fn insert_admin(db: &Db, input: NewUserInput, setup: Setup) -> AppResult<UserId> {
    let user = NewUser::try_from(input)?;
    let admin = NewUser {
        role: Role::Admin,
        team_id: None,
        ..user
    };
    insert_user(db, None, admin, setup).await
}

pub async fn create_user(db: &Db, actor: &CurrentUser, input: NewUserInput) -> AppResult<UserId> {
    require_admin(actor)?;
    let user = NewUser::try_from(input)?;
    insert_user(db, Some(actor.id), user, Setup::Any).await
}

fn staff_from_row(r: &DbRow) -> AppResult<StaffMember> {
    let role: String = r.try_get("role")?;
    let lang: String = r.try_get("language")?;
    Ok(StaffMember {
        id: UserId(r.try_get("id")?),
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        role: Role::parse(&role).ok_or(AppError::Internal)?,
        team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
        team_name: r.try_get("team_name")?,
        active: r.try_get::<i64, _>("active")? == 1,
        language: Lang::parse(&lang).unwrap_or_default(),
    })
}

const STAFF_SELECT: &str =
    "SELECT u.id, u.email, u.name, u.role, u.team_id, t.name AS team_name, u.active, u.language \
     FROM users u LEFT JOIN teams t ON t.id = u.team_id";

pub async fn list_staff(db: &Db, actor: &CurrentUser) -> AppResult<Vec<StaffMember>> {
    require_admin(actor)?;
    let rows = sqlx::query(&format!("{STAFF_SELECT} ORDER BY u.name, u.id"))
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(staff_from_row).collect()
}

/// Staff the actor may assign customers to (active account managers within their rights).
pub async fn assignable_staff(db: &Db, actor: &CurrentUser) -> AppResult<Vec<StaffMember>> {
    let rows = sqlx::query(&format!(
        "{STAFF_SELECT} WHERE u.active = 1 AND u.role IN ('tier1', 'tier2') ORDER BY u.name, u.id"
    ))
    .fetch_all(&db.pool)
    .await?;
    let staff = rows
        .iter()
        .map(staff_from_row)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(staff
        .into_iter()
        .filter(|s| crate::auth::permissions::may_assign_to(actor, &assignee_of(s)))
        .collect())
}

pub fn assignee_of(s: &StaffMember) -> Assignee {
    Assignee {
        id: s.id,
        role: s.role,
        team_id: s.team_id,
        active: s.active,
    }
}

/// The facts about a user that decide whether they can hold a customer.
pub async fn load_assignee(db: &Db, id: UserId) -> AppResult<Option<Assignee>> {
    let row = sqlx::query(&format!("{STAFF_SELECT} WHERE u.id = $1"))
        .bind(id.0)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref()
        .map(staff_from_row)
        .transpose()
        .map(|s| s.as_ref().map(assignee_of))
}

pub async fn list_teams(db: &Db) -> AppResult<Vec<Team>> {
    let rows = sqlx::query("SELECT id, name FROM teams ORDER BY name")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Team {
                id: TeamId(r.try_get("id")?),
                name: r.try_get("name")?,
            })
        })
        .collect()
}

pub async fn create_team(db: &Db, actor: &CurrentUser, name: &str) -> AppResult<TeamId> {
    require_admin(actor)?;
    let name = crate::users::model::parse_team_name(name)?;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query("INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id")
        .bind(&name)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("team", id, "create")
            .on_field("name")
            .values(None, Some(name)),
    )
    .await?;
    tx.commit().await?;
    Ok(TeamId(id))
}

pub async fn rename_team(db: &Db, actor: &CurrentUser, id: TeamId, name: &str) -> AppResult<()> {
    require_admin(actor)?;
    let name = crate::users::model::parse_team_name(name)?;
    let mut tx = db.begin_write().await?;
    let before: Option<String> = sqlx::query("SELECT name FROM teams WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("name"))
        .transpose()?;
    let Some(before) = before else {
        return Err(AppError::NotFound);
    };
    sqlx::query("UPDATE teams SET name = $1 WHERE id = $2")
        .bind(&name)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("team", id.0, "update")
            .on_field("name")
            .values(Some(before), Some(name)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Edits role, team, language and active flag. Deactivating ends every session at once.
pub async fn update_user(
    db: &Db,
    actor: &CurrentUser,
    id: UserId,
    update: UserUpdate,
) -> AppResult<()> {
    require_admin(actor)?;
    if id == actor.id && (!update.active || update.role != Role::Admin) {
        // An admin cannot lock themselves out.
        return Err(AppError::field(
            "role",
            crate::i18n::Key::ErrCannotDemoteSelf,
        ));
    }
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(&format!("{STAFF_SELECT} WHERE u.id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(before) = row.as_ref().map(staff_from_row).transpose()? else {
        return Err(AppError::NotFound);
    };
    if let Some(team) = update.team_id {
        team_exists(&mut tx, team).await?;
    }
    sqlx::query(
        "UPDATE users SET name = $1, role = $2, team_id = $3, language = $4, active = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(&update.name)
    .bind(update.role.as_str())
    .bind(update.team_id.map(|t| t.0))
    .bind(update.language.code())
    .bind(if update.active { 1i64 } else { 0 })
    .bind(now())
    .bind(id.0)
    .execute(&mut *tx)
    .await?;
    let diffs: [(&str, String, String); 5] = [
        ("name", before.name.clone(), update.name.clone()),
        (
            "role",
            before.role.as_str().into(),
            update.role.as_str().into(),
        ),
        (
            "team_id",
            before.team_id.map(|t| t.to_string()).unwrap_or_default(),
            update.team_id.map(|t| t.to_string()).unwrap_or_default(),
        ),
        (
            "language",
            before.language.code().into(),
            update.language.code().into(),
        ),
        (
            "active",
            before.active.to_string(),
            update.active.to_string(),
        ),
    ];
    for (field, old, new) in diffs {
        if old != new {
            record(
                &mut tx,
                Some(actor.id),
                Change::new("user", id.0, "update")
                    .on_field(field)
                    .values(Some(old), Some(new)),
            )
            .await?;
        }
    }
    tx.commit().await?;
    if !update.active {
        end_all_sessions(db, id).await?;
    }
    Ok(())
}

/// Sets a new password and ends the user's sessions.
pub async fn reset_password(
    db: &Db,
    actor: &CurrentUser,
    id: UserId,
    password: &str,
) -> AppResult<()> {
    require_admin(actor)?;
    let password = crate::auth::model::Password::parse("password", password)
        .map_err(|e| AppError::Validation(vec![e]))?;
    let hash = hash_password(password.expose()).await?;
    let mut tx = db.begin_write().await?;
    let done = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now())
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    record(
        &mut tx,
        Some(actor.id),
        Change::new("user", id.0, "reset_password"),
    )
    .await?;
    tx.commit().await?;
    end_all_sessions(db, id).await
}

/// An admin's actions on another account's sign-in: end all its sessions, or clear the
/// failures that refuse or slow its sign-in. Both are audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigninReset {
    EndSessions,
    ClearFailures,
}

pub async fn reset_signin(
    db: &Db,
    actor: &CurrentUser,
    id: UserId,
    what: SigninReset,
) -> AppResult<()> {
    require_admin(actor)?;
    let email: Option<String> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&db.pool)
        .await?;
    let email = email.ok_or(AppError::NotFound)?;
    let action = match what {
        SigninReset::EndSessions => {
            end_all_sessions(db, id).await?;
            "end_sessions"
        }
        SigninReset::ClearFailures => {
            crate::auth::service::clear_signin_failures(db, &email).await?;
            "clear_signin_failures"
        }
    };
    let mut conn = db.pool.acquire().await?;
    record(&mut conn, Some(actor.id), Change::new("user", id.0, action)).await
}
