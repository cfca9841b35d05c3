//! Customer reads and writes. Every entry point takes the acting user and asks the
//! permission module first; a customer the actor may not see is `NotFound`.

use crate::audit::service::{record, Change};
use crate::auth::permissions::{
    check_assignment, customer_visibility, financial_visibility, may, may_assign_to,
    may_create_customers, may_list_customers, may_set_tier_on_create, CustomerAction,
    LEVEL_STANDARD,
};
use crate::auth::scope::{authorize, scope_of};
use crate::auth::CurrentUser;
use crate::customers::model::*;
use crate::db::{now, Condition, Db, DbRow, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::{ContactId, CustomerId, TeamId, UserId};
use crate::users::service::load_assignee;
use sqlx::AnyConnection;

fn current_year() -> i64 {
    crate::ui::civil_from_days(now().div_euclid(86_400)).0
}

pub fn parse_draft(input: &CustomerInput) -> AppResult<CustomerDraft> {
    CustomerDraft::parse(input, current_year())
}

pub async fn get(db: &Db, actor: &CurrentUser, id: CustomerId) -> AppResult<Customer> {
    let mut conn = db.pool.acquire().await?;
    let scope = authorize(actor, CustomerAction::Read, scope_of(&mut conn, id).await?)?;
    let r = sqlx::query(
        "SELECT c.*, o.name AS owner_name, s.name AS service_manager_name, t.name AS team_name \
         FROM customers c JOIN users o ON o.id = c.owner_id \
         LEFT JOIN users s ON s.id = c.service_manager_id LEFT JOIN teams t ON t.id = c.team_id \
         WHERE c.id = $1",
    )
    .bind(id.0)
    .fetch_one(&mut *conn)
    .await?;
    let tags = sqlx::query(
        "SELECT t.id, t.name, t.color FROM tags t JOIN customer_tags ct ON ct.tag_id = t.id \
         WHERE ct.customer_id = $1 ORDER BY t.name",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(Tag {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            color: r.try_get("color")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let contacts = sqlx::query(
        "SELECT id, name, title, email, phone, is_primary FROM contacts WHERE customer_id = $1 \
         ORDER BY is_primary DESC, name",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(Contact {
            id: ContactId(r.try_get("id")?),
            name: r.try_get("name")?,
            title: r.try_get("title")?,
            email: r.try_get("email")?,
            phone: r.try_get("phone")?,
            is_primary: r.try_get::<i64, _>("is_primary")? == 1,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let orders = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) AS total, MAX(order_date) AS last_date \
         FROM orders WHERE customer_id = $1",
    )
    .bind(id.0)
    .fetch_one(&mut *conn)
    .await?;
    let groups = group_names(&mut conn, id).await?;
    let custom = crate::custom_fields::service::customer_values(&mut conn, id).await?;
    let kind: String = r.try_get("kind")?;
    let grade: String = r.try_get("grade")?;
    Ok(Customer {
        id,
        external_id: r.try_get("external_id")?,
        name: r.try_get("name")?,
        kind: CustomerKind::parse(&kind).unwrap_or(CustomerKind::Person),
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        country: r.try_get("country")?,
        province: r.try_get("province")?,
        city: r.try_get("city")?,
        address: r.try_get("address")?,
        industry: r.try_get("industry")?,
        company_size: r.try_get("company_size")?,
        gender: r.try_get("gender")?,
        birth_year: r.try_get("birth_year")?,
        income_band: r.try_get("income_band")?,
        source_channel: r.try_get("source_channel")?,
        source_campaign: r.try_get("source_campaign")?,
        source_referrer: r.try_get("source_referrer")?,
        level: scope.level,
        grade: Grade::parse(&grade).unwrap_or(Grade::General),
        owner_id: scope.owner_id,
        owner_name: r.try_get("owner_name")?,
        service_manager_id: scope.service_manager_id,
        service_manager_name: r.try_get("service_manager_name")?,
        team_id: scope.team_id,
        team_name: r.try_get("team_name")?,
        tags,
        groups: if groups.is_empty() {
            Vec::new()
        } else {
            groups.split(", ").map(str::to_string).collect()
        },
        custom,
        contacts,
        order_count: orders.try_get("n")?,
        lifetime_value_cents: orders.try_get("total")?,
        last_order_date: orders.try_get("last_date")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        may_edit: may(actor, CustomerAction::Update, &scope),
        may_change_tier: may(actor, CustomerAction::ChangeTier, &scope),
        may_reassign: may(actor, CustomerAction::Reassign, &scope),
        may_delete: may(actor, CustomerAction::Delete, &scope),
    })
}

fn list_item(r: &DbRow) -> AppResult<CustomerListItem> {
    let kind: String = r.try_get("kind")?;
    let grade: String = r.try_get("grade")?;
    Ok(CustomerListItem {
        id: CustomerId(r.try_get("id")?),
        name: r.try_get("name")?,
        kind: CustomerKind::parse(&kind).unwrap_or(CustomerKind::Person),
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        city: r.try_get("city")?,
        level: r.try_get("level")?,
        grade: Grade::parse(&grade).unwrap_or(Grade::General),
        owner_name: r.try_get("owner_name")?,
        updated_at: r.try_get("updated_at")?,
        stage: crate::lifecycle::model::Stage::Lead,
    })
}

/// One page of the customers the actor may see. Keyset-paged (no OFFSET) and without a
/// total count, so every page costs the same at any depth.
/// One page of the customers the actor may see under `filter` and `conditions`, each a
/// condition compiled by the caller (a segment's rule, a lifecycle stage) about customer
/// `c`. The list knows no segment or stage: `filter.segment` and `filter.stage` apply only
/// through `conditions` (`segments::service::list_conditions` compiles them).
pub async fn list(
    db: &Db,
    actor: &CurrentUser,
    filter: &ParsedFilter,
    conditions: &[Condition],
) -> AppResult<CustomerPage> {
    if !may_list_customers(actor) {
        return Err(AppError::Forbidden);
    }
    let mut q = SqlBuilder::new(
        "SELECT c.id, c.name, c.kind, c.email, c.phone, c.city, c.level, c.grade, c.updated_at, \
         c.created_at, c.name_key, o.name AS owner_name FROM customers c JOIN users o ON o.id = c.owner_id WHERE 1 = 1",
    );
    customer_visibility(actor, &mut q);
    if let Some(text) = &filter.q {
        q.push(" AND c.search_text LIKE ")
            .bind(SqlValue::Text(crate::db::like_contains(text)))
            .push(" ESCAPE '\\'");
    }
    if let Some(level) = filter.level {
        q.push(" AND c.level = ").bind(SqlValue::Int(level));
    }
    if let Some(grade) = filter.grade {
        q.push(" AND c.grade = ")
            .bind(SqlValue::Text(grade.as_str().into()));
    }
    if let Some(owner) = filter.owner {
        q.push(" AND c.owner_id = ").bind(SqlValue::Int(owner.0));
    }
    if let Some(team) = filter.team {
        q.push(" AND c.team_id = ").bind(SqlValue::Int(team.0));
    }
    if let Some(tag) = filter.tag {
        q.push(" AND EXISTS (SELECT 1 FROM customer_tags ct WHERE ct.customer_id = c.id AND ct.tag_id = ")
            .bind(SqlValue::Int(tag))
            .push(")");
    }
    for (column, value) in [
        ("c.province", &filter.province),
        ("c.city", &filter.city),
        ("c.industry", &filter.industry),
        ("c.source_channel", &filter.source_channel),
    ] {
        if let Some(v) = value {
            q.push(&format!(" AND {column} = "))
                .bind(SqlValue::Text(v.clone()));
        }
    }
    if let Some(kind) = filter.kind {
        q.push(" AND c.kind = ")
            .bind(SqlValue::Text(kind.as_str().into()));
    }
    if let Some(group) = filter.group {
        q.push(" AND EXISTS (SELECT 1 FROM customer_group_members gm WHERE gm.customer_id = c.id AND gm.group_id = ")
            .bind(SqlValue::Int(group))
            .push(")");
    }
    if filter.overdue {
        // Payments are financial records: the filter never selects a customer whose
        // payments the actor may not see. Dates are ISO text, so text order is date order.
        financial_visibility(actor, &mut q);
        q.push(" AND EXISTS (SELECT 1 FROM payments p WHERE p.customer_id = c.id AND p.paid_date IS NULL AND p.due_date < ")
            .bind(SqlValue::Text(today_iso()))
            .push(")");
    }
    if filter.open_task {
        q.push(" AND EXISTS (SELECT 1 FROM tasks tk WHERE tk.customer_id = c.id AND tk.status = 'open')");
    }
    if !filter.custom.is_empty() {
        let fields = crate::custom_fields::service::active_fields(db).await?;
        push_custom_conditions(&mut q, &fields, &filter.custom)?;
    }
    for condition in conditions {
        condition(&mut q);
    }
    let (column, descending) = match filter.sort {
        SortKey::Name => ("c.name_key", false),
        SortKey::Newest => ("c.created_at", true),
        SortKey::RecentlyUpdated => ("c.updated_at", true),
    };
    if let Some(cursor) = &filter.after {
        let key = if filter.sort == SortKey::Name {
            SqlValue::Text(cursor.key.clone())
        } else {
            SqlValue::Int(
                cursor
                    .key
                    .parse()
                    .map_err(|_| AppError::field("after", Key::ErrInvalidChoice))?,
            )
        };
        let op = if descending { "<" } else { ">" };
        q.push(&format!(" AND ({column} {op} "))
            .bind(key.clone())
            .push(&format!(" OR ({column} = "))
            .bind(key)
            .push(&format!(" AND c.id {op} "))
            .bind(SqlValue::Int(cursor.id))
            .push("))");
    }
    let dir = if descending { "DESC" } else { "ASC" };
    q.push(&format!(" ORDER BY {column} {dir}, c.id {dir} LIMIT "))
        .bind(SqlValue::Int(PAGE_SIZE as i64 + 1));
    let rows = q.query().fetch_all(&db.pool).await?;
    let has_more = rows.len() > PAGE_SIZE;
    let rows = &rows[..rows.len().min(PAGE_SIZE)];
    let next_after = match (has_more, rows.last()) {
        (true, Some(last)) => {
            let key = match filter.sort {
                SortKey::Name => last.try_get::<String, _>("name_key")?,
                SortKey::Newest => last.try_get::<i64, _>("created_at")?.to_string(),
                SortKey::RecentlyUpdated => last.try_get::<i64, _>("updated_at")?.to_string(),
            };
            Some(
                Cursor {
                    key,
                    id: last.try_get("id")?,
                }
                .encode(),
            )
        }
        _ => None,
    };
    let mut items: Vec<CustomerListItem> = rows.iter().map(list_item).collect::<AppResult<_>>()?;
    let ids: Vec<i64> = items.iter().map(|c| c.id.0).collect();
    let stages = crate::lifecycle::service::stages_now(db, &ids).await?;
    for item in &mut items {
        if let Some(s) = stages.get(&item.id.0) {
            item.stage = *s;
        }
    }
    Ok(CustomerPage { items, next_after })
}

/// Today's date in UTC, ISO.
pub fn today_iso() -> String {
    let (y, m, d) = crate::ui::civil_from_days(now().div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Appends one `EXISTS` per custom field condition. Text compares case-insensitively,
/// choices exactly (index on value), numbers and dates by range on `number_value`.
fn push_custom_conditions(
    q: &mut SqlBuilder,
    fields: &[crate::custom_fields::model::CustomField],
    conditions: &[CustomCondition],
) -> AppResult<()> {
    use crate::custom_fields::model::FieldKind;
    for cond in conditions {
        let field = fields
            .iter()
            .find(|f| f.key == cond.key)
            .ok_or_else(|| AppError::field(&cond.param(), Key::ErrUnknownField))?;
        q.push(" AND EXISTS (SELECT 1 FROM custom_field_values v WHERE v.customer_id = c.id AND v.field_id = ")
            .bind(SqlValue::Int(field.id));
        match (field.kind, cond.bound) {
            (FieldKind::Text, Bound::Equals) => {
                q.push(" AND LOWER(v.value) = ")
                    .bind(SqlValue::Text(cond.value.to_lowercase()));
            }
            (FieldKind::Choice, Bound::Equals) => {
                q.push(" AND v.value = ")
                    .bind(SqlValue::Text(cond.value.clone()));
            }
            (FieldKind::Number | FieldKind::Date, Bound::Min | Bound::Max) => {
                let n = field
                    .parse_bound(&cond.value)
                    .map_err(|k| AppError::field(&cond.param(), k))?;
                let op = if cond.bound == Bound::Min { ">=" } else { "<=" };
                q.push(&format!(" AND v.number_value {op} "))
                    .bind(SqlValue::Int(n));
            }
            (FieldKind::Number | FieldKind::Date, Bound::Equals) => {
                // An exact number or date: both bounds at once.
                let n = field
                    .parse_bound(&cond.value)
                    .map_err(|k| AppError::field(&cond.param(), k))?;
                q.push(" AND v.number_value = ").bind(SqlValue::Int(n));
            }
            (FieldKind::Text | FieldKind::Choice, Bound::Min | Bound::Max) => {
                return Err(AppError::field(&cond.param(), Key::ErrInvalidChoice));
            }
        }
        q.push(")");
    }
    Ok(())
}

/// Resolves and checks owner and service manager for a customer of `level`.
async fn resolve_assignment(
    db: &Db,
    actor: &CurrentUser,
    level: i64,
    owner: UserId,
    service_manager: Option<UserId>,
) -> AppResult<Option<TeamId>> {
    let owner = load_assignee(db, owner)
        .await?
        .ok_or_else(|| AppError::field("owner_id", Key::ErrInvalidChoice))?;
    if !may_assign_to(actor, &owner) {
        return Err(AppError::field("owner_id", Key::ErrOutsideYourTeam));
    }
    let sm = match service_manager {
        Some(id) => {
            let sm = load_assignee(db, id)
                .await?
                .ok_or_else(|| AppError::field("service_manager_id", Key::ErrInvalidChoice))?;
            if !may_assign_to(actor, &sm) && actor.role != crate::auth::Role::Tier2Manager {
                return Err(AppError::field(
                    "service_manager_id",
                    Key::ErrOutsideYourTeam,
                ));
            }
            Some(sm)
        }
        None => None,
    };
    check_assignment(level, &owner, sm.as_ref())?;
    Ok(owner.team_id)
}

pub(crate) async fn ensure_tags(conn: &mut AnyConnection, names: &[String]) -> AppResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let existing = sqlx::query("SELECT id FROM tags WHERE LOWER(name) = LOWER($1)")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?;
        let id: i64 = match existing {
            Some(r) => r.try_get("id")?,
            None => sqlx::query("INSERT INTO tags (name, color) VALUES ($1, $2) RETURNING id")
                .bind(name)
                .bind(tag_color(name))
                .fetch_one(&mut *conn)
                .await?
                .try_get("id")?,
        };
        ids.push(id);
    }
    Ok(ids)
}

/// A stable colour per tag name, from a palette readable in both themes.
fn tag_color(name: &str) -> &'static str {
    const PALETTE: [&str; 8] = [
        "#2563eb", "#059669", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#4b5563",
    ];
    let h = name
        .bytes()
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
    PALETTE[h % PALETTE.len()]
}

pub(crate) async fn tag_names(conn: &mut AnyConnection, id: CustomerId) -> AppResult<String> {
    let rows = sqlx::query(
        "SELECT t.name FROM tags t JOIN customer_tags ct ON ct.tag_id = t.id WHERE ct.customer_id = $1 ORDER BY t.name",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String, _>("name"))
        .collect::<Result<Vec<_>, _>>()?
        .join(", "))
}

async fn replace_tags(conn: &mut AnyConnection, id: CustomerId, names: &[String]) -> AppResult<()> {
    let tag_ids = ensure_tags(conn, names).await?;
    sqlx::query("DELETE FROM customer_tags WHERE customer_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    for tag in tag_ids {
        sqlx::query("INSERT INTO customer_tags (customer_id, tag_id) VALUES ($1, $2)")
            .bind(id.0)
            .bind(tag)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn group_names(conn: &mut AnyConnection, id: CustomerId) -> AppResult<String> {
    let rows = sqlx::query(
        "SELECT g.name FROM customer_groups g JOIN customer_group_members m ON m.group_id = g.id \
         WHERE m.customer_id = $1 ORDER BY g.name",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String, _>("name"))
        .collect::<Result<Vec<_>, _>>()?
        .join(", "))
}

/// Replaces the customer's groups, creating unknown ones (matched case-insensitively).
async fn replace_groups(
    conn: &mut AnyConnection,
    id: CustomerId,
    names: &[String],
) -> AppResult<()> {
    sqlx::query("DELETE FROM customer_group_members WHERE customer_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    for name in names {
        let existing = sqlx::query("SELECT id FROM customer_groups WHERE LOWER(name) = LOWER($1)")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?;
        let group: i64 = match existing {
            Some(r) => r.try_get("id")?,
            None => sqlx::query(
                "INSERT INTO customer_groups (name, created_at) VALUES ($1, $2) RETURNING id",
            )
            .bind(name)
            .bind(now())
            .fetch_one(&mut *conn)
            .await?
            .try_get("id")?,
        };
        sqlx::query("INSERT INTO customer_group_members (customer_id, group_id) VALUES ($1, $2)")
            .bind(id.0)
            .bind(group)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Group {
    pub id: i64,
    pub name: String,
}

pub async fn list_groups(db: &Db) -> AppResult<Vec<Group>> {
    sqlx::query("SELECT id, name FROM customer_groups ORDER BY name")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Group {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

/// The stored columns of a draft, in one order used by insert and update alike.
pub(crate) fn columns(d: &CustomerDraft) -> Vec<(&'static str, SqlValue)> {
    use SqlValue::{Int, OptInt, OptText, Text};
    vec![
        ("external_id", OptText(d.external_id.clone())),
        ("name", Text(d.name.clone())),
        ("kind", Text(d.kind.as_str().into())),
        ("email", OptText(d.email.clone())),
        ("phone", OptText(d.phone.clone())),
        ("country", OptText(d.country.clone())),
        ("province", OptText(d.province.clone())),
        ("city", OptText(d.city.clone())),
        ("address", OptText(d.address.clone())),
        ("industry", OptText(d.industry.clone())),
        ("company_size", OptText(d.company_size.clone())),
        ("gender", OptText(d.gender.clone())),
        ("birth_year", OptInt(d.birth_year)),
        ("income_band", OptText(d.income_band.clone())),
        ("source_channel", OptText(d.source_channel.clone())),
        ("source_campaign", OptText(d.source_campaign.clone())),
        ("source_referrer", OptText(d.source_referrer.clone())),
        ("level", Int(d.level)),
        ("grade", Text(d.grade.as_str().into())),
        ("owner_id", OptInt(d.owner_id.map(|u| u.0))),
        (
            "service_manager_id",
            OptInt(d.service_manager_id.map(|u| u.0)),
        ),
        ("search_text", Text(d.search_text())),
        ("name_key", Text(d.name_key())),
    ]
}

pub(crate) fn display(v: &SqlValue) -> Option<String> {
    match v {
        SqlValue::Int(i) => Some(i.to_string()),
        SqlValue::Text(s) => Some(s.clone()),
        SqlValue::OptInt(i) => i.map(|i| i.to_string()),
        SqlValue::OptText(s) => s.clone(),
    }
}

pub async fn create(
    db: &Db,
    actor: &CurrentUser,
    mut draft: CustomerDraft,
) -> AppResult<CustomerId> {
    if !may_create_customers(actor) {
        return Err(AppError::Forbidden);
    }
    let default_tier = draft.level == LEVEL_STANDARD && draft.grade == Grade::General;
    if !default_tier && !may_set_tier_on_create(actor) {
        return Err(AppError::Forbidden);
    }
    let owner = draft.owner_id.unwrap_or(actor.id);
    draft.owner_id = Some(owner);
    let team = resolve_assignment(db, actor, draft.level, owner, draft.service_manager_id).await?;
    let fields = crate::custom_fields::service::active_fields(db).await?;
    let custom = crate::custom_fields::service::check_values(&fields, &draft.custom)?;
    let t = now();
    let cols = columns(&draft);
    let mut q = SqlBuilder::new("INSERT INTO customers (");
    q.push(&cols.iter().map(|c| c.0).collect::<Vec<_>>().join(", "));
    q.push(", team_id, created_at, updated_at) VALUES (");
    for (i, (_, v)) in cols.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.bind(v.clone());
    }
    q.push(", ").bind(SqlValue::OptInt(team.map(|t| t.0)));
    q.push(", ").bind(SqlValue::Int(t));
    q.push(", ").bind(SqlValue::Int(t));
    q.push(") RETURNING id");
    let mut tx = db.begin_write().await?;
    let id = CustomerId(q.query().fetch_one(&mut *tx).await?.try_get("id")?);
    replace_tags(&mut tx, id, &draft.tags).await?;
    replace_groups(&mut tx, id, &draft.groups).await?;
    // The create entry stands for the initial values; no per-field rows.
    crate::custom_fields::service::save_values(&mut tx, actor.id, id, &custom, false).await?;
    record(
        &mut tx,
        Some(actor.id),
        Change {
            entity: "customer",
            entity_id: id.0,
            action: "create",
            field: None,
            before: None,
            after: Some(draft.name.clone()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Saves an edited customer. Level, grade, owner and service manager changes need the
/// matching rights; without them nothing is written.
pub async fn update(
    db: &Db,
    actor: &CurrentUser,
    id: CustomerId,
    mut draft: CustomerDraft,
) -> AppResult<()> {
    let mut conn = db.pool.acquire().await?;
    let scope = authorize(
        actor,
        CustomerAction::Update,
        scope_of(&mut conn, id).await?,
    )?;
    let before = get(db, actor, id).await?;
    draft.owner_id = Some(draft.owner_id.unwrap_or(scope.owner_id));
    let tier_changed = draft.level != before.level || draft.grade != before.grade;
    let assignment_changed = draft.owner_id != Some(before.owner_id)
        || draft.service_manager_id != before.service_manager_id;
    if tier_changed && !may(actor, CustomerAction::ChangeTier, &scope) {
        return Err(AppError::Forbidden);
    }
    if assignment_changed && !may(actor, CustomerAction::Reassign, &scope) {
        return Err(AppError::Forbidden);
    }
    let team = if assignment_changed || tier_changed {
        resolve_assignment(
            db,
            actor,
            draft.level,
            draft.owner_id.unwrap_or(scope.owner_id),
            draft.service_manager_id,
        )
        .await?
    } else {
        scope.team_id
    };
    drop(conn);
    let fields = crate::custom_fields::service::active_fields(db).await?;
    let custom = crate::custom_fields::service::check_values(&fields, &draft.custom)?;
    let old = columns(&parse_draft(&before.to_input())?);
    let new = columns(&draft);
    let mut q = SqlBuilder::new("UPDATE customers SET ");
    for (i, (col, v)) in new.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push(col).push(" = ").bind(v.clone());
    }
    q.push(", team_id = ")
        .bind(SqlValue::OptInt(team.map(|t| t.0)));
    q.push(", updated_at = ").bind(SqlValue::Int(now()));
    q.push(" WHERE id = ").bind(SqlValue::Int(id.0));
    let mut tx = db.begin_write().await?;
    let old_tags = tag_names(&mut tx, id).await?;
    let old_groups = group_names(&mut tx, id).await?;
    q.query().execute(&mut *tx).await?;
    replace_tags(&mut tx, id, &draft.tags).await?;
    replace_groups(&mut tx, id, &draft.groups).await?;
    crate::custom_fields::service::save_values(&mut tx, actor.id, id, &custom, true).await?;
    for ((col, old_v), (_, new_v)) in old.iter().zip(new.iter()) {
        if matches!(*col, "search_text" | "name_key") {
            continue;
        }
        let (a, b) = (display(old_v), display(new_v));
        if a != b {
            record(
                &mut tx,
                Some(actor.id),
                Change {
                    entity: "customer",
                    entity_id: id.0,
                    action: "update",
                    field: Some(col),
                    before: a,
                    after: b,
                },
            )
            .await?;
        }
    }
    let new_tags = tag_names(&mut tx, id).await?;
    if old_tags != new_tags {
        record(
            &mut tx,
            Some(actor.id),
            Change {
                entity: "customer",
                entity_id: id.0,
                action: "update",
                field: Some("tags"),
                before: Some(old_tags),
                after: Some(new_tags),
            },
        )
        .await?;
    }
    let new_groups = group_names(&mut tx, id).await?;
    if old_groups != new_groups {
        record(
            &mut tx,
            Some(actor.id),
            Change {
                entity: "customer",
                entity_id: id.0,
                action: "update",
                field: Some("groups"),
                before: Some(old_groups),
                after: Some(new_groups),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Changes only owner and service manager.
pub async fn reassign(
    db: &Db,
    actor: &CurrentUser,
    id: CustomerId,
    owner: UserId,
    service_manager: Option<UserId>,
) -> AppResult<()> {
    let current = get(db, actor, id).await?;
    if !current.may_reassign {
        return Err(AppError::Forbidden);
    }
    let mut input = current.to_input();
    input.owner_id = owner.to_string();
    input.service_manager_id = service_manager.map(|s| s.to_string()).unwrap_or_default();
    update(db, actor, id, parse_draft(&input)?).await
}

pub async fn delete(db: &Db, actor: &CurrentUser, id: CustomerId) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    authorize(actor, CustomerAction::Delete, scope_of(&mut tx, id).await?)?;
    let name: String = sqlx::query("SELECT name FROM customers WHERE id = $1")
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await?
        .try_get("name")?;
    sqlx::query("DELETE FROM customers WHERE id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    crate::rfm::service::forget_customer(&mut tx, id.0).await?;
    record(
        &mut tx,
        Some(actor.id),
        Change {
            entity: "customer",
            entity_id: id.0,
            action: "delete",
            field: None,
            before: Some(name),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_contact(
    db: &Db,
    actor: &CurrentUser,
    id: CustomerId,
    draft: ContactDraft,
) -> AppResult<ContactId> {
    let mut tx = db.begin_write().await?;
    authorize(actor, CustomerAction::Update, scope_of(&mut tx, id).await?)?;
    let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM contacts WHERE customer_id = $1")
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    // The first contact is primary; a new primary replaces the old one.
    let primary = draft.is_primary || existing == 0;
    if primary {
        sqlx::query("UPDATE contacts SET is_primary = 0 WHERE customer_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
    }
    let contact: i64 = sqlx::query(
        "INSERT INTO contacts (customer_id, name, title, email, phone, is_primary, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(id.0)
    .bind(&draft.name)
    .bind(&draft.title)
    .bind(&draft.email)
    .bind(&draft.phone)
    .bind(if primary { 1i64 } else { 0 })
    .bind(now())
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    record(
        &mut tx,
        Some(actor.id),
        Change {
            entity: "customer",
            entity_id: id.0,
            action: "add_contact",
            field: Some("contacts"),
            before: None,
            after: Some(draft.name),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ContactId(contact))
}

pub async fn remove_contact(db: &Db, actor: &CurrentUser, contact: ContactId) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query("SELECT customer_id, name FROM contacts WHERE id = $1")
        .bind(contact.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let customer = CustomerId(row.try_get("customer_id")?);
    let name: String = row.try_get("name")?;
    authorize(
        actor,
        CustomerAction::Update,
        scope_of(&mut tx, customer).await?,
    )?;
    sqlx::query("DELETE FROM contacts WHERE id = $1")
        .bind(contact.0)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        Some(actor.id),
        Change {
            entity: "customer",
            entity_id: customer.0,
            action: "remove_contact",
            field: Some("contacts"),
            before: Some(name),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_tags(db: &Db) -> AppResult<Vec<Tag>> {
    let rows = sqlx::query("SELECT id, name, color FROM tags ORDER BY name")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Tag {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                color: r.try_get("color")?,
            })
        })
        .collect()
}
