use crate::audit::service::{record, Change};
use crate::auth::permissions::{
    may_edit_financials, may_override_credit, may_see_financials, CustomerScope,
};
use crate::auth::scope::visible_scope;
use crate::auth::CurrentUser;
use crate::dates::{iso_date, parse_date};
use crate::db::{now, Db, DbRow, Row};
use crate::error::{AppError, AppResult};
use crate::finance::credit::{figures, payment_status, rating, CreditRating, PaymentFacts};
use crate::finance::model::*;
use crate::format::format_cents;
use crate::ids::{ContractId, CustomerId, PaymentId};
use sqlx::AnyConnection;

/// A payment row (`customer_id`, `amount_cents`, `due_date`, `paid_date`) as the facts
/// the credit rating reads; `None` for a row without a readable due date.
pub fn payment_facts(r: &DbRow) -> Result<Option<(i64, PaymentFacts)>, sqlx::Error> {
    let due: String = r.try_get("due_date")?;
    let paid: Option<String> = r.try_get("paid_date")?;
    let Some(due_day) = parse_date(&due) else {
        return Ok(None);
    };
    let facts = PaymentFacts {
        amount_cents: r.try_get("amount_cents")?,
        due_day,
        paid_day: paid.as_deref().and_then(parse_date),
    };
    Ok(Some((r.try_get("customer_id")?, facts)))
}

/// The derived and overridden credit rating of one customer as of `today`.
pub async fn credit_view(
    conn: &mut AnyConnection,
    customer: CustomerId,
    today: i64,
) -> AppResult<CreditView> {
    let rows = sqlx::query(
        "SELECT amount_cents, due_date, paid_date FROM payments WHERE customer_id = $1",
    )
    .bind(customer.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut facts = Vec::with_capacity(rows.len());
    for r in &rows {
        let due: String = r.try_get("due_date")?;
        let paid: Option<String> = r.try_get("paid_date")?;
        if let Some(due_day) = parse_date(&due) {
            facts.push(PaymentFacts {
                amount_cents: r.try_get("amount_cents")?,
                due_day,
                paid_day: paid.as_deref().and_then(parse_date),
            });
        }
    }
    let f = figures(&facts, today);
    let o =
        sqlx::query("SELECT credit_override, credit_override_reason FROM customers WHERE id = $1")
            .bind(customer.0)
            .fetch_one(&mut *conn)
            .await?;
    let override_rating: Option<String> = o.try_get("credit_override")?;
    Ok(CreditView {
        derived: rating(&f),
        figures: f,
        override_rating: override_rating.as_deref().and_then(CreditRating::parse),
        override_reason: o.try_get("credit_override_reason")?,
    })
}

/// The effective credit rating (the override, else the rule of `finance::credit`) of many
/// customers at once, as of `today`: of `customers`, or of every customer with `None`.
/// Every existing customer of the selection has an entry; `None` is "not rated".
pub async fn effective_ratings(
    db: &Db,
    customers: Option<&[CustomerId]>,
    today: i64,
) -> AppResult<std::collections::HashMap<CustomerId, Option<CreditRating>>> {
    use crate::db::SqlBuilder;
    use std::collections::HashMap;
    let chunks: Vec<Option<&[CustomerId]>> = match customers {
        None => vec![None],
        Some(ids) => ids.chunks(400).map(Some).collect(),
    };
    let mut facts: HashMap<i64, Vec<PaymentFacts>> = HashMap::new();
    let mut overrides: Vec<(i64, Option<String>)> = Vec::new();
    for chunk in chunks {
        let restrict = |q: &mut SqlBuilder, column: &str| {
            if let Some(ids) = chunk {
                let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
                q.push(" WHERE ")
                    .push(column)
                    .push(" IN ")
                    .push_id_list(&ids);
            }
        };
        let mut q =
            SqlBuilder::new("SELECT customer_id, amount_cents, due_date, paid_date FROM payments");
        restrict(&mut q, "customer_id");
        for r in q.query().fetch_all(&db.pool).await? {
            if let Some((customer, payment)) = payment_facts(&r)? {
                facts.entry(customer).or_default().push(payment);
            }
        }
        let mut q = SqlBuilder::new("SELECT id, credit_override FROM customers");
        restrict(&mut q, "id");
        for r in q.query().fetch_all(&db.pool).await? {
            overrides.push((r.try_get("id")?, r.try_get("credit_override")?));
        }
    }
    Ok(overrides
        .into_iter()
        .map(|(id, o)| {
            let derived = facts.get(&id).and_then(|p| rating(&figures(p, today)));
            let effective = o.as_deref().and_then(CreditRating::parse).or(derived);
            (CustomerId(id), effective)
        })
        .collect())
}

fn today() -> i64 {
    now().div_euclid(86_400)
}

/// Credit, contracts and payments of a customer, or `None` when the actor may see the
/// customer but not its financial records.
pub async fn overview(
    db: &Db,
    actor: &CurrentUser,
    customer: CustomerId,
) -> AppResult<Option<FinanceOverview>> {
    let mut conn = db.pool.acquire().await?;
    let scope = visible_scope(&mut conn, actor, customer).await?;
    if !may_see_financials(actor, &scope) {
        return Ok(None);
    }
    let today = today();
    let credit = credit_view(&mut conn, customer, today).await?;
    let contracts = sqlx::query(
        "SELECT id, title, value_cents, currency, start_date, end_date, status FROM contracts \
         WHERE customer_id = $1 ORDER BY start_date DESC, id DESC",
    )
    .bind(customer.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let status: String = r.try_get("status")?;
        Ok(Contract {
            id: ContractId(r.try_get("id")?),
            title: r.try_get("title")?,
            value_cents: r.try_get("value_cents")?,
            currency: r.try_get("currency")?,
            start_date: r.try_get("start_date")?,
            end_date: r.try_get("end_date")?,
            status: ContractStatus::parse(&status).unwrap_or(ContractStatus::Active),
        })
    })
    .collect::<AppResult<Vec<_>>>()?;
    let payments = sqlx::query(
        "SELECT p.id, p.amount_cents, p.currency, p.due_date, p.paid_date, c.title AS contract_title \
         FROM payments p LEFT JOIN contracts c ON c.id = p.contract_id \
         WHERE p.customer_id = $1 ORDER BY p.due_date DESC, p.id DESC LIMIT 200",
    )
    .bind(customer.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let due: String = r.try_get("due_date")?;
        let paid: Option<String> = r.try_get("paid_date")?;
        let status = payment_status(
            parse_date(&due).unwrap_or(today),
            paid.as_deref().and_then(parse_date),
            today,
        );
        Ok(Payment {
            id: PaymentId(r.try_get("id")?),
            contract_title: r.try_get("contract_title")?,
            amount_cents: r.try_get("amount_cents")?,
            currency: r.try_get("currency")?,
            due_date: due,
            paid_date: paid,
            status,
        })
    })
    .collect::<AppResult<Vec<_>>>()?;
    Ok(Some(FinanceOverview {
        credit,
        contracts,
        payments,
        may_edit: may_edit_financials(actor, &scope),
        may_override: may_override_credit(actor, &scope),
    }))
}

