//! The customer import: creates customers or updates those matched by external id or
//! e-mail, with the two-level assignment rules of the customer form.

use super::csv::CsvRow;
use super::run::{customers_by, email_key, load_staff, set_field, Run, Staff, StoredCustomer};
use crate::audit::service::Change;
use crate::auth::permissions::{
    check_assignment, may, may_assign_to, may_set_tier_on_create, CustomerAction, LEVEL_STANDARD,
};
use crate::auth::{CurrentUser, Role};
use crate::customers::model::{parse_tags, CustomerDraft, CustomerInput, Grade};
use crate::customers::service::{columns, display};
use crate::customers::tags::ensure_tags;
use crate::db::{insert_rows, now, reserve_ids, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::{TeamId, UserId};
use crate::imports::model::*;
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// The two-level assignment rules for an imported owner and service manager, as the
/// customer form applies them. Returns the owner's team, or the reason and column.
fn check_owner(
    actor: &CurrentUser,
    staff: &Staff,
    level: i64,
    owner: UserId,
    service_manager: Option<UserId>,
) -> Result<Option<TeamId>, (&'static str, Key)> {
    let owner = staff
        .by_id
        .get(&owner)
        .ok_or(("owner_email", Key::ErrImportUnknownUser))?;
    if !may_assign_to(actor, owner) {
        return Err(("owner_email", Key::ErrOutsideYourTeam));
    }
    let sm = match service_manager {
        Some(id) => {
            let sm = staff
                .by_id
                .get(&id)
                .ok_or(("service_manager_email", Key::ErrImportUnknownUser))?;
            if !may_assign_to(actor, sm) && actor.role != Role::Tier2Manager {
                return Err(("service_manager_email", Key::ErrOutsideYourTeam));
            }
            Some(sm)
        }
        None => None,
    };
    match check_assignment(level, owner, sm) {
        Ok(()) => Ok(owner.team_id),
        Err(AppError::Validation(errors)) => {
            let e = errors.first();
            let column = match e.map(|e| e.field.as_str()) {
                Some("service_manager_id") => "service_manager_email",
                _ => "owner_email",
            };
            Err((
                column,
                e.map(|e| e.message).unwrap_or(Key::ErrInvalidChoice),
            ))
        }
        Err(_) => Err(("owner_email", Key::ErrInvalidChoice)),
    }
}

/// A customer the file changes or creates, in its state after the rows so far.
struct Pending {
    stored: Option<StoredCustomer>,
    input: CustomerInput,
    team: Option<TeamId>,
}

/// Stored customers the file's rows can match, as pending changes, and for each key
/// (external id, e-mail, phone) the index of the customer that holds it.
async fn load_matches(
    run: &Run<'_>,
    conn: &mut AnyConnection,
    rows: &[CsvRow],
) -> AppResult<(Vec<Pending>, [HashMap<String, usize>; 3])> {
    // Load every stored customer a row could match, by each key at once.
    let mut keys: [HashSet<String>; 3] = Default::default();
    for row in rows {
        let ext = run.cols.get(row, "external_id");
        if !ext.is_empty() {
            keys[0].insert(ext.to_string());
        }
        if let Some(e) = email_key(run.cols.get(row, "email")) {
            keys[1].insert(e);
        }
        let phone = run.cols.get(row, "phone");
        if !phone.is_empty() {
            keys[2].insert(phone.to_string());
        }
    }
    let mut pending: Vec<Pending> = Vec::new();
    let mut by_id: HashMap<i64, usize> = HashMap::new();
    // Matching order: external id, then e-mail, then phone.
    let mut maps: [HashMap<String, usize>; 3] = Default::default();
    for (k, column) in ["external_id", "email", "phone"].into_iter().enumerate() {
        let values: Vec<String> = keys[k].iter().cloned().collect();
        for c in customers_by(conn, column, &values, true).await? {
            // A customer the actor may not see is never matched by e-mail or phone: the row
            // is then a new customer, exactly as if no record matched. External ids are
            // unique, so that match is kept and answered below as a taken id.
            if k > 0 && !may(run.actor, CustomerAction::Read, &c.scope) {
                continue;
            }
            let idx = *by_id.entry(c.id).or_insert_with(|| {
                pending.push(Pending {
                    input: c.input.clone(),
                    team: c.scope.team_id,
                    stored: Some(c),
                });
                pending.len() - 1
            });
            let input = &pending[idx].input;
            let key = match k {
                0 => Some(input.external_id.clone()),
                1 => email_key(&input.email),
                _ => Some(input.phone.trim().to_string()),
            };
            if let Some(key) = key.filter(|k| !k.is_empty()) {
                maps[k].entry(key).or_insert(idx);
            }
        }
    }
    Ok((pending, maps))
}

/// Why a row is rejected: the column to name and the reason.
type Rejection = (String, Key);

fn reject_at(column: &str, key: Key) -> Rejection {
    (column.to_string(), key)
}

/// The row's values over the matched customer's (`base`), staff e-mails resolved, checked
/// as the customer form checks them.
fn row_draft(
    run: &Run<'_>,
    row: &CsvRow,
    staff: &Staff,
    mut input: CustomerInput,
    year: i64,
) -> Result<(CustomerInput, CustomerDraft), Rejection> {
    for field in ImportKind::Customers.fields() {
        let value = run.cols.get(row, field);
        if !value.is_empty() {
            set_field(&mut input, field, value.to_string());
        }
    }
    for (field, slot) in [
        ("owner_email", &mut input.owner_id),
        ("service_manager_email", &mut input.service_manager_id),
    ] {
        let value = run.cols.get(row, field);
        if !value.is_empty() {
            match staff.by_email.get(&value.to_lowercase()) {
                Some(a) => *slot = a.id.to_string(),
                None => return Err(reject_at(field, Key::ErrImportUnknownUser)),
            }
        }
    }
    match CustomerDraft::parse(&input, year) {
        Ok(d) => Ok((input, d)),
        Err(AppError::Validation(errors)) => {
            let (field, key) = errors
                .first()
                .map(|e| (e.field.as_str(), e.message))
                .unwrap_or(("", Key::ErrInvalidChoice));
            let field = match field {
                "owner_id" => "owner_email",
                "service_manager_id" => "service_manager_email",
                f => f,
            };
            Err(reject_at(field, key))
        }
        Err(_) => Err(reject_at("", Key::ErrInvalidChoice)),
    }
}

/// The team an update leaves the stored customer in, once the actor's rights to change
/// it, its tier and its managers are checked.
fn team_after_update(
    actor: &CurrentUser,
    staff: &Staff,
    stored: &StoredCustomer,
    draft: &CustomerDraft,
) -> Result<Option<TeamId>, Rejection> {
    let scope = stored.scope;
    // Invisible: answered as a taken external id, never as "may not change", which would
    // confirm the record and its ownership.
    if !may(actor, CustomerAction::Read, &scope) {
        return Err(reject_at("external_id", Key::ErrImportDuplicate));
    }
    if !may(actor, CustomerAction::Update, &scope) {
        return Err(reject_at("", Key::ErrImportMayNotChange));
    }
    let old_grade = Grade::parse(&stored.input.grade).unwrap_or(Grade::General);
    if (draft.level != scope.level || draft.grade != old_grade)
        && !may(actor, CustomerAction::ChangeTier, &scope)
    {
        return Err(reject_at("level", Key::ErrImportMayNotChange));
    }
    let owner = draft.owner_id.unwrap_or(scope.owner_id);
    let managers_change =
        owner != scope.owner_id || draft.service_manager_id != scope.service_manager_id;
    if !managers_change && draft.level == scope.level {
        return Ok(scope.team_id);
    }
    if managers_change && !may(actor, CustomerAction::Reassign, &scope) {
        return Err(reject_at("owner_email", Key::ErrImportMayNotChange));
    }
    check_owner(actor, staff, draft.level, owner, draft.service_manager_id)
        .map_err(|(column, key)| reject_at(column, key))
}

/// The owner and team of a new customer: the row's owner or the import's default, with
/// the actor's right to set a tier on creation checked.
fn owner_of_new(
    run: &Run<'_>,
    staff: &Staff,
    draft: &CustomerDraft,
) -> Result<(UserId, Option<TeamId>), Rejection> {
    let default_tier = draft.level == LEVEL_STANDARD && draft.grade == Grade::General;
    if !default_tier && !may_set_tier_on_create(run.actor) {
        return Err(reject_at("level", Key::ErrImportMayNotChange));
    }
    let owner = draft
        .owner_id
        .or(run.options.default_owner)
        .ok_or_else(|| reject_at("owner_email", Key::ErrImportOwnerRequired))?;
    let team = check_owner(
        run.actor,
        staff,
        draft.level,
        owner,
        draft.service_manager_id,
    )
    .map_err(|(column, key)| reject_at(column, key))?;
    Ok((owner, team))
}

pub(super) async fn import_customers(
    run: &mut Run<'_>,
    conn: &mut AnyConnection,
    rows: &[CsvRow],
) -> AppResult<()> {
    let year = crate::dates::civil_from_days(now().div_euclid(86_400)).0;
    let staff = load_staff(conn).await?;
    let (mut pending, mut maps) = load_matches(run, conn, rows).await?;
    let stored_count = pending.len();
    let mut touched: HashSet<usize> = HashSet::new();
    for (n, row) in rows.iter().enumerate() {
        run.validated(n);
        let ext = run.cols.get(row, "external_id").to_string();
        let email = email_key(run.cols.get(row, "email"));
        let phone = run.cols.get(row, "phone").to_string();
        let target = [Some(ext), email, Some(phone)]
            .into_iter()
            .enumerate()
            .find_map(|(k, key)| {
                key.filter(|k| !k.is_empty())
                    .and_then(|key| maps[k].get(&key).copied())
            });
        let base = target.map(|i| pending[i].input.clone()).unwrap_or_default();
        let checked = row_draft(run, row, &staff, base, year).and_then(|(input, draft)| {
            // A changed external id must not collide with another customer's.
            if let Some(new_ext) = &draft.external_id {
                if maps[0].get(new_ext).is_some_and(|i| Some(*i) != target) {
                    return Err(reject_at("external_id", Key::ErrImportDuplicate));
                }
            }
            Ok((input, draft))
        });
        let stored = target.and_then(|i| pending[i].stored.as_ref());
        let outcome = checked.and_then(|(mut input, draft)| {
            let team = match stored {
                Some(stored) => team_after_update(run.actor, &staff, stored, &draft)?,
                None => {
                    let (owner, team) = owner_of_new(run, &staff, &draft)?;
                    input.owner_id = owner.to_string();
                    team
                }
            };
            Ok((input, draft, team))
        });
        let (input, draft, team) = match outcome {
            Ok(ok) => ok,
            Err((column, key)) => {
                run.reject(row.line, &column, key);
                continue;
            }
        };
        let idx = match target {
            Some(i) => {
                run.report.updated += 1;
                i
            }
            None => {
                run.report.created += 1;
                pending.push(Pending {
                    stored: None,
                    input: CustomerInput::default(),
                    team: None,
                });
                pending.len() - 1
            }
        };
        // Later rows find this customer by any of its keys, the new ones included.
        for (k, key) in [draft.external_id, draft.email, draft.phone]
            .into_iter()
            .enumerate()
        {
            if let Some(key) = key {
                maps[k].entry(key).or_insert(idx);
            }
        }
        pending[idx].input = input;
        pending[idx].team = team;
        touched.insert(idx);
    }
    (run.progress)(JobPhase::Writing, 0, run.total);
    write_customers(run, conn, &pending, stored_count, &touched, year).await
}

async fn write_customers(
    run: &mut Run<'_>,
    conn: &mut AnyConnection,
    pending: &[Pending],
    stored_count: usize,
    touched: &HashSet<usize>,
    year: i64,
) -> AppResult<()> {
    let t = now();
    let actor = run.options.audit_actor.map(|a| a.0);
    let audit_head = "INSERT INTO audit_log (at, actor_id, entity, entity_id, action, field, before_value, after_value)";
    let audit = |id: i64, change: Change<'_>| -> Vec<SqlValue> {
        vec![
            SqlValue::Int(t),
            SqlValue::OptInt(actor),
            SqlValue::Text(change.entity.into()),
            SqlValue::Int(id),
            SqlValue::Text(change.action.into()),
            SqlValue::OptText(change.field.map(str::to_string)),
            SqlValue::OptText(change.before),
            SqlValue::OptText(change.after),
        ]
    };
    let new: Vec<&Pending> = pending[stored_count..].iter().collect();
    let ids = reserve_ids(conn, run.db.engine, "customers", new.len()).await?;
    let mut customer_rows = Vec::with_capacity(new.len());
    let mut audit_rows = Vec::new();
    let mut tag_sets: Vec<(i64, Vec<String>)> = Vec::new();
    let mut head = String::from("INSERT INTO customers (id");
    for (p, id) in new.iter().zip(&ids) {
        let draft = CustomerDraft::parse(&p.input, year)?;
        let cols = columns(&draft);
        if customer_rows.is_empty() {
            for (c, _) in &cols {
                head.push_str(", ");
                head.push_str(c);
            }
            head.push_str(", team_id, created_at, updated_at)");
        }
        let mut row = vec![SqlValue::Int(*id)];
        row.extend(cols.into_iter().map(|(_, v)| v));
        row.extend([
            SqlValue::OptInt(p.team.map(|t| t.0)),
            SqlValue::Int(t),
            SqlValue::Int(t),
        ]);
        customer_rows.push(row);
        audit_rows.push(audit(
            *id,
            Change::new("customer", *id, "import").values(None, Some(draft.name.clone())),
        ));
        if !draft.tags.is_empty() {
            tag_sets.push((*id, draft.tags));
        }
    }
    run.insert(conn, &head, &customer_rows).await?;
    let mut replaced_tags: Vec<i64> = Vec::new();
    for idx in (0..stored_count).filter(|i| touched.contains(i)) {
        let p = &pending[idx];
        let Some(stored) = &p.stored else { continue };
        let draft = CustomerDraft::parse(&p.input, year)?;
        let old = CustomerDraft::parse(&stored.input, year)
            .map(|d| columns(&d))
            .ok();
        let new_cols = columns(&draft);
        let mut q = SqlBuilder::new("UPDATE customers SET ");
        for (i, (col, v)) in new_cols.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push(col).push(" = ").bind(v.clone());
            if matches!(*col, "search_text" | "name_key") {
                continue;
            }
            let before = old.as_ref().and_then(|o| display(&o[i].1));
            let after = display(v);
            if before != after {
                audit_rows.push(audit(
                    stored.id,
                    Change::new("customer", stored.id, "update")
                        .on_field(col)
                        .values(before, after),
                ));
            }
        }
        q.push(", team_id = ")
            .bind(SqlValue::OptInt(p.team.map(|t| t.0)));
        q.push(", updated_at = ").bind(SqlValue::Int(t));
        q.push(" WHERE id = ").bind(SqlValue::Int(stored.id));
        q.query().execute(&mut *conn).await?;
        let old_tags = parse_tags(&stored.input.tags).unwrap_or_default();
        if !p.input.tags.trim().is_empty() && old_tags != draft.tags {
            audit_rows.push(audit(
                stored.id,
                Change::new("customer", stored.id, "update")
                    .on_field("tags")
                    .values(None, Some(draft.tags.join(", "))),
            ));
            replaced_tags.push(stored.id);
            tag_sets.push((stored.id, draft.tags));
        }
        run.wrote(1)?;
    }
    for id in replaced_tags {
        sqlx::query("DELETE FROM customer_tags WHERE customer_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let mut names: Vec<String> = tag_sets
        .iter()
        .flat_map(|(_, t)| t.iter().cloned())
        .collect();
    names.sort_by_key(|n| n.to_lowercase());
    names.dedup_by_key(|n| n.to_lowercase());
    let tag_ids: HashMap<String, i64> = names
        .iter()
        .map(|n| n.to_lowercase())
        .zip(ensure_tags(conn, &names).await?)
        .collect();
    let tag_rows: Vec<Vec<SqlValue>> = tag_sets
        .iter()
        .flat_map(|(id, tags)| {
            tags.iter()
                .filter_map(|t| tag_ids.get(&t.to_lowercase()))
                .collect::<HashSet<_>>()
                .into_iter()
                .map(|tag| vec![SqlValue::Int(*id), SqlValue::Int(*tag)])
                .collect::<Vec<_>>()
        })
        .collect();
    insert_rows(
        conn,
        run.db.engine,
        "INSERT INTO customer_tags (customer_id, tag_id)",
        &tag_rows,
    )
    .await?;
    insert_rows(conn, run.db.engine, audit_head, &audit_rows).await?;
    Ok(())
}
