//! The HTTP stack: Leptos routes and server functions, health check, static files, and
//! the middleware every response passes through (security headers, same-origin writes,
//! request ids and logs, body limits).

use app::request::CspNonce;
use app::state::{AppConfig, AppState};
use app::{shell, App};
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use rand::RngCore;
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

/// Largest request body accepted (forms and server-function arguments).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest body of a server-function call that needs no session (sign-in, first-run set-up,
/// the language switch) or that carries none: enough for any e-mail and password, small
/// enough that a flood of anonymous requests cannot grow the server's memory.
pub const MAX_ANONYMOUS_BODY_BYTES: usize = 16 * 1024;

pub fn build_router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context_state = state.clone();
    let fallback_state = state.clone();
    let shell_options = state.leptos_options.clone();
    let request_id = header::HeaderName::from_static("x-request-id");
    let config = state.config.clone();
    let site_root = std::path::PathBuf::from(&*state.leptos_options.site_root);
    let worker = crate::assets::ServiceWorker::load(&site_root, &state.leptos_options.site_pkg_dir);
    Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/sw.js",
            get(move || {
                let worker = worker.clone();
                async move { worker.response() }
            }),
        )
        .route(
            "/customers/export.csv",
            get(app::exports::http::export_customers_csv),
        )
        .route("/rfm/export.csv", get(app::rfm::http::export_rfm_csv))
        .route(
            "/feedback/export.csv",
            get(app::feedback::http::export_answers_csv),
        )
        .route(
            "/lifecycle/export.csv",
            get(app::lifecycle::http::export_lifecycle_csv),
        )
        // The public feedback page: plain HTML, no staff-app code, its own body limit.
        .merge(app::feedback::public::router(
            app::feedback::public::PublicState::new(state.db.clone()),
        ))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            move || shell(shell_options.clone()),
        )
        .fallback(move |req: Request<Body>| static_file_or_page(fallback_state.clone(), req))
        .layer(middleware::from_fn_with_state(config.clone(), same_origin_writes))
        .layer(middleware::from_fn_with_state(config.clone(), security_headers))
        .layer(middleware::from_fn(no_nul_in_forms))
        .layer(middleware::from_fn(small_anonymous_bodies))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // CSV uploads are the one route with a bigger limit (20 MB, checked again by the
        // import itself); they pass the same same-origin and header middleware.
        .merge(
            Router::new()
                .route("/api/imports", post(app::imports::upload::upload_file))
                .layer(DefaultBodyLimit::max(app::imports::upload::UPLOAD_BODY_LIMIT))
                .layer(middleware::from_fn_with_state(config.clone(), same_origin_writes))
                .layer(middleware::from_fn_with_state(config, security_headers)),
        )
        .layer(middleware::from_fn(crate::assets::cache_headers))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<Body>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // Path only: queries and headers (cookies) stay out of the logs.
                    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Anything no route claims: a file of the site (the front end's bundle, icons, the
/// service worker) or, for a path without a file name, the app's not-found page. A missing
/// file gets a bare 404; a page for it would only be thrown away by the browser.
async fn static_file_or_page(state: AppState, req: Request<Body>) -> Response {
    let names_a_file = req
        .uri()
        .path()
        .rsplit('/')
        .next()
        .is_some_and(|name| name.contains('.'));
    if names_a_file {
        let root = std::path::Path::new(&*state.leptos_options.site_root);
        return crate::assets::serve_file(root, req).await;
    }
    let options = state.leptos_options.clone();
    let page = leptos_axum::render_app_to_stream_with_context(
        move || provide_context(state.clone()),
        move || shell(options.clone()),
    );
    page(req).await
}

/// For load balancers: 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if state.db.ping().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

/// Server functions have no CSRF tokens: a state-changing request must come from our own
/// pages. Browsers say where a request comes from in `Sec-Fetch-Site` and `Origin`;
/// anything cross-site is refused. Clients that send neither are not browsers. With a
/// configured public address the `Origin` must be exactly it; without one, it must name the
/// request's own `Host`.
async fn same_origin_writes(
    State(config): State<Arc<AppConfig>>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let origin_host = origin.split("://").nth(1).unwrap_or_default();
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let allowed = match &config.public_origin {
            Some(public) => origin.eq_ignore_ascii_case(public),
            None => origin_host == host,
        };
        if origin == "null" || !allowed {
            return (StatusCode::FORBIDDEN, "cross-origin request refused").into_response();
        }
    }
    next.run(req).await
}

/// Server-function calls without a session, and every sign-in call, may carry at most
/// [`MAX_ANONYMOUS_BODY_BYTES`]: a larger declared length is refused before any of it is
/// read, and a body without a length is read only up to the limit.
async fn small_anonymous_bodies(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let has_session = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|h| {
            [false, true]
                .into_iter()
                .any(|secure| app::auth::service::session_token([h], secure).is_some())
        });
    let limited = path.starts_with("/api/") && (!has_session || path.starts_with("/api/auth/"));
    if !limited || matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_ANONYMOUS_BODY_BYTES) {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, MAX_ANONYMOUS_BODY_BYTES).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response(),
    }
}

/// Form fields (server-function arguments and public-form answers) may not hold NUL: it is
/// no text, and PostgreSQL cannot store it. Refused here, in one place, with an error on
/// the field, so both databases answer alike. Bodies are already bounded by the limits.
async fn no_nul_in_forms(req: Request, next: Next) -> Response {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form || *req.method() != Method::POST {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let bad = form_urlencoded::parse(&bytes)
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k.into_owned());
    if let Some(field) = bad {
        let err = app::error::AppError::field(&field, app::i18n::Key::ErrNulCharacter);
        return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(err)).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Content-Security-Policy with a fresh nonce for the hydration script, and the usual
/// hardening headers.
async fn security_headers(
    State(config): State<Arc<AppConfig>>,
    mut req: Request,
    next: Next,
) -> Response {
    let nonce = new_nonce();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         font-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    );
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if config.secure_cookies {
        // Served over https: browsers must never fall back to plain http for this site.
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    res
}
