//! `rapport demo`: a deterministic data set for trying every feature. The same seed and
//! size always produce the same data. Bulk inserts run in large transactions with
//! multi-row statements, so 100 000 customers take seconds, not minutes.

use app::auth::service::hash_password;
use app::db::{insert_rows, Db, Engine, Row, SqlBuilder, SqlValue};
use app::error::AppError;

mod feedback;
mod records;
use feedback::demo_feedback;
use records::{archive_records, demo_segments, extras, lapsed_customers, tier_proposals};

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
    let (y, m, d) = app::dates::civil_from_days(days_since_epoch);
    format!("{y:04}-{m:02}-{d:02}")
}

async fn scalar(db: &Db, sql: &str) -> Result<i64, sqlx::Error> {
    sqlx::query(sql).fetch_one(&db.pool).await?.try_get(0)
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

/// The teams, staff and tags the demo customers are spread over.
struct People {
    team_ids: Vec<i64>,
    tier1_of_team: Vec<i64>,
    tier2_of_team: Vec<Vec<i64>>,
    tag_ids: Vec<i64>,
}

/// Teams, staff and tags (existing rows with the same name or e-mail are kept as they are).
async fn people(db: &Db, hash: &str, now: i64) -> Result<People, sqlx::Error> {
    let mut team_ids = Vec::new();
    for name in TEAMS {
        let mut insert = SqlBuilder::new("INSERT INTO teams (name, created_at) VALUES (");
        insert
            .bind(SqlValue::Text(name.into()))
            .push(", ")
            .bind(SqlValue::Int(now))
            .push(") RETURNING id");
        team_ids
            .push(find_or_insert(db, "SELECT id FROM teams WHERE name = $1", name, insert).await?);
    }
    let mut staff_ids = Vec::new();
    for s in &STAFF {
        let mut insert = SqlBuilder::new(
            "INSERT INTO users (email, name, role, team_id, active, language, password_hash, created_at, updated_at) VALUES (",
        );
        insert.bind(SqlValue::Text(s.email.into())).push(", ");
        insert.bind(SqlValue::Text(s.name.into())).push(", ");
        insert.bind(SqlValue::Text(s.role.into())).push(", ");
        insert
            .bind(SqlValue::OptInt(s.team.map(|t| team_ids[t])))
            .push(", 1, 'en', ");
        insert.bind(SqlValue::Text(hash.into())).push(", ");
        insert.bind(SqlValue::Int(now)).push(", ");
        insert.bind(SqlValue::Int(now)).push(") RETURNING id");
        staff_ids.push(
            find_or_insert(db, "SELECT id FROM users WHERE email = $1", s.email, insert).await?,
        );
    }
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
        let mut insert = SqlBuilder::new("INSERT INTO tags (name, color) VALUES (");
        insert
            .bind(SqlValue::Text(name.into()))
            .push(", ")
            .bind(SqlValue::Text(color.into()))
            .push(") RETURNING id");
        tag_ids
            .push(find_or_insert(db, "SELECT id FROM tags WHERE name = $1", name, insert).await?);
    }
    Ok(People {
        tier1_of_team: (0..TEAMS.len()).map(|t| staff_ids[1 + t]).collect(),
        team_ids,
        tier2_of_team,
        tag_ids,
    })
}

/// The last ids given to generated orders and activities.
struct NextIds {
    orders: i64,
    activities: i64,
}

/// The rows of one batch of generated customers.
#[derive(Default)]
struct Batch {
    customers: Vec<Vec<SqlValue>>,
    tags: Vec<Vec<SqlValue>>,
    orders: Vec<Vec<SqlValue>>,
    activities: Vec<Vec<SqlValue>>,
}

/// Generates customer number `i` (id `id`) with its tags, orders and activities.
fn generate_customer(
    rng: &mut Rng,
    people: &People,
    ids: &mut NextIds,
    batch: &mut Batch,
    i: u64,
    id: i64,
) {
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
    let t2 = &people.tier2_of_team[team];
    let owner = if level == 1 || rng.below(4) == 0 {
        people.tier1_of_team[team]
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
    batch.customers.push(vec![
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
        SqlValue::Int(people.team_ids[team]),
        SqlValue::Text(search),
        SqlValue::Text(name.to_lowercase()),
        SqlValue::Int(created_at),
        SqlValue::Int(created_at),
    ]);
    if rng.below(3) == 0 {
        batch.tags.push(vec![
            SqlValue::Int(id),
            SqlValue::Int(*rng.pick(&people.tag_ids)),
        ]);
    }
    // Orders: most customers buy, a few never do; key accounts buy more.
    let orders = match rng.below(10) {
        0 => 0,
        _ => 1 + rng.below(if level == 1 { 9 } else { 5 }),
    };
    for _ in 0..orders {
        ids.orders += 1;
        let day = created_day + rng.below((ANCHOR_DAY - created_day).max(1) as u64) as i64;
        let (product, category) = *rng.pick(&PRODUCTS);
        let amount = (20 + rng.below(if level == 1 { 5_000 } else { 800 }) as i64) * 100
            + rng.below(100) as i64;
        batch.orders.push(vec![
            SqlValue::Int(ids.orders),
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
        ids.activities += 1;
        let when =
            created_at + rng.below(((ANCHOR_DAY * 86_400) - created_at).max(1) as u64) as i64;
        batch.activities.push(vec![
            SqlValue::Int(ids.activities),
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

async fn write_batch(db: &Db, batch: &Batch) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO customers (id, external_id, name, kind, email, phone, country, province, city, industry, \
         birth_year, source_channel, level, grade, owner_id, service_manager_id, team_id, search_text, name_key, \
         created_at, updated_at)",
        &batch.customers,
    )
    .await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO customer_tags (customer_id, tag_id)",
        &batch.tags,
    )
    .await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO orders (id, customer_id, order_date, ordered_at, amount_cents, currency, product, category, channel, created_at)",
        &batch.orders,
    )
    .await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO activities (id, customer_id, user_id, kind, happened_at, summary, outcome, created_at)",
        &batch.activities,
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
    let people = people(db, &hash, now).await?;
    let base_customer = scalar(db, "SELECT COALESCE(MAX(id), 0) FROM customers").await?;
    let base_order = scalar(db, "SELECT COALESCE(MAX(id), 0) FROM orders").await?;
    let base_activity = scalar(db, "SELECT COALESCE(MAX(id), 0) FROM activities").await?;
    let mut ids = NextIds {
        orders: base_order,
        activities: base_activity,
    };
    // SQLite allows 32 766 parameters per statement; stay well below on both engines.
    const BATCH: u64 = 2_000;
    let mut done = 0u64;
    while done < customers {
        let count = BATCH.min(customers - done);
        let mut batch = Batch::default();
        for i in done..done + count {
            let id = base_customer + i as i64 + 1;
            generate_customer(&mut rng, &people, &mut ids, &mut batch, i, id);
        }
        write_batch(db, &batch).await?;
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
        orders: ids.orders - base_order,
        activities: ids.activities - base_activity,
    })
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
