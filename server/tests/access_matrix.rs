//! Who may call what, over HTTP: every registered server function and every plain route ×
//! every role × a record the caller owns, may see, and may not see. The expected outcome of
//! each cell is written below by hand, from the rules of PRODUCT.md §1 — not computed from
//! `auth/permissions.rs`, which would test the code against itself.
//!
//! After every refused call, a checksum of every table must be unchanged, except the tables
//! that exist to record attempts ([`ATTEMPT_TABLES`]) and the session's last-use time. After
//! an allowed call that changed something the fixture is rebuilt, so every cell starts
//! from the same state. A server function missing from the table fails the test, and so
//! does a plain route: nothing is added unclassified. Runs on SQLite and PostgreSQL.

use app::db::{Db, Engine, Row};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tower::ServiceExt;

mod common;
#[path = "../../app/tests/support/mod.rs"]
mod support;

use app::auth::Role;
use app::ids::*;

/// The callers, in the order of the expectation strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Who {
    Admin,
    /// Tier-1 manager of team East; owns the key account K.
    T1In,
    /// Tier-1 manager of team West.
    T1Out,
    /// Tier-2 manager of East; owns the standard account S.
    T2Owner,
    /// Tier-2 manager of East; serves K.
    T2Server,
    /// Tier-2 manager of East; neither owns nor serves anything.
    T2Stranger,
    /// Support agent; the complaint on K is assigned to them.
    Support,
    Viewer,
    Anon,
}

const WHO: [Who; 9] = [
    Who::Admin,
    Who::T1In,
    Who::T1Out,
    Who::T2Owner,
    Who::T2Server,
    Who::T2Stranger,
    Who::Support,
    Who::Viewer,
    Who::Anon,
];

/// The record a cell is about: K (key account of T1In, served by T2Server, team East) and
/// what hangs off it, S (standard account of T2Owner, team East) and what hangs off it, or
/// none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rec {
    None,
    K,
    S,
}

/// Tables that exist to record attempts: a refusal may add to them.
const ATTEMPT_TABLES: [&str; 3] = ["signin_attempts", "rate_buckets", "audit_log"];
/// Columns every request may touch: the session's last use (idle timeout).
const VOLATILE_COLUMNS: [(&str, &str); 1] = [("sessions", "last_seen_at")];

/// What is hung off one of the two customers.
#[derive(Debug, Clone, Default)]
struct Records {
    customer: i64,
    contact: i64,
    order: i64,
    contract: i64,
    payment: i64,
    task: i64,
    complaint: i64,
    proposal: i64,
    segment: i64,
    view: i64,
    upload: String,
    job: String,
}

struct Fixture {
    users: HashMap<Who, i64>,
    tokens: HashMap<Who, String>,
    east: i64,
    k: Records,
    s: Records,
    field: i64,
    form: i64,
    form_slug: String,
}

impl Fixture {
    fn rec(&self, r: Rec) -> &Records {
        match r {
            Rec::S => &self.s,
            _ => &self.k,
        }
    }
    fn user(&self, w: Who) -> i64 {
        self.users.get(&w).copied().unwrap_or(0)
    }
    /// Who a write names as owner: the caller when the caller may own accounts.
    fn owner_for(&self, w: Who) -> i64 {
        match w {
            Who::T1In | Who::T1Out | Who::T2Owner | Who::T2Server | Who::T2Stranger => self.user(w),
            _ => self.user(Who::T2Owner),
        }
    }
}

fn q<T: Serialize>(v: &T) -> String {
    serde_qs::to_string(v).expect("arguments encode")
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn cookie(fx: &Fixture, who: Who) -> Option<String> {
    fx.tokens.get(&who).map(|t| format!("rapport_session={t}"))
}

fn post(path: &str, content_type: &str, body: Vec<u8>, cookie: Option<String>) -> Request<Body> {
    let mut b = Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .header("sec-fetch-site", "same-origin");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body)).unwrap()
}

fn get(path: &str, cookie: Option<String>) -> Request<Body> {
    let mut b = Request::get(path).header(header::HOST, "localhost");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

async fn call(
    app: &Router,
    fx: &Fixture,
    who: Who,
    endpoint: &str,
    body: String,
) -> (StatusCode, String) {
    send(
        app,
        post(
            &format!("/api/{endpoint}"),
            "application/x-www-form-urlencoded",
            body.into_bytes(),
            cookie(fx, who),
        ),
    )
    .await
}

/// A call the fixture needs to succeed.
async fn must(app: &Router, fx: &Fixture, who: Who, endpoint: &str, body: String) -> String {
    let (status, text) = call(app, fx, who, endpoint, body).await;
    assert!(
        status.is_success(),
        "fixture {endpoint} as {who:?}: {status} {text}"
    );
    text
}

fn id_of(json: &str) -> i64 {
    json.trim()
        .parse()
        .unwrap_or_else(|_| panic!("an id, got {json}"))
}

// ---------------------------------------------------------------------------------------
// The fixture

const APP_TABLE_QUERY_SQLITE: &str =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name";
const APP_TABLE_QUERY_POSTGRES: &str =
    "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = current_schema() \
     AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations' ORDER BY table_name";

async fn app_tables(db: &Db) -> Vec<String> {
    let sql = match db.engine {
        Engine::Sqlite => APP_TABLE_QUERY_SQLITE,
        Engine::Postgres => APP_TABLE_QUERY_POSTGRES,
    };
    sqlx::query(sql)
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>("name").unwrap())
        .collect()
}