/// Refuses unless the actor may record financial facts on this customer. Hidden records
/// answer `NotFound`, like an invisible customer.
async fn authorize_edit(
    conn: &mut AnyConnection,
    actor: &CurrentUser,
    customer: CustomerId,
) -> AppResult<CustomerScope> {
    let scope = visible_scope(conn, actor, customer).await?;
    if !may_see_financials(actor, &scope) {
        return Err(AppError::NotFound);
    }
    if !may_edit_financials(actor, &scope) {
        return Err(AppError::Forbidden);
    }
    Ok(scope)
}

pub async fn add_contract(
    db: &Db,
    actor: &CurrentUser,
    customer: CustomerId,
    d: &ContractDraft,
) -> AppResult<ContractId> {
    let mut tx = db.begin_write().await?;
    authorize_edit(&mut tx, actor, customer).await?;
    let t = now();
    let id: i64 = sqlx::query(
        "INSERT INTO contracts (customer_id, title, value_cents, currency, start_date, end_date, status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(customer.0)
    .bind(&d.title)
    .bind(d.value_cents)
    .bind(&d.currency)
    .bind(iso_date(d.start_day))
    .bind(d.end_day.map(iso_date))
    .bind(d.status.as_str())
    .bind(actor.id.0)
    .bind(t)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("customer", customer.0, "contract_create")
            .on_field("contract")
            .values(
                None,
                Some(format!(
                    "{} · {} {} · {}",
                    d.title,
                    d.currency,
                    format_cents(d.value_cents),
                    d.status.as_str()
                )),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(ContractId(id))
}

pub async fn set_contract_status(
    db: &Db,
    actor: &CurrentUser,
    id: ContractId,
    status: ContractStatus,
) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query("SELECT customer_id, title, status FROM contracts WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let customer = CustomerId(row.try_get("customer_id")?);
    authorize_edit(&mut tx, actor, customer).await?;
    let title: String = row.try_get("title")?;
    let before: String = row.try_get("status")?;
    if before == status.as_str() {
        return Ok(());
    }
    sqlx::query("UPDATE contracts SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now())
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("customer", customer.0, "contract_update")
            .on_field("contract_status")
            .values(
                Some(format!("{title}: {before}")),
                Some(format!("{title}: {}", status.as_str())),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_payment(
    db: &Db,
    actor: &CurrentUser,
    customer: CustomerId,
    d: &PaymentDraft,
) -> AppResult<PaymentId> {
    let mut tx = db.begin_write().await?;
    authorize_edit(&mut tx, actor, customer).await?;
    if let Some(contract) = d.contract {
        let owner: Option<i64> = sqlx::query("SELECT customer_id FROM contracts WHERE id = $1")
            .bind(contract.0)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("customer_id"))
            .transpose()?;
        if owner != Some(customer.0) {
            return Err(AppError::field(
                "contract",
                crate::i18n::Key::ErrInvalidChoice,
            ));
        }
    }
    let id: i64 = sqlx::query(
        "INSERT INTO payments (customer_id, contract_id, amount_cents, currency, due_date, paid_date, timeline_at, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(customer.0)
    .bind(d.contract.map(|c| c.0))
    .bind(d.amount_cents)
    .bind(&d.currency)
    .bind(iso_date(d.due_day))
    .bind(d.paid_day.map(iso_date))
    .bind(d.paid_day.unwrap_or(d.due_day) * 86_400)
    .bind(actor.id.0)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    tx.commit().await?;
    Ok(PaymentId(id))
}

/// Records the day a payment arrived (or clears it when entered by mistake).
pub async fn set_paid(
    db: &Db,
    actor: &CurrentUser,
    id: PaymentId,
    paid_day: Option<i64>,
) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query("SELECT customer_id, due_date, paid_date, amount_cents, currency FROM payments WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let customer = CustomerId(row.try_get("customer_id")?);
    authorize_edit(&mut tx, actor, customer).await?;
    let due: String = row.try_get("due_date")?;
    let before: Option<String> = row.try_get("paid_date")?;
    let due_day = parse_date(&due).unwrap_or_default();
    sqlx::query("UPDATE payments SET paid_date = $1, timeline_at = $2 WHERE id = $3")
        .bind(paid_day.map(iso_date))
        .bind(paid_day.unwrap_or(due_day) * 86_400)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    let currency: String = row.try_get("currency")?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("customer", customer.0, "payment_update")
            .on_field("payment_paid_date")
            .values(
                Some(format!(
                    "{currency} {} due {due}: {}",
                    format_cents(row.try_get("amount_cents")?),
                    before.unwrap_or_else(|| "—".into())
                )),
                Some(paid_day.map(iso_date).unwrap_or_else(|| "—".into())),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets or clears the manual credit rating; the reason and both values go to the audit log.
pub async fn override_credit(
    db: &Db,
    actor: &CurrentUser,
    customer: CustomerId,
    o: &CreditOverride,
) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    let scope = visible_scope(&mut tx, actor, customer).await?;
    if !may_see_financials(actor, &scope) {
        return Err(AppError::NotFound);
    }
    if !may_override_credit(actor, &scope) {
        return Err(AppError::Forbidden);
    }
    let before = credit_view(&mut tx, customer, today()).await?;
    let (rating, reason) = match &o.0 {
        Some((r, reason)) => (Some(r.as_str()), Some(reason.clone())),
        None => (None, None),
    };
    sqlx::query("UPDATE customers SET credit_override = $1, credit_override_reason = $2, updated_at = $3 WHERE id = $4")
        .bind(rating)
        .bind(&reason)
        .bind(now())
        .bind(customer.0)
        .execute(&mut *tx)
        .await?;
    let show = |r: Option<CreditRating>, why: Option<String>| match (r, why) {
        (Some(r), Some(w)) => Some(format!("{} ({w})", r.as_str())),
        (Some(r), None) => Some(r.as_str().to_string()),
        _ => None,
    };
    record(
        &mut tx,
        Some(actor.id),
        Change::new("customer", customer.0, "update")
            .on_field("credit_override")
            .values(
                show(before.override_rating, before.override_reason),
                show(rating.and_then(CreditRating::parse), reason),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
