//! `rapport demo`: a deterministic data set for trying every feature. The same seed and
//! size always produce the same data. Bulk inserts run in large transactions with
//! multi-row statements, so 100 000 customers take seconds, not minutes.

use app::auth::service::hash_password;
use app::db::{Db, Engine, Row, SqlBuilder, SqlValue};
use app::error::AppError;

/// Password of every demo account. For local use only.
pub const DEMO_PASSWORD: &str = "rapport-demo";

/// A day from which demo dates count back, so the data does not depend on the clock.
const ANCHOR_DAY: i64 = 20_758; // 2026-11-01, days since 1970-01-01

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database already holds customers; demo data goes into an empty database")]
    NotEmpty,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("could not create demo users: {0}")]
    App(#[from] AppError),
}

/// SplitMix64: small, fast and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

pub struct DemoReport {
    pub customers: i64,
    pub orders: i64,
    pub activities: i64,
}

struct Staff {
    email: &'static str,
    name: &'static str,
    role: &'static str,
    team: Option<usize>,
}

const TEAMS: [&str; 3] = ["East", "South", "North"];
const STAFF: [Staff; 11] = [
    Staff {
        email: "admin@rapport.local",
        name: "Ada Admin",
        role: "admin",
        team: None,
    },
    Staff {
        email: "t1.east@rapport.local",
        name: "Li Wei",
        role: "tier1",
        team: Some(0),
    },
    Staff {
        email: "t1.south@rapport.local",
        name: "Chen Jing",
        role: "tier1",
        team: Some(1),
    },
    Staff {
        email: "t1.north@rapport.local",
        name: "Ivan North",
        role: "tier1",
        team: Some(2),
    },
    Staff {
        email: "t2.east@rapport.local",
        name: "Wang Fang",
        role: "tier2",
        team: Some(0),
    },
    Staff {
        email: "t2.east2@rapport.local",
        name: "Zhao Lei",
        role: "tier2",
        team: Some(0),
    },
    Staff {
        email: "t2.south@rapport.local",
        name: "Liu Yang",
        role: "tier2",
        team: Some(1),
    },
    Staff {
        email: "t2.south2@rapport.local",
        name: "Sun Mei",
        role: "tier2",
        team: Some(1),
    },
    Staff {
        email: "t2.north@rapport.local",
        name: "Olga Nord",
        role: "tier2",
        team: Some(2),
    },
    Staff {
        email: "support@rapport.local",
        name: "Sam Support",
        role: "support",
        team: None,
    },
    Staff {
        email: "viewer@rapport.local",
        name: "Vera Viewer",
        role: "viewer",
        team: None,
    },
];

const SURNAMES: [&str; 12] = [
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Smith", "Garcia", "Müller",
    "Kim",
];
const GIVEN: [&str; 12] = [
    "Wei", "Fang", "Na", "Min", "Jing", "Lei", "Yan", "Tao", "Anna", "Luis", "Jonas", "Ji-woo",
];
const COMPANY_WORDS: [&str; 10] = [
    "Harbor", "Jade", "Summit", "Lotus", "Pioneer", "Golden", "Bright", "River", "Crown", "Orient",
];
const COMPANY_KINDS: [&str; 6] = [
    "Trading",
    "Foods",
    "Logistics",
    "Electronics",
    "Textiles",
    "Pharma",
];
const CITIES: [(&str, &str, usize); 9] = [
    ("Shanghai", "Shanghai", 0),
    ("Hangzhou", "Zhejiang", 0),
    ("Nanjing", "Jiangsu", 0),
    ("Guangzhou", "Guangdong", 1),
    ("Shenzhen", "Guangdong", 1),
    ("Xiamen", "Fujian", 1),
    ("Beijing", "Beijing", 2),
    ("Tianjin", "Tianjin", 2),
    ("Shenyang", "Liaoning", 2),
];
const INDUSTRIES: [&str; 6] = [
    "Retail",
    "Manufacturing",
    "Healthcare",
    "Hospitality",
    "Education",
    "Technology",
];
const CHANNELS: [&str; 5] = ["web", "referral", "trade-show", "partner", "cold-call"];
const PRODUCTS: [(&str, &str); 8] = [
    ("Starter kit", "hardware"),
    ("Pro kit", "hardware"),
    ("Support plan", "service"),
    ("Training day", "service"),
    ("Cloud seat", "software"),
    ("Analytics add-on", "software"),
    ("Spare parts", "hardware"),
    ("Consulting", "service"),
];
const ACTIVITY_KINDS: [&str; 6] = ["call", "meeting", "visit", "email", "message", "note"];
const TAGS: [(&str, &str); 5] = [
    ("wholesale", "#2563eb"),
    ("new-market", "#059669"),
    ("price-sensitive", "#d97706"),
    ("strategic", "#7c3aed"),
    ("at-events", "#0891b2"),
];

/// The ISO date of a day number (days since 1970-01-01).
pub fn iso_date(days_since_epoch: i64) -> String {
    let (y, m, d) = app::ui::civil_from_days(days_since_epoch);
    format!("{y:04}-{m:02}-{d:02}")
}