/// Empties every table (ids start again at 1).
async fn wipe(db: &Db, tables: &[String]) {
    match db.engine {
        Engine::Postgres => {
            sqlx::query(&format!(
                "TRUNCATE TABLE {} RESTART IDENTITY CASCADE",
                tables.join(", ")
            ))
            .execute(&db.pool)
            .await
            .unwrap();
        }
        Engine::Sqlite => {
            let mut conn = db.pool.acquire().await.unwrap();
            sqlx::query("PRAGMA foreign_keys = OFF")
                .execute(&mut *conn)
                .await
                .unwrap();
            for t in tables {
                sqlx::query(&format!("DELETE FROM {t}"))
                    .execute(&mut *conn)
                    .await
                    .unwrap();
            }
            sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    }
}

async fn build_fixture(db: &Db, app: &Router) -> Fixture {
    let east = support::team(db, "East").await;
    let west = support::team(db, "West").await;
    let mut users = HashMap::new();
    let mut tokens = HashMap::new();
    for (who, email, role, team) in [
        (Who::Admin, "admin@example.com", Role::Admin, None),
        (
            Who::T1In,
            "t1in@example.com",
            Role::Tier1Manager,
            Some(east),
        ),
        (
            Who::T1Out,
            "t1out@example.com",
            Role::Tier1Manager,
            Some(west),
        ),
        (
            Who::T2Owner,
            "t2owner@example.com",
            Role::Tier2Manager,
            Some(east),
        ),
        (
            Who::T2Server,
            "t2server@example.com",
            Role::Tier2Manager,
            Some(east),
        ),
        (
            Who::T2Stranger,
            "t2stranger@example.com",
            Role::Tier2Manager,
            Some(east),
        ),
        (
            Who::Support,
            "support@example.com",
            Role::SupportAgent,
            Some(east),
        ),
        (Who::Viewer, "viewer@example.com", Role::Viewer, Some(east)),
    ] {
        let u = support::user(db, email, role, team).await;
        users.insert(who, u.id.0);
        tokens.insert(
            who,
            app::auth::service::create_session(db, u.id).await.unwrap(),
        );
    }
    let mut fx = Fixture {
        users,
        tokens,
        east: east.0,
        k: Records::default(),
        s: Records::default(),
        field: 0,
        form: 0,
        form_slug: "survey".into(),
    };
    use app::customers::model::CustomerInput;
    let customer = |name: &str, level: &str, owner: i64, server: Option<i64>| CustomerInput {
        name: name.into(),
        kind: "company".into(),
        email: format!("{}@example.com", name.to_lowercase()),
        level: level.into(),
        owner_id: owner.to_string(),
        service_manager_id: server.map(|s| s.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    let k = customer(
        "Keystone",
        "1",
        fx.user(Who::T1In),
        Some(fx.user(Who::T2Server)),
    );
    let s = customer("Smallshop", "2", fx.user(Who::T2Owner), None);
    fx.k.customer = id_of(
        &must(
            app,
            &fx,
            Who::Admin,
            "customers/create",
            q(&app::customers::api::CreateCustomer { input: k }),
        )
        .await,
    );
    fx.s.customer = id_of(
        &must(
            app,
            &fx,
            Who::Admin,
            "customers/create",
            q(&app::customers::api::CreateCustomer { input: s }),
        )
        .await,
    );
    for rec in [Rec::K, Rec::S] {
        let c = CustomerId(fx.rec(rec).customer);
        let owner = if rec == Rec::K {
            Who::T1In
        } else {
            Who::T2Owner
        };
        let contact = id_of(
            &must(
                app,
                &fx,
                Who::Admin,
                "customers/contacts/add",
                q(&app::customers::api::AddContact {
                    customer: c,
                    input: app::customers::model::ContactInput {
                        name: "Pat".into(),
                        email: "pat@example.com".into(),
                        ..Default::default()
                    },
                }),
            )
            .await,
        );
        let order = id_of(
            &must(
                app,
                &fx,
                Who::Admin,
                "orders/add",
                q(&app::orders::api::AddOrder {
                    customer: c,
                    input: app::orders::model::OrderInput {
                        date: "2026-06-01".into(),
                        amount: "120.00".into(),
                        currency: "CNY".into(),
                        ..Default::default()
                    },
                }),
            )
            .await,
        );
        let contract = id_of(
            &must(
                app,
                &fx,
                Who::Admin,
                "finance/contracts/add",
                q(&app::finance::api::AddContract {
                    customer: c,
                    input: app::finance::model::ContractInput {
                        title: "Supply".into(),
                        value: "1000".into(),
                        currency: "CNY".into(),
                        start: "2026-01-01".into(),
                        end: "2026-12-31".into(),
                        status: "active".into(),
                    },
                }),
            )
            .await,
        );
        let payment = id_of(
            &must(
                app,
                &fx,
                Who::Admin,
                "finance/payments/add",
                q(&app::finance::api::AddPayment {
                    customer: c,
                    input: app::finance::model::PaymentInput {
                        amount: "500".into(),
                        currency: "CNY".into(),
                        due: "2026-02-01".into(),
                        ..Default::default()
                    },
                }),
            )
            .await,
        );
        let task = id_of(
            &must(
                app,
                &fx,
                Who::Admin,
                "tasks/create",
                q(&app::tasks::api::CreateTask {
                    input: app::tasks::model::TaskInput {
                        customer: c.to_string(),
                        title: "Call back".into(),
                        assignee: fx.user(owner).to_string(),
                        due: "2026-12-30T09:00".into(),
                    },
                }),
            )
            .await,
        );
        let assignee = if rec == Rec::K {
            Who::Support
        } else {
            Who::T2Owner
        };
        let complaint = id_of(
            &must(
                app,
                &fx,
                Who::Admin,
                "complaints/open",
                q(&app::complaints::api::OpenComplaint {
                    input: app::complaints::model::ComplaintInput {
                        customer_id: c.to_string(),
                        category: "delivery".into(),
                        severity: "medium".into(),
                        description: "Late".into(),
                        assignee_id: fx.user(assignee).to_string(),
                    },
                }),
            )
            .await,
        );
        must(
            app,
            &fx,
            Who::Admin,
            "notes/add",
            q(&app::notes::api::AddCustomerNote {
                customer: c,
                body: "Handle with care".into(),
            }),
        )
        .await;
        let (direction, from, to) = if rec == Rec::K {
            ("demotion", 1, 2)
        } else {
            ("promotion", 2, 1)
        };
        let proposal: i64 = sqlx::query(
            "INSERT INTO tier_proposals (customer_id, direction, from_level, to_level, from_grade, to_grade, value_score, figures, status, created_at) \
             VALUES ($1, $2, $3, $4, 'general', 'general', 50, '{}', 'pending', 0) RETURNING id",
        )
        .bind(c.0).bind(direction).bind(from).bind(to)
        .fetch_one(&db.pool).await.unwrap().try_get("id").unwrap();
        // A shared segment and view of T1In (K), private ones of T2Owner (S).
        let (author, shared) = if rec == Rec::K {
            (Who::T1In, true)
        } else {
            (Who::T2Owner, false)
        };
        let segment = id_of(
            &must(
                app,
                &fx,
                author,
                "segments/save",
                q(&app::segments::api::SaveSegment {
                    id: 0,
                    input: app::segments::model::SegmentInput {
                        name: format!("Seg {author:?}"),
                        description: String::new(),
                        shared,
                        rule_json: empty_rule(),
                    },
                }),
            )
            .await,
        );
        let view = id_of(
            &must(
                app,
                &fx,
                author,
                "views/save",
                q(&app::saved_views::api::SaveView {
                    name: format!("View {author:?}"),
                    query: "level=1".into(),
                    shared: shared.then(|| "1".into()),
                }),
            )
            .await,
        );
        let (status, upload) = send(
            app,
            post(
                "/api/imports?kind=customers",
                "text/csv",
                b"name,email\nNew One,new.one@example.com\n".to_vec(),
                cookie(&fx, author),
            ),
        )
        .await;
        assert!(status.is_success(), "{upload}");
        let upload = serde_json::from_str::<serde_json::Value>(&upload).unwrap()["upload_id"]
            .as_str()
            .unwrap()
            .to_string();
        let job = format!("job-{author:?}");
        sqlx::query("INSERT INTO import_jobs (id, owner_id, phase, processed, total, created_at, heartbeat_at) VALUES ($1, $2, 'done', 0, 0, $3, $3)")
            .bind(&job).bind(fx.user(author)).bind(app::db::now())
            .execute(&db.pool).await.unwrap();
        let r = Records {
            customer: c.0,
            contact,
            order,
            contract,
            payment,
            task,
            complaint,
            proposal,
            segment,
            view,
            upload,
            job,
        };
        if rec == Rec::K {
            fx.k = r
        } else {
            fx.s = r
        }
    }
    fx.field = id_of(
        &must(
            app,
            &fx,
            Who::Admin,
            "custom-fields/create",
            q(&app::custom_fields::api::CreateField {
                input: app::custom_fields::model::FieldInput {
                    label: "Budget".into(),
                    key: "budget".into(),
                    kind: "number".into(),
                    choices: String::new(),
                },
            }),
        )
        .await,
    );
    fx.form = id_of(
        &must(
            app,
            &fx,
            Who::Admin,
            "feedback/save",
            q(&app::feedback::api::SaveFeedbackForm {
                id: 0,
                slug: fx.form_slug.clone(),
                open: true,
                definition_json: form_definition(),
            }),
        )
        .await,
    );
    let _ = west;
    fx
}

fn empty_rule() -> String {
    serde_json::to_string(&app::segments::model::SegmentRule::default()).unwrap()
}

fn form_definition() -> String {
    serde_json::to_string(&common::survey_definition()).unwrap()
}

// ---------------------------------------------------------------------------------------
// Checksums

struct Checksummer {
    query: String,
}

impl Checksummer {
    async fn new(db: &Db, tables: &[String]) -> Checksummer {
        let mut parts = Vec::new();
        for t in tables {
            let columns: Vec<String> = match db.engine {
                Engine::Sqlite => sqlx::query(&format!("SELECT name FROM pragma_table_info('{t}') ORDER BY cid"))
                    .fetch_all(&db.pool).await.unwrap()
                    .iter().map(|r| r.try_get::<String, _>("name").unwrap()).collect(),
                Engine::Postgres => sqlx::query(
                    "SELECT CAST(column_name AS TEXT) AS name FROM information_schema.columns WHERE table_schema = current_schema() \
                     AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(t)
                .fetch_all(&db.pool).await.unwrap()
                .iter().map(|r| r.try_get::<String, _>("name").unwrap()).collect(),
            };
            let row = columns
                .iter()
                .filter(|c| !VOLATILE_COLUMNS.contains(&(t.as_str(), c.as_str())))
                .map(|c| format!("COALESCE(CAST({c} AS TEXT), '~')"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let agg = match db.engine {
                Engine::Sqlite => "group_concat(r, char(10))",
                Engine::Postgres => "string_agg(r, chr(10))",
            };
            parts.push(format!(
                "SELECT '{t}' AS t, CAST(COUNT(*) AS BIGINT) AS n, COALESCE({agg}, '') AS rows FROM (SELECT {row} AS r FROM {t} ORDER BY 1) x"
            ));
        }
        Checksummer {
            query: parts.join(" UNION ALL "),
        }
    }

    async fn take(&self, db: &Db) -> BTreeMap<String, (i64, u64)> {
        use std::hash::{Hash, Hasher};
        sqlx::query(&self.query)
            .fetch_all(&db.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                r.try_get::<String, _>("rows").unwrap().hash(&mut h);
                (
                    r.try_get::<String, _>("t").unwrap(),
                    (r.try_get::<i64, _>("n").unwrap(), h.finish()),
                )
            })
            .collect()
    }
}

fn changed_tables(
    a: &BTreeMap<String, (i64, u64)>,
    b: &BTreeMap<String, (i64, u64)>,
) -> Vec<String> {
    a.iter()
        .filter(|(t, v)| b.get(*t) != Some(*v))
        .map(|(t, _)| t.clone())
        .collect()
}

// ---------------------------------------------------------------------------------------
// The table

type Args = fn(&Fixture, Rec, Who) -> String;

/// One row of the table: an endpoint, how to call it, and per record the outcome for
/// each caller in [`WHO`] order: `O` success, `N` 404, `F` 403, `U` 401, `V` 422,
/// `C` 409, `B` 400, `R` 429.
struct Case {
    endpoint: &'static str,
    body: Args,
    expect: &'static [(Rec, &'static str)],
}

fn code(status: StatusCode) -> char {
    match status.as_u16() {
        200..=299 => 'O',
        302 | 303 => 'O',
        400 => 'B',
        401 => 'U',
        403 => 'F',
        404 => 'N',
        409 => 'C',
        413 => 'L',
        422 => 'V',
        429 => 'R',
        _ => '5',
    }
}

macro_rules! case {
    ($endpoint:literal, $body:expr, $($rec:ident => $exp:literal),+ $(,)?) => {
        Case { endpoint: $endpoint, body: $body, expect: &[$((Rec::$rec, $exp)),+] }
    };
}

fn cases() -> Vec<Case> {
    use app::*;
    vec![
        // --- sign-in and the session -------------------------------------------------
        case!("auth/me", |_, _, _| String::new(), None => "OOOOOOOOO"),
        case!("auth/needs-setup", |_, _, _| String::new(), None => "OOOOOOOOO"),
        case!("auth/setup", |_, _, _| q(&users::api::SetupFirstAdmin { name: "Eve".into(), email: "eve@example.com".into(), password: "correct horse".into() }), None => "FFFFFFFFF"),
        case!("auth/login", |_, _, _| q(&auth::api::Login { email: "admin@example.com".into(), password: "wrong password".into() }), None => "UUUUUUUUU"),
        case!("auth/logout", |_, _, _| String::new(), None => "OOOOOOOOO"),
        case!("auth/logout-everywhere", |_, _, _| String::new(), None => "OOOOOOOOU"),
        case!("i18n/language", |_, _, _| q(&auth::api::SetLanguage { lang: "zh".into() }), None => "OOOOOOOOO"),
        // --- staff and teams ---------------------------------------------------------
        case!("users/list", |_, _, _| String::new(), None => "OFFFFFFFU"),
        case!("users/assignable", |_, _, _| String::new(), None => "OOOOOOOOU"),
        case!("teams/list", |_, _, _| String::new(), None => "OOOOOOOOU"),
        case!("users/create", |_, _, _| q(&users::api::CreateUser { input: users::model::NewUserInput { name: "Nia".into(), email: "nia@example.com".into(), password: "correct horse".into(), role: "viewer".into(), ..Default::default() } }), None => "OFFFFFFFU"),
        case!("users/update", |f, _, _| q(&users::api::UpdateUser { id: UserId(f.user(Who::Viewer)), input: users::model::UserUpdateInput { name: "Vera".into(), role: "viewer".into(), team_id: f.east.to_string(), language: "en".into(), active: Some("1".into()) } }), None => "OFFFFFFFU"),
        case!("users/reset-password", |f, _, _| q(&users::api::ResetPassword { id: UserId(f.user(Who::Viewer)), password: "another horse".into() }), None => "OFFFFFFFU"),
        case!("users/end-sessions", |f, _, _| q(&users::api::EndUserSessions { id: UserId(f.user(Who::Viewer)) }), None => "OFFFFFFFU"),
        case!("users/clear-signin-failures", |f, _, _| q(&users::api::ClearSigninFailures { id: UserId(f.user(Who::Viewer)) }), None => "OFFFFFFFU"),
        case!("teams/create", |_, _, _| q(&users::api::CreateTeam { name: "North".into() }), None => "OFFFFFFFU"),
        case!("teams/rename", |f, _, _| q(&users::api::RenameTeam { id: TeamId(f.east), name: "East Coast".into() }), None => "OFFFFFFFU"),
        case!("audit/list", |f, r, _| q(&audit::api::ListAudit { customer: (r != Rec::None).then(|| f.rec(r).customer), before: None }), None => "OFFFFFFFU", K => "OFFFFFFFU"),
        // --- the customer archive ------------------------------------------------------
        case!("customers/list", |_, _, _| q(&customers::api::ListCustomers { filter: Default::default() }), None => "OOOOOOFFU"),
        case!("customers/get", |f, r, _| q(&customers::api::GetCustomer { id: CustomerId(f.rec(r).customer) }),
            K => "OONNONNNU", S => "OONONNNNU"),
        case!("customers/create", |f, _, w| q(&customers::api::CreateCustomer { input: customers::model::CustomerInput { name: "Newco".into(), level: "2".into(), owner_id: f.owner_for(w).to_string(), ..Default::default() } }),
            None => "OOOOOOFFU"),
        case!("customers/update", |f, r, _| q(&customers::api::UpdateCustomer { id: CustomerId(f.rec(r).customer), input: update_input(f, r) }),
            K => "OONNONNNU", S => "OONONNNNU"),
        case!("customers/delete", |f, r, _| q(&customers::api::DeleteCustomer { id: CustomerId(f.rec(r).customer) }),
            K => "OONNFNNNU", S => "OONFNNNNU"),
        case!("customers/contacts/add", |f, r, _| q(&customers::api::AddContact { customer: CustomerId(f.rec(r).customer), input: customers::model::ContactInput { name: "Lee".into(), ..Default::default() } }),
            K => "OONNONNNU", S => "OONONNNNU"),
        case!("customers/contacts/remove", |f, r, _| q(&customers::api::RemoveContact { id: ContactId(f.rec(r).contact) }),
            K => "OONNONNNU", S => "OONONNNNU"),
        case!("customers/bulk", |f, r, _| q(&customers::api::BulkCustomers { input: customers::model::BulkInput { ids: f.rec(r).customer.to_string(), op: "tag_add".into(), tag: "vip".into(), ..Default::default() } }),
            K => "OOOOOOFFU", S => "OOOOOOFFU"),
        case!("tags/list", |_, _, _| String::new(), None => "OOOOOOOOU"),
        case!("groups/list", |_, _, _| String::new(), None => "OOOOOOOOU"),
        case!("timeline/page", |f, r, _| q(&timeline::api::CustomerTimeline { customer: CustomerId(f.rec(r).customer), query: Default::default() }),
            K => "OONNONNNU", S => "OONONNNNU"),
        case!("activities/log", |f, r, _| q(&activities::api::LogActivity { customer: CustomerId(f.rec(r).customer), input: activities::model::ActivityInput { kind: "call".into(), happened_at: "2026-11-30T10:00".into(), summary: "Checked in".into(), ..Default::default() } }),
            K => "OONNONNNU", S => "OONONNNNU"),
        case!("orders/add", |f, r, _| q(&orders::api::AddOrder { customer: CustomerId(f.rec(r).customer), input: orders::model::OrderInput { date: "2026-07-01".into(), amount: "10.00".into(), currency: "CNY".into(), ..Default::default() } }),
            K => "OONNONNNU", S => "OONONNNNU"),
        case!("orders/delete", |f, r, _| q(&orders::api::DeleteOrder { id: OrderId(f.rec(r).order) }),
            K => "OONNFNNNU", S => "OONFNNNNU"),
        case!("notes/list", |f, r, _| q(&notes::api::CustomerNotes { customer: CustomerId(f.rec(r).customer) }),
            K => "OONNONNNU", S => "OONONNNNU"),
        case!("notes/add", |f, r, _| q(&notes::api::AddCustomerNote { customer: CustomerId(f.rec(r).customer), body: "Noted".into() }),
            K => "OONNONNNU", S => "OONONNNNU"),
        // --- money: key accounts' payments, contracts and credit are closed to tier-2 ----
        case!("finance/overview", |f, r, _| q(&finance::api::CustomerFinance { customer: CustomerId(f.rec(r).customer) }),
            K => "OONNONNNU", S => "OONONNNNU"),
        case!("finance/contracts/add", |f, r, _| q(&finance::api::AddContract { customer: CustomerId(f.rec(r).customer), input: finance::model::ContractInput { title: "Extra".into(), value: "10".into(), currency: "CNY".into(), start: "2026-01-01".into(), end: "2026-02-01".into(), status: "draft".into() } }),
            K => "OONNNNNNU", S => "OONONNNNU"),
        case!("finance/contracts/status", |f, r, _| q(&finance::api::SetContractStatus { id: ContractId(f.rec(r).contract), status: "ended".into() }),
            K => "OONNNNNNU", S => "OONONNNNU"),
        case!("finance/payments/add", |f, r, _| q(&finance::api::AddPayment { customer: CustomerId(f.rec(r).customer), input: finance::model::PaymentInput { amount: "5".into(), currency: "CNY".into(), due: "2026-03-01".into(), ..Default::default() } }),
            K => "OONNNNNNU", S => "OONONNNNU"),
        case!("finance/payments/paid", |f, r, _| q(&finance::api::MarkPaymentPaid { id: PaymentId(f.rec(r).payment), paid: "2026-02-02".into() }),
            K => "OONNNNNNU", S => "OONONNNNU"),
        case!("finance/credit/override", |f, r, _| q(&finance::api::OverrideCredit { customer: CustomerId(f.rec(r).customer), input: finance::model::CreditOverrideInput { rating: "B".into(), reason: "Known payer".into() } }),
            K => "OONNNNNNU", S => "OONFNNNNU"),
        // --- tasks ---------------------------------------------------------------------
        case!("tasks/mine", |_, _, _| String::new(), None => "OOOOOOOOU"),
        case!("tasks/counts", |_, _, _| String::new(), None => "OOOOOOOOU"),
        case!("tasks/for-customer", |f, r, _| q(&tasks::api::CustomerOpenTasks { customer: CustomerId(f.rec(r).customer) }),
            K => "OONNONNNU", S => "OONONNNNU"),
        case!("tasks/create", |f, r, w| q(&tasks::api::CreateTask { input: tasks::model::TaskInput { customer: f.rec(r).customer.to_string(), title: "Follow up".into(), assignee: f.user(w).to_string(), due: "2026-12-31T09:00".into() } }),
            K => "OONNONNFU", S => "OONONNNFU"),
        case!("tasks/status", |f, r, _| q(&tasks::api::SetTaskStatus { id: TaskId(f.rec(r).task), status: "done".into() }),
            K => "OONNONNNU", S => "OONONNNNU"),
        // --- segments and saved views: one's own, and those shared with one's team ------
        case!("segments/list", |_, _, _| String::new(), None => "OOOOOOFFU"),
        case!("segments/options", |_, _, _| String::new(), None => "OOOOOOFFU"),
        case!("segments/count", |_, _, _| q(&segments::api::CountSegment { rule_json: empty_rule() }), None => "OOOOOOFFU"),
        case!("segments/members", |_, _, _| q(&segments::api::SegmentMembers { rule_json: empty_rule(), after: String::new() }), None => "OOOOOOFFU"),
        case!("segments/get", |f, r, _| q(&segments::api::GetSegment { id: f.rec(r).segment }),
            K => "NONOOONNU", S => "NNNONNNNU"),
        case!("segments/save", |f, r, _| q(&segments::api::SaveSegment { id: f.rec(r).segment, input: segments::model::SegmentInput { name: "Renamed".into(), description: String::new(), shared: false, rule_json: empty_rule() } }),
            K => "NONFFFFFU", S => "NNNONNFFU"),
        case!("segments/delete", |f, r, _| q(&segments::api::DeleteSegment { id: f.rec(r).segment }),
            K => "NONFFFNNU", S => "NNNONNNNU"),
        case!("segments/task-batch", |f, r, _| q(&segments::api::CreateSegmentTaskBatch { id: f.rec(r).segment, title: "Reach out".into(), due: "2026-12-31".into() }),
            K => "NONOOONNU", S => "NNNONNNNU"),
        case!("views/list", |_, _, _| String::new(), None => "OOOOOOFFU"),
        case!("views/save", |_, _, _| q(&saved_views::api::SaveView { name: "Mine".into(), query: "grade=vip".into(), shared: None }), None => "OOOOOOFFU"),
        case!("views/delete", |f, r, _| q(&saved_views::api::DeleteView { id: f.rec(r).view }),
            K => "NONFFFFFU", S => "NNNONNNNU"),
        case!("custom-fields/active", |_, _, _| String::new(), None => "OOOOOOOOU"),
        case!("custom-fields/all", |_, _, _| String::new(), None => "OFFFFFFFU"),
        case!("custom-fields/create", |_, _, _| q(&custom_fields::api::CreateField { input: custom_fields::model::FieldInput { label: "Since".into(), key: "since".into(), kind: "date".into(), choices: String::new() } }), None => "OFFFFFFFU"),
        case!("custom-fields/rename", |f, _, _| q(&custom_fields::api::RenameField { id: f.field, label: "Annual budget".into() }), None => "OFFFFFFFU"),
        case!("custom-fields/move", |f, _, _| q(&custom_fields::api::MoveField { id: f.field, direction: "up".into() }), None => "OFFFFFFFU"),
        case!("custom-fields/set-active", |f, _, _| q(&custom_fields::api::SetFieldActive { id: f.field, active: false }), None => "OFFFFFFFU"),
        case!("duplicates/list", |_, _, _| String::new(), None => "OOOOOOFFU"),
        case!("duplicates/merge", |f, _, _| q(&duplicates::api::MergeCustomers { a: CustomerId(f.k.customer), b: CustomerId(f.s.customer), keep: CustomerId(f.k.customer) }),
            None => "OONNNNNNU"),
        // --- value, lifecycle, funnel, churn --------------------------------------------
        case!("rfm/page", |_, _, _| q(&rfm::api::RfmPage { as_of: String::new(), window: String::new() }), None => "OOOOOOFFU"),
        case!("rfm/recompute", |_, _, _| q(&rfm::api::RfmRecompute { as_of: "2026-11-01".into(), window: String::new() }), None => "OOOFFFFFU"),
        case!("rfm/cell", |_, _, _| q(&rfm::api::RfmCell { run: 1, r: 5, f: 5, after: None }), None => "OOOOOOFFU"),
        case!("rfm/customer", |f, r, _| q(&rfm::api::LoadCustomerRfm { customer: CustomerId(f.rec(r).customer) }),
            K => "OONNONNNU", S => "OONONNNNU"),
        case!("lifecycle/page", |_, _, _| q(&lifecycle::api::LifecyclePage { from: String::new(), to: String::new() }), None => "OOOOOOFFU"),
        case!("lifecycle/customer", |f, r, _| q(&lifecycle::api::LoadCustomerStage { customer: CustomerId(f.rec(r).customer) }),
            K => "OONNONNNU", S => "OONONNNNU"),
        case!("lifecycle/thresholds", |_, _, _| q(&lifecycle::api::SaveLifecycleThresholds { new_days: "30".into(), active_days: "90".into(), churn_days: "365".into() }), None => "OFFFFFFFU"),
        case!("funnel/report", |_, _, _| q(&funnel::api::FunnelReport { query: Default::default() }), None => "OOOOOOFFU"),
        case!("funnel/options", |_, _, _| String::new(), None => "OOOOOOFFU"),
        case!("churn/at-risk", |_, _, _| q(&churn::api::LoadAtRisk { after: String::new() }), None => "OOOOOOFFU"),
        case!("churn/customer", |f, r, _| q(&churn::api::CustomerChurnWarning { customer: CustomerId(f.rec(r).customer) }),
            K => "OONNONNNU", S => "OONONNNNU"),
        case!("churn/run", |_, _, _| String::new(), None => "OOOFFFFFU"),
        case!("churn/settings", |_, _, _| q(&churn::api::SaveChurnSettings { input: churn::model::ChurnConfig::default().to_input() }), None => "OFFFFFFFU"),
        case!("dashboard/summary", |_, _, _| String::new(), None => "OOOOOOOOU"),
        // --- tiers and workload ----------------------------------------------------------
        case!("tiers/queue", |_, _, _| q(&tiers::api::LoadTierQueue { direction: String::new() }), None => "OOOFFFFFU"),
        case!("tiers/approve", |f, r, _| q(&tiers::api::ApproveTierChange { input: tiers::model::ApproveInput {
                proposal: f.rec(r).proposal.to_string(),
                new_owner: if r == Rec::K { f.user(Who::T2Owner) } else { f.user(Who::T1In) }.to_string(),
                ..Default::default() } }),
            K => "OONNFNNNU", S => "OONFNNNNU"),
        case!("tiers/reject", |f, r, _| q(&tiers::api::RejectTierChange { proposal: f.rec(r).proposal, comment: "Not yet".into() }),
            K => "OONNFNNNU", S => "OONFNNNNU"),
        case!("tiers/reevaluate", |_, _, _| String::new(), None => "OFFFFFFFU"),
        case!("tiers/settings", |_, _, _| q(&tiers::api::SaveTierSettings { input: tiers::model::TierConfig::default().to_input() }), None => "OFFFFFFFU"),
        case!("workload", |_, _, _| String::new(), None => "OOOOOOFFU"),
        // --- feedback and complaints -------------------------------------------------------
        case!("feedback/forms", |_, _, _| String::new(), None => "OOOOOOFOU"),
        case!("feedback/form", |f, _, _| q(&feedback::api::LoadFeedbackForm { id: f.form }), None => "OOOOOONOU"),
        case!("feedback/save", |f, _, _| q(&feedback::api::SaveFeedbackForm { id: f.form, slug: f.form_slug.clone(), open: false, definition_json: form_definition() }), None => "OFFFFFFFU"),
        case!("feedback/links/create", |f, r, _| q(&feedback::api::CreateFeedbackLinks { form_id: f.form, request: feedback::model::LinkRequest { customer_id: f.rec(r).customer.to_string(), segment_id: String::new(), expires_on: "2027-01-31".into() } }),
            K => "OOVVOVFFU", S => "OOVOVVFFU"),
        case!("feedback/links", |f, _, _| q(&feedback::api::ListFeedbackLinks { form_id: f.form }), None => "OOOOOONNU"),
        case!("feedback/qr", |_, _, _| q(&feedback::api::FeedbackLinkQr { url: "http://localhost/f/survey".into() }), None => "OOOOOOOOU"),
        case!("feedback/analysis", |f, _, _| q(&feedback::api::LoadFeedbackAnalysis { filter: feedback::model::AnalysisFilter { form_id: Some(f.form), ..Default::default() } }), None => "OOOOOOFOU"),
        case!("feedback/analysis-options", |_, _, _| String::new(), None => "OOOOOOFOU"),
        case!("complaints/list", |_, _, _| q(&complaints::api::ListComplaints { filter: Default::default() }), None => "OOOOOOOFU"),
        case!("complaints/assignees", |_, _, _| String::new(), None => "OOOOOOOFU"),
        case!("complaints/get", |f, r, _| q(&complaints::api::LoadComplaint { id: f.rec(r).complaint }),
            K => "OONNONONU", S => "OONONNNNU"),
        case!("complaints/open", |f, r, _| q(&complaints::api::OpenComplaint { input: complaints::model::ComplaintInput { customer_id: f.rec(r).customer.to_string(), category: "billing".into(), severity: "low".into(), description: "Wrong invoice".into(), assignee_id: String::new() } }),
            K => "OOVVOVOFU", S => "OOVOVVVFU"),
        case!("complaints/status", |f, r, _| q(&complaints::api::ChangeComplaintStatus { id: f.rec(r).complaint, input: complaints::model::StatusChangeInput { to: "in_progress".into(), ..Default::default() } }),
            K => "OONNONONU", S => "OONONNNNU"),
        // --- imports -------------------------------------------------------------------------
        case!("imports/start", |f, r, _| q(&imports::api::StartImport { upload_id: f.rec(r).upload.clone(), kind: imports::model::ImportKind::Customers, mapping: vec!["name".into(), "email".into()] }),
            K => "NONNNNFFU", S => "NNNONNFFU"),
        // The mapping step of a staged file: only its uploader, and only a role that imports.
        case!("imports/preview", |f, r, _| q(&imports::api::StagedPreview { upload_id: f.rec(r).upload.clone(), kind: imports::model::ImportKind::Customers }),
            K => "NONNNNFFU", S => "NNNONNFFU"),
        case!("imports/status", |f, r, _| q(&imports::api::ImportStatus { job: f.rec(r).job.clone() }),
            K => "NONNNNNNU", S => "NNNONNNNU"),
    ]
}

fn update_input(f: &Fixture, r: Rec) -> app::customers::model::CustomerInput {
    let (name, level, owner, server) = match r {
        Rec::S => ("Smallshop Ltd", "2", f.user(Who::T2Owner), String::new()),
        _ => (
            "Keystone Group",
            "1",
            f.user(Who::T1In),
            f.user(Who::T2Server).to_string(),
        ),
    };
    app::customers::model::CustomerInput {
        name: name.into(),
        kind: "company".into(),
        level: level.into(),
        owner_id: owner.to_string(),
        service_manager_id: server,
        ..Default::default()
    }
}

/// Plain routes: `(method, path template, expected per record)`. `{slug}` is the form's.
fn plain_routes() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("GET", "/healthz", "OOOOOOOOO"),
        ("GET", "/customers/export.csv", "OOOOOOFFU"),
        ("GET", "/rfm/export.csv", "OOOOOOFFU"),
        ("GET", "/feedback/export.csv", "OOOOOOFFU"),
        ("GET", "/lifecycle/export.csv", "OOOOOOFFU"),
        ("POST", "/api/imports", "OOOOOOFFU"),
        ("GET", "/f/{slug}", "OOOOOOOOO"),
        ("POST", "/f/{slug}", "OOOOOOOOO"),
        ("GET", "/f/sw.js", "OOOOOOOOO"),
        ("GET", "/sw.js", "OOOOOOOOO"),
    ]
}

fn plain_request(fx: &Fixture, method: &str, path: &str, who: Who) -> Request<Body> {
    let path = path.replace("{slug}", &fx.form_slug);
    match (method, path.as_str()) {
        ("POST", "/api/imports") => post(
            "/api/imports?kind=customers",
            "text/csv",
            b"name\nX\n".to_vec(),
            cookie(fx, who),
        ),
        ("POST", p) => post(
            p,
            "application/x-www-form-urlencoded",
            b"q1=9&_key=matrix-answer".to_vec(),
            cookie(fx, who),
        ),
        ("GET", "/rfm/export.csv") => get("/rfm/export.csv?as_of=2026-11-01", cookie(fx, who)),
        ("GET", "/lifecycle/export.csv") => get(
            "/lifecycle/export.csv?from=2026-01-01&to=2026-11-30",
            cookie(fx, who),
        ),
        ("GET", "/feedback/export.csv") => get(
            &format!("/feedback/export.csv?form={}", fx.form),
            cookie(fx, who),
        ),
        (_, p) => get(p, cookie(fx, who)),
    }
}

/// The plain routes the code declares: `.route("…"` in the server's router and the public
/// form's.
fn declared_plain_routes() -> BTreeSet<String> {
    let sources = [
        include_str!("../src/web.rs"),
        include_str!("../../app/src/feedback/public.rs"),
    ];
    let mut out = BTreeSet::new();
    for src in sources {
        for part in src.split(".route(").skip(1) {
            let path = part.trim_start().trim_start_matches('"');
            if let Some(end) = path.find('"') {
                out.insert(path[..end].to_string());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_every_role_as_the_table_says() {
    support::on_both_engines(|db| async move {
        let table = cases();
        // Nothing unclassified: every registered server function is in the table, once.
        let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path.trim_start_matches("/api/").to_string())
            .collect();
        let listed: BTreeSet<String> = table.iter().map(|c| c.endpoint.to_string()).collect();
        assert_eq!(listed.len(), table.len(), "an endpoint is listed twice");
        let missing: Vec<_> = registered.difference(&listed).collect();
        let stale: Vec<_> = listed.difference(&registered).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "not in the table: {missing:?}; not registered: {stale:?}"
        );
        let plain: BTreeSet<String> = plain_routes()
            .iter()
            .map(|(_, p, _)| p.to_string())
            .collect();
        assert_eq!(
            declared_plain_routes(),
            plain,
            "plain routes and the table differ"
        );

        let app = common::router(db.clone(), None);
        let tables = app_tables(&db).await;
        for t in ATTEMPT_TABLES {
            assert!(tables.iter().any(|x| x == t), "attempt table {t} exists");
        }
        let sums = Checksummer::new(&db, &tables).await;
        let fx = build_fixture(&db, &app).await;
        let before = sums.take(&db).await;
        let mut run = Run {
            db: &db,
            app: &app,
            tables: &tables,
            sums: &sums,
            fx,
            before,
            mismatches: Vec::new(),
            cells: 0,
            resets: 0,
        };

        for case in &table {
            for (rec, expect) in case.expect {
                let expect: Vec<char> = expect.chars().collect();
                assert_eq!(
                    expect.len(),
                    WHO.len(),
                    "{}: one outcome per caller",
                    case.endpoint
                );
                for (i, who) in WHO.iter().enumerate() {
                    let body = (case.body)(&run.fx, *rec, *who);
                    let (status, text) = call(&app, &run.fx, *who, case.endpoint, body).await;
                    run.judge(
                        format!("{} {rec:?} {who:?}", case.endpoint),
                        expect[i],
                        status,
                        &text,
                    )
                    .await;
                }
            }
        }
        for (method, path, expect) in plain_routes() {
            let expect: Vec<char> = expect.chars().collect();
            for (i, who) in WHO.iter().enumerate() {
                let (status, text) = send(&app, plain_request(&run.fx, method, path, *who)).await;
                run.judge(format!("{method} {path} {who:?}"), expect[i], status, &text)
                    .await;
            }
        }
        let Run {
            cells,
            resets,
            mismatches,
            ..
        } = run;
        println!("{:?}: {cells} cells, {resets} fixture rebuilds", db.engine);
        assert!(
            mismatches.is_empty(),
            "{} of {cells} cells differ from the table:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    })
    .await;
}

/// The state of a matrix run: the fixture every cell starts from, its checksums, and what
/// differed so far.
struct Run<'a> {
    db: &'a Db,
    app: &'a Router,
    tables: &'a [String],
    sums: &'a Checksummer,
    fx: Fixture,
    before: BTreeMap<String, (i64, u64)>,
    mismatches: Vec<String>,
    cells: usize,
    resets: usize,
}

impl Run<'_> {
    /// One answered cell: compared with the table; a refusal must have changed nothing;
    /// after any change the fixture is rebuilt, so the next cell starts from it again.
    async fn judge(&mut self, cell: String, expected: char, status: StatusCode, text: &str) {
        self.cells += 1;
        let got = code(status);
        if got != expected {
            let text: String = text.chars().take(160).collect();
            self.mismatches.push(format!(
                "{cell}: expected {expected} got {got} ({status}) {text}"
            ));
        }
        let (after, changed) = settled(self.db, self.sums, &self.before, got == 'O').await;
        if got != 'O' && !changed.is_empty() {
            self.mismatches.push(format!(
                "{cell}: refused ({status}) but changed {changed:?}"
            ));
        }
        if changed.is_empty() {
            self.before = after;
        } else {
            wipe(self.db, self.tables).await;
            self.fx = build_fixture(self.db, self.app).await;
            self.before = self.sums.take(self.db).await;
            self.resets += 1;
        }
    }
}

/// The checksums after a call, and the tables (other than attempt tables) it changed. An
/// allowed call may have started work in the background (a scan, an import): wait until
/// the database is still.
async fn settled(
    db: &Db,
    sums: &Checksummer,
    before: &BTreeMap<String, (i64, u64)>,
    allowed: bool,
) -> (BTreeMap<String, (i64, u64)>, Vec<String>) {
    let mut now = sums.take(db).await;
    if allowed {
        for _ in 0..40 {
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            let again = sums.take(db).await;
            if again == now {
                break;
            }
            now = again;
        }
    }
    let changed = changed_tables(before, &now)
        .into_iter()
        .filter(|t| !ATTEMPT_TABLES.contains(&t.as_str()))
        .collect();
    (now, changed)
}
