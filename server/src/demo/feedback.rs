//! Demo feedback: the satisfaction form, six months of answers (some through personal
//! links), and the complaints the low scores opened, the older ones handled.

use super::*;

/// The sample satisfaction form at `/f/satisfaction`: answers spread over six months, some
/// through personal links (on those customers' timelines), the low ones opening
/// complaints; all but the most recent complaints were worked through and closed. Demo
/// customers have ids `base_customer + 1 ..= base_customer + count`.
/// A staff account of the demo by e-mail, as the signed-in user.
async fn demo_user(db: &Db, email: &'static str) -> Result<app::auth::CurrentUser, AppError> {
    let r = sqlx::query("SELECT id, name, role, team_id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&db.pool)
        .await?;
    Ok::<_, AppError>(app::auth::CurrentUser {
        id: app::ids::UserId(r.try_get("id")?),
        email: email.into(),
        name: r.try_get("name")?,
        role: app::auth::Role::parse(&r.try_get::<String, _>("role")?)
            .unwrap_or(app::auth::Role::Viewer),
        team_id: r
            .try_get::<Option<i64>, _>("team_id")?
            .map(app::ids::TeamId),
        language: app::i18n::Lang::En,
    })
}

/// The demo's satisfaction form: NPS, CSAT, a rating, choices, text, an e-mail; a low NPS
/// opens a complaint for the support agent.
fn satisfaction_form(support: app::ids::UserId) -> app::feedback::model::FormDefinition {
    use app::complaints::model::Severity;
    use app::feedback::model::*;
    let question = |key: &str,
                    kind: QuestionKind,
                    en: &str,
                    zh: &str,
                    required: bool,
                    options: &[(&str, &str)]| Question {
        key: key.into(),
        kind,
        label: Localized::new(en, zh),
        required,
        options: options.iter().map(|(e, z)| Localized::new(e, z)).collect(),
    };
    FormDefinition {
        title: Localized::new("How are we doing?", "您对我们的服务满意吗？"),
        intro: Localized::new(
            "Two minutes of your time help us serve you better.",
            "占用您两分钟时间，帮助我们把服务做得更好。",
        ),
        thanks: Localized::new(
            "Thank you! Your account manager reads every answer.",
            "谢谢！您的客户经理会阅读每一份回答。",
        ),
        questions: vec![
            question(
                "q1",
                QuestionKind::Nps,
                "How likely are you to recommend us to a friend or colleague?",
                "您向朋友或同事推荐我们的可能性有多大？",
                true,
                &[],
            ),
            question(
                "q2",
                QuestionKind::Csat,
                "Overall, how satisfied are you with our service?",
                "总体而言，您对我们的服务满意吗？",
                true,
                &[],
            ),
            question(
                "q3",
                QuestionKind::Rating,
                "How would you rate your account manager?",
                "您如何评价您的客户经理？",
                false,
                &[],
            ),
            question(
                "q4",
                QuestionKind::SingleChoice,
                "What matters most to you?",
                "您最看重什么？",
                false,
                &[
                    ("Price", "价格"),
                    ("Quality", "质量"),
                    ("Delivery time", "交付时间"),
                    ("Service", "服务"),
                ],
            ),
            question(
                "q5",
                QuestionKind::MultipleChoice,
                "Which of our products do you use?",
                "您在使用我们的哪些产品？",
                false,
                &[
                    ("Hardware", "硬件"),
                    ("Software", "软件"),
                    ("Services", "服务"),
                ],
            ),
            question(
                "q6",
                QuestionKind::Text,
                "Anything we could do better?",
                "还有哪些地方需要改进？",
                false,
                &[],
            ),
            question(
                "q7",
                QuestionKind::Email,
                "Your e-mail, if you would like an answer",
                "如需回复，请留下您的邮箱",
                false,
                &[],
            ),
        ],
        complaint_rule: Some(ComplaintRule {
            question: "q1".into(),
            trigger: ComplaintTrigger::AtOrBelow(3),
            category: "service".into(),
            severity: Severity::High,
            assignee: Some(support),
        }),
    }
}

/// The answer fields of one generated response: mostly content customers, about one in
/// eight a detractor, who tends to leave a comment.
fn demo_answer(rng: &mut Rng) -> app::feedback::model::RawFields {
    const COMMENTS: [&str; 8] = [
        "Delivery was late twice this quarter.",
        "Great support, thank you!",
        "Invoices are hard to read.",
        "The new portal is much faster.",
        "送货太慢了，希望改进。",
        "客户经理非常专业。",
        "Prices went up without notice.",
        "Training day was very useful.",
    ];
    // Most customers are content; about one answer in eight is a detractor.
    let nps = match rng.below(8) {
        0 => rng.below(4) as i64,
        1 | 2 => 5 + rng.below(3) as i64,
        _ => 8 + rng.below(3) as i64,
    };
    let csat = (nps / 2).clamp(1, 5);
    let mut raw: app::feedback::model::RawFields = vec![
        ("q1".into(), nps.to_string()),
        ("q2".into(), csat.to_string()),
    ];
    if rng.below(3) > 0 {
        raw.push(("q3".into(), (1 + (nps / 2).min(4)).to_string()));
    }
    raw.push(("q4".into(), rng.below(4).to_string()));
    for option in 0..3 {
        if rng.below(2) == 0 {
            raw.push(("q5".into(), option.to_string()));
        }
    }
    if nps <= 6 || rng.below(4) == 0 {
        raw.push(("q6".into(), (*rng.pick(&COMMENTS)).to_string()));
    }
    raw
}

/// Complaints older than twenty days were handled: resolved by the support agent, then
/// closed, with their status history.
async fn close_old_complaints(
    tx: &mut sqlx::AnyConnection,
    now: i64,
    support: app::ids::UserId,
) -> Result<(), AppError> {
    let handled =
        sqlx::query("SELECT id, created_at FROM complaints WHERE created_at < $1 ORDER BY id")
            .bind(now - 20 * 86_400)
            .fetch_all(&mut *tx)
            .await?;
    for r in handled {
        let id: i64 = r.try_get("id")?;
        let created: i64 = r.try_get("created_at")?;
        let resolved = created + 3_600 * (2 + (id % 30));
        sqlx::query("UPDATE complaints SET status = 'closed', resolution_note = $1, resolved_at = $2, updated_at = $3 WHERE id = $4")
            .bind("Called the customer, explained and agreed on a fix.")
            .bind(resolved)
            .bind(resolved + 86_400)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (at, from, to, note) in [
            (created + 1_800, "received", "in_progress", None),
            (
                resolved,
                "in_progress",
                "resolved",
                Some("Called the customer, explained and agreed on a fix."),
            ),
            (resolved + 86_400, "resolved", "closed", None),
        ] {
            sqlx::query("INSERT INTO complaint_events (complaint_id, at, actor_id, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(at)
                .bind(support.0)
                .bind(from)
                .bind(to)
                .bind(note)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

pub(super) async fn demo_feedback(
    db: &Db,
    seed: u64,
    base_customer: i64,
    count: i64,
) -> Result<(), AppError> {
    use app::feedback::answers;
    use app::feedback::model::*;
    let admin = demo_user(db, "admin@rapport.local").await?;
    let support = demo_user(db, "support@rapport.local").await?;
    let definition = satisfaction_form(support.id);
    let form_id = app::feedback::forms::save_form(
        db,
        &admin,
        None,
        &FormInput {
            slug: "satisfaction".into(),
            open: true,
            definition: definition.clone(),
        },
    )
    .await?;
    let mut rng = Rng::new(seed ^ 0xFEED);
    let now = app::db::now();
    let mut tx = db.begin_write().await?;
    for n in 0..240_i64 {
        let at = now - 86_400 - rng.below(180 * 86_400) as i64;
        let raw = demo_answer(&mut rng);
        // Three answers in five come through personal links, tied to a customer.
        let link = if count > 0 && rng.below(5) < 3 {
            let customer = base_customer + 1 + rng.below(count as u64) as i64;
            let link_id: i64 = sqlx::query(
                "INSERT INTO feedback_links (form_id, customer_id, expires_at, created_by, created_at) \
                 VALUES ($1, $2, NULL, $3, $4) RETURNING id",
            )
            .bind(form_id)
            .bind(customer)
            .bind(admin.id.0)
            .bind(at - 3 * 86_400)
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
            Some(app::feedback::links::LinkClaim {
                link_id,
                customer_id: app::ids::CustomerId(customer),
            })
        } else {
            None
        };
        let lang = if n % 3 == 0 {
            app::i18n::Lang::Zh
        } else {
            app::i18n::Lang::En
        };
        let mut submission = answers::prepare(
            form_id,
            1,
            &definition,
            &format!("demo-answer-{n:04}"),
            link,
            lang,
            &raw,
        )
        .map_err(AppError::Validation)?;
        submission.submitted_at = at;
        answers::store_in(&mut tx, &submission).await?;
    }
    close_old_complaints(&mut tx, now, support.id).await?;
    tx.commit().await?;
    Ok(())
}
