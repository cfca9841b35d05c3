use crate::activities::model::ActivityKind;
use crate::auth::permissions::may_see_financials;
use crate::auth::scope::visible_scope;
use crate::auth::CurrentUser;
use crate::complaints::model::{Severity, Status as ComplaintStatus};
use crate::db::{now, Db, DbRow, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::CustomerId;
use crate::lifecycle::model::Stage;
use crate::tasks::model::{TaskSource, TaskStatus};
use crate::timeline::model::*;

/// Audit fields and actions that belong to the financial records.
const FINANCIAL_AUDIT_FIELDS: &str =
    "'credit_override', 'payment_paid_date', 'contract', 'contract_status'";

/// The SELECT of one kind. Every branch yields the same columns: kind, id, at, actor,
/// f1..f4 (text), n1 (number), currency; NULLs are typed so PostgreSQL can union them.
fn branch_select(kind: TimelineKind) -> &'static str {
    match kind {
        TimelineKind::Activity => {
            "SELECT 'activity' AS kind, a.id AS id, a.happened_at AS at, u.name AS actor, a.kind AS f1, a.summary AS f2, \
             a.outcome AS f3, a.next_step AS f4, CAST(NULL AS BIGINT) AS n1, CAST(NULL AS TEXT) AS currency \
             FROM activities a LEFT JOIN users u ON u.id = a.user_id WHERE a.customer_id = "
        }
        TimelineKind::Order => {
            "SELECT 'order' AS kind, o.id AS id, o.ordered_at AS at, CAST(NULL AS TEXT) AS actor, o.product AS f1, \
             o.category AS f2, o.channel AS f3, o.order_date AS f4, o.amount_cents AS n1, o.currency AS currency \
             FROM orders o WHERE o.customer_id = "
        }
        TimelineKind::Payment => {
            "SELECT 'payment' AS kind, p.id AS id, p.timeline_at AS at, u.name AS actor, p.due_date AS f1, \
             p.paid_date AS f2, ct.title AS f3, CAST(NULL AS TEXT) AS f4, p.amount_cents AS n1, p.currency AS currency \
             FROM payments p LEFT JOIN users u ON u.id = p.created_by LEFT JOIN contracts ct ON ct.id = p.contract_id \
             WHERE p.customer_id = "
        }
        TimelineKind::Task => {
            "SELECT 'task' AS kind, t.id AS id, t.created_at AS at, u.name AS actor, t.title AS f1, t.status AS f2, \
             t.source AS f3, a.name AS f4, t.due_at AS n1, CAST(NULL AS TEXT) AS currency \
             FROM tasks t LEFT JOIN users u ON u.id = t.created_by LEFT JOIN users a ON a.id = t.assignee_id \
             WHERE t.customer_id = "
        }
        // Levels travel in n1 as from × 10 + to (levels are 1 and 2).
        TimelineKind::Tier => {
            "SELECT 'tier' AS kind, tc.id AS id, tc.at AS at, u.name AS actor, tc.from_grade AS f1, tc.to_grade AS f2, \
             fo.name AS f3, tn.name AS f4, CAST(tc.from_level * 10 + tc.to_level AS BIGINT) AS n1, CAST(NULL AS TEXT) AS currency \
             FROM tier_changes tc LEFT JOIN users u ON u.id = tc.actor_id LEFT JOIN users fo ON fo.id = tc.from_owner_id \
             LEFT JOIN users tn ON tn.id = tc.to_owner_id WHERE tc.customer_id = "
        }
        TimelineKind::Note => {
            "SELECT 'note' AS kind, n.id AS id, n.created_at AS at, u.name AS actor, n.body AS f1, CAST(NULL AS TEXT) AS f2, \
             CAST(NULL AS TEXT) AS f3, CAST(NULL AS TEXT) AS f4, n.proposal_id AS n1, CAST(NULL AS TEXT) AS currency \
             FROM customer_notes n LEFT JOIN users u ON u.id = n.author_id WHERE n.customer_id = "
        }
        // Spans are unique per customer and start day, so the start time is the id.
        TimelineKind::Lifecycle => {
            "SELECT 'lifecycle' AS kind, ls.starts_at AS id, ls.starts_at AS at, CAST(NULL AS TEXT) AS actor, \
             ls.previous_stage AS f1, ls.stage AS f2, CAST(NULL AS TEXT) AS f3, ls.starts_on AS f4, \
             CAST(NULL AS BIGINT) AS n1, CAST(NULL AS TEXT) AS currency \
             FROM lifecycle_spans ls WHERE ls.customer_id = "
        }
        TimelineKind::Churn => {
            "SELECT 'churn' AS kind, e.id AS id, e.at AS at, CAST(NULL AS TEXT) AS actor, e.event AS f1, \
             e.reasons_json AS f2, e.cleared_reason AS f3, CAST(NULL AS TEXT) AS f4, e.score AS n1, CAST(NULL AS TEXT) AS currency \
             FROM churn_events e WHERE e.customer_id = "
        }
        TimelineKind::Feedback => {
            "SELECT 'feedback' AS kind, r.id AS id, r.submitted_at AS at, CAST(NULL AS TEXT) AS actor, f.slug AS f1, \
             CAST(NULL AS TEXT) AS f2, CAST(NULL AS TEXT) AS f3, CAST(NULL AS TEXT) AS f4, r.nps AS n1, CAST(NULL AS TEXT) AS currency \
             FROM feedback_responses r JOIN feedback_forms f ON f.id = r.form_id WHERE r.customer_id = "
        }
        TimelineKind::Complaint => {
            "SELECT 'complaint' AS kind, k.id AS id, k.created_at AS at, u.name AS actor, k.category AS f1, k.status AS f2, \
             k.severity AS f3, CAST(NULL AS TEXT) AS f4, k.id AS n1, CAST(NULL AS TEXT) AS currency \
             FROM complaints k LEFT JOIN users u ON u.id = k.created_by WHERE k.customer_id = "
        }
        TimelineKind::Contract | TimelineKind::Change => {
            "SELECT CASE WHEN l.action LIKE 'contract%' THEN 'contract' ELSE 'change' END AS kind, l.id AS id, l.at AS at, \
             u.name AS actor, l.action AS f1, l.field AS f2, l.before_value AS f3, l.after_value AS f4, \
             CAST(NULL AS BIGINT) AS n1, CAST(NULL AS TEXT) AS currency \
             FROM audit_log l LEFT JOIN users u ON u.id = l.actor_id WHERE l.entity = 'customer' AND l.entity_id = "
        }
    }
}

