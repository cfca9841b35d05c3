//! `rapport`: the web app and its operator commands (PRODUCT.md §10).

use app::db::Db;
use app::i18n::Lang;
use app::imports::model::ImportKind;
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
    /// Import a CSV file, all or nothing; exit 0 all stored, 3 some rows rejected, 1 failure.
    Import {
        #[arg(value_enum)]
        kind: ImportTarget,
        file: PathBuf,
        /// `Header=field,Other=field`, or a file with one `Header=field` per line.
        #[arg(long)]
        mapping: Option<String>,
        /// Owner (a manager's e-mail) of new customers whose row names none.
        #[arg(long)]
        owner: Option<String>,
    },
    /// Export as CSV (UTF-8 with BOM) to FILE or standard output.
    Export {
        #[arg(value_enum)]
        what: ExportTarget,
        #[arg(long)]
        output: Option<PathBuf>,
        /// Reference date of `rfm` and `lifecycle` (YYYY-MM-DD, default today, UTC); the
        /// RFM window is the default one (setting `rfm.window_days`, else all history).
        #[arg(long)]
        as_of: Option<String>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ImportTarget {
    Customers,
    Contacts,
    Orders,
    Activities,
}

impl ImportTarget {
    fn kind(self) -> ImportKind {
        match self {
            ImportTarget::Customers => ImportKind::Customers,
            ImportTarget::Contacts => ImportKind::Contacts,
            ImportTarget::Orders => ImportKind::Orders,
            ImportTarget::Activities => ImportKind::Activities,
        }
    }
}

/// What `export` writes.
#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportTarget {
    Customers,
    Rfm,
    /// Each customer's lifecycle stage as of `--as-of`.
    Lifecycle,
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
    app::register_order_dependents();
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
        Command::Import {
            kind,
            file,
            mapping,
            owner,
        } => {
            run_import(
                &db,
                kind.kind(),
                &file,
                mapping.as_deref(),
                owner.as_deref(),
            )
            .await
        }
        Command::Export {
            what,
            output,
            as_of,
        } => run_export(&db, what, output.as_deref(), as_of.as_deref()).await,
        Command::Backup { file } => match backup::backup(&db, &url, &file).await {
            Ok(()) => {
                println!("backup written to {}", file.display());
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
    }
}

/// Exit status of an import in which some rows were rejected (the good ones stored).
const EXIT_ROWS_REJECTED: u8 = 3;

async fn run_import(
    db: &Db,
    kind: ImportKind,
    file: &std::path::Path,
    mapping: Option<&str>,
    owner: Option<&str>,
) -> ExitCode {
    use app::imports::{csv, model, service};
    let bytes = match std::fs::metadata(file) {
        Ok(m) if m.len() > model::MAX_UPLOAD_BYTES as u64 => {
            return fail(format!("{} is larger than 20 MB", file.display()))
        }
        Ok(_) => match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => return fail(format!("cannot read {}: {e}", file.display())),
        },
        Err(e) => return fail(format!("cannot read {}: {e}", file.display())),
    };
    // The mapping is a file of `Header=field` lines when such a file exists, else inline.
    let spec = match mapping {
        Some(m) if std::path::Path::new(m).is_file() => match std::fs::read_to_string(m) {
            Ok(s) => s,
            Err(e) => return fail(format!("cannot read the mapping {m}: {e}")),
        },
        Some(m) => m.to_string(),
        None => String::new(),
    };
    let overrides = match model::parse_mapping_spec(&spec) {
        Ok(o) => o,
        Err(e) => return fail(format!("bad mapping: {e}")),
    };
    let headers = match csv::read_csv(&bytes) {
        Ok(f) => f.headers,
        Err(e) => return fail(app_error_text(&e)),
    };
    let columns = match model::apply_overrides(kind, &headers, &overrides) {
        Ok(c) => c,
        Err(e) => return fail(format!("bad mapping: {e}")),
    };
    let default_owner = match owner {
        None => None,
        Some(email) => match owner_id(db, email).await {
            Ok(id) => Some(id),
            Err(e) => return fail(e),
        },
    };
    let options = model::ImportOptions {
        default_owner,
        audit_actor: None,
        fail_after_rows: None,
    };
    let operator = service::operator();
    let quiet = |_, _, _| {};
    match service::run_import(db, &operator, kind, &bytes, &columns, &options, &quiet).await {
        Ok(report) => {
            println!(
                "{} of {} rows stored ({} created, {} updated), {} rejected",
                report.stored(),
                report.total_rows,
                report.created,
                report.updated,
                report.rejected.len()
            );
            for r in &report.rejected {
                let column = if r.column.is_empty() {
                    "row"
                } else {
                    &r.column
                };
                println!("line {}: {}: {}", r.line, column, r.reason.text(Lang::En));
            }
            if report.rejected.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_ROWS_REJECTED)
            }
        }
        Err(e) => fail(format!(
            "import failed, nothing was stored: {}",
            app_error_text(&e)
        )),
    }
}

