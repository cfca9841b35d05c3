//! `rapport`: the web app and its operator commands (PRODUCT.md §10).

use app::db::Db;
use app::state::{AppConfig, AppState};
use app::users::model::NewUserInput;
use clap::{Parser, Subcommand};
use leptos::config::LeptosOptions;
use rapport_server::{backup, config, demo, web};
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "rapport",
    version,
    about = "Rapport customer relationship platform"
)]
struct Cli {
    /// Database URL (sqlite:… or postgres://…). Default: an SQLite file in the data folder.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Log filter, e.g. `info` or `rapport=debug,info`.
    #[arg(long, global = true, env = "RAPPORT_LOG", default_value = "info")]
    log_level: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web app (the default).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "RAPPORT_LISTEN")]
        listen: Option<SocketAddr>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Create an administrator account.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// Read the password from standard input instead of RAPPORT_ADMIN_PASSWORD.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Fill an empty database with deterministic demo data.
    Demo {
        #[arg(long, default_value_t = 2_000)]
        customers: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Write a consistent copy of the database to FILE.
    Backup { file: PathBuf },
}

fn init_logs(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if std::env::var("RAPPORT_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("rapport: {message}");
    ExitCode::FAILURE
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(&cli.log_level);
    let url = config::database_url(cli.database_url.clone());
    let db = match Db::connect_and_migrate(&url).await {
        Ok(db) => db,
        Err(e) => return fail(format!("{e} (database: {})", config::redacted(&url))),
    };
    match cli.command.unwrap_or(Command::Serve { listen: None }) {
        Command::Serve { listen } => serve(db, listen).await,
        Command::Migrate => {
            println!("migrations applied ({})", config::redacted(&url));
            ExitCode::SUCCESS
        }
        Command::CreateAdmin {
            email,
            name,
            password_stdin,
        } => {
            let password = if password_stdin {
                let mut s = String::new();
                if let Err(e) = std::io::stdin().read_to_string(&mut s) {
                    return fail(format!("could not read the password: {e}"));
                }
                s.trim_end_matches(['\r', '\n']).to_string()
            } else {
                match std::env::var("RAPPORT_ADMIN_PASSWORD") {
                    Ok(p) => p,
                    Err(_) => return fail("give the password on stdin (--password-stdin) or in RAPPORT_ADMIN_PASSWORD"),
                }
            };
            let input = NewUserInput {
                name,
                email,
                password,
                role: "admin".into(),
                ..Default::default()
            };
            match app::users::service::create_admin_unchecked(&db, input).await {
                Ok(id) => {
                    println!("administrator created (id {id})");
                    ExitCode::SUCCESS
                }
                Err(app::error::AppError::Validation(errors)) => fail(
                    errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message.text(app::i18n::Lang::En)))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                Err(app::error::AppError::Conflict(_)) => {
                    fail("a user with this e-mail already exists")
                }
                Err(e) => fail(e),
            }
        }
        Command::Demo { customers, seed } => {
            let started = std::time::Instant::now();
            match demo::generate(&db, customers, seed).await {
                Ok(r) => {
                    println!(
                        "demo data: {} customers, {} orders, {} activities in {:.1}s; sign in as admin@rapport.local / {}",
                        r.customers,
                        r.orders,
                        r.activities,
                        started.elapsed().as_secs_f64(),
                        demo::DEMO_PASSWORD
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Backup { file } => match backup::backup(&db, &url, &file).await {
            Ok(()) => {
                println!("backup written to {}", file.display());
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
    }
}

/// First start with no users: create the admin from the environment, if given.
async fn admin_from_environment(db: &Db) -> Result<(), String> {
    let (Ok(email), Ok(password)) = (
        std::env::var("RAPPORT_ADMIN_EMAIL"),
        std::env::var("RAPPORT_ADMIN_PASSWORD"),
    ) else {
        return Ok(());
    };
    if app::users::service::count_users(db)
        .await
        .map_err(|e| e.to_string())?
        > 0
    {
        return Ok(());
    }
    let input = NewUserInput {
        name: "Administrator".into(),
        email,
        password,
        role: "admin".into(),
        ..Default::default()
    };
    app::users::service::create_admin_unchecked(db, input)
        .await
        .map(|_| tracing::info!("first administrator created from RAPPORT_ADMIN_EMAIL"))
        .map_err(|e| format!("RAPPORT_ADMIN_EMAIL / RAPPORT_ADMIN_PASSWORD rejected: {e:?}"))
}

fn leptos_options(addr: SocketAddr) -> LeptosOptions {
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    let output_name = std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "rapport".into());
    LeptosOptions::builder()
        .output_name(output_name)
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build()
}

async fn serve(db: Db, listen: Option<SocketAddr>) -> ExitCode {
    if let Err(e) = admin_from_environment(&db).await {
        return fail(e);
    }
    let addr = listen
        .or_else(|| {
            std::env::var("LEPTOS_SITE_ADDR")
                .ok()
                .and_then(|a| a.parse().ok())
        })
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000)));
    let secure_cookies =
        std::env::var("RAPPORT_PUBLIC_URL").is_ok_and(|u| u.starts_with("https://"));
    let state = AppState {
        db,
        leptos_options: leptos_options(addr),
        config: Arc::new(AppConfig { secure_cookies }),
    };
    let router = web::build_router(state);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => return fail(format!("cannot listen on {addr}: {e}")),
    };
    tracing::info!("Rapport listening on http://{addr}");
    let result = axum::serve(listener, router.into_make_service())
        .with_graceful_shutdown(shutdown_signal())
        .await;
    match result {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Finishes in-flight requests on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