fn time_column(kind: TimelineKind) -> &'static str {
    match kind {
        TimelineKind::Activity => "a.happened_at",
        TimelineKind::Order => "o.ordered_at",
        TimelineKind::Payment => "p.timeline_at",
        TimelineKind::Task => "t.created_at",
        TimelineKind::Tier => "tc.at",
        TimelineKind::Note => "n.created_at",
        TimelineKind::Lifecycle => "ls.starts_at",
        TimelineKind::Churn => "e.at",
        TimelineKind::Feedback => "r.submitted_at",
        TimelineKind::Complaint => "k.created_at",
        TimelineKind::Contract | TimelineKind::Change => "l.at",
    }
}

fn id_column(kind: TimelineKind) -> &'static str {
    match kind {
        TimelineKind::Activity => "a.id",
        TimelineKind::Order => "o.id",
        TimelineKind::Payment => "p.id",
        TimelineKind::Task => "t.id",
        TimelineKind::Tier => "tc.id",
        TimelineKind::Note => "n.id",
        TimelineKind::Lifecycle => "ls.starts_at",
        TimelineKind::Churn => "e.id",
        TimelineKind::Feedback => "r.id",
        TimelineKind::Complaint => "k.id",
        TimelineKind::Contract | TimelineKind::Change => "l.id",
    }
}

/// Appends "strictly older than the cursor" for a branch whose rows all have `rank`.
fn push_cursor(q: &mut SqlBuilder, kind: TimelineKind, c: &TimelineCursor) {
    let (at, id) = (time_column(kind), id_column(kind));
    let rank = kind.rank();
    if rank < c.rank {
        q.push(&format!(" AND {at} <= ")).bind(SqlValue::Int(c.at));
    } else if rank > c.rank {
        q.push(&format!(" AND {at} < ")).bind(SqlValue::Int(c.at));
    } else {
        q.push(&format!(" AND ({at} < "))
            .bind(SqlValue::Int(c.at))
            .push(&format!(" OR ({at} = "))
            .bind(SqlValue::Int(c.at))
            .push(&format!(" AND {id} < "))
            .bind(SqlValue::Int(c.id))
            .push("))");
    }
}