/// The `--owner` account: it must be an active account manager.
async fn owner_id(db: &Db, email: &str) -> Result<app::ids::UserId, String> {
    use app::db::Row;
    let row = sqlx::query("SELECT id, role, active FROM users WHERE email = $1")
        .bind(email.trim().to_lowercase())
        .fetch_optional(&db.pool)
        .await
        .map_err(|e| format!("database error: {e}"))?
        .ok_or_else(|| format!("--owner: no user has the e-mail {email}"))?;
    let role: String = row.try_get("role").map_err(|e| e.to_string())?;
    let active: i64 = row.try_get("active").map_err(|e| e.to_string())?;
    let manager = app::auth::Role::parse(&role).is_some_and(|r| r.is_manager());
    if !manager || active != 1 {
        return Err(format!("--owner: {email} is not an active account manager"));
    }
    Ok(app::ids::UserId(
        row.try_get("id").map_err(|e| e.to_string())?,
    ))
}

fn app_error_text(e: &app::error::AppError) -> String {
    match e {
        app::error::AppError::Validation(errors) => errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message.text(Lang::En)))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.message_key().text(Lang::En).to_string(),
    }
}

async fn run_export(
    db: &Db,
    what: ExportTarget,
    output: Option<&std::path::Path>,
    as_of: Option<&str>,
) -> ExitCode {
    use app::exports::service::{export_customers, Selection};
    let csv = match what {
        ExportTarget::Customers => {
            let everything = app::customers::filter::ParsedFilter::default();
            export_customers(
                db,
                &app::imports::service::operator(),
                Selection::Filter(&everything),
            )
            .await
        }
        ExportTarget::Rfm => export_rfm(db, as_of).await,
        ExportTarget::Lifecycle => export_lifecycle(db, as_of).await,
    };
    let csv = match csv {
        Ok(c) => c,
        Err(e) => return fail(app_error_text(&e)),
    };
    let written = match output {
        Some(path) => std::fs::write(path, csv.as_bytes()),
        None => std::io::Write::write_all(&mut std::io::stdout(), csv.as_bytes()),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("cannot write the export: {e}")),
    }
}

/// Every customer's RFM as of the date (today by default), with the default window.
async fn export_rfm(db: &Db, as_of: Option<&str>) -> Result<String, app::error::AppError> {
    use app::rfm::{runs, service};
    let as_of = match as_of {
        Some(a) => runs::parse_as_of(a)?,
        None => app::dates::iso_date(runs::today()),
    };
    let window = runs::default_window(db).await?;
    let rows = service::rows_as_of(db, None, &as_of, window).await?;
    Ok(service::rows_csv(&rows))
}

/// Every customer that existed on the date (today by default) with its lifecycle stage.
async fn export_lifecycle(db: &Db, as_of: Option<&str>) -> Result<String, app::error::AppError> {
    use app::lifecycle::service;
    let day = match as_of {
        Some(a) => service::parse_day(a, "as_of")?,
        None => service::today(),
    };
    let rows = service::rows_on(db, None, day).await?;
    Ok(service::rows_csv(&rows))
}

/// First start with no users: create the admin from the environment, if given.
async fn admin_from_environment(db: &Db) -> Result<(), String> {
    let (Ok(email), Ok(password)) = (
        std::env::var("RAPPORT_ADMIN_EMAIL"),
        std::env::var("RAPPORT_ADMIN_PASSWORD"),
    ) else {
        return Ok(());
    };
    if app::auth::service::count_users(db)
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
    // The build writes the content hashes of the bundle's file names beside the binary;
    // pages then name the hashed files (see `assets.rs`).
    let hash_file = "hash.txt";
    let hashed = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(hash_file).exists()))
        .unwrap_or(false);
    LeptosOptions::builder()
        .output_name(output_name)
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .hash_files(hashed)
        .hash_file(std::sync::Arc::from(hash_file))
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
    let config = AppConfig::from_public_url(std::env::var("RAPPORT_PUBLIC_URL").ok().as_deref());
    tokio::spawn(app::tiers::service::run_scheduler(db.clone()));
    let state = AppState {
        db,
        leptos_options: leptos_options(addr),
        config: Arc::new(config),
    };
    tokio::spawn(app::rfm::runs::run_scheduler(state.db.clone()));
    // A database from before stage histories were kept gets one, off the request path.
    let lifecycle_db = state.db.clone();
    tokio::spawn(async move {
        if let Err(e) = app::lifecycle::service::build_if_missing(&lifecycle_db).await {
            tracing::error!(error = %e, "cannot build the lifecycle history");
        }
    });
    tokio::spawn(app::churn::service::run_scheduler(state.db.clone()));
    tokio::spawn(app::complaints::service::run_scheduler(state.db.clone()));
    let router = web::build_router(state);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => return fail(format!("cannot listen on {addr}: {e}")),
    };
    tracing::info!("Rapport listening on http://{addr}");
    let result = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
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
