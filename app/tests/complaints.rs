//! Complaints on both engines: opened by a low feedback score, moved through their status
//! rules with a recorded history, seen by support agents only when assigned to them, and
//! chased by one task each once overdue.

mod support;

use app::auth::{CurrentUser, Role};
use app::complaints::model::*;
use app::complaints::service as complaints;
use app::customers::model::CustomerInput;
use app::customers::service as customers;
use app::db::{now, Db, Row};
use app::error::AppError;
use app::feedback::answers::{self, Stored};
use app::feedback::forms as feedback;
use app::feedback::links::{self, LinkClaim};
use app::feedback::model::*;
use app::i18n::{Key, Lang};
use app::ids::{CustomerId, UserId};
use support::{count, create_customer, on_both_engines, user};

// ---------------------------------------------------------------------------------------
// Helpers

async fn customer(db: &Db, admin: &CurrentUser, name: &str, owner: &CurrentUser) -> CustomerId {
    let input = CustomerInput {
        name: name.into(),
        email: format!("{}@customer.example", name.to_lowercase().replace(' ', "-")),
        level: "2".into(),
        grade: "general".into(),
        owner_id: owner.id.to_string(),
        ..Default::default()
    };
    create_customer(db, admin, input).await
}

fn question(key: &str, kind: QuestionKind, required: bool) -> Question {
    Question {
        key: key.into(),
        kind,
        label: Localized::new(&format!("Question {key}"), ""),
        required,
        options: Vec::new(),
    }
}

/// An NPS form whose answers at or below 6 open a high-severity complaint; complaints from
/// anonymous answers go to `anonymous_to`.
async fn nps_form(db: &Db, admin: &CurrentUser, anonymous_to: UserId) -> i64 {
    let definition = FormDefinition {
        title: Localized::new("How did we do?", ""),
        questions: vec![
            question("q1", QuestionKind::Nps, true),
            question("q2", QuestionKind::Text, false),
        ],
        complaint_rule: Some(ComplaintRule {
            question: "q1".into(),
            trigger: ComplaintTrigger::AtOrBelow(6),
            category: "service".into(),
            severity: Severity::High,
            assignee: Some(anonymous_to),
        }),
        ..Default::default()
    };
    let input = FormInput {
        slug: "how-did-we-do".into(),
        open: true,
        definition,
    };
    feedback::save_form(db, admin, None, &input).await.unwrap()
}

/// A fresh personal link for `customer`, resolved as the public page would.
async fn new_claim(db: &Db, admin: &CurrentUser, form: i64, customer: CustomerId) -> LinkClaim {
    let request = LinkRequest {
        customer_id: customer.0.to_string(),
        ..Default::default()
    };
    assert_eq!(
        links::create_links(db, admin, form, &request)
            .await
            .unwrap(),
        1
    );
    let link = links::list_links(db, admin, form)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.customer_id == customer)
        .unwrap();
    let token = link.path.split("?t=").nth(1).unwrap().to_string();
    links::resolve_link(db, form, &token)
        .await
        .unwrap()
        .unwrap()
}

/// Answers the form (current version) and returns the new response's id.
async fn answer(
    db: &Db,
    form: i64,
    key: &str,
    link: Option<LinkClaim>,
    pairs: &[(&str, &str)],
) -> i64 {
    let def = feedback::definition(db, form, 1).await.unwrap().unwrap();
    let raw: RawFields = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sub = answers::prepare(form, 1, &def, key, link, Lang::En, &raw).unwrap();
    match answers::store(db, &sub).await.unwrap() {
        Stored::New(id) => id,
        other => panic!("expected a new answer, got {other:?}"),
    }
}

async fn open_complaint(
    db: &Db,
    actor: &CurrentUser,
    customer: Option<CustomerId>,
    assignee: &CurrentUser,
) -> i64 {
    let input = ComplaintInput {
        customer_id: customer.map(|c| c.0.to_string()).unwrap_or_default(),
        category: "billing".into(),
        severity: "medium".into(),
        description: "The invoice is wrong.".into(),
        assignee_id: assignee.id.to_string(),
    };
    complaints::create(db, actor, complaints::parse_draft(&input).unwrap())
        .await
        .unwrap()
}

fn step(to: &str, note: &str) -> StatusChangeInput {
    StatusChangeInput {
        to: to.into(),
        note: note.into(),
        ..Default::default()
    }
}

fn all() -> ComplaintFilter {
    ComplaintFilter {
        status: "all".into(),
        ..Default::default()
    }
}