fn entry_from_row(r: &DbRow) -> AppResult<TimelineEntry> {
    let kind_s: String = r.try_get("kind")?;
    let kind = TimelineKind::parse(&kind_s).ok_or(AppError::Internal)?;
    let f1: Option<String> = r.try_get("f1")?;
    let f2: Option<String> = r.try_get("f2")?;
    let f3: Option<String> = r.try_get("f3")?;
    let f4: Option<String> = r.try_get("f4")?;
    let n1: Option<i64> = r.try_get("n1")?;
    let currency: Option<String> = r.try_get("currency")?;
    let body = match kind {
        TimelineKind::Activity => TimelineBody::Activity {
            kind: f1
                .as_deref()
                .and_then(ActivityKind::parse)
                .unwrap_or(ActivityKind::Note),
            summary: f2.unwrap_or_default(),
            outcome: f3,
            next_step: f4,
        },
        TimelineKind::Order => TimelineBody::Order {
            date: f4.unwrap_or_default(),
            amount_cents: n1.unwrap_or_default(),
            currency: currency.unwrap_or_default(),
            product: f1,
            category: f2,
            channel: f3,
        },
        TimelineKind::Payment => TimelineBody::Payment {
            due_date: f1.unwrap_or_default(),
            paid_date: f2,
            amount_cents: n1.unwrap_or_default(),
            currency: currency.unwrap_or_default(),
            contract: f3,
        },
        TimelineKind::Task => TimelineBody::Task {
            title: f1.unwrap_or_default(),
            status: f2
                .as_deref()
                .and_then(TaskStatus::parse)
                .unwrap_or(TaskStatus::Open),
            source: f3
                .as_deref()
                .and_then(TaskSource::parse)
                .unwrap_or(TaskSource::Manual),
            due_at: n1.unwrap_or_default(),
            assignee: f4,
        },
        TimelineKind::Contract => TimelineBody::Contract {
            before: f3,
            after: f4,
        },
        TimelineKind::Tier => {
            let levels = n1.unwrap_or_default();
            TimelineBody::Tier {
                from_level: levels / 10,
                to_level: levels % 10,
                from_grade: f1.unwrap_or_default(),
                to_grade: f2.unwrap_or_default(),
                from_owner: f3,
                to_owner: f4,
            }
        }
        TimelineKind::Note => TimelineBody::Note {
            body: f1.unwrap_or_default(),
            handover: n1.is_some(),
        },
        TimelineKind::Lifecycle => TimelineBody::Lifecycle {
            from: f1.as_deref().and_then(Stage::parse),
            to: f2.as_deref().and_then(Stage::parse).unwrap_or(Stage::Lead),
        },
        TimelineKind::Churn => TimelineBody::Churn {
            event: f1
                .as_deref()
                .and_then(crate::churn::model::ChurnEvent::parse)
                .unwrap_or(crate::churn::model::ChurnEvent::Opened),
            score: n1.unwrap_or_default(),
            reasons: crate::churn::model::reasons_from_json(f2.as_deref().unwrap_or("[]")),
            cleared_reason: f3,
        },
        TimelineKind::Feedback => TimelineBody::Feedback {
            form: f1.unwrap_or_default(),
            nps: n1,
        },
        TimelineKind::Complaint => TimelineBody::Complaint {
            number: n1.unwrap_or_default(),
            category: f1.unwrap_or_default(),
            status: f2
                .as_deref()
                .and_then(ComplaintStatus::parse)
                .unwrap_or(ComplaintStatus::Received),
            severity: f3
                .as_deref()
                .and_then(Severity::parse)
                .unwrap_or(Severity::Medium),
        },
        TimelineKind::Change => TimelineBody::Change {
            action: f1.unwrap_or_default(),
            field: f2,
            before: f3,
            after: f4,
        },
    };
    Ok(TimelineEntry {
        kind,
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        body,
    })
}

