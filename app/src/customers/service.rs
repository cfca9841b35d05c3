//! Customer reads and writes. Every entry point takes the acting user and asks the
//! permission module first; a customer the actor may not see is `NotFound`.

use crate::audit::service::{record, Change};
use crate::auth::permissions::{
    check_assignment, may, may_assign_to, may_create_customers, may_set_tier_on_create,
    CustomerAction, LEVEL_STANDARD,
};
use crate::auth::scope::{authorize, scope_of};
use crate::auth::CurrentUser;
use crate::customers::model::*;
use crate::customers::tags::{group_names, replace_groups, replace_tags, tag_names};
use crate::db::{now, Db, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::{ContactId, CustomerId, TeamId, UserId};
use crate::users::service::load_assignee;

fn current_year() -> i64 {
    crate::dates::civil_from_days(now().div_euclid(86_400)).0
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
        Change::new("customer", id.0, "create").values(None, Some(draft.name.clone())),
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
                Change::new("customer", id.0, "update")
                    .on_field(col)
                    .values(a, b),
            )
            .await?;
        }
    }
    let new_tags = tag_names(&mut tx, id).await?;
    if old_tags != new_tags {
        record(
            &mut tx,
            Some(actor.id),
            Change::new("customer", id.0, "update")
                .on_field("tags")
                .values(Some(old_tags), Some(new_tags)),
        )
        .await?;
    }
    let new_groups = group_names(&mut tx, id).await?;
    if old_groups != new_groups {
        record(
            &mut tx,
            Some(actor.id),
            Change::new("customer", id.0, "update")
                .on_field("groups")
                .values(Some(old_groups), Some(new_groups)),
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
    crate::db::derived::forget_customer(&mut tx, id.0).await?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("customer", id.0, "delete").values(Some(name), None),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
