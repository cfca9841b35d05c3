use crate::error::{AppError, FieldError};
use crate::i18n::Key;
use serde::{Deserialize, Serialize};

pub const NAME_MAX: usize = 80;
pub const QUERY_MAX: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    /// The list's URL query, without `?` and without a page cursor.
    pub query: String,
    pub shared: bool,
    pub owner_name: String,
    pub may_delete: bool,
}

impl SavedView {
    pub fn url(&self) -> String {
        list_address(&self.query)
    }
}

/// The customer list at `query`. Whatever is not visible ASCII is percent-encoded: the
/// address goes into a `Location` header.
fn list_address(query: &str) -> String {
    if query.is_empty() {
        return "/customers".into();
    }
    let query: String = query
        .bytes()
        .map(|b| match b {
            b'#' => "%23".to_string(),
            b if b.is_ascii_graphic() => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect();
    format!("/customers?{query}")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewDraft {
    pub name: String,
    pub query: String,
    pub shared: bool,
}

impl ViewDraft {
    /// Checks the name (1–80 characters) and keeps the query's filters: the page cursor
    /// (`after`) is dropped so a view always opens on its first page.
    pub fn parse(name: &str, query: &str, shared: bool) -> Result<ViewDraft, AppError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::field("name", Key::ErrRequired));
        }
        if name.chars().count() > NAME_MAX {
            return Err(AppError::field("name", Key::ErrTooLong));
        }
        let query = query
            .trim()
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("after=") && !p.ends_with('='))
            .collect::<Vec<_>>()
            .join("&");
        if query.len() > QUERY_MAX || query.contains('#') {
            return Err(AppError::Validation(vec![FieldError::new(
                "query",
                Key::ErrTooLong,
            )]));
        }
        Ok(ViewDraft {
            name: name.to_string(),
            query,
            shared,
        })
    }

    /// The list this view shows, saying the view was just saved (`view_saved`).
    pub fn saved_url(&self) -> String {
        let marked = [self.query.as_str(), "view_saved=1"]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        list_address(&marked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_cursor_and_checks_name() {
        let d = ViewDraft::parse(" Hot leads ", "?grade=vip&after=3:x&q=&cf.seg=A", true).unwrap();
        assert_eq!(d.name, "Hot leads");
        assert_eq!(d.query, "grade=vip&cf.seg=A");
        assert!(ViewDraft::parse("  ", "", false).is_err());
        assert!(ViewDraft::parse(&"x".repeat(81), "", false).is_err());
        assert_eq!(d.saved_url(), "/customers?grade=vip&cf.seg=A&view_saved=1");
        let plain = ViewDraft::parse("All", "", false).unwrap();
        assert_eq!(plain.saved_url(), "/customers?view_saved=1");
    }

    #[test]
    fn addresses_are_always_valid_headers() {
        let v = SavedView {
            id: 1,
            name: "x".into(),
            query: "q=caf\u{e9} au lait".into(),
            shared: false,
            owner_name: "y".into(),
            may_delete: true,
        };
        assert_eq!(v.url(), "/customers?q=caf%C3%A9%20au%20lait");
    }
}
