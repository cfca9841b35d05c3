//! Delivery of the site's files: precompressed bundles, how long each response may be
//! cached, and the service worker, whose cache is named after the build it belongs to.
//!
//! The release build names every file under `/pkg/` after a hash of its content
//! (`rapport.<hash>.wasm`) and writes `.br` and `.gz` copies beside it, so a file never
//! changes under its name: browsers keep it for a year without asking again, and the
//! server sends the smallest encoding the browser accepts without compressing anything
//! per request.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Hashed assets: a new build has new names, so a copy may be kept forever.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Files whose name stays the same from build to build: ask the server each time.
pub const REVALIDATE: &str = "no-cache";
/// Icons and the manifest change rarely and are harmless when a day old.
pub const ONE_DAY: &str = "public, max-age=86400";
/// Pages and server-function answers hold private data: never stored anywhere.
pub const PRIVATE: &str = "private, no-store";

/// The service worker's source, with placeholders for the build.
const TEMPLATE: &str = include_str!("../../public/sw.js");

/// Length of the content hash in a file name (base64url of an MD5, as the build writes it).
const HASH_LEN: usize = 22;

/// The service worker of this build, rendered once at start-up.
#[derive(Clone)]
pub struct ServiceWorker {
    pub build_id: String,
    script: Arc<str>,
}

impl ServiceWorker {
    /// Fills the worker's template (`public/sw.js`, compiled in) with the build's id and
    /// the files it keeps for offline use. The id is derived from the names and sizes of
    /// the files under `pkg/`: with hashed names it changes with every change of code or
    /// style, and two servers running the same build agree on it.
    pub fn load(site_root: &Path, pkg_dir: &str) -> Self {
        Self::from_template(TEMPLATE, site_root, pkg_dir)
    }

    fn from_template(template: &str, site_root: &Path, pkg_dir: &str) -> Self {
        let pkg = site_root.join(pkg_dir);
        let files = pkg_files(&pkg);
        let build_id = build_id(&files);
        let mut shell: Vec<String> = files
            .iter()
            .filter(|(name, _)| is_entry_file(name))
            .map(|(name, _)| format!("/{pkg_dir}/{name}"))
            .collect();
        shell.extend(
            [
                "/offline.html",
                "/manifest.webmanifest",
                "/icons/icon-192.png",
                "/icons/icon-512.png",
            ]
            .map(String::from),
        );
        let script = template.replace("__RAPPORT_BUILD__", &build_id).replace(
            "__RAPPORT_SHELL__",
            &serde_json::to_string(&shell).unwrap_or_else(|_| "[]".into()),
        );
        Self {
            build_id,
            script: script.into(),
        }
    }

    pub fn response(&self) -> Response {
        (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, REVALIDATE),
            ],
            self.script.to_string(),
        )
            .into_response()
    }
}

/// The files of `pkg/` (not the `.br`/`.gz` copies), with their sizes, sorted by name.
fn pkg_files(pkg: &Path) -> Vec<(String, u64)> {
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = vec![pkg.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(rel) = path.strip_prefix(pkg) else {
                continue;
            };
            let name = rel.to_string_lossy().replace('\\', "/");
            if name.ends_with(".br") || name.ends_with(".gz") {
                continue;
            }
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            files.push((name, size));
        }
    }
    files.sort();
    files
}

