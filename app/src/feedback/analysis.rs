//! Analysis of the answers: NPS, CSAT and their trend, question distributions, comments,
//! complaint figures, per-manager scores and the answers export, each over the filters of
//! the analysis page and the actor's scope.

use super::answers::{answer_text, parse_answers_json};
use super::forms::{definition, get_form, list_forms};
use super::model::*;
use crate::auth::permissions::{customer_visibility, may_read_feedback_comments, may_see_feedback};
use crate::auth::{CurrentUser, Role};
use crate::complaints::service as complaints;
use crate::db::{Db, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::{Key, Lang};
use crate::ids::{CustomerId, UserId};
use std::collections::HashMap;
use std::sync::Arc;

/// Comments listed on the analysis page.
const COMMENTS_SHOWN: usize = 100;

/// Rows the actor's figures cover: admins and viewers all answers; managers the answers
/// of customers they may see.
fn push_response_scope(actor: &CurrentUser, q: &mut SqlBuilder) {
    if !matches!(actor.role, Role::Admin | Role::Viewer) {
        q.push(" AND c.id IS NOT NULL");
        customer_visibility(actor, q);
    }
}

async fn push_filter(
    db: &Db,
    actor: &CurrentUser,
    filter: &AnalysisFilter,
    q: &mut SqlBuilder,
) -> AppResult<()> {
    push_response_scope(actor, q);
    if let Some(form) = filter.form_id {
        q.push(" AND r.form_id = ").bind(SqlValue::Int(form));
    }
    if !filter.from.trim().is_empty() {
        let day = crate::dates::parse_date(filter.from.trim())
            .ok_or_else(|| AppError::field("from", Key::ErrInvalidDate))?;
        q.push(" AND r.submitted_at >= ")
            .bind(SqlValue::Int(day * 86_400));
    }
    if !filter.to.trim().is_empty() {
        let day = crate::dates::parse_date(filter.to.trim())
            .ok_or_else(|| AppError::field("to", Key::ErrInvalidDate))?;
        q.push(" AND r.submitted_at < ")
            .bind(SqlValue::Int((day + 1) * 86_400));
    }
    if let Some(owner) = filter.owner_id {
        q.push(" AND c.owner_id = ").bind(SqlValue::Int(owner));
    }
    if let Some(team) = filter.team_id {
        q.push(" AND c.team_id = ").bind(SqlValue::Int(team));
    }
    if let Some(segment) = filter.segment_id {
        let rule = crate::segments::service::checked_rule_of(db, actor, segment)
            .await
            .map_err(|e| match e {
                AppError::NotFound => AppError::field("segment", Key::ErrInvalidChoice),
                other => other,
            })?;
        let ctx = crate::segments::service::eval_context(db).await?;
        q.push(" AND c.id IS NOT NULL");
        crate::segments::sql::push_rule(q, &rule, &ctx);
    }
    Ok(())
}

fn month_of(ts: i64) -> String {
    let (y, m, _) = crate::dates::civil_from_days(ts.div_euclid(86_400));
    format!("{y:04}-{m:02}")
}

/// Counts per month, summed; NPS and CSAT follow from them.
#[derive(Default)]
struct ScoreCounts {
    responses: i64,
    promoters: i64,
    detractors: i64,
    nps_answers: i64,
    satisfied: i64,
    csat_answers: i64,
}

impl ScoreCounts {
    fn add(&mut self, other: &ScoreCounts) {
        self.responses += other.responses;
        self.promoters += other.promoters;
        self.detractors += other.detractors;
        self.nps_answers += other.nps_answers;
        self.satisfied += other.satisfied;
        self.csat_answers += other.csat_answers;
    }
    fn passives(&self) -> i64 {
        self.nps_answers - self.promoters - self.detractors
    }
    fn nps(&self) -> Option<i64> {
        nps_from_counts(self.promoters, self.passives(), self.detractors)
    }
    fn csat(&self) -> Option<i64> {
        percent_of(self.satisfied, self.csat_answers)
    }
}

/// The figures of the analysis page. Counts are aggregated by the database per day (then
/// folded into months here); only the chosen form's answers are read for the per-question
/// distributions, and only the newest matching comments.
pub async fn analysis(
    db: &Db,
    actor: &CurrentUser,
    filter: &AnalysisFilter,
) -> AppResult<Analysis> {
    if !may_see_feedback(actor) {
        return Err(AppError::Forbidden);
    }
    let read_comments = may_read_feedback_comments(actor);
    let mut out = Analysis {
        may_read_comments: read_comments,
        ..Default::default()
    };

    let mut q = SqlBuilder::new(
        "SELECT CAST(r.submitted_at / 86400 AS BIGINT) AS day, COUNT(*) AS n, \
         CAST(SUM(CASE WHEN r.nps >= 9 THEN 1 ELSE 0 END) AS BIGINT) AS promoters, \
         CAST(SUM(CASE WHEN r.nps <= 6 THEN 1 ELSE 0 END) AS BIGINT) AS detractors, \
         CAST(SUM(CASE WHEN r.nps IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS nps_n, \
         CAST(SUM(CASE WHEN r.csat >= 4 THEN 1 ELSE 0 END) AS BIGINT) AS satisfied, \
         CAST(SUM(CASE WHEN r.csat IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS csat_n \
         FROM feedback_responses r LEFT JOIN customers c ON c.id = r.customer_id WHERE 1 = 1",
    );
    push_filter(db, actor, filter, &mut q).await?;
    q.push(" GROUP BY 1");
    let mut months: std::collections::BTreeMap<String, ScoreCounts> = Default::default();
    let mut total = ScoreCounts::default();
    for r in q.query().fetch_all(&db.pool).await? {
        let count =
            |name: &str| -> AppResult<i64> { Ok(r.try_get::<Option<i64>, _>(name)?.unwrap_or(0)) };
        let day = ScoreCounts {
            responses: count("n")?,
            promoters: count("promoters")?,
            detractors: count("detractors")?,
            nps_answers: count("nps_n")?,
            satisfied: count("satisfied")?,
            csat_answers: count("csat_n")?,
        };
        total.add(&day);
        months
            .entry(month_of(r.try_get::<i64, _>("day")? * 86_400))
            .or_default()
            .add(&day);
    }
    out.responses = total.responses;
    out.promoters = total.promoters;
    out.detractors = total.detractors;
    out.passives = total.passives();
    out.nps = total.nps();
    out.csat = total.csat();
    out.csat_answers = total.csat_answers;
    out.by_month = months
        .into_iter()
        .map(|(month, m)| MonthPoint {
            month,
            responses: m.responses,
            nps: m.nps(),
            csat: m.csat(),
        })
        .collect();

    if let Some(form) = filter.form_id {
        let version: Option<i64> =
            sqlx::query("SELECT current_version FROM feedback_forms WHERE id = $1")
                .bind(form)
                .fetch_optional(&db.pool)
                .await?
                .map(|r| r.try_get("current_version"))
                .transpose()?;
        let current = match version {
            Some(v) => definition(db, form, v).await?,
            None => None,
        };
        if let Some(def) = current {
            out.questions = question_stats(db, actor, filter, form, &def, read_comments).await?;
        }
    }

    if read_comments {
        let mut q = SqlBuilder::new(
            "SELECT r.id, r.submitted_at, r.nps, r.comment, r.customer_id, c.name AS customer_name \
             FROM feedback_responses r LEFT JOIN customers c ON c.id = r.customer_id \
             WHERE r.comment IS NOT NULL",
        );
        push_filter(db, actor, filter, &mut q).await?;
        let needle = filter.search.trim();
        if !needle.is_empty() {
            q.push(" AND LOWER(r.comment) LIKE ")
                .bind(SqlValue::Text(crate::db::like_contains(
                    &needle.to_lowercase(),
                )))
                .push(" ESCAPE '\\'");
        }
        q.push(" ORDER BY r.submitted_at DESC, r.id DESC LIMIT ")
            .bind(SqlValue::Int(COMMENTS_SHOWN as i64));
        for r in q.query().fetch_all(&db.pool).await? {
            let customer = r
                .try_get::<Option<i64>, _>("customer_id")?
                .zip(r.try_get::<Option<String>, _>("customer_name")?)
                .map(|(id, name)| (CustomerId(id), name));
            out.comments.push(CommentRow {
                response_id: r.try_get("id")?,
                at: r.try_get("submitted_at")?,
                text: r
                    .try_get::<Option<String>, _>("comment")?
                    .unwrap_or_default(),
                nps: r.try_get("nps")?,
                customer,
            });
        }
    }
    out.complaints = complaint_stats(db, actor, filter).await?;
    Ok(out)
}

/// The complaints opened under the analysis filters.
async fn complaint_stats(
    db: &Db,
    actor: &CurrentUser,
    filter: &AnalysisFilter,
) -> AppResult<crate::complaints::model::ComplaintStats> {
    let stats_filter = crate::complaints::model::StatsFilter {
        form_id: filter.form_id,
        from_day: crate::dates::parse_date(filter.from.trim()),
        to_day: crate::dates::parse_date(filter.to.trim()),
        owner_id: filter.owner_id,
        team_id: filter.team_id,
    };
    let mut customers = Vec::new();
    if let Some(segment) = filter.segment_id {
        let rule = crate::segments::service::checked_rule_of(db, actor, segment).await?;
        let ctx = crate::segments::service::eval_context(db).await?;
        customers.push(crate::segments::service::rule_condition(rule, ctx));
    }
    complaints::stats(db, actor, &stats_filter, &customers).await
}

/// The distribution of every question of the form's current version over the filtered
/// answers. An old answer counts towards today's question only while the question has the
/// same kind and options (choices are stored by position).
async fn question_stats(
    db: &Db,
    actor: &CurrentUser,
    filter: &AnalysisFilter,
    form: i64,
    def: &FormDefinition,
    read_comments: bool,
) -> AppResult<Vec<QuestionStats>> {
    let mut q = SqlBuilder::new(
        "SELECT r.version, r.answers_json FROM feedback_responses r \
         LEFT JOIN customers c ON c.id = r.customer_id WHERE 1 = 1",
    );
    push_filter(db, actor, filter, &mut q).await?;
    let mut versions: HashMap<i64, Option<Arc<FormDefinition>>> = HashMap::new();
    let mut per_question: HashMap<String, Vec<AnswerValue>> = HashMap::new();
    for r in q.query().fetch_all(&db.pool).await? {
        let version: i64 = r.try_get("version")?;
        let given = match versions.get(&version) {
            Some(d) => d.clone(),
            None => {
                let d = definition(db, form, version).await?;
                versions.insert(version, d.clone());
                d
            }
        };
        let Some(given) = given else { continue };
        for (key, value) in parse_answers_json(&r.try_get::<String, _>("answers_json")?) {
            let unchanged = match (given.question(&key), def.question(&key)) {
                (Some(then), Some(now)) => then.kind == now.kind && then.options == now.options,
                _ => false,
            };
            if unchanged {
                per_question.entry(key).or_default().push(value);
            }
        }
    }
    Ok(def
        .questions
        .iter()
        .filter(|q| read_comments || !matches!(q.kind, QuestionKind::Text | QuestionKind::Email))
        .map(|q| {
            let given = per_question.get(&q.key).map(Vec::as_slice).unwrap_or(&[]);
            let refs: Vec<&AnswerValue> = given.iter().collect();
            QuestionStats {
                key: q.key.clone(),
                label: q.label.clone(),
                kind: q.kind,
                answered: given.len() as i64,
                buckets: distribution(q, &refs),
            }
        })
        .collect())
}

pub async fn analysis_options(db: &Db, actor: &CurrentUser) -> AppResult<AnalysisOptions> {
    if !may_see_feedback(actor) {
        return Err(AppError::Forbidden);
    }
    let forms = list_forms(db, actor)
        .await?
        .into_iter()
        .map(|f| (f.id, f.title))
        .collect();
    let segments = if crate::auth::permissions::may_list_customers(actor) {
        crate::segments::service::list(db, actor)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect()
    } else {
        Vec::new()
    };
    let staff = crate::users::service::list_staff(db, actor)
        .await
        .unwrap_or_default();
    let owners = staff
        .iter()
        .filter(|s| s.role.is_manager())
        .map(|s| (s.id.0, s.name.clone()))
        .collect();
    let teams = crate::users::service::list_teams(db)
        .await?
        .into_iter()
        .map(|t| (t.id.0, t.name))
        .collect();
    Ok(AnalysisOptions {
        forms,
        segments,
        owners,
        teams,
    })
}

/// Answers per owner of the answering customers, with the counts NPS and CSAT need; the
/// caller adds its conditions and ` GROUP BY c.owner_id`.
pub const OWNER_SCORES_SELECT: &str = "SELECT c.owner_id, COUNT(*) AS n, \
     CAST(SUM(CASE WHEN r.nps >= 9 THEN 1 ELSE 0 END) AS BIGINT) AS promoters, \
     CAST(SUM(CASE WHEN r.nps <= 6 THEN 1 ELSE 0 END) AS BIGINT) AS detractors, \
     CAST(SUM(CASE WHEN r.nps IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS nps_n, \
     CAST(SUM(CASE WHEN r.csat >= 4 THEN 1 ELSE 0 END) AS BIGINT) AS satisfied, \
     CAST(SUM(CASE WHEN r.csat IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS csat_n \
     FROM feedback_responses r JOIN customers c ON c.id = r.customer_id WHERE 1 = 1";

/// One row of [`OWNER_SCORES_SELECT`].
pub fn owner_scores_from_row(r: &crate::db::DbRow) -> AppResult<ManagerScores> {
    let count =
        |name: &str| -> AppResult<i64> { Ok(r.try_get::<Option<i64>, _>(name)?.unwrap_or(0)) };
    let (promoters, detractors, nps_n) =
        (count("promoters")?, count("detractors")?, count("nps_n")?);
    let (satisfied, csat_n) = (count("satisfied")?, count("csat_n")?);
    Ok(ManagerScores {
        user_id: UserId(r.try_get("owner_id")?),
        responses: r.try_get("n")?,
        nps: nps_from_counts(promoters, nps_n - promoters - detractors, detractors),
        csat: percent_of(satisfied, csat_n),
    })
}

/// NPS and CSAT per owner over the answers of the customers each owns, within what the
/// actor's feedback figures cover.
pub async fn manager_scores(db: &Db, actor: &CurrentUser) -> AppResult<Vec<ManagerScores>> {
    if !may_see_feedback(actor) {
        return Err(AppError::Forbidden);
    }
    let mut q = SqlBuilder::new(OWNER_SCORES_SELECT);
    push_response_scope(actor, &mut q);
    q.push(" GROUP BY c.owner_id");
    q.query()
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(owner_scores_from_row)
        .collect()
}

/// The answers of one form under the analysis filters as CSV: one row per answer, one
/// column per question of the current version (choices by their labels), and the
/// customer where the answer came through a personal link. Not for viewers.
pub async fn export_csv(
    db: &Db,
    actor: &CurrentUser,
    filter: &AnalysisFilter,
) -> AppResult<String> {
    if !may_read_feedback_comments(actor) {
        return Err(AppError::Forbidden);
    }
    let form_id = filter
        .form_id
        .ok_or_else(|| AppError::field("form", Key::ErrRequired))?;
    let view = get_form(db, actor, form_id).await?;
    let mut q = SqlBuilder::new(
        "SELECT r.id, r.version, r.submitted_at, r.language, r.answers_json, c.external_id, c.name AS customer_name \
         FROM feedback_responses r LEFT JOIN customers c ON c.id = r.customer_id WHERE 1 = 1",
    );
    push_filter(db, actor, filter, &mut q).await?;
    q.push(" ORDER BY r.submitted_at, r.id");
    let rows = q.query().fetch_all(&db.pool).await?;
    let questions = &view.definition.questions;
    let mut csv = crate::csv_writer::CsvWriter::new();
    let mut header: Vec<String> = [
        "response_id",
        "submitted_at",
        "form_version",
        "language",
        "customer_external_id",
        "customer_name",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(
        questions
            .iter()
            .map(|q| format!("{} {}", q.key, q.label.en)),
    );
    csv.row(&header);
    for r in &rows {
        let version: i64 = r.try_get("version")?;
        let given = definition(db, form_id, version).await?;
        let answers = parse_answers_json(&r.try_get::<String, _>("answers_json")?);
        let mut line = vec![
            r.try_get::<i64, _>("id")?.to_string(),
            crate::dates::date_and_time(r.try_get("submitted_at")?, ' '),
            version.to_string(),
            r.try_get::<String, _>("language")?,
            r.try_get::<Option<String>, _>("external_id")?
                .unwrap_or_default(),
            r.try_get::<Option<String>, _>("customer_name")?
                .unwrap_or_default(),
        ];
        for q in questions {
            // Labels come from the version the answer was given for.
            let asked = given.as_ref().and_then(|d| d.question(&q.key)).unwrap_or(q);
            let cell = answers
                .iter()
                .find(|(k, _)| k == &q.key)
                .filter(|_| asked.kind == q.kind)
                .map(|(_, v)| answer_text(asked, v, Lang::En))
                .unwrap_or_default();
            line.push(cell);
        }
        csv.row(&line);
    }
    Ok(csv.finish())
}
