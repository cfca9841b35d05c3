//! Feedback forms on both engines: answers checked per question kind against the stored
//! version, idempotent storage, the public page's rate limit, honeypot and personal links,
//! versioning, who may send links, and the NPS / CSAT analysis.

mod support;

use app::auth::{CurrentUser, Role};
use app::db::{now, Db, Row};
use app::error::{AppError, FieldError};
use app::feedback::analysis;
use app::feedback::answers::{self, Stored, Submission};
use app::feedback::forms as feedback;
use app::feedback::limits::RateLimiter;
use app::feedback::links::{self, LinkClaim, LinkProblem};
use app::feedback::model::*;
use app::feedback::public::{router, PublicState};
use app::feedback::writer::Writer;
use app::i18n::{Key, Lang};
use app::ids::CustomerId;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use support::{count, managed_customer, on_both_engines, user};
use tower::ServiceExt;

// ---------------------------------------------------------------------------------------
// Helpers

fn question(key: &str, kind: QuestionKind, required: bool, options: &[&str]) -> Question {
    Question {
        key: key.into(),
        kind,
        label: Localized::new(&format!("Question {key}"), ""),
        required,
        options: options.iter().map(|o| Localized::new(o, "")).collect(),
    }
}

/// One question of every kind; only the NPS question is required.
fn survey() -> FormDefinition {
    FormDefinition {
        title: Localized::new("Satisfaction", "满意度"),
        thanks: Localized::new("Thank you, we read every answer.", ""),
        questions: vec![
            question("q1", QuestionKind::Nps, true, &[]),
            question("q2", QuestionKind::Csat, false, &[]),
            question("q3", QuestionKind::Rating, false, &[]),
            question(
                "q4",
                QuestionKind::SingleChoice,
                false,
                &["Web", "Phone", "Shop"],
            ),
            question(
                "q5",
                QuestionKind::MultipleChoice,
                false,
                &["Price", "Speed", "Staff"],
            ),
            question("q6", QuestionKind::Text, false, &[]),
            question("q7", QuestionKind::Email, false, &[]),
        ],
        ..Default::default()
    }
}

async fn new_form(db: &Db, admin: &CurrentUser, slug: &str, definition: FormDefinition) -> i64 {
    feedback::save_form(
        db,
        admin,
        None,
        &FormInput {
            slug: slug.into(),
            open: true,
            definition,
        },
    )
    .await
    .unwrap()
}

async fn customer(db: &Db, admin: &CurrentUser, name: &str, owner: &CurrentUser) -> CustomerId {
    managed_customer(db, admin, name, ("2", "general"), owner, None).await
}

fn raw(pairs: &[(&str, &str)]) -> RawFields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn error_of(result: &Result<Submission, Vec<FieldError>>, field: &str) -> Option<Key> {
    match result {
        Ok(_) => None,
        Err(errors) => errors.iter().find(|e| e.field == field).map(|e| e.message),
    }
}

/// The token of the newest personal link of `customer` on `form` (via `list_links`).
async fn link_token(db: &Db, actor: &CurrentUser, form: i64, customer: CustomerId) -> String {
    let link = links::list_links(db, actor, form)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.customer_id == customer)
        .expect("a link for the customer");
    link.path
        .split("?t=")
        .nth(1)
        .expect("token in path")
        .to_string()
}

/// Makes a fresh personal link for `customer` and resolves it.
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
    let token = link_token(db, admin, form, customer).await;
    links::resolve_link(db, form, &token)
        .await
        .unwrap()
        .unwrap()
}

/// Prepares and stores an answer against the current version of `form`.
async fn answer(
    db: &Db,
    admin: &CurrentUser,
    form: i64,
    key: &str,
    link: Option<LinkClaim>,
    pairs: &[(&str, &str)],
) -> Stored {
    let view = feedback::get_form(db, admin, form).await.unwrap();
    let sub = answers::prepare(
        form,
        view.version,
        &view.definition,
        key,
        link,
        Lang::En,
        &raw(pairs),
    )
    .unwrap();
    answers::store(db, &sub).await.unwrap()
}