async fn visible_ids(db: &Db, actor: &CurrentUser) -> Vec<i64> {
    let mut ids: Vec<i64> = complaints::list(db, actor, &all())
        .await
        .unwrap()
        .rows
        .iter()
        .map(|c| c.id)
        .collect();
    ids.sort_unstable();
    ids
}

// ---------------------------------------------------------------------------------------
// 9. A low score opens a complaint

/// One `complaint_events` row: from status, to status, actor, note.
type EventRow = (Option<String>, String, Option<i64>, Option<String>);

#[tokio::test]
async fn a_low_score_opens_a_complaint_for_the_right_person() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let owner = user(&db, "owner@example.com", Role::Tier2Manager, None).await;
        let desk = user(&db, "desk@example.com", Role::SupportAgent, None).await;
        let acme = customer(&db, &admin, "Acme", &owner).await;
        let form = nps_form(&db, &admin, desk.id).await;

        // 3 through Acme's personal link: a complaint for Acme's owner.
        let claim = new_claim(&db, &admin, form, acme).await;
        let response = answer(
            &db,
            form,
            "low-score-1",
            Some(claim),
            &[("q1", "3"), ("q2", "Slow delivery")],
        )
        .await;
        assert_eq!(count(&db, "SELECT COUNT(*) FROM complaints").await, 1);
        let submitted_at: i64 =
            sqlx::query("SELECT submitted_at FROM feedback_responses WHERE id = $1")
                .bind(response)
                .fetch_one(&db.pool)
                .await
                .unwrap()
                .try_get("submitted_at")
                .unwrap();
        let id: i64 = sqlx::query("SELECT id FROM complaints")
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get("id")
            .unwrap();
        let detail = answers::complaint_detail(&db, &admin, id, Lang::En)
            .await
            .unwrap();
        let k = &detail.complaint;
        assert_eq!(k.source, Source::Form);
        assert_eq!(k.status, Status::Received);
        assert_eq!(
            k.assignee_id,
            Some(owner.id),
            "a customer's complaint goes to its owner"
        );
        assert_eq!(k.customer.as_ref().map(|c| c.customer_id), Some(acme));
        assert_eq!(k.response_id, Some(response));
        assert_eq!(k.category, "service");
        assert_eq!(k.severity, Severity::High);
        assert_eq!(k.description, "Slow delivery");
        assert_eq!(k.created_at, submitted_at);
        assert_eq!(k.deadline_at, submitted_at + Severity::High.response_secs());
        assert!(detail
            .answers
            .contains(&("Question q1".to_string(), "3".to_string())));
        assert_eq!(detail.events.len(), 1);
        assert_eq!(detail.events[0].to, Status::Received);
        // The owner finds it in their list.
        assert_eq!(visible_ids(&db, &owner).await, [id]);

        // 9 opens none.
        let claim = new_claim(&db, &admin, form, acme).await;
        answer(&db, form, "high-score-1", Some(claim), &[("q1", "9")]).await;
        assert_eq!(count(&db, "SELECT COUNT(*) FROM complaints").await, 1);

        // A low anonymous answer goes to the rule's assignee, without a customer.
        let anonymous = answer(&db, form, "anonymous-low-1", None, &[("q1", "2")]).await;
        let row = sqlx::query(
            "SELECT customer_id, assignee_id, source FROM complaints WHERE response_id = $1",
        )
        .bind(anonymous)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(row.try_get::<Option<i64>, _>("customer_id").unwrap(), None);
        assert_eq!(
            row.try_get::<Option<i64>, _>("assignee_id").unwrap(),
            Some(desk.id.0)
        );
        assert_eq!(row.try_get::<String, _>("source").unwrap(), "form");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM complaints").await, 2);
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 10. Status rules and history

