use crate::error::AppError;
use crate::ids::{TeamId, UserId};
use crate::users::model::{NewUserInput, StaffMember, Team, UserUpdateInput};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{auth::session::require_user, state::app_state, users::service};

#[server(endpoint = "users/list")]
pub async fn list_staff() -> Result<Vec<StaffMember>, AppError> {
    let user = require_user().await?;
    service::list_staff(&app_state()?.db, &user).await
}

/// Account managers the signed-in user may assign customers to.
#[server(endpoint = "users/assignable")]
pub async fn list_assignable_staff() -> Result<Vec<StaffMember>, AppError> {
    let user = require_user().await?;
    service::assignable_staff(&app_state()?.db, &user).await
}

#[server(endpoint = "teams/list")]
pub async fn list_teams() -> Result<Vec<Team>, AppError> {
    require_user().await?;
    service::list_teams(&app_state()?.db).await
}

#[server(endpoint = "users/create")]
pub async fn create_user(input: NewUserInput) -> Result<UserId, AppError> {
    let user = require_user().await?;
    service::create_user(&app_state()?.db, &user, input).await
}

#[server(endpoint = "users/update")]
pub async fn update_user(id: UserId, input: UserUpdateInput) -> Result<(), AppError> {
    let user = require_user().await?;
    let update = input.try_into()?;
    service::update_user(&app_state()?.db, &user, id, update).await
}

/// Back on the users page, which says whose password was changed.
#[server(endpoint = "users/reset-password")]
pub async fn reset_password(id: UserId, password: String) -> Result<(), AppError> {
    let user = require_user().await?;
    service::reset_password(&app_state()?.db, &user, id, &password).await?;
    leptos_axum::redirect(&format!("/admin/users?password_reset={id}"));
    Ok(())
}

/// Ends every session of a user (admin).
#[server(endpoint = "users/end-sessions")]
pub async fn end_user_sessions(id: UserId) -> Result<(), AppError> {
    let user = require_user().await?;
    service::reset_signin(
        &app_state()?.db,
        &user,
        id,
        service::SigninReset::EndSessions,
    )
    .await
}

/// Clears a user's failed sign-ins, so they are neither refused nor slowed (admin).
#[server(endpoint = "users/clear-signin-failures")]
pub async fn clear_signin_failures(id: UserId) -> Result<(), AppError> {
    let user = require_user().await?;
    service::reset_signin(
        &app_state()?.db,
        &user,
        id,
        service::SigninReset::ClearFailures,
    )
    .await
}

#[server(endpoint = "teams/create")]
pub async fn create_team(name: String) -> Result<TeamId, AppError> {
    let user = require_user().await?;
    service::create_team(&app_state()?.db, &user, &name).await
}

#[server(endpoint = "teams/rename")]
pub async fn rename_team(id: TeamId, name: String) -> Result<(), AppError> {
    let user = require_user().await?;
    service::rename_team(&app_state()?.db, &user, id, &name).await
}

/// Creates the first admin. Refused once any user exists.
#[server(endpoint = "auth/setup")]
pub async fn setup_first_admin(
    name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    let state = app_state()?;
    let input = NewUserInput {
        name,
        email,
        password,
        role: "admin".into(),
        team_id: String::new(),
        language: String::new(),
    };
    crate::users::service::create_first_admin(&state.db, input).await?;
    leptos_axum::redirect("/login");
    Ok(())
}
