//! Server-only: the current request and response, through Leptos context. Small accessors
//! that return `None` or do nothing outside a request; they never panic. The lowest layer
//! of the server side: errors reach the response through here.

use http::header::{ACCEPT, COOKIE, SET_COOKIE};
use http::HeaderValue;
use leptos::prelude::use_context;
use std::net::IpAddr;

/// The per-response CSP nonce, placed in request extensions by the server's middleware.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

pub fn request_parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// A cookie of the current request.
pub fn request_cookie(name: &str) -> Option<String> {
    let parts = request_parts()?;
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| cookie_value(h, name).map(str::to_string))
}

/// The `Accept-Language` header of the current request.
pub fn request_accept_language() -> Option<String> {
    let parts = request_parts()?;
    parts
        .headers
        .get(http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// True for a plain HTML form post (JavaScript off): the answer must be a page or redirect.
pub fn is_plain_form_post() -> bool {
    request_parts()
        .and_then(|p| p.headers.get(ACCEPT).cloned())
        .and_then(|v| v.to_str().ok().map(|s| s.contains("text/html")))
        .unwrap_or(false)
}

/// The status of a server function's error response, unless the function already chose
/// one (a redirect) or the call is a plain form post, which answers with a redirect back.
pub fn set_error_status(status: http::StatusCode) {
    let Some(res) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let chosen = res.0.read().map(|r| r.status.is_some()).unwrap_or(true);
    if !chosen && !is_plain_form_post() {
        res.set_status(status);
    }
}

pub fn append_set_cookie(value: &str) {
    if let (Some(res), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(value),
    ) {
        res.append_header(SET_COOKIE, v);
    }
}

/// The value of cookie `name` in one `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// Proxies whose `X-Forwarded-For` is believed, from `RAPPORT_TRUSTED_PROXIES`
/// (comma-separated addresses).
pub fn trusted_proxies_from_env() -> Vec<IpAddr> {
    std::env::var("RAPPORT_TRUSTED_PROXIES")
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// The client of a request: the peer, unless the peer is a trusted proxy, in which case
/// the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded_for
        .unwrap_or_default()
        .rsplit(',')
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

/// The client address of the current request: the TCP peer, or what a trusted proxy says
/// it forwarded for (`RAPPORT_TRUSTED_PROXIES`). `unknown` where the server runs without
/// connection info (in-memory tests).
pub fn request_client_address() -> String {
    let Some(parts) = request_parts() else {
        return "unknown".into();
    };
    let Some(peer) = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return "unknown".into();
    };
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    client_address(peer, forwarded, &trusted_proxies_from_env()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy = ip("10.0.0.9");
        let trusted = [proxy];
        assert_eq!(
            client_address(ip("1.2.3.4"), Some("5.6.7.8"), &trusted),
            ip("1.2.3.4")
        );
        assert_eq!(
            client_address(proxy, Some("9.9.9.9, 5.6.7.8"), &trusted),
            ip("5.6.7.8")
        );
        assert_eq!(
            client_address(proxy, Some("5.6.7.8, 10.0.0.9"), &trusted),
            ip("5.6.7.8")
        );
        assert_eq!(client_address(proxy, None, &trusted), proxy);
        assert_eq!(client_address(proxy, Some("garbage"), &trusted), proxy);
    }
}