#[tokio::test]
async fn status_steps_follow_the_rules_and_are_recorded() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let owner = user(&db, "owner@example.com", Role::Tier2Manager, None).await;
        let acme = customer(&db, &admin, "Acme", &owner).await;
        let id = open_complaint(&db, &admin, Some(acme), &owner).await;

        // Received cannot jump to closed.
        let err = complaints::change_status(&db, &owner, id, &step("closed", ""))
            .await
            .unwrap_err();
        assert_eq!(err.field_error("to"), Some(Key::CpErrStep), "{err:?}");
        let err = complaints::change_status(&db, &owner, id, &step("nonsense", ""))
            .await
            .unwrap_err();
        assert!(err.field_error("to").is_some(), "{err:?}");

        for to in ["classified", "in_progress"] {
            complaints::change_status(&db, &owner, id, &step(to, "")).await.unwrap();
        }
        assert_eq!(current(&db, &admin, id).await.status, Status::InProgress);

        // Resolving needs a note.
        let err = complaints::change_status(&db, &owner, id, &step("resolved", "  "))
            .await
            .unwrap_err();
        assert_eq!(err.field_error("note"), Some(Key::CpErrNoteRequired), "{err:?}");
        assert_eq!(current(&db, &admin, id).await.status, Status::InProgress);
        complaints::change_status(&db, &owner, id, &step("resolved", "Credit note sent"))
            .await
            .unwrap();
        let resolved = current(&db, &admin, id).await;
        assert_eq!(resolved.status, Status::Resolved);
        assert!(resolved.resolved_at.is_some());
        assert_eq!(resolved.resolution_note.as_deref(), Some("Credit note sent"));

        complaints::change_status(&db, &owner, id, &step("closed", "")).await.unwrap();
        assert_eq!(current(&db, &admin, id).await.status, Status::Closed);
        // Reopened: back in progress, no longer resolved.
        complaints::change_status(&db, &owner, id, &step("in_progress", "Customer called back"))
            .await
            .unwrap();
        let reopened = current(&db, &admin, id).await;
        assert_eq!(reopened.status, Status::InProgress);
        assert_eq!(reopened.resolved_at, None);

        // One event per step, each with who made it; refused steps leave none.
        let events: Vec<EventRow> = sqlx::query(
            "SELECT from_status, to_status, actor_id, note FROM complaint_events WHERE complaint_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get("from_status").unwrap(),
                r.try_get("to_status").unwrap(),
                r.try_get("actor_id").unwrap(),
                r.try_get("note").unwrap(),
            )
        })
        .collect();
        let expected = [
            (None, "received", admin.id, None),
            (Some("received"), "classified", owner.id, None),
            (Some("classified"), "in_progress", owner.id, None),
            (Some("in_progress"), "resolved", owner.id, Some("Credit note sent")),
            (Some("resolved"), "closed", owner.id, None),
            (Some("closed"), "in_progress", owner.id, Some("Customer called back")),
        ];
        let expected: Vec<EventRow> = expected
            .iter()
            .map(|(from, to, actor, note)| {
                (
                    from.map(str::to_string),
                    to.to_string(),
                    Some(actor.0),
                    note.map(str::to_string),
                )
            })
            .collect();
        assert_eq!(events, expected);
        let detail = complaints::get(&db, &owner, id).await.unwrap();
        assert_eq!(detail.events.len(), 6);
        assert_eq!(detail.events[1].actor.as_deref(), Some("owner"));
    })
    .await;
}

async fn current(db: &Db, actor: &CurrentUser, id: i64) -> Complaint {
    complaints::get(db, actor, id).await.unwrap().complaint
}

// ---------------------------------------------------------------------------------------
// 11. Support agents

#[tokio::test]
async fn support_agents_see_only_complaints_assigned_to_them() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let owner = user(&db, "owner@example.com", Role::Tier2Manager, None).await;
        let agent_a = user(&db, "agent-a@example.com", Role::SupportAgent, None).await;
        let agent_b = user(&db, "agent-b@example.com", Role::SupportAgent, None).await;
        let viewer = user(&db, "viewer@example.com", Role::Viewer, None).await;
        let acme = customer(&db, &admin, "Acme", &owner).await;
        sqlx::query(
            "INSERT INTO contacts (customer_id, name, email, phone, is_primary, created_at) \
             VALUES ($1, 'Li Wei', 'li.wei@acme.example', '+86 10 1234 5678', 1, 0)",
        )
        .bind(acme.0)
        .execute(&db.pool)
        .await
        .unwrap();
        let for_a = open_complaint(&db, &admin, Some(acme), &agent_a).await;
        let for_b = open_complaint(&db, &admin, Some(acme), &agent_b).await;

        // Agent A: their complaint, with the contact card, and nothing else.
        assert_eq!(visible_ids(&db, &agent_a).await, [for_a]);
        assert_eq!(visible_ids(&db, &agent_b).await, [for_b]);
        let own = complaints::get(&db, &agent_a, for_a).await.unwrap();
        let card = own.complaint.customer.expect("contact card");
        assert_eq!(card.customer_id, acme);
        assert_eq!(card.name, "Acme");
        assert_eq!(card.contact_name.as_deref(), Some("Li Wei"));
        assert_eq!(card.email.as_deref(), Some("li.wei@acme.example"));
        assert_eq!(card.phone.as_deref(), Some("+86 10 1234 5678"));
        assert!(!card.may_open_customer);
        assert!(own.complaint.may_change);
        assert!(matches!(
            complaints::get(&db, &agent_a, for_b).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            complaints::change_status(&db, &agent_a, for_b, &step("classified", "")).await,
            Err(AppError::NotFound)
        ));
        // The contact card is all: the customer page stays closed.
        assert!(matches!(
            customers::get(&db, &agent_a, acme).await,
            Err(AppError::NotFound)
        ));
        // The agent works their own complaint.
        complaints::change_status(&db, &agent_a, for_a, &step("classified", ""))
            .await
            .unwrap();

        // The owner sees both (the customer is theirs); the admin too.
        assert_eq!(visible_ids(&db, &owner).await, [for_a, for_b]);
        assert!(
            complaints::get(&db, &owner, for_b)
                .await
                .unwrap()
                .complaint
                .customer
                .unwrap()
                .may_open_customer
        );
        assert_eq!(visible_ids(&db, &admin).await, [for_a, for_b]);

        // Viewers get no list and no complaint.
        assert!(matches!(
            complaints::list(&db, &viewer, &all()).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            complaints::get(&db, &viewer, for_a).await,
            Err(AppError::NotFound)
        ));
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 12. Overdue complaints