fn public_app(db: &Db, limiter: RateLimiter) -> Router {
    router(PublicState {
        db: db.clone(),
        writer: Writer::spawn(db.clone()),
        limiter: Arc::new(limiter),
        trusted_proxies: Arc::new(Vec::new()),
    })
}

fn generous() -> RateLimiter {
    RateLimiter::new(1_000, 1_000)
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

struct Post<'a> {
    uri: &'a str,
    from: [u8; 4],
    forwarded_for: Option<&'a str>,
    accept: &'a str,
}

impl<'a> Post<'a> {
    fn json(uri: &'a str) -> Self {
        Post {
            uri,
            from: [192, 0, 2, 1],
            forwarded_for: None,
            accept: "application/json",
        }
    }

    fn from(mut self, ip: [u8; 4]) -> Self {
        self.from = ip;
        self
    }
}

/// Posts a form to the public router in-process; returns the status and the body.
async fn send(app: &Router, post: Post<'_>, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let mut request = Request::builder()
        .method("POST")
        .uri(post.uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, post.accept)
        .extension(ConnectInfo(SocketAddr::from((
            IpAddr::from(post.from),
            40_000,
        ))));
    if let Some(xff) = post.forwarded_for {
        request = request.header("x-forwarded-for", xff);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(form_body(fields))).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// Posts and reads the JSON answer's `status` field.
async fn send_json(
    app: &Router,
    post: Post<'_>,
    fields: &[(&str, &str)],
) -> (StatusCode, serde_json::Value) {
    let (status, body) = send(app, post, fields).await;
    let value: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    (status, value)
}

fn validation_field(err: &AppError, field: &str) -> Option<Key> {
    err.field_error(field)
}

// ---------------------------------------------------------------------------------------
// 1. Answer validation per question kind, and the stored row

#[tokio::test]
async fn answers_are_checked_per_question_kind_and_stored_as_given() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let form = new_form(&db, &admin, "satisfaction", survey()).await;
        let def = feedback::definition(&db, form, 1).await.unwrap().expect("version 1");
        assert_eq!(*def, survey(), "the stored version is the saved definition");
        let check =
            |pairs: &[(&str, &str)]| answers::prepare(form, 1, &def, "key-0000001", None, Lang::En, &raw(pairs));

        // Required and out of range.
        assert_eq!(error_of(&check(&[("q2", "4")]), "q1"), Some(Key::ErrRequired));
        for bad in ["11", "-1", "x", "9.5"] {
            assert_eq!(error_of(&check(&[("q1", bad)]), "q1"), Some(Key::FbErrOutOfRange), "nps {bad}");
        }
        for bad in ["0", "6"] {
            assert_eq!(
                error_of(&check(&[("q1", "9"), ("q2", bad)]), "q2"),
                Some(Key::FbErrOutOfRange),
                "csat {bad}"
            );
            assert_eq!(
                error_of(&check(&[("q1", "9"), ("q3", bad)]), "q3"),
                Some(Key::FbErrOutOfRange),
                "rating {bad}"
            );
        }
        // Unknown options, and two answers to a single choice.
        assert_eq!(error_of(&check(&[("q1", "9"), ("q4", "3")]), "q4"), Some(Key::ErrInvalidChoice));
        assert_eq!(
            error_of(&check(&[("q1", "9"), ("q4", "0"), ("q4", "1")]), "q4"),
            Some(Key::ErrInvalidChoice)
        );
        assert_eq!(
            error_of(&check(&[("q1", "9"), ("q5", "0"), ("q5", "5")]), "q5"),
            Some(Key::ErrInvalidChoice)
        );
        let long = "x".repeat(MAX_TEXT_ANSWER_CHARS + 1);
        assert_eq!(error_of(&check(&[("q1", "9"), ("q6", &long)]), "q6"), Some(Key::ErrTooLong));
        assert_eq!(
            error_of(&check(&[("q1", "9"), ("q7", "not-an-address")]), "q7"),
            Some(Key::ErrInvalidEmail)
        );
        // The edges of every scale are accepted.
        for (nps, five) in [("0", "1"), ("10", "5")] {
            assert!(check(&[("q1", nps), ("q2", five), ("q3", five)]).is_ok(), "{nps}/{five}");
        }
        // A malformed idempotency key is refused before anything else.
        let short = answers::prepare(form, 1, &def, "short", None, Lang::En, &raw(&[("q1", "9")]));
        assert_eq!(error_of(&short, "_key"), Some(Key::ErrInvalidChoice));

        // A complete answer round-trips through the database.
        let sub = check(&[
            ("q7", "a@b.cn"),
            ("q1", "9"),
            ("q2", "4"),
            ("q3", "5"),
            ("q4", "2"),
            ("q5", "2"),
            ("q5", "0"),
            ("q6", "  Great <b>service</b> "),
        ])
        .unwrap();
        let Stored::New(id) = answers::store(&db, &sub).await.unwrap() else {
            panic!("expected a new row")
        };
        let row = sqlx::query(
            "SELECT form_id, version, customer_id, language, answers_json, nps, csat, comment \
             FROM feedback_responses WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(row.try_get::<i64, _>("form_id").unwrap(), form);
        assert_eq!(row.try_get::<i64, _>("version").unwrap(), 1);
        assert_eq!(row.try_get::<Option<i64>, _>("customer_id").unwrap(), None);
        assert_eq!(row.try_get::<String, _>("language").unwrap(), Lang::En.code());
        let stored: serde_json::Value =
            serde_json::from_str(&row.try_get::<String, _>("answers_json").unwrap()).unwrap();
        assert_eq!(
            stored,
            json!({"q1": 9, "q2": 4, "q3": 5, "q4": [2], "q5": [0, 2], "q6": "Great <b>service</b>", "q7": "a@b.cn"})
        );
        assert_eq!(row.try_get::<Option<i64>, _>("nps").unwrap(), Some(9));
        assert_eq!(row.try_get::<Option<i64>, _>("csat").unwrap(), Some(4));
        assert_eq!(
            row.try_get::<Option<String>, _>("comment").unwrap().as_deref(),
            Some("Great <b>service</b>")
        );
        // Staff read the answers back with their labels.
        let texts = answers::response_answers(&db, id, Lang::En).await.unwrap();
        assert!(texts.contains(&("Question q4".to_string(), "Shop".to_string())), "{texts:?}");
        assert!(texts.contains(&("Question q5".to_string(), "Price, Staff".to_string())), "{texts:?}");

        // Without CSAT or text, those columns stay empty.
        let bare = answers::prepare(form, 1, &def, "key-0000002", None, Lang::En, &raw(&[("q1", "3")]));
        let Stored::New(bare) = answers::store(&db, &bare.unwrap()).await.unwrap() else {
            panic!("expected a new row")
        };
        let row = sqlx::query("SELECT nps, csat, comment FROM feedback_responses WHERE id = $1")
            .bind(bare)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(row.try_get::<Option<i64>, _>("nps").unwrap(), Some(3));
        assert_eq!(row.try_get::<Option<i64>, _>("csat").unwrap(), None);
        assert_eq!(row.try_get::<Option<String>, _>("comment").unwrap(), None);
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 2. Idempotency

#[tokio::test]
async fn the_same_idempotency_key_stores_one_answer() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let form = new_form(&db, &admin, "satisfaction", survey()).await;

        let first = answer(&db, &admin, form, "retry-key-1", None, &[("q1", "9")]).await;
        let Stored::New(id) = first else {
            panic!("expected a new row, got {first:?}")
        };
        // A retry, even with other values, is the same answer.
        assert_eq!(
            answer(&db, &admin, form, "retry-key-1", None, &[("q1", "2")]).await,
            Stored::Repeat(id)
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM feedback_responses").await,
            1
        );
        let nps: Option<i64> = sqlx::query("SELECT nps FROM feedback_responses WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get("nps")
            .unwrap();
        assert_eq!(nps, Some(9), "the first answer is kept");

        // The same through the public page.
        let app = public_app(&db, generous());
        let fields = [("q1", "10"), ("_key", "http-retry-1"), ("_v", "1")];
        for _ in 0..2 {
            let (status, body) = send_json(&app, Post::json("/f/satisfaction"), &fields).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["status"], "stored");
        }
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM feedback_responses WHERE idempotency_key = 'http-retry-1'"
            )
            .await,
            1
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM feedback_responses").await,
            2
        );
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 3. Rate limit