async fn scalar(db: &Db, sql: &str) -> Result<i64, sqlx::Error> {
    sqlx::query(sql).fetch_one(&db.pool).await?.try_get(0)
}

/// Rows per multi-row INSERT. PostgreSQL likes big statements; sqlx's SQLite driver binds
/// parameters in time that grows with the statement's size, so SQLite gets small ones
/// (measured: 20 000 demo customers load in 1.8 s with ~400 parameters per statement,
/// 16 s with ~10 000).
fn rows_per_statement(engine: Engine, columns: usize) -> usize {
    let parameters = match engine {
        Engine::Sqlite => 400,
        Engine::Postgres => 10_000,
    };
    (parameters / columns.max(1)).max(1)
}

/// Inserts rows in multi-row statements sized for the engine.
async fn insert_rows(
    conn: &mut sqlx::AnyConnection,
    engine: Engine,
    head: &str,
    rows: &[Vec<SqlValue>],
) -> Result<(), sqlx::Error> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    for part in rows.chunks(rows_per_statement(engine, first.len())) {
        let mut q = SqlBuilder::new(head);
        q.push(" VALUES ");
        for (i, row) in part.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            for (j, v) in row.iter().enumerate() {
                if j > 0 {
                    q.push(", ");
                }
                q.bind(v.clone());
            }
            q.push(")");
        }
        q.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts a definition row and returns its id, or the id already there.
async fn find_or_insert(
    db: &Db,
    find: &str,
    key: &str,
    insert: SqlBuilder,
) -> Result<i64, sqlx::Error> {
    if let Some(r) = sqlx::query(find).bind(key).fetch_optional(&db.pool).await? {
        return r.try_get("id");
    }
    insert.query().fetch_one(&db.pool).await?.try_get("id")
}

/// Two custom fields and two groups, with values for some customers, so the demo shows them.
async fn extras(db: &Db, rng: &mut Rng, first_id: i64, count: i64) -> Result<(), sqlx::Error> {
    const CONTACT_TIMES: [&str; 3] = ["Morning", "Afternoon", "Evening"];
    let define = |key: &str, label: &str, kind: &str, choices: &str, position: i64| {
        let mut q = SqlBuilder::new(
            "INSERT INTO custom_fields (key, label, kind, choices, position, active, created_at) VALUES (",
        );
        q.bind(SqlValue::Text(key.into())).push(", ");
        q.bind(SqlValue::Text(label.into())).push(", ");
        q.bind(SqlValue::Text(kind.into())).push(", ");
        q.bind(SqlValue::Text(choices.into())).push(", ");
        q.bind(SqlValue::Int(position)).push(", 1, 0) RETURNING id");
        q
    };
    let contact_time = find_or_insert(
        db,
        "SELECT id FROM custom_fields WHERE key = $1",
        "preferred_contact_time",
        define(
            "preferred_contact_time",
            "Preferred contact time",
            "choice",
            &CONTACT_TIMES.join("\n"),
            1,
        ),
    )
    .await?;
    let budget = find_or_insert(
        db,
        "SELECT id FROM custom_fields WHERE key = $1",
        "annual_budget",
        define("annual_budget", "Annual budget", "number", "", 2),
    )
    .await?;
    let mut groups = Vec::new();
    for name in ["Trade fair 2026", "Partner programme"] {
        let mut q = SqlBuilder::new("INSERT INTO customer_groups (name, created_at) VALUES (");
        q.bind(SqlValue::Text(name.into()))
            .push(", 0) RETURNING id");
        groups.push(
            find_or_insert(
                db,
                "SELECT id FROM customer_groups WHERE name = $1",
                name,
                q,
            )
            .await?,
        );
    }
    let (mut values, mut members) = (Vec::new(), Vec::new());
    for id in first_id + 1..=first_id + count {
        if rng.below(3) == 0 {
            let time = rng.pick(&CONTACT_TIMES).to_string();
            values.push(vec![
                SqlValue::Int(id),
                SqlValue::Int(contact_time),
                SqlValue::Text(time),
                SqlValue::OptInt(None),
            ]);
        }
        if rng.below(4) == 0 {
            let yuan = (10 + rng.below(990) as i64) * 1_000;
            values.push(vec![
                SqlValue::Int(id),
                SqlValue::Int(budget),
                SqlValue::Text(yuan.to_string()),
                SqlValue::OptInt(Some(yuan * app::custom_fields::model::NUMBER_SCALE)),
            ]);
        }
        if rng.below(10) == 0 {
            members.push(vec![SqlValue::Int(id), SqlValue::Int(*rng.pick(&groups))]);
        }
    }
    let mut tx = db.begin_write().await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO custom_field_values (customer_id, field_id, value, number_value)",
        &values,
    )
    .await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO customer_group_members (customer_id, group_id)",
        &members,
    )
    .await?;
    tx.commit().await
}

