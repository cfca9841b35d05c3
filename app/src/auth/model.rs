use crate::error::{AppError, FieldError};
use crate::i18n::{Key, Lang};
use crate::ids::{TeamId, UserId};
use serde::{Deserialize, Serialize};

/// The five staff roles of the two-level model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Admin,
    Tier1Manager,
    Tier2Manager,
    SupportAgent,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Tier1Manager,
        Role::Tier2Manager,
        Role::SupportAgent,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Tier1Manager => "tier1",
            Role::Tier2Manager => "tier2",
            Role::SupportAgent => "support",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn label(self) -> Key {
        match self {
            Role::Admin => Key::RoleAdmin,
            Role::Tier1Manager => Key::RoleTier1,
            Role::Tier2Manager => Key::RoleTier2,
            Role::SupportAgent => Key::RoleSupport,
            Role::Viewer => Key::RoleViewer,
        }
    }

    /// Account managers can own customers.
    pub fn is_manager(self) -> bool {
        matches!(self, Role::Tier1Manager | Role::Tier2Manager)
    }
}

/// The signed-in user as the browser sees it: no password hash, ever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub language: Lang,
}

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 256;

/// A password of acceptable length. Its text is never logged nor printed.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(field: &str, raw: &str) -> Result<Password, FieldError> {
        let n = raw.chars().count();
        if n < PASSWORD_MIN_CHARS {
            Err(FieldError::new(field, Key::ErrPasswordTooShort))
        } else if n > PASSWORD_MAX_CHARS {
            Err(FieldError::new(field, Key::ErrPasswordTooLong))
        } else {
            Ok(Password(raw.to_string()))
        }
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A normalised e-mail address (trimmed, lower-case, one `@`, a dot in the domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Email, FieldError> {
        let s = raw.trim().to_lowercase();
        let valid = s.len() <= 254
            && !s.contains(char::is_whitespace)
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if s.is_empty() {
            Err(FieldError::new(field, Key::ErrRequired))
        } else if valid {
            Ok(Email(s))
        } else {
            Err(FieldError::new(field, Key::ErrInvalidEmail))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trimmed, non-empty text of at most `max` characters.
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        Err(FieldError::new(field, Key::ErrRequired))
    } else if s.chars().count() > max {
        Err(FieldError::new(field, Key::ErrTooLong))
    } else {
        Ok(s.to_string())
    }
}

/// Trimmed optional text: empty becomes `None`.
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<Option<String>, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        Ok(None)
    } else if s.chars().count() > max {
        Err(FieldError::new(field, Key::ErrTooLong))
    } else {
        Ok(Some(s.to_string()))
    }
}

/// A whole number of a settings form within `min..=max`; outside it, `out_of_range` (each
/// settings page names its own range in that message).
pub fn int_in(
    field: &str,
    raw: &str,
    min: i64,
    max: i64,
    out_of_range: Key,
) -> Result<i64, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, Key::ErrRequired));
    }
    let v: i64 = s
        .parse()
        .map_err(|_| FieldError::new(field, Key::ErrInvalidNumber))?;
    if v < min || v > max {
        return Err(FieldError::new(field, out_of_range));
    }
    Ok(v)
}

/// Collects field errors so a form reports all of its problems at once.
#[derive(Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    pub fn into_result(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_length_bounds() {
        assert!(Password::parse("p", "1234567").is_err());
        assert!(Password::parse("p", "12345678").is_ok());
        assert!(Password::parse("p", &"x".repeat(256)).is_ok());
        assert!(Password::parse("p", &"x".repeat(257)).is_err());
        // Characters, not bytes: eight Chinese characters are a valid password.
        assert!(Password::parse("p", "密码密码密码密码").is_ok());
    }

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse("e", "  Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.com",
            "a@b",
            "a b@c.com",
            "a@@b.com",
            "a@.com",
        ] {
            assert!(Email::parse("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn role_round_trips() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