#[tokio::test]
async fn the_public_page_limits_each_client_address() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        new_form(&db, &admin, "satisfaction", survey()).await;
        // Bursts of 3, then one a minute.
        let app = public_app(&db, RateLimiter::new(3, 1));
        let a = [198, 51, 100, 7];
        for i in 0..3 {
            let key = format!("burst-key-{i}");
            let (status, body) = send_json(
                &app,
                Post::json("/f/satisfaction").from(a),
                &[("q1", "8"), ("_key", &key)],
            )
            .await;
            assert_eq!(status, StatusCode::OK, "answer {i}: {body}");
        }
        let (status, body) = send_json(
            &app,
            Post::json("/f/satisfaction").from(a),
            &[("q1", "8"), ("_key", "burst-key-3")],
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body["status"], "rate_limited");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM feedback_responses").await,
            3
        );

        // Another address has its own bucket.
        let (status, _) = send_json(
            &app,
            Post::json("/f/satisfaction").from([198, 51, 100, 8]),
            &[("q1", "8"), ("_key", "other-client-1")],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM feedback_responses").await,
            4
        );

        // X-Forwarded-For from a peer that is not a trusted proxy changes nothing.
        let spoofed = Post {
            forwarded_for: Some("203.0.113.99"),
            ..Post::json("/f/satisfaction").from(a)
        };
        let (status, body) =
            send_json(&app, spoofed, &[("q1", "8"), ("_key", "spoofed-key-1")]).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM feedback_responses").await,
            4
        );
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 4. Honeypot

