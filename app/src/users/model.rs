use crate::auth::model::{required_text, Email, Password, Problems};
use crate::auth::Role;
use crate::error::{AppError, FieldError};
use crate::i18n::{Key, Lang};
use crate::ids::{TeamId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
}

/// A staff member as the admin page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub active: bool,
    pub language: Lang,
}

/// Raw form input for a new user.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewUserInput {
    pub name: String,
    pub email: String,
    pub password: String,
    pub role: String,
    #[serde(default)]
    pub team_id: String,
    #[serde(default)]
    pub language: String,
}

/// A validated new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub email: Email,
    pub password: Password,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub language: Lang,
}

fn parse_role(raw: &str) -> Result<Role, FieldError> {
    Role::parse(raw).ok_or_else(|| FieldError::new("role", Key::ErrInvalidChoice))
}

fn parse_team(raw: &str) -> Result<Option<TeamId>, FieldError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        raw.parse::<TeamId>()
            .map(Some)
            .map_err(|_| FieldError::new("team_id", Key::ErrInvalidChoice))
    }
}

impl TryFrom<NewUserInput> for NewUser {
    type Error = AppError;
    fn try_from(input: NewUserInput) -> Result<Self, AppError> {
        let mut p = Problems::default();
        let name = p.check(required_text("name", &input.name, 120));
        let email = p.check(Email::parse("email", &input.email));
        let password = p.check(Password::parse("password", &input.password));
        let role = p.check(parse_role(&input.role));
        let team_id = p.check(parse_team(&input.team_id));
        p.into_result()?;
        Ok(NewUser {
            name: name.unwrap_or_default(),
            email: email.ok_or(AppError::Internal)?,
            password: password.ok_or(AppError::Internal)?,
            role: role.ok_or(AppError::Internal)?,
            team_id: team_id.flatten(),
            language: Lang::parse(&input.language).unwrap_or_default(),
        })
    }
}

/// Raw form input when an admin edits a user.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserUpdateInput {
    pub name: String,
    pub role: String,
    #[serde(default)]
    pub team_id: String,
    #[serde(default)]
    pub language: String,
    /// Checkbox: present ("on") when checked.
    #[serde(default)]
    pub active: Option<String>,
}

#[derive(Debug, Clone)]
pub struct UserUpdate {
    pub name: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub language: Lang,
    pub active: bool,
}

impl TryFrom<UserUpdateInput> for UserUpdate {
    type Error = AppError;
    fn try_from(input: UserUpdateInput) -> Result<Self, AppError> {
        let mut p = Problems::default();
        let name = p.check(required_text("name", &input.name, 120));
        let role = p.check(parse_role(&input.role));
        let team_id = p.check(parse_team(&input.team_id));
        p.into_result()?;
        Ok(UserUpdate {
            name: name.unwrap_or_default(),
            role: role.ok_or(AppError::Internal)?,
            team_id: team_id.flatten(),
            language: Lang::parse(&input.language).unwrap_or_default(),
            active: input.active.is_some_and(|v| !v.is_empty() && v != "false"),
        })
    }
}

pub fn parse_team_name(raw: &str) -> Result<String, AppError> {
    required_text("name", raw, 80).map_err(|e| AppError::Validation(vec![e]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_user_reports_every_problem() {
        let err = NewUser::try_from(NewUserInput {
            name: " ".into(),
            email: "nope".into(),
            password: "short".into(),
            role: "boss".into(),
            team_id: "x".into(),
            language: String::new(),
        })
        .unwrap_err();
        let AppError::Validation(errors) = err else {
            panic!("expected validation")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "password", "role", "team_id"]);
    }

    #[test]
    fn checkbox_sets_active() {
        let base = UserUpdateInput {
            name: "A".into(),
            role: "viewer".into(),
            ..Default::default()
        };
        assert!(!UserUpdate::try_from(base.clone()).unwrap().active);
        let on = UserUpdateInput {
            active: Some("on".into()),
            ..base
        };
        assert!(UserUpdate::try_from(on).unwrap().active);
    }
}