pub async fn generate(db: &Db, customers: u64, seed: u64) -> Result<DemoReport, DemoError> {
    if scalar(db, "SELECT COUNT(*) FROM customers").await? > 0 {
        return Err(DemoError::NotEmpty);
    }
    let mut rng = Rng::new(seed);
    let now = app::db::now();
    let hash = hash_password(DEMO_PASSWORD).await?;

    // Teams and staff (existing accounts with the same e-mail are kept as they are).
    let mut team_ids = Vec::new();
    for name in TEAMS {
        let existing = sqlx::query("SELECT id FROM teams WHERE name = $1")
            .bind(name)
            .fetch_optional(&db.pool)
            .await?;
        let id: i64 = match existing {
            Some(r) => r.try_get("id")?,
            None => {
                sqlx::query("INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id")
                    .bind(name)
                    .bind(now)
                    .fetch_one(&db.pool)
                    .await?
                    .try_get("id")?
            }
        };
        team_ids.push(id);
    }
    let mut staff_ids = Vec::new();
    for s in &STAFF {
        let existing = sqlx::query("SELECT id FROM users WHERE email = $1")
            .bind(s.email)
            .fetch_optional(&db.pool)
            .await?;
        let id: i64 = match existing {
            Some(r) => r.try_get("id")?,
            None => sqlx::query(
                "INSERT INTO users (email, name, role, team_id, active, language, password_hash, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 1, 'en', $5, $6, $6) RETURNING id",
            )
            .bind(s.email)
            .bind(s.name)
            .bind(s.role)
            .bind(s.team.map(|t| team_ids[t]))
            .bind(&hash)
            .bind(now)
            .fetch_one(&db.pool)
            .await?
            .try_get("id")?,
        };
        staff_ids.push(id);
    }
    let tier1_of_team = |t: usize| staff_ids[1 + t];
    let tier2_of_team: Vec<Vec<i64>> = (0..TEAMS.len())
        .map(|t| {
            STAFF
                .iter()
                .zip(&staff_ids)
                .filter(|(s, _)| s.role == "tier2" && s.team == Some(t))
                .map(|(_, id)| *id)
                .collect()
        })
        .collect();

    let mut tag_ids = Vec::new();
    for (name, color) in TAGS {
        let existing = sqlx::query("SELECT id FROM tags WHERE name = $1")
            .bind(name)
            .fetch_optional(&db.pool)
            .await?;
        let id: i64 = match existing {
            Some(r) => r.try_get("id")?,
            None => sqlx::query("INSERT INTO tags (name, color) VALUES ($1, $2) RETURNING id")
                .bind(name)
                .bind(color)
                .fetch_one(&db.pool)
                .await?
                .try_get("id")?,
        };
        tag_ids.push(id);
    }

    let base_customer = scalar(db, "SELECT COALESCE(MAX(id), 0) FROM customers").await?;
    let base_order = scalar(db, "SELECT COALESCE(MAX(id), 0) FROM orders").await?;
    let base_activity = scalar(db, "SELECT COALESCE(MAX(id), 0) FROM activities").await?;
    let (mut n_orders, mut n_activities) = (0i64, 0i64);

    // SQLite allows 32 766 parameters per statement; stay well below on both engines.
    const BATCH: u64 = 2_000;
    let mut done = 0u64;
    while done < customers {
        let count = BATCH.min(customers - done);
        let mut customer_rows = Vec::with_capacity(count as usize);
        let mut tag_rows = Vec::new();
        let mut order_rows = Vec::new();
        let mut activity_rows = Vec::new();
        for k in 0..count {
            let i = done + k;
            let id = base_customer + i as i64 + 1;
            let company = rng.below(3) == 0;
            let name = if company {
                format!(
                    "{} {} {}",
                    rng.pick(&COMPANY_WORDS),
                    rng.pick(&COMPANY_KINDS),
                    i + 1
                )
            } else {
                format!("{} {} {}", rng.pick(&GIVEN), rng.pick(&SURNAMES), i + 1)
            };
            let (city, province, team) = *rng.pick(&CITIES);
            let level: i64 = if rng.below(10) == 0 { 1 } else { 2 };
            let grade = match (level, rng.below(10)) {
                (1, 0..=5) => "vip",
                (1, _) => "key",
                (_, 0) => "key",
                _ => "general",
            };
            let t2 = &tier2_of_team[team];
            let owner = if level == 1 || rng.below(4) == 0 {
                tier1_of_team(team)
            } else {
                *rng.pick(t2)
            };
            let service = (level == 1 && rng.below(2) == 0).then(|| *rng.pick(t2));
            let email = format!("customer{}@example.com", i + 1);
            let phone = format!(
                "+86 1{:02} {:04} {:04}",
                rng.below(100),
                rng.below(10_000),
                i % 10_000
            );
            let created_day = ANCHOR_DAY - 30 - rng.below(1_000) as i64;
            let created_at = created_day * 86_400 + rng.below(86_400) as i64;
            let search = format!("{name} {email} {phone} demo-{} {city}", i + 1).to_lowercase();
            customer_rows.push(vec![
                SqlValue::Int(id),
                SqlValue::Text(format!("demo-{}", i + 1)),
                SqlValue::Text(name.clone()),
                SqlValue::Text(if company { "company" } else { "person" }.into()),
                SqlValue::Text(email),
                SqlValue::Text(phone),
                SqlValue::Text("China".into()),
                SqlValue::Text(province.into()),
                SqlValue::Text(city.into()),
                SqlValue::OptText(company.then(|| rng.pick(&INDUSTRIES).to_string())),
                SqlValue::OptInt((!company).then(|| 1950 + rng.below(55) as i64)),
                SqlValue::Text(rng.pick(&CHANNELS).to_string()),
                SqlValue::Int(level),
                SqlValue::Text(grade.into()),
                SqlValue::Int(owner),
                SqlValue::OptInt(service),
                SqlValue::Int(team_ids[team]),
                SqlValue::Text(search),
                SqlValue::Text(name.to_lowercase()),
                SqlValue::Int(created_at),
                SqlValue::Int(created_at),
            ]);
            if rng.below(3) == 0 {
                tag_rows.push(vec![SqlValue::Int(id), SqlValue::Int(*rng.pick(&tag_ids))]);
            }
            // Orders: most customers buy, a few never do; key accounts buy more.
            let orders = match rng.below(10) {
                0 => 0,
                _ => 1 + rng.below(if level == 1 { 9 } else { 5 }),
            };
            for _ in 0..orders {
                n_orders += 1;
                let day = created_day + rng.below((ANCHOR_DAY - created_day).max(1) as u64) as i64;
                let (product, category) = *rng.pick(&PRODUCTS);
                let amount = (20 + rng.below(if level == 1 { 5_000 } else { 800 }) as i64) * 100
                    + rng.below(100) as i64;
                order_rows.push(vec![
                    SqlValue::Int(base_order + n_orders),
                    SqlValue::Int(id),
                    SqlValue::Text(iso_date(day)),
                    SqlValue::Int(day * 86_400),
                    SqlValue::Int(amount),
                    SqlValue::Text("CNY".into()),
                    SqlValue::Text(product.into()),
                    SqlValue::Text(category.into()),
                    SqlValue::Text(rng.pick(&CHANNELS).to_string()),
                    SqlValue::Int(created_at),
                ]);
            }
            for _ in 0..rng.below(4) {
                n_activities += 1;
                let when = created_at
                    + rng.below(((ANCHOR_DAY * 86_400) - created_at).max(1) as u64) as i64;
                activity_rows.push(vec![
                    SqlValue::Int(base_activity + n_activities),
                    SqlValue::Int(id),
                    SqlValue::Int(owner),
                    SqlValue::Text(rng.pick(&ACTIVITY_KINDS).to_string()),
                    SqlValue::Int(when),
                    SqlValue::Text("Checked in on recent orders".into()),
                    SqlValue::Text("Positive".into()),
                    SqlValue::Int(when),
                ]);
            }
        }
        let mut tx = db.begin_write().await?;
        insert_rows(
            &mut tx,
            db.engine,
            "INSERT INTO customers (id, external_id, name, kind, email, phone, country, province, city, industry, \
             birth_year, source_channel, level, grade, owner_id, service_manager_id, team_id, search_text, name_key, \
             created_at, updated_at)",
            &customer_rows,
        )
        .await?;
        insert_rows(
            &mut tx,
            db.engine,
            "INSERT INTO customer_tags (customer_id, tag_id)",
            &tag_rows,
        )
        .await?;
        insert_rows(
            &mut tx,
            db.engine,
            "INSERT INTO orders (id, customer_id, order_date, ordered_at, amount_cents, currency, product, category, channel, created_at)",
            &order_rows,
        )
        .await?;
        insert_rows(
            &mut tx,
            db.engine,
            "INSERT INTO activities (id, customer_id, user_id, kind, happened_at, summary, outcome, created_at)",
            &activity_rows,
        )
        .await?;
        tx.commit().await?;
        done += count;
    }
    extras(db, &mut rng, base_customer, customers as i64).await?;
    if db.engine == Engine::Postgres {
        // Explicit ids do not advance identity sequences; move them past the new rows.
        for table in ["customers", "orders", "activities"] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ))
            .execute(&db.pool)
            .await?;
        }
    }
    archive_records(db, seed).await?;
    tier_proposals(db, seed).await?;
    demo_segments(db).await?;
    demo_feedback(db, seed, base_customer, customers as i64).await?;
    lapsed_customers(db, &mut rng, base_customer, customers as i64).await?;
    // Orders were written in bulk: the facts derived from them follow in one pass each.
    app::orders::recency::rebuild_all(db).await?;
    app::funnel::service::rebuild_milestones(db).await?;
    app::lifecycle::service::rebuild_all(db).await?;
    // Churn warnings for the customers who have lapsed from their own rhythm.
    app::churn::service::run_churn_scan(db, app::churn::service::today()).await?;
    // Fresh statistics so the planner picks the list indexes on both engines.
    sqlx::query("ANALYZE").execute(&db.pool).await?;
    Ok(DemoReport {
        customers: customers as i64,
        orders: n_orders,
        activities: n_activities,
    })
}