#[tokio::test]
async fn a_filled_honeypot_is_thanked_and_discarded() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        new_form(&db, &admin, "satisfaction", survey()).await;
        let app = public_app(&db, generous());
        let spam = [
            ("q1", "10"),
            ("_key", "robot-key-1"),
            ("website", "http://spam"),
        ];

        let (status, body) = send_json(&app, Post::json("/f/satisfaction"), &spam).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "stored");
        let page = Post {
            accept: "text/html",
            ..Post::json("/f/satisfaction")
        };
        let (status, html) = send(&app, page, &spam).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Thank you, we read every answer."), "{html}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM feedback_responses").await,
            0
        );

        // The same answer without the honeypot is stored (the case above could fail).
        let (status, _) = send_json(
            &app,
            Post::json("/f/satisfaction"),
            &[("q1", "10"), ("_key", "person-key-1"), ("website", "")],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM feedback_responses").await,
            1
        );
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 5. Personal links

#[tokio::test]
async fn a_personal_link_takes_one_answer_for_its_customer() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let owner = user(&db, "owner@example.com", Role::Tier2Manager, None).await;
        let acme = customer(&db, &admin, "Acme", &owner).await;
        let form = new_form(&db, &admin, "satisfaction", survey()).await;
        let request = LinkRequest {
            customer_id: acme.0.to_string(),
            ..Default::default()
        };
        assert_eq!(
            links::create_links(&db, &admin, form, &request)
                .await
                .unwrap(),
            1
        );
        let links = links::list_links(&db, &admin, form).await.unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].customer_id, acme);
        assert!(
            links[0].path.starts_with("/f/satisfaction?t="),
            "{}",
            links[0].path
        );
        assert_eq!(links[0].used_at, None);
        let path = links[0].path.clone();
        let token = link_token(&db, &admin, form, acme).await;
        let app = public_app(&db, generous());

        // The first answer through the link (token in the query string).
        let (status, body) = send_json(
            &app,
            Post::json(&path),
            &[("q1", "9"), ("_key", "link-key-1")],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let row = sqlx::query("SELECT customer_id, link_id FROM feedback_responses")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(
            row.try_get::<Option<i64>, _>("customer_id").unwrap(),
            Some(acme.0)
        );
        assert_eq!(
            row.try_get::<Option<i64>, _>("link_id").unwrap(),
            Some(links[0].id)
        );
        let used = links::list_links(&db, &admin, form).await.unwrap();
        assert!(used[0].used_at.is_some(), "the link is marked used");

        // Another answer through the same link (token in the body) is refused.
        let (status, body) = send_json(
            &app,
            Post::json("/f/satisfaction"),
            &[("q1", "2"), ("_key", "link-key-2"), ("_t", &token)],
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["status"], "link_used");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM feedback_responses").await,
            1
        );
        // The first answer sent again (a double click) is thanked as a repeat.
        let (status, body) = send_json(
            &app,
            Post::json(&path),
            &[("q1", "9"), ("_key", "link-key-1")],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "repeat");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM feedback_responses").await,
            1
        );

        // A forged token: a fresh link with one character of its signature changed.
        assert_eq!(
            links::create_links(&db, &admin, form, &request)
                .await
                .unwrap(),
            1
        );
        let fresh = link_token(&db, &admin, form, acme).await;
        assert_ne!(fresh, token);
        assert!(links::resolve_link(&db, form, &fresh)
            .await
            .unwrap()
            .is_ok());
        let mut forged = fresh.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == 'a' { 'b' } else { 'a' });
        assert_eq!(
            links::resolve_link(&db, form, &forged).await.unwrap(),
            Err(LinkProblem::Invalid)
        );
        let (status, body) = send_json(
            &app,
            Post::json("/f/satisfaction"),
            &[("q1", "9"), ("_key", "forged-key-1"), ("_t", &forged)],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["status"], "link_invalid");

        // An expired link.
        let fresh_id: i64 = fresh.split('.').next().unwrap().parse().unwrap();
        sqlx::query("UPDATE feedback_links SET expires_at = $1 WHERE id = $2")
            .bind(now() - 60)
            .bind(fresh_id)
            .execute(&db.pool)
            .await
            .unwrap();
        let (status, body) = send_json(
            &app,
            Post::json("/f/satisfaction"),
            &[("q1", "9"), ("_key", "expired-key-1"), ("_t", &fresh)],
        )
        .await;
        assert_eq!(status, StatusCode::GONE);
        assert_eq!(body["status"], "link_expired");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM feedback_responses").await,
            1
        );
    })
    .await;
}

