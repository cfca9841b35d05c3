//! Running the real `rapport serve` binary for tests, and a minimal HTTP client for it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `rapport serve` on `url`, listening on `port`, with extra environment.
pub fn start_server(url: &str, port: u16, env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rapport"));
    cmd.arg("serve")
        .env("DATABASE_URL", url)
        .env("RAPPORT_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("the server starts")
}

/// One HTTP/1.1 request on its own connection: status and body.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

pub async fn wait_healthy(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http(addr, "GET", "/healthz", &[], b"").await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become healthy");
}

/// A server process, killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Server {
    pub async fn start(url: &str, env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let child = start_server(url, port, env);
        wait_healthy(addr).await;
        Server { child, addr }
    }

    /// `Origin` for state-changing requests.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no shutdown of any kind.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The app's router in memory, as deployed behind `public_url` (`None`: reached directly).
pub fn router(db: app::db::Db, public_url: Option<&str>) -> axum::Router {
    let options = leptos::config::LeptosOptions::builder()
        .output_name("rapport")
        .site_root("target/site")
        .build();
    rapport_server::web::build_router(app::state::AppState {
        db,
        leptos_options: options,
        config: std::sync::Arc::new(app::state::AppConfig::from_public_url(public_url)),
    })
}

/// A public form: a required NPS question `q1` and an optional text question `q2`.
pub fn survey_definition() -> app::feedback::model::FormDefinition {
    use app::feedback::model::*;
    let question = |key: &str, kind, label: &str, required| Question {
        key: key.into(),
        kind,
        label: Localized::new(label, ""),
        required,
        options: vec![],
    };
    FormDefinition {
        title: Localized::new("Satisfaction", "满意度"),
        questions: vec![
            question(
                "q1",
                QuestionKind::Nps,
                "How likely are you to recommend us?",
                true,
            ),
            question("q2", QuestionKind::Text, "Why?", false),
        ],
        ..Default::default()
    }
}

/// Saves [`survey_definition`] as an open form at `/f/<slug>`.
pub async fn save_survey(db: &app::db::Db, admin: &app::auth::CurrentUser, slug: &str) -> i64 {
    let input = app::feedback::model::FormInput {
        slug: slug.into(),
        open: true,
        definition: survey_definition(),
    };
    app::feedback::forms::save_form(db, admin, None, &input)
        .await
        .unwrap()
}