#[tokio::test]
async fn an_overdue_complaint_raises_exactly_one_task() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let owner = user(&db, "owner@example.com", Role::Tier2Manager, None).await;
        let agent = user(&db, "agent@example.com", Role::SupportAgent, None).await;
        let acme = customer(&db, &admin, "Acme", &owner).await;
        let late = open_complaint(&db, &admin, Some(acme), &agent).await;
        let on_time = open_complaint(&db, &admin, Some(acme), &agent).await;
        let resolved_late = open_complaint(&db, &admin, Some(acme), &agent).await;
        assert_eq!(
            complaints::raise_overdue_tasks(&db).await.unwrap(),
            0,
            "nothing is late yet"
        );

        let past = now() - 3_600;
        sqlx::query("UPDATE complaints SET deadline_at = $1 WHERE id = $2 OR id = $3")
            .bind(past)
            .bind(late)
            .bind(resolved_late)
            .execute(&db.pool)
            .await
            .unwrap();
        sqlx::query("UPDATE complaints SET status = 'resolved', resolved_at = $1 WHERE id = $2")
            .bind(now())
            .bind(resolved_late)
            .execute(&db.pool)
            .await
            .unwrap();

        assert_eq!(complaints::raise_overdue_tasks(&db).await.unwrap(), 1);
        assert_eq!(complaints::raise_overdue_tasks(&db).await.unwrap(), 0);
        let tasks = sqlx::query(
            "SELECT id, assignee_id, source, source_id, customer_id, status FROM tasks",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap();
        assert_eq!(tasks.len(), 1);
        let task = &tasks[0];
        assert_eq!(task.try_get::<i64, _>("assignee_id").unwrap(), agent.id.0);
        assert_eq!(
            task.try_get::<String, _>("source").unwrap(),
            "complaint_deadline"
        );
        assert_eq!(
            task.try_get::<Option<i64>, _>("source_id").unwrap(),
            Some(late)
        );
        assert_eq!(
            task.try_get::<Option<i64>, _>("customer_id").unwrap(),
            Some(acme.0)
        );
        assert_eq!(task.try_get::<String, _>("status").unwrap(), "open");
        let linked: Option<i64> =
            sqlx::query("SELECT overdue_task_id FROM complaints WHERE id = $1")
                .bind(late)
                .fetch_one(&db.pool)
                .await
                .unwrap()
                .try_get("overdue_task_id")
                .unwrap();
        assert_eq!(linked, Some(task.try_get::<i64, _>("id").unwrap()));

        // The list marks it overdue, and the "overdue" filter finds only it.
        let overdue = ComplaintFilter {
            status: "overdue".into(),
            ..Default::default()
        };
        let rows = complaints::list(&db, &agent, &overdue).await.unwrap().rows;
        assert_eq!(rows.iter().map(|c| c.id).collect::<Vec<_>>(), [late]);
        assert!(rows[0].overdue);
        let fine = complaints::get(&db, &agent, on_time).await.unwrap();
        assert!(!fine.complaint.overdue);
    })
    .await;
}