/// Two answers through one link that both passed the link check (a double submit racing
/// in one batch): the second is refused as `LinkUsed`, not failed with an error.
#[tokio::test]
async fn a_second_answer_racing_through_a_link_is_refused_as_link_used() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let owner = user(&db, "owner@example.com", Role::Tier2Manager, None).await;
        let acme = customer(&db, &admin, "Acme", &owner).await;
        let form = new_form(&db, &admin, "satisfaction", survey()).await;
        let claim = new_claim(&db, &admin, form, acme).await;
        let def = feedback::definition(&db, form, 1).await.unwrap().unwrap();
        let sub = |key: &str, nps: &str| {
            answers::prepare(
                form,
                1,
                &def,
                key,
                Some(claim),
                Lang::En,
                &raw(&[("q1", nps)]),
            )
            .unwrap()
        };
        let (first, second) = (sub("race-key-1", "9"), sub("race-key-2", "3"));

        // Both in one batch, as the group-commit writer would store them.
        let results = answers::store_batch(&db, &[first.clone(), second.clone()]).await;
        assert!(matches!(results[0], Ok(Stored::New(_))), "{results:?}");
        assert!(matches!(results[1], Ok(Stored::LinkUsed)), "{results:?}");
        // And one after the other.
        assert_eq!(
            answers::store(&db, &second).await.unwrap(),
            Stored::LinkUsed
        );
        assert!(matches!(
            answers::store(&db, &first).await.unwrap(),
            Stored::Repeat(_)
        ));
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM feedback_responses").await,
            1
        );
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 6. Versioning