/// Payments and contracts for customers who bought, and open follow-up tasks for their
/// owners, so the credit rating, the finance card and "my work" have something to show.
/// Task due times are placed around the moment the demo is loaded.
async fn archive_records(db: &Db, seed: u64) -> Result<(), sqlx::Error> {
    let mut rng = Rng::new(seed ^ 0x5eed_a7c1);
    let rows = sqlx::query(
        "SELECT c.id, c.level, c.owner_id, MIN(o.ordered_at) AS first_at FROM customers c \
         JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.level, c.owner_id ORDER BY c.id",
    )
    .fetch_all(&db.pool)
    .await?;
    let now = app::db::now();
    let (mut payments, mut contracts, mut tasks) = (Vec::new(), Vec::new(), Vec::new());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let level: i64 = r.try_get("level")?;
        let owner: i64 = r.try_get("owner_id")?;
        let first_day = r.try_get::<i64, _>("first_at")?.div_euclid(86_400);
        if level == 1 || rng.below(4) == 0 {
            // Four instalments a month apart: most on time, some late, a few never paid.
            let habit = rng.below(10);
            for k in 0..4 {
                let due = first_day + 30 * (k + 1);
                if due > ANCHOR_DAY + 30 {
                    break;
                }
                let paid = match habit {
                    0 => None,
                    1 | 2 => Some(due + 5 + rng.below(40) as i64),
                    _ => Some(due - rng.below(5) as i64),
                }
                .filter(|d| *d <= ANCHOR_DAY);
                let amount = (500 + rng.below(5_000) as i64) * 100;
                payments.push(vec![
                    SqlValue::Int(id),
                    SqlValue::Int(amount),
                    SqlValue::Text("CNY".into()),
                    SqlValue::Text(iso_date(due)),
                    SqlValue::OptText(paid.map(iso_date)),
                    SqlValue::Int(paid.unwrap_or(due) * 86_400),
                    SqlValue::Int(now),
                ]);
            }
            if level == 1 {
                contracts.push(vec![
                    SqlValue::Int(id),
                    SqlValue::Text("Annual service agreement".into()),
                    SqlValue::Int((20_000 + rng.below(200_000) as i64) * 100),
                    SqlValue::Text("CNY".into()),
                    SqlValue::Text(iso_date(first_day)),
                    SqlValue::Text(iso_date(first_day + 365)),
                    SqlValue::Text(
                        if first_day + 365 < ANCHOR_DAY {
                            "ended"
                        } else {
                            "active"
                        }
                        .into(),
                    ),
                    SqlValue::Int(now),
                    SqlValue::Int(now),
                ]);
            }
        }
        if rng.below(8) == 0 {
            let due = now + (rng.below(10 * 24) as i64 - 3 * 24) * 3_600;
            tasks.push(vec![
                SqlValue::Int(id),
                SqlValue::Text((*rng.pick(&TASK_TITLES)).into()),
                SqlValue::Int(owner),
                SqlValue::Int(due),
                SqlValue::Int(now),
            ]);
        }
    }
    let mut tx = db.begin_write().await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO payments (customer_id, amount_cents, currency, due_date, paid_date, timeline_at, created_at)",
        &payments,
    )
    .await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO contracts (customer_id, title, value_cents, currency, start_date, end_date, status, created_at, updated_at)",
        &contracts,
    )
    .await?;
    let with_status: Vec<Vec<SqlValue>> = tasks
        .into_iter()
        .map(|mut t| {
            t.insert(4, SqlValue::Text("open".into()));
            t.insert(5, SqlValue::Text("manual".into()));
            t
        })
        .collect();
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO tasks (customer_id, title, assignee_id, due_at, status, source, created_at)",
        &with_status,
    )
    .await?;
    tx.commit().await
}

