//! The contact import: contacts added to the customers the rows name.

use super::csv::CsvRow;
use super::run::{summary_audit, CustomerRefs, Run, AUDIT_HEAD, LOOKUP_CHUNK};
use crate::customers::model::{ContactDraft, ContactInput};
use crate::db::{insert_rows, now, reserve_ids, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::imports::model::*;
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// The stored contacts of the customers the rows name, by customer and key (`name:…`,
/// `email:…`), so a re-import updates instead of duplicating; and which of those
/// customers have contacts at all.
async fn stored_contacts(
    conn: &mut AnyConnection,
    refs: &CustomerRefs,
) -> AppResult<(HashMap<(i64, String), i64>, HashSet<i64>)> {
    let customer_ids: Vec<i64> = refs
        .by_ext
        .values()
        .chain(refs.by_email.values())
        .map(|c| c.id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut stored: HashMap<(i64, String), i64> = HashMap::new();
    let mut has_contacts: HashSet<i64> = HashSet::new();
    for chunk in customer_ids.chunks(LOOKUP_CHUNK) {
        let mut q = SqlBuilder::new(
            "SELECT id, customer_id, name, email FROM contacts WHERE customer_id IN (",
        );
        q.bind_all(chunk.iter().map(|v| SqlValue::Int(*v)));
        q.push(")");
        for r in q.query().fetch_all(&mut *conn).await? {
            let customer: i64 = r.try_get("customer_id")?;
            let id: i64 = r.try_get("id")?;
            has_contacts.insert(customer);
            let email: Option<String> = r.try_get("email")?;
            let name: String = r.try_get("name")?;
            stored.insert((customer, format!("name:{}", name.to_lowercase())), id);
            if let Some(e) = email {
                stored.insert((customer, format!("email:{}", e.to_lowercase())), id);
            }
        }
    }
    Ok((stored, has_contacts))
}

/// One row as a contact, checked as the contact form checks it; `None` when rejected.
fn contact_of_row(run: &mut Run<'_>, row: &CsvRow) -> AppResult<Option<ContactDraft>> {
    let input = ContactInput {
        name: run.cols.get(row, "name").into(),
        title: run.cols.get(row, "title").into(),
        email: run.cols.get(row, "email").into(),
        phone: run.cols.get(row, "phone").into(),
        is_primary: parse_flag(run.cols.get(row, "primary")).then(|| "on".to_string()),
    };
    match ContactDraft::try_from(&input) {
        Ok(d) => Ok(Some(d)),
        Err(AppError::Validation(errors)) => {
            let (field, key) = errors
                .first()
                .map(|e| {
                    (
                        e.field.trim_start_matches("contact_").to_string(),
                        e.message,
                    )
                })
                .unwrap_or((String::new(), Key::ErrInvalidChoice));
            run.reject(row.line, &field, key);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Writes the new contacts, applies the updates, and sets each customer's primary contact.
async fn write_contacts(
    run: &mut Run<'_>,
    conn: &mut AnyConnection,
    has_contacts: &HashSet<i64>,
    new: &[(i64, ContactDraft)],
    updates: &[(i64, i64, ContactDraft)],
) -> AppResult<()> {
    let ids = reserve_ids(conn, run.db.engine, "contacts", new.len()).await?;
    let t = now();
    // A customer's first contact is its primary one, as in the form.
    let mut primary: HashMap<i64, i64> = HashMap::new();
    for (id, (customer, d)) in ids.iter().zip(new) {
        if d.is_primary || (!has_contacts.contains(customer) && !primary.contains_key(customer)) {
            primary.insert(*customer, *id);
        }
    }
    for (id, customer, d) in updates {
        if d.is_primary {
            primary.insert(*customer, *id);
        }
    }
    let rows_out: Vec<Vec<SqlValue>> = ids
        .iter()
        .zip(new)
        .map(|(id, (customer, d))| {
            vec![
                SqlValue::Int(*id),
                SqlValue::Int(*customer),
                SqlValue::Text(d.name.clone()),
                SqlValue::OptText(d.title.clone()),
                SqlValue::OptText(d.email.clone()),
                SqlValue::OptText(d.phone.clone()),
                SqlValue::Int(0),
                SqlValue::Int(t),
            ]
        })
        .collect();
    run.insert(
        conn,
        "INSERT INTO contacts (id, customer_id, name, title, email, phone, is_primary, created_at)",
        &rows_out,
    )
    .await?;
    for (id, _, d) in updates {
        let mut q = SqlBuilder::new("UPDATE contacts SET name = ");
        q.bind(SqlValue::Text(d.name.clone()));
        for (col, v) in [
            ("title", &d.title),
            ("email", &d.email),
            ("phone", &d.phone),
        ] {
            if let Some(v) = v {
                q.push(&format!(", {col} = "))
                    .bind(SqlValue::Text(v.clone()));
            }
        }
        q.push(" WHERE id = ").bind(SqlValue::Int(*id));
        q.query().execute(&mut *conn).await?;
        run.wrote(1)?;
    }
    for (customer, contact) in primary {
        sqlx::query("UPDATE contacts SET is_primary = CASE WHEN id = $1 THEN 1 ELSE 0 END WHERE customer_id = $2")
            .bind(contact)
            .bind(customer)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub(super) async fn import_contacts(
    run: &mut Run<'_>,
    conn: &mut AnyConnection,
    rows: &[CsvRow],
) -> AppResult<()> {
    let refs = CustomerRefs::load(run, conn, rows).await?;
    let (stored, has_contacts) = stored_contacts(conn, &refs).await?;
    let mut new: Vec<(i64, ContactDraft)> = Vec::new();
    let mut new_keys: HashMap<(i64, String), usize> = HashMap::new();
    let mut updates: Vec<(i64, i64, ContactDraft)> = Vec::new();
    let mut per_customer: HashMap<i64, u64> = HashMap::new();
    for (n, row) in rows.iter().enumerate() {
        run.validated(n);
        let customer = match refs.resolve(run, row) {
            Ok(id) => id,
            Err((column, key)) => {
                run.reject(row.line, column, key);
                continue;
            }
        };
        let Some(draft) = contact_of_row(run, row)? else {
            continue;
        };
        let key = match &draft.email {
            Some(e) => format!("email:{e}"),
            None => format!("name:{}", draft.name.to_lowercase()),
        };
        *per_customer.entry(customer).or_default() += 1;
        if let Some(id) = stored.get(&(customer, key.clone())) {
            run.report.updated += 1;
            updates.push((*id, customer, draft));
        } else if let Some(i) = new_keys.get(&(customer, key.clone())) {
            run.report.updated += 1;
            new[*i].1 = draft;
        } else {
            run.report.created += 1;
            new_keys.insert((customer, key), new.len());
            new.push((customer, draft));
        }
    }
    (run.progress)(JobPhase::Writing, 0, run.total);
    write_contacts(run, conn, &has_contacts, &new, &updates).await?;
    let audit = summary_audit(run, &per_customer, "contacts");
    insert_rows(conn, run.db.engine, AUDIT_HEAD, &audit).await?;
    Ok(())
}