#[tokio::test]
async fn an_edited_form_gets_a_new_version_and_old_answers_keep_theirs() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let v1 = FormDefinition {
            title: Localized::new("Service check", ""),
            questions: vec![
                question("q1", QuestionKind::Nps, true, &[]),
                question("q2", QuestionKind::Text, false, &[]),
            ],
            ..Default::default()
        };
        let form = new_form(&db, &admin, "service-check", v1.clone()).await;
        assert_eq!(
            feedback::get_form(&db, &admin, form).await.unwrap().version,
            1
        );

        // Saving the same definition keeps the version.
        let mut input = FormInput {
            slug: "service-check".into(),
            open: true,
            definition: v1.clone(),
        };
        feedback::save_form(&db, &admin, Some(form), &input)
            .await
            .unwrap();
        assert_eq!(
            feedback::get_form(&db, &admin, form).await.unwrap().version,
            1
        );

        // An edit: a new required rating question.
        input
            .definition
            .questions
            .push(question("q3", QuestionKind::Rating, true, &[]));
        assert_eq!(
            feedback::save_form(&db, &admin, Some(form), &input)
                .await
                .unwrap(),
            form
        );
        let view = feedback::get_form(&db, &admin, form).await.unwrap();
        assert_eq!(view.version, 2);
        assert_eq!(view.definition, input.definition);
        assert_eq!(
            *feedback::definition(&db, form, 1).await.unwrap().unwrap(),
            v1
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM feedback_form_versions").await,
            2
        );
        let public = feedback::public_form(&db, "service-check")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(public.version, 2);

        // An answer to the page as it was (version 1) needs no q3 and keeps version 1.
        let app = public_app(&db, generous());
        let (status, body) = send_json(
            &app,
            Post::json("/f/service-check"),
            &[("q1", "8"), ("_v", "1"), ("_key", "old-version-1")],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let version: i64 = sqlx::query(
            "SELECT version FROM feedback_responses WHERE idempotency_key = 'old-version-1'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("version")
        .unwrap();
        assert_eq!(version, 1);

        // The same answer to the current version lacks q3.
        let (status, body) = send_json(
            &app,
            Post::json("/f/service-check"),
            &[("q1", "8"), ("_v", "2"), ("_key", "new-version-1")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["status"], "invalid");
        assert!(body["errors"]["q3"].is_string(), "{body}");
        let (status, _) = send_json(
            &app,
            Post::json("/f/service-check"),
            &[
                ("q1", "8"),
                ("q3", "4"),
                ("_v", "2"),
                ("_key", "new-version-2"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let versions: Vec<i64> = sqlx::query("SELECT version FROM feedback_responses ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get("version").unwrap())
            .collect();
        assert_eq!(versions, [1, 2]);
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 7. Who may send links

#[tokio::test]
async fn managers_get_links_only_for_customers_they_may_see() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let mine = user(&db, "mine@example.com", Role::Tier2Manager, None).await;
        let other = user(&db, "other@example.com", Role::Tier2Manager, None).await;
        let viewer = user(&db, "viewer@example.com", Role::Viewer, None).await;
        let own_customer = customer(&db, &admin, "Own Co", &mine).await;
        let foreign = customer(&db, &admin, "Foreign Co", &other).await;
        let form = new_form(&db, &admin, "satisfaction", survey()).await;
        let ask = |c: CustomerId| LinkRequest {
            customer_id: c.0.to_string(),
            ..Default::default()
        };

        let err = links::create_links(&db, &mine, form, &ask(foreign))
            .await
            .unwrap_err();
        assert!(validation_field(&err, "customer_id").is_some(), "{err:?}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM feedback_links").await, 0);
        assert_eq!(
            links::create_links(&db, &mine, form, &ask(own_customer))
                .await
                .unwrap(),
            1
        );
        assert!(matches!(
            links::create_links(&db, &viewer, form, &ask(own_customer)).await,
            Err(AppError::Forbidden)
        ));

        // The admin's link for the other customer is not listed to this manager.
        assert_eq!(
            links::create_links(&db, &admin, form, &ask(foreign))
                .await
                .unwrap(),
            1
        );
        let listed: Vec<CustomerId> = links::list_links(&db, &mine, form)
            .await
            .unwrap()
            .iter()
            .map(|l| l.customer_id)
            .collect();
        assert_eq!(listed, [own_customer]);
        assert_eq!(links::list_links(&db, &admin, form).await.unwrap().len(), 2);
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 8. Analysis

#[tokio::test]
async fn analysis_computes_nps_and_csat_within_the_actors_customers() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let mine = user(&db, "mine@example.com", Role::Tier2Manager, None).await;
        let other = user(&db, "other@example.com", Role::Tier2Manager, None).await;
        let own_customer = customer(&db, &admin, "Own Co", &mine).await;
        let foreign = customer(&db, &admin, "Foreign Co", &other).await;
        let form = new_form(&db, &admin, "satisfaction", survey()).await;
        // NPS 10, 9 (promoters), 7 (passive), 3 (detractor) → 25; CSAT 5, 4, 2, 1 → 50.
        for (i, (c, nps, csat)) in [
            (own_customer, "10", "5"),
            (own_customer, "9", "4"),
            (foreign, "7", "2"),
            (foreign, "3", "1"),
        ]
        .into_iter()
        .enumerate()
        {
            let claim = new_claim(&db, &admin, form, c).await;
            let key = format!("analysis-key-{i}");
            let stored = answer(
                &db,
                &admin,
                form,
                &key,
                Some(claim),
                &[("q1", nps), ("q2", csat), ("q6", "Noted")],
            )
            .await;
            assert!(matches!(stored, Stored::New(_)), "{stored:?}");
        }

        let filter = AnalysisFilter {
            form_id: Some(form),
            ..Default::default()
        };
        let all = analysis::analysis(&db, &admin, &filter).await.unwrap();
        assert_eq!(all.responses, 4);
        assert_eq!((all.promoters, all.passives, all.detractors), (2, 1, 1));
        assert_eq!(all.nps, Some(25));
        assert_eq!(all.csat, Some(50));
        assert_eq!(all.csat_answers, 4);
        let q1 = all.questions.iter().find(|q| q.key == "q1").unwrap();
        assert_eq!(q1.answered, 4);
        let nps_buckets: Vec<i64> = q1.buckets.iter().map(|b| b.1).collect();
        assert_eq!(nps_buckets, [0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1]);
        assert_eq!(all.comments.len(), 4);
        // All four were given today: one month holding every figure.
        assert_eq!(all.by_month.len(), 1);
        assert_eq!(
            (
                all.by_month[0].responses,
                all.by_month[0].nps,
                all.by_month[0].csat
            ),
            (4, Some(25), Some(50))
        );
        // Comment search ignores case and treats `%` literally.
        let search = |text: &str| AnalysisFilter {
            search: text.into(),
            ..filter.clone()
        };
        let found = analysis::analysis(&db, &admin, &search("NOTED"))
            .await
            .unwrap();
        assert_eq!(found.comments.len(), 4);
        assert_eq!(found.responses, 4, "the search narrows comments only");
        let none = analysis::analysis(&db, &admin, &search("no%ted"))
            .await
            .unwrap();
        assert!(none.comments.is_empty());
        // A viewer gets the figures without comments or free-text questions.
        let viewer = user(&db, "viewer@example.com", Role::Viewer, None).await;
        let aggregate = analysis::analysis(&db, &viewer, &filter).await.unwrap();
        assert_eq!((aggregate.responses, aggregate.nps), (4, Some(25)));
        assert!(aggregate.comments.is_empty());
        assert!(aggregate
            .questions
            .iter()
            .all(|q| q.kind != QuestionKind::Text));

        // A tier-2 manager counts only the answers of their customers.
        let own = analysis::analysis(&db, &mine, &filter).await.unwrap();
        assert_eq!(own.responses, 2);
        assert_eq!((own.promoters, own.passives, own.detractors), (2, 0, 0));
        assert_eq!(own.nps, Some(100));
        assert_eq!(own.csat, Some(100));
        assert!(own
            .comments
            .iter()
            .all(|c| c.customer.as_ref().map(|x| x.0) == Some(own_customer)));
        let theirs = analysis::analysis(&db, &other, &filter).await.unwrap();
        assert_eq!(
            (theirs.responses, theirs.nps, theirs.csat),
            (2, Some(-50), Some(0))
        );

        // Per-owner figures agree.
        let mut scores = analysis::manager_scores(&db, &admin).await.unwrap();
        scores.sort_by_key(|s| s.user_id.0);
        let figures: Vec<_> = scores
            .iter()
            .map(|s| (s.user_id, s.responses, s.nps, s.csat))
            .collect();
        assert_eq!(
            figures,
            [
                (mine.id, 2, Some(100), Some(100)),
                (other.id, 2, Some(-50), Some(0))
            ]
        );
        let own_scores = analysis::manager_scores(&db, &mine).await.unwrap();
        assert_eq!(own_scores.len(), 1);
        assert_eq!(own_scores[0].user_id, mine.id);
    })
    .await;
}

#[tokio::test]
async fn the_answers_export_names_choices_and_neutralises_formulas() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let viewer = user(&db, "viewer@example.com", Role::Viewer, None).await;
        let form = new_form(&db, &admin, "satisfaction", survey()).await;
        let def = feedback::definition(&db, form, 1)
            .await
            .unwrap()
            .expect("version 1");
        let sub = answers::prepare(
            form,
            1,
            &def,
            "export-key-1",
            None,
            Lang::En,
            &raw(&[
                ("q1", "3"),
                ("q4", "1"),
                ("q5", "0"),
                ("q5", "2"),
                ("q6", "=HYPERLINK(\"x\"), ok"),
            ]),
        )
        .unwrap();
        assert!(matches!(
            answers::store(&db, &sub).await.unwrap(),
            Stored::New(_)
        ));
        let filter = AnalysisFilter {
            form_id: Some(form),
            ..Default::default()
        };
        let csv = analysis::export_csv(&db, &admin, &filter).await.unwrap();
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines.len(), 2, "{csv}");
        assert!(lines[0].starts_with("response_id,submitted_at,form_version,language"));
        // Choices by label, several in one cell; a formula is shown as text.
        assert!(lines[1].contains(",3,"), "{}", lines[1]);
        assert!(
            lines[1].contains(",Phone,\"Price, Staff\","),
            "{}",
            lines[1]
        );
        assert!(
            lines[1].contains("\"'=HYPERLINK(\"\"x\"\"), ok\""),
            "{}",
            lines[1]
        );
        assert_eq!(
            analysis::export_csv(&db, &viewer, &filter)
                .await
                .unwrap_err(),
            AppError::Forbidden
        );
        let no_form = analysis::export_csv(&db, &admin, &AnalysisFilter::default()).await;
        assert!(matches!(no_form, Err(AppError::Validation(_))));
    })
    .await;
}