/// One page of a customer's timeline, newest first. Each kind is read by its own indexed
/// branch limited to one page, and the branches are merged by the database, so a page
/// costs the same however long the history is.
pub async fn page(
    db: &Db,
    actor: &CurrentUser,
    customer: CustomerId,
    query: &TimelineQuery,
) -> AppResult<TimelinePage> {
    let mut conn = db.pool.acquire().await?;
    let scope = visible_scope(&mut conn, actor, customer).await?;
    let financial = may_see_financials(actor, &scope);
    let allowed: Vec<TimelineKind> = TimelineKind::ALL
        .into_iter()
        .filter(|k| financial || !k.is_financial())
        .collect();
    let requested = query
        .kinds()
        .ok_or_else(|| AppError::field("kinds", Key::ErrInvalidChoice))?;
    let kinds: Vec<TimelineKind> = requested
        .into_iter()
        .filter(|k| allowed.contains(k))
        .collect();
    let cursor = match query.before.trim() {
        "" => None,
        s => Some(
            TimelineCursor::decode(s)
                .ok_or_else(|| AppError::field("before", Key::ErrInvalidChoice))?,
        ),
    };
    let limit = TIMELINE_PAGE as i64 + 1;
    let mut q = SqlBuilder::new("SELECT * FROM (");
    let mut first = true;
    let audit_kinds: Vec<TimelineKind> = kinds
        .iter()
        .copied()
        .filter(|k| matches!(k, TimelineKind::Contract | TimelineKind::Change))
        .collect();
    for kind in &kinds {
        // Contract and change entries share the audit branch; read it once.
        if *kind == TimelineKind::Change && audit_kinds.contains(&TimelineKind::Contract) {
            continue;
        }
        if !first {
            q.push(" UNION ALL ");
        }
        first = false;
        q.push("SELECT * FROM (")
            .push(branch_select(*kind))
            .bind(SqlValue::Int(customer.0));
        if matches!(kind, TimelineKind::Contract | TimelineKind::Change) {
            match (
                audit_kinds.contains(&TimelineKind::Contract),
                audit_kinds.contains(&TimelineKind::Change),
            ) {
                (true, false) => {
                    q.push(" AND l.action LIKE 'contract%'");
                }
                (false, true) => {
                    q.push(" AND l.action NOT LIKE 'contract%'");
                }
                _ => {}
            }
            if !financial {
                q.push(&format!(
                    " AND (l.field IS NULL OR l.field NOT IN ({FINANCIAL_AUDIT_FIELDS}))"
                ));
            }
            if let Some(c) = &cursor {
                // Audit rows carry two ranks; the looser bound is exact after the final sort.
                let loose = TimelineCursor {
                    rank: TimelineKind::Contract.rank(),
                    ..*c
                };
                push_cursor(&mut q, TimelineKind::Contract, &loose);
            }
        } else if let Some(c) = &cursor {
            push_cursor(&mut q, *kind, c);
        }
        if *kind == TimelineKind::Lifecycle {
            // Stored spans run into the future; the timeline shows what has happened.
            q.push(" AND ls.starts_at <= ").bind(SqlValue::Int(now()));
        }
        q.push(&format!(
            " ORDER BY {} DESC, {} DESC LIMIT ",
            time_column(*kind),
            id_column(*kind)
        ))
        .bind(SqlValue::Int(limit))
        .push(&format!(") AS b_{}", kind.as_str()));
    }
    if first {
        return Ok(TimelinePage {
            entries: Vec::new(),
            next: None,
            kinds: allowed,
        });
    }
    // At most one page per branch: small enough to merge exactly in Rust.
    q.push(") AS timeline");
    let rows = q.query().fetch_all(&mut *conn).await?;
    let mut entries = rows
        .iter()
        .map(entry_from_row)
        .collect::<AppResult<Vec<_>>>()?;
    if let Some(c) = &cursor {
        entries.retain(|e| c.precedes(e.at, e.kind.rank(), e.id));
    }
    if !financial {
        for e in &mut entries {
            if let TimelineBody::Churn { score, reasons, .. } = &mut e.body {
                (*score, *reasons) =
                    crate::churn::model::visible_part(*score, std::mem::take(reasons), false);
            }
        }
    }
    sort_newest_first(&mut entries);
    let has_more = entries.len() > TIMELINE_PAGE;
    entries.truncate(TIMELINE_PAGE);
    let next = if has_more {
        entries.last().map(|e| TimelineCursor::of(e).encode())
    } else {
        None
    };
    Ok(TimelinePage {
        entries,
        next,
        kinds: allowed,
    })
}