/// A few pending tier proposals — promotions of the biggest standard accounts, demotions
/// of the smallest key accounts — with figures in the shape the re-evaluation writes, so
/// the tier queue has something to decide right after `rapport demo`. The demo also counts
/// as the last re-evaluation, so the scheduler does not replace them at once.
async fn tier_proposals(db: &Db, seed: u64) -> Result<(), AppError> {
    use app::tiers::model::{Direction, LastRun, RunCounts, TierConfig};
    let mut rng = Rng::new(seed ^ 0x71e2_c0de);
    let cfg = TierConfig::default();
    let now = app::db::now();
    let mut rows = Vec::new();
    let mut counts = RunCounts::default();
    for (direction, level, order, limit) in [
        (Direction::Promotion, 2, "DESC", 4usize),
        (Direction::Demotion, 1, "ASC", 3usize),
    ] {
        let found = sqlx::query(&format!(
            "SELECT c.id, c.grade, COUNT(*) AS n, CAST(SUM(o.amount_cents) AS BIGINT) AS total, \
             MAX(o.order_date) AS last_date FROM customers c JOIN orders o ON o.customer_id = c.id \
             WHERE c.level = $1 GROUP BY c.id, c.grade ORDER BY total {order}, c.id LIMIT $2"
        ))
        .bind(level)
        .bind(40i64)
        .fetch_all(&db.pool)
        .await?;
        let mut taken = 0;
        for r in &found {
            if taken == limit {
                break;
            }
            let last_day = r
                .try_get::<Option<String>, _>("last_date")?
                .as_deref()
                .and_then(app::dates::parse_date)
                .unwrap_or(ANCHOR_DAY);
            let recency = (ANCHOR_DAY - last_day).max(0);
            let frequency: i64 = r.try_get("n")?;
            // R and F from the figures; M from the spend rank (the biggest or smallest).
            let sr = match recency {
                0..=30 => 5,
                31..=90 => 4,
                91..=180 => 3,
                181..=365 => 2,
                _ => 1,
            };
            let sf = frequency.clamp(1, 5);
            let sm = match direction {
                Direction::Promotion => 5,
                Direction::Demotion => 1 + rng.below(2) as i64,
            };
            let value = (200 * (sr + sf + sm - 3) + 12) / 24;
            let grade: String = r.try_get("grade")?;
            let current = app::customers::model::Grade::parse(&grade)
                .unwrap_or(app::customers::model::Grade::General);
            let Some(change) = app::tiers::model::propose(level, current, value, &cfg)
                .filter(|c| c.direction == direction && c.to_level != level)
            else {
                continue;
            };
            let (to_level, to_grade) = (change.to_level, change.to_grade);
            let k = taken;
            taken += 1;
            let figures = serde_json::json!({
                "r": sr,
                "f": sf,
                "m": sm,
                "recency_days": recency,
                "frequency": frequency,
                "monetary_cents": r.try_get::<i64, _>("total")?,
            });
            match direction {
                Direction::Promotion => counts.promotions += 1,
                Direction::Demotion => counts.demotions += 1,
            }
            rows.push(vec![
                SqlValue::Int(r.try_get("id")?),
                SqlValue::Text(direction.as_str().into()),
                SqlValue::Int(level),
                SqlValue::Int(to_level),
                SqlValue::Text(r.try_get("grade")?),
                SqlValue::Text(to_grade.as_str().into()),
                SqlValue::Int(value),
                SqlValue::Text(figures.to_string()),
                SqlValue::Text("pending".into()),
                SqlValue::Int(now - (k as i64 + 1) * 86_400),
            ]);
        }
    }
    let mut tx = db.begin_write().await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO tier_proposals (customer_id, direction, from_level, to_level, from_grade, to_grade, \
         value_score, figures, status, created_at)",
        &rows,
    )
    .await?;
    app::tiers::service::set_last_run(&mut tx, &LastRun { at: now, counts }).await?;
    tx.commit().await?;
    Ok(())
}