fn build_id(files: &[(String, u64)]) -> String {
    // SipHash with fixed keys: the same files give the same id in every process.
    #[allow(deprecated)]
    let mut hasher = std::hash::SipHasher::new();
    files.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// The files every staff page loads first: the JavaScript glue, the main WebAssembly module
/// and the style sheet (lazily loaded page chunks are cached when first used).
fn is_entry_file(name: &str) -> bool {
    !name.contains('/')
        && name.starts_with("rapport.")
        && (name.ends_with(".js") || name.ends_with(".wasm") || name.ends_with(".css"))
}

/// Whether a file name carries a content hash (`name.<22 characters>.ext`).
pub fn is_hashed(file_name: &str) -> bool {
    file_name.split('.').any(|part| {
        part.len() == HASH_LEN
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The `Cache-Control` a response of `path` gets when its handler set none.
pub fn cache_policy(path: &str) -> &'static str {
    let file_name = path.rsplit('/').next().unwrap_or_default();
    if path.starts_with("/pkg/") {
        if is_hashed(file_name) && !path.starts_with("/pkg/snippets/") {
            IMMUTABLE
        } else {
            REVALIDATE
        }
    } else if path.starts_with("/icons/") || path == "/manifest.webmanifest" {
        ONE_DAY
    } else if path == "/sw.js" || path == "/offline.html" {
        REVALIDATE
    } else {
        PRIVATE
    }
}

/// Sets `Cache-Control` on every response that has none, by [`cache_policy`]. Error
/// answers are never kept.
pub async fn cache_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    if res.headers().contains_key(header::CACHE_CONTROL) {
        return res;
    }
    let policy = if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
        cache_policy(&path)
    } else {
        PRIVATE
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    res
}

/// The site's static files, served from their precompressed copies where the browser
/// accepts brotli or gzip.
pub async fn serve_file(site_root: &Path, req: Request<Body>) -> Response {
    use tower::ServiceExt;
    let files = tower_http::services::ServeDir::new(site_root)
        .precompressed_br()
        .precompressed_gzip();
    match files.oneshot(req).await {
        Ok(res) if res.status() != StatusCode::NOT_FOUND => res.map(Body::new),
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed("rapport.AbCdEfGhIjKlMnOpQrStUv.wasm"));
        assert!(is_hashed("__wasm_split.Ab-dEfGhIjKlMnOpQrSt_v.js"));
        assert!(!is_hashed("rapport.wasm"));
        assert!(!is_hashed("rapport.css"));
        // One character short, or a character base64url does not use.
        assert!(!is_hashed("rapport.AbCdEfGhIjKlMnOpQrStU.wasm"));
        assert!(!is_hashed("rapport.AbCdEfGhIjKlMnOpQrStU+.wasm"));
    }

    #[test]
    fn each_kind_of_response_gets_its_policy() {
        assert_eq!(
            cache_policy("/pkg/rapport.AbCdEfGhIjKlMnOpQrStUv.wasm"),
            IMMUTABLE
        );
        assert_eq!(cache_policy("/pkg/rapport.wasm"), REVALIDATE);
        assert_eq!(
            cache_policy("/pkg/snippets/x-AbCdEfGhIjKlMnOpQrStUv/inline0.js"),
            REVALIDATE
        );
        assert_eq!(cache_policy("/sw.js"), REVALIDATE);
        assert_eq!(cache_policy("/offline.html"), REVALIDATE);
        assert_eq!(cache_policy("/icons/icon-192.png"), ONE_DAY);
        assert_eq!(cache_policy("/customers"), PRIVATE);
        assert_eq!(cache_policy("/api/customers/list"), PRIVATE);
    }

    #[test]
    fn the_build_id_follows_the_files() {
        let a = build_id(&[("rapport.AAAA.wasm".into(), 10)]);
        let b = build_id(&[("rapport.BBBB.wasm".into(), 10)]);
        assert_ne!(a, b);
        assert_eq!(a, build_id(&[("rapport.AAAA.wasm".into(), 10)]));
    }

    #[test]
    fn the_worker_names_its_cache_and_shell_after_the_build() {
        let dir = std::env::temp_dir().join(format!("rapport-sw-{}", std::process::id()));
        let pkg = dir.join("pkg");
        std::fs::create_dir_all(pkg.join("snippets")).unwrap();
        let template = "const BUILD = \"__RAPPORT_BUILD__\"; const SHELL = __RAPPORT_SHELL__;";
        for name in [
            "rapport.AbCdEfGhIjKlMnOpQrStUv.wasm",
            "rapport.AbCdEfGhIjKlMnOpQrStUv.wasm.br",
            "rapport.BbCdEfGhIjKlMnOpQrStUv.js",
            "customers_route_view.CbCdEfGhIjKlMnOpQrStUv.wasm",
        ] {
            std::fs::write(pkg.join(name), name).unwrap();
        }
        let sw = ServiceWorker::from_template(template, &dir, "pkg");
        let script = sw.script.to_string();
        assert!(script.contains(&format!("const BUILD = \"{}\"", sw.build_id)));
        assert!(script.contains("/pkg/rapport.AbCdEfGhIjKlMnOpQrStUv.wasm\""));
        assert!(script.contains("/pkg/rapport.BbCdEfGhIjKlMnOpQrStUv.js\""));
        assert!(script.contains("/offline.html"));
        // Page chunks and compressed copies are not part of the shell.
        assert!(!script.contains("customers_route_view"));
        assert!(!script.contains(".br\""));
        std::fs::write(pkg.join("rapport.AbCdEfGhIjKlMnOpQrStUv.wasm"), "changed!").unwrap();
        let other = ServiceWorker::from_template(template, &dir, "pkg");
        assert_ne!(
            sw.build_id, other.build_id,
            "a different size is a new build"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_compiled_in_template_has_both_placeholders() {
        assert!(TEMPLATE.contains("\"__RAPPORT_BUILD__\""));
        assert!(TEMPLATE.contains("= __RAPPORT_SHELL__;"));
    }
}
