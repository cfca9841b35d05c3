//! The one error type that crosses the edge. It carries codes the browser translates, never
//! the internal cause: that is logged on the server and stays there.

use crate::i18n::Key;
use serde::{Deserialize, Serialize};

/// A validation problem attached to one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: Key,
}

impl FieldError {
    pub fn new(field: &str, message: Key) -> Self {
        FieldError {
            field: field.to_string(),
            message,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Absent, or present but not visible to this user: the two are indistinguishable.
    #[error("not found")]
    NotFound,
    /// Not signed in, or the session has ended.
    #[error("sign-in required")]
    Unauthorized,
    /// Signed in, but the role does not allow this action.
    #[error("forbidden")]
    Forbidden,
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// A unique value is already taken (the field says which).
    #[error("conflict on {0}")]
    Conflict(String),
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("too many attempts")]
    RateLimited,
    #[error("internal error")]
    Internal,
    /// The request never reached the service (network, encoding): produced by the client side.
    #[error("request failed")]
    Transport,
}

impl AppError {
    /// The HTTP status of a plain (non server-function) route answering with this error.
    pub fn http_status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal | AppError::Transport => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn field(field: &str, message: Key) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    /// The message shown to the user, as an i18n key.
    pub fn message_key(&self) -> Key {
        match self {
            AppError::NotFound => Key::ErrNotFound,
            AppError::Unauthorized => Key::ErrUnauthorized,
            AppError::Forbidden => Key::ErrForbidden,
            AppError::Validation(_) => Key::ErrValidation,
            AppError::Conflict(_) => Key::ErrConflict,
            AppError::InvalidCredentials => Key::ErrInvalidCredentials,
            AppError::RateLimited => Key::ErrRateLimited,
            AppError::Internal => Key::ErrInternal,
            AppError::Transport => Key::ErrTransport,
        }
    }

    /// The validation message for one field, if any.
    pub fn field_error(&self, field: &str) -> Option<Key> {
        match self {
            AppError::Validation(errors) => {
                errors.iter().find(|e| e.field == field).map(|e| e.message)
            }
            AppError::Conflict(f) if f == field => Some(Key::ErrTaken),
            _ => None,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        #[cfg(feature = "ssr")]
        {
            use leptos::server_fn::error::ServerFnErrorErr as E;
            tracing::warn!(error = %value, "server function transport error");
            // Arguments that do not parse are the caller's mistake, not the server's.
            if matches!(value, E::Args(_) | E::Deserialization(_) | E::MissingArg(_)) {
                crate::request::set_error_status(http::StatusCode::BAD_REQUEST);
            }
        }
        let _ = value;
        AppError::Transport
    }

    /// Every server function's error passes here on its way out, so this is the one place
    /// that gives it its HTTP status (the same as plain routes use): monitoring and load
    /// balancers then see a refusal as a 4xx, not as the server failing.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        crate::request::set_error_status(self.http_status());
        serde_json::to_vec(self)
            .map(Into::into)
            .unwrap_or_else(|_| leptos::server_fn::Bytes::from_static(b"\"Internal\""))
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db_err) = &err {
            if db_err.is_unique_violation() {
                let text = db_err.message().to_lowercase();
                let field = if text.contains("email") {
                    "email"
                } else if text.contains("external_id") {
                    "external_id"
                } else if text.contains("name") {
                    "name"
                } else {
                    "value"
                };
                return AppError::Conflict(field.to_string());
            }
        }
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}

pub type AppResult<T> = Result<T, AppError>;