const TASK_TITLES: [&str; 4] = [
    "Call about the next order",
    "Send the updated price list",
    "Confirm the delivery date",
    "Follow up on the open invoice",
];

/// About one demo customer in 25 becomes a regular buyer who stopped: orders every 20–40
/// days for a year, the last one 150–300 days ago, so the churn warning has clear cases
/// (the random histories above rarely show a steady rhythm). Chosen among customers with
/// no order in the last 300 days, so the new rhythm is their latest history.
async fn lapsed_customers(
    db: &Db,
    rng: &mut Rng,
    first_id: i64,
    count: i64,
) -> Result<(), sqlx::Error> {
    let today = app::churn::service::today();
    let quiet = sqlx::query(
        "SELECT c.id FROM customers c WHERE c.id > $1 AND c.id <= $2 AND NOT EXISTS \
         (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.order_date >= $3) ORDER BY c.id",
    )
    .bind(first_id)
    .bind(first_id + count)
    .bind(iso_date(today - 300))
    .fetch_all(&db.pool)
    .await?;
    let wanted = (count / 25).max(1) as usize;
    let step = (quiet.len() / wanted).max(1);
    let mut rows = Vec::new();
    for r in quiet.iter().step_by(step).take(wanted) {
        let id: i64 = r.try_get("id")?;
        let gap = 20 + rng.below(21) as i64;
        let mut day = today - 150 - rng.below(151) as i64;
        for _ in 0..(365 / gap) {
            let amount = (200 + rng.below(3_000) as i64) * 100;
            rows.push(vec![
                SqlValue::Int(id),
                SqlValue::Text(iso_date(day)),
                SqlValue::Int(day * 86_400),
                SqlValue::Int(amount),
                SqlValue::Text("CNY".into()),
                SqlValue::Text("Subscription".into()),
                SqlValue::Text("Services".into()),
                SqlValue::Text("Online".into()),
                SqlValue::Int(day * 86_400),
            ]);
            day -= gap;
        }
    }
    let mut tx = db.begin_write().await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO orders (customer_id, order_date, ordered_at, amount_cents, currency, product, category, channel, created_at)",
        &rows,
    )
    .await?;
    tx.commit().await
}

