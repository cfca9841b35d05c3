//! Customer export: the rows the actor may see (a filter of the list, or a selection of
//! ids), every page of them, with the columns the actor may see.

use crate::auth::permissions::{customer_visibility, may_list_customers, may_see_financials};
use crate::auth::CurrentUser;
use crate::csv_writer::CsvWriter;
use crate::customers::filter::ParsedFilter;
use crate::customers::model::FILE_COLUMNS;
use crate::db::{Db, DbRow, Row, SqlBuilder};
use crate::error::{AppError, AppResult};
use crate::finance::credit::{figures, rating, CreditRating, PaymentFacts};
use crate::ids::CustomerId;
use std::collections::HashMap;

const CHUNK: usize = 400;

/// The export's columns for this actor. Columns that depend on a per-customer right
/// (credit rating, custom fields) are appended here with their visibility check.
pub fn customer_columns(_actor: &CurrentUser) -> Vec<&'static str> {
    let mut columns = FILE_COLUMNS.to_vec();
    columns.extend(["team", "created_at", "order_count", "lifetime_value"]);
    columns
}

/// Which customers to write.
pub enum Selection<'a> {
    /// Everything the list would show for this filter, all pages.
    Filter(&'a ParsedFilter),
    /// These ids, those the actor may see.
    Ids(&'a [i64]),
}

fn cell(r: &DbRow, tags: &HashMap<i64, Vec<String>>, column: &str) -> Result<String, sqlx::Error> {
    let text = |c: &str| -> Result<String, sqlx::Error> {
        Ok(r.try_get::<Option<String>, _>(c)?.unwrap_or_default())
    };
    let int = |c: &str| -> Result<String, sqlx::Error> {
        Ok(r.try_get::<Option<i64>, _>(c)?
            .map(|v| v.to_string())
            .unwrap_or_default())
    };
    Ok(match column {
        "birth_year" | "level" | "order_count" => int(column)?,
        "team" => text("team_name")?,
        "service_manager_email" => text("service_manager_email")?,
        "tags" => tags
            .get(&r.try_get::<i64, _>("id")?)
            .map(|t| t.join(", "))
            .unwrap_or_default(),
        "created_at" => {
            crate::dates::iso_date(r.try_get::<i64, _>("created_at")?.div_euclid(86_400))
        }
        "lifetime_value" => {
            let cents: i64 = r.try_get("lifetime_value_cents")?;
            let sign = if cents < 0 { "-" } else { "" };
            format!(
                "{sign}{}.{:02}",
                cents.unsigned_abs() / 100,
                cents.unsigned_abs() % 100
            )
        }
        other => text(other)?,
    })
}

async fn visible_ids(
    db: &Db,
    actor: &CurrentUser,
    selection: Selection<'_>,
) -> AppResult<Vec<i64>> {
    match selection {
        Selection::Ids(ids) => {
            let mut out = Vec::new();
            for chunk in ids.chunks(CHUNK) {
                let mut q = SqlBuilder::new("SELECT c.id FROM customers c WHERE 1 = 1");
                customer_visibility(actor, &mut q);
                q.push(" AND c.id IN ")
                    .push_id_list(chunk)
                    .push(" ORDER BY c.id");
                for r in q.query().fetch_all(&db.pool).await? {
                    out.push(r.try_get("id")?);
                }
            }
            Ok(out)
        }
        Selection::Filter(filter) => {
            // The list's own query, page after page by its keyset cursor: the export
            // shows exactly what the list shows, in the same order.
            let mut filter = filter.clone();
            filter.after = None;
            let mut out = Vec::new();
            let conditions = crate::segments::service::list_conditions(db, actor, &filter).await?;
            loop {
                let page = crate::customers::listing::list(db, actor, &filter, &conditions).await?;
                out.extend(page.items.iter().map(|c| c.id.0));
                match page
                    .next_after
                    .as_deref()
                    .and_then(crate::customers::filter::Cursor::decode)
                {
                    Some(next) => filter.after = Some(next),
                    None => break,
                }
            }
            Ok(out)
        }
    }
}

/// The credit rating column of one row: empty where the actor may not see the
/// customer's financial records (tier-2 managers on key accounts), else the override or
/// the rating derived from the payments in `payments`.
fn credit_cell(
    actor: &CurrentUser,
    r: &DbRow,
    payments: &HashMap<i64, Vec<PaymentFacts>>,
    today: i64,
) -> Result<String, sqlx::Error> {
    let scope = crate::auth::scope::scope_from_row(r)?;
    if !may_see_financials(actor, &scope) {
        return Ok(String::new());
    }
    let overridden = r
        .try_get::<Option<String>, _>("credit_override")?
        .as_deref()
        .and_then(CreditRating::parse);
    let derived = payments
        .get(&r.try_get::<i64, _>("id")?)
        .and_then(|p| rating(&figures(p, today)));
    Ok(overridden
        .or(derived)
        .map(|g| g.as_str().to_string())
        .unwrap_or_default())
}

/// The CSV file (UTF-8 with BOM, header row, formulas neutralised).
pub async fn export_customers(
    db: &Db,
    actor: &CurrentUser,
    selection: Selection<'_>,
) -> AppResult<String> {
    if !may_list_customers(actor) {
        return Err(AppError::Forbidden);
    }
    let columns = customer_columns(actor);
    // Credit rating and the admin-defined fields follow the standard columns.
    let fields = crate::custom_fields::service::active_fields(db).await?;
    let mut header: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    header.push("credit_rating".into());
    header.extend(fields.iter().map(|f| format!("cf.{}", f.key)));
    let mut csv = CsvWriter::new();
    csv.row(&header);
    let today = crate::db::now().div_euclid(86_400);
    let ids = visible_ids(db, actor, selection).await?;
    for chunk in ids.chunks(CHUNK) {
        let mut q = SqlBuilder::new(
            "SELECT c.*, o.email AS owner_email, s.email AS service_manager_email, t.name AS team_name, \
             (SELECT COUNT(*) FROM orders x WHERE x.customer_id = c.id) AS order_count, \
             (SELECT CAST(COALESCE(SUM(x.amount_cents), 0) AS BIGINT) FROM orders x WHERE x.customer_id = c.id) AS lifetime_value_cents \
             FROM customers c JOIN users o ON o.id = c.owner_id LEFT JOIN users s ON s.id = c.service_manager_id \
             LEFT JOIN teams t ON t.id = c.team_id WHERE c.id IN ",
        );
        q.push_id_list(chunk);
        let rows = q.query().fetch_all(&db.pool).await?;
        let mut t = SqlBuilder::new(
            "SELECT ct.customer_id, t.name FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.customer_id IN ",
        );
        t.push_id_list(chunk);
        t.push(" ORDER BY t.name");
        let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
        for r in t.query().fetch_all(&db.pool).await? {
            tags.entry(r.try_get("customer_id")?)
                .or_default()
                .push(r.try_get("name")?);
        }
        let mut p = SqlBuilder::new(
            "SELECT customer_id, amount_cents, due_date, paid_date FROM payments WHERE customer_id IN ",
        );
        p.push_id_list(chunk);
        let mut payments: HashMap<i64, Vec<PaymentFacts>> = HashMap::new();
        for r in p.query().fetch_all(&db.pool).await? {
            if let Some((customer, payment)) = crate::finance::service::payment_facts(&r)? {
                payments.entry(customer).or_default().push(payment);
            }
        }
        let ids: Vec<CustomerId> = chunk.iter().map(|i| CustomerId(*i)).collect();
        let custom = crate::custom_fields::service::values_for(db, &ids).await?;
        let mut by_id: HashMap<i64, &DbRow> = HashMap::new();
        for r in &rows {
            by_id.insert(r.try_get("id")?, r);
        }
        for id in chunk {
            let Some(r) = by_id.get(id) else { continue };
            let mut cells = columns
                .iter()
                .map(|c| cell(r, &tags, c))
                .collect::<Result<Vec<_>, _>>()?;
            cells.push(credit_cell(actor, r, &payments, today)?);
            let values = custom.get(&CustomerId(*id));
            cells.extend(fields.iter().map(|f| {
                values
                    .and_then(|v| v.get(&f.key))
                    .cloned()
                    .unwrap_or_default()
            }));
            csv.row(&cells);
        }
    }
    Ok(csv.finish())
}