/// A few saved segments, so the segment pages and the list's segment filter show something.
async fn demo_segments(db: &Db) -> Result<(), AppError> {
    use app::segments::model::{
        Attr, Cmp, Combine, Condition, Measure, RuleGroup, RuleNode, SegmentRule, SetOp,
        RULE_VERSION,
    };
    let attr = |attr: Attr, op: SetOp, values: &[&str]| {
        RuleNode::Condition(Condition::Attr {
            attr,
            op,
            values: values.iter().map(|v| v.to_string()).collect(),
        })
    };
    let measure = |measure: Measure, days: Option<i64>, op: Cmp, value: &str| {
        RuleNode::Condition(Condition::Measure {
            measure,
            days,
            op,
            value: value.into(),
        })
    };
    let all_of = |items: Vec<RuleNode>| SegmentRule {
        version: RULE_VERSION,
        root: RuleGroup {
            combine: Combine::All,
            negate: false,
            items,
        },
    };
    let segments = [
        (
            "t1.south@rapport.local",
            "South region, active, not VIP",
            "Guangdong and Fujian customers with at least three orders in 90 days who are not VIP yet.",
            true,
            all_of(vec![
                attr(Attr::Province, SetOp::AnyOf, &["Guangdong", "Fujian"]),
                measure(Measure::OrdersCount, Some(90), Cmp::Ge, "3"),
                attr(Attr::Grade, SetOp::NoneOf, &["vip"]),
            ]),
        ),
        (
            "admin@rapport.local",
            "Key accounts gone quiet",
            "Level-1 accounts without an order for 60 days.",
            false,
            all_of(vec![
                attr(Attr::Level, SetOp::AnyOf, &["1"]),
                measure(Measure::DaysSinceLastOrder, None, Cmp::Ge, "60"),
            ]),
        ),
        (
            "t1.east@rapport.local",
            "Champions and loyal",
            "The best RFM segments, for thank-you calls.",
            true,
            all_of(vec![attr(
                Attr::RfmSegment,
                SetOp::AnyOf,
                &["champions", "loyal"],
            )]),
        ),
    ];
    let now = app::db::now();
    for (email, name, description, shared, rule) in segments {
        let owner = sqlx::query("SELECT id, team_id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&db.pool)
            .await?;
        sqlx::query(
            "INSERT INTO segments (name, description, rule_json, rule_version, owner_id, team_id, shared, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(name)
        .bind(description)
        .bind(rule.to_json())
        .bind(RULE_VERSION as i64)
        .bind(owner.try_get::<i64, _>("id")?)
        .bind(owner.try_get::<Option<i64>, _>("team_id")?)
        .bind(shared as i64)
        .bind(now)
        .execute(&db.pool)
        .await?;
    }
    Ok(())
}

/// The sample satisfaction form at `/f/satisfaction`: answers spread over six months, some
/// through personal links (on those customers' timelines), the low ones opening
/// complaints; all but the most recent complaints were worked through and closed. Demo
/// customers have ids `base_customer + 1 ..= base_customer + count`.
async fn demo_feedback(db: &Db, seed: u64, base_customer: i64, count: i64) -> Result<(), AppError> {
    use app::complaints::model::Severity;
    use app::feedback::model::*;
    use app::feedback::service as feedback;
    let user = |email: &'static str| async move {
        let r = sqlx::query("SELECT id, name, role, team_id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&db.pool)
            .await?;
        Ok::<_, AppError>(app::auth::CurrentUser {
            id: app::ids::UserId(r.try_get("id")?),
            email: email.into(),
            name: r.try_get("name")?,
            role: app::auth::Role::parse(&r.try_get::<String, _>("role")?)
                .unwrap_or(app::auth::Role::Viewer),
            team_id: r
                .try_get::<Option<i64>, _>("team_id")?
                .map(app::ids::TeamId),
            language: app::i18n::Lang::En,
        })
    };
    let admin = user("admin@rapport.local").await?;
    let support = user("support@rapport.local").await?;
    let question = |key: &str,
                    kind: QuestionKind,
                    en: &str,
                    zh: &str,
                    required: bool,
                    options: &[(&str, &str)]| Question {
        key: key.into(),
        kind,
        label: Localized::new(en, zh),
        required,
        options: options.iter().map(|(e, z)| Localized::new(e, z)).collect(),
    };
    let definition = FormDefinition {
        title: Localized::new("How are we doing?", "您对我们的服务满意吗？"),
        intro: Localized::new(
            "Two minutes of your time help us serve you better.",
            "占用您两分钟时间，帮助我们把服务做得更好。",
        ),
        thanks: Localized::new(
            "Thank you! Your account manager reads every answer.",
            "谢谢！您的客户经理会阅读每一份回答。",
        ),
        questions: vec![
            question(
                "q1",
                QuestionKind::Nps,
                "How likely are you to recommend us to a friend or colleague?",
                "您向朋友或同事推荐我们的可能性有多大？",
                true,
                &[],
            ),
            question(
                "q2",
                QuestionKind::Csat,
                "Overall, how satisfied are you with our service?",
                "总体而言，您对我们的服务满意吗？",
                true,
                &[],
            ),
            question(
                "q3",
                QuestionKind::Rating,
                "How would you rate your account manager?",
                "您如何评价您的客户经理？",
                false,
                &[],
            ),
            question(
                "q4",
                QuestionKind::SingleChoice,
                "What matters most to you?",
                "您最看重什么？",
                false,
                &[
                    ("Price", "价格"),
                    ("Quality", "质量"),
                    ("Delivery time", "交付时间"),
                    ("Service", "服务"),
                ],
            ),
            question(
                "q5",
                QuestionKind::MultipleChoice,
                "Which of our products do you use?",
                "您在使用我们的哪些产品？",
                false,
                &[
                    ("Hardware", "硬件"),
                    ("Software", "软件"),
                    ("Services", "服务"),
                ],
            ),
            question(
                "q6",
                QuestionKind::Text,
                "Anything we could do better?",
                "还有哪些地方需要改进？",
                false,
                &[],
            ),
            question(
                "q7",
                QuestionKind::Email,
                "Your e-mail, if you would like an answer",
                "如需回复，请留下您的邮箱",
                false,
                &[],
            ),
        ],
        complaint_rule: Some(ComplaintRule {
            question: "q1".into(),
            trigger: ComplaintTrigger::AtOrBelow(3),
            category: "service".into(),
            severity: Severity::High,
            assignee: Some(support.id),
        }),
    };
    let form_id = feedback::save_form(
        db,
        &admin,
        None,
        &FormInput {
            slug: "satisfaction".into(),
            open: true,
            definition: definition.clone(),
        },
    )
    .await?;
    const COMMENTS: [&str; 8] = [
        "Delivery was late twice this quarter.",
        "Great support, thank you!",
        "Invoices are hard to read.",
        "The new portal is much faster.",
        "送货太慢了，希望改进。",
        "客户经理非常专业。",
        "Prices went up without notice.",
        "Training day was very useful.",
    ];
    let mut rng = Rng::new(seed ^ 0xFEED);
    let now = app::db::now();
    let mut tx = db.begin_write().await?;
    for n in 0..240_i64 {
        let at = now - 86_400 - rng.below(180 * 86_400) as i64;
        // Most customers are content; about one answer in eight is a detractor.
        let nps = match rng.below(8) {
            0 => rng.below(4) as i64,
            1 | 2 => 5 + rng.below(3) as i64,
            _ => 8 + rng.below(3) as i64,
        };
        let csat = (nps / 2).clamp(1, 5);
        let mut raw: RawFields = vec![
            ("q1".into(), nps.to_string()),
            ("q2".into(), csat.to_string()),
        ];
        if rng.below(3) > 0 {
            raw.push(("q3".into(), (1 + (nps / 2).min(4)).to_string()));
        }
        raw.push(("q4".into(), rng.below(4).to_string()));
        for option in 0..3 {
            if rng.below(2) == 0 {
                raw.push(("q5".into(), option.to_string()));
            }
        }
        if nps <= 6 || rng.below(4) == 0 {
            raw.push(("q6".into(), (*rng.pick(&COMMENTS)).to_string()));
        }
        // Three answers in five come through personal links, tied to a customer.
        let link = if count > 0 && rng.below(5) < 3 {
            let customer = base_customer + 1 + rng.below(count as u64) as i64;
            let link_id: i64 = sqlx::query(
                "INSERT INTO feedback_links (form_id, customer_id, expires_at, created_by, created_at) \
                 VALUES ($1, $2, NULL, $3, $4) RETURNING id",
            )
            .bind(form_id)
            .bind(customer)
            .bind(admin.id.0)
            .bind(at - 3 * 86_400)
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
            Some(feedback::LinkClaim {
                link_id,
                customer_id: app::ids::CustomerId(customer),
            })
        } else {
            None
        };
        let lang = if n % 3 == 0 {
            app::i18n::Lang::Zh
        } else {
            app::i18n::Lang::En
        };
        let mut submission = feedback::prepare(
            form_id,
            1,
            &definition,
            &format!("demo-answer-{n:04}"),
            link,
            lang,
            &raw,
        )
        .map_err(AppError::Validation)?;
        submission.submitted_at = at;
        feedback::store_in(&mut tx, &submission).await?;
    }
    // Complaints older than twenty days were handled: resolved by the support agent, then closed.
    let handled =
        sqlx::query("SELECT id, created_at FROM complaints WHERE created_at < $1 ORDER BY id")
            .bind(now - 20 * 86_400)
            .fetch_all(&mut *tx)
            .await?;
    for r in handled {
        let id: i64 = r.try_get("id")?;
        let created: i64 = r.try_get("created_at")?;
        let resolved = created + 3_600 * (2 + (id % 30));
        sqlx::query("UPDATE complaints SET status = 'closed', resolution_note = $1, resolved_at = $2, updated_at = $3 WHERE id = $4")
            .bind("Called the customer, explained and agreed on a fix.")
            .bind(resolved)
            .bind(resolved + 86_400)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (at, from, to, note) in [
            (created + 1_800, "received", "in_progress", None),
            (
                resolved,
                "in_progress",
                "resolved",
                Some("Called the customer, explained and agreed on a fix."),
            ),
            (resolved + 86_400, "resolved", "closed", None),
        ] {
            sqlx::query("INSERT INTO complaint_events (complaint_id, at, actor_id, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(at)
                .bind(support.id.0)
                .bind(from)
                .bind(to)
                .bind(note)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic() {
        let a: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let mut r = Rng::new(7);
        assert!(a.iter().all(|x| *x == r.next_u64()));
    }

    #[test]
    fn anchor_is_the_first_of_november() {
        assert_eq!(iso_date(ANCHOR_DAY), "2026-11-01");
    }
}
