//! Feedback forms as data: a form version is a typed definition (questions in both
//! languages plus an optional complaint rule), validated when saved; an answer is checked
//! against the exact version it was given for. NPS and CSAT are computed here too. Plain
//! Rust, shared by the server, the staff pages and the tests.

use crate::error::{AppError, FieldError};
use crate::i18n::{Key, Lang};
use crate::ids::{CustomerId, UserId};
use serde::{Deserialize, Serialize};

pub const MAX_QUESTIONS: usize = 30;
pub const MAX_OPTIONS: usize = 20;
pub const MAX_LABEL_CHARS: usize = 300;
pub const MAX_INTRO_CHARS: usize = 2_000;
/// Longest free-text answer kept (characters).
pub const MAX_TEXT_ANSWER_CHARS: usize = 4_000;
pub const MAX_EMAIL_CHARS: usize = 254;

/// A text in both languages; the Chinese one may be left empty and falls back to English.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    pub en: String,
    pub zh: String,
}

impl Localized {
    pub fn new(en: &str, zh: &str) -> Self {
        Localized {
            en: en.into(),
            zh: zh.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh if !self.zh.trim().is_empty() => &self.zh,
            _ => &self.en,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QuestionKind {
    /// 1 to 5 stars.
    Rating,
    /// 0 to 10, "how likely are you to recommend us".
    Nps,
    /// 1 (very unsatisfied) to 5 (very satisfied).
    Csat,
    SingleChoice,
    MultipleChoice,
    Text,
    Email,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 7] = [
        QuestionKind::Rating,
        QuestionKind::Nps,
        QuestionKind::Csat,
        QuestionKind::SingleChoice,
        QuestionKind::MultipleChoice,
        QuestionKind::Text,
        QuestionKind::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Rating => "rating",
            QuestionKind::Nps => "nps",
            QuestionKind::Csat => "csat",
            QuestionKind::SingleChoice => "single",
            QuestionKind::MultipleChoice => "multiple",
            QuestionKind::Text => "text",
            QuestionKind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<QuestionKind> {
        QuestionKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> Key {
        match self {
            QuestionKind::Rating => Key::FbKindRating,
            QuestionKind::Nps => Key::FbKindNps,
            QuestionKind::Csat => Key::FbKindCsat,
            QuestionKind::SingleChoice => Key::FbKindSingle,
            QuestionKind::MultipleChoice => Key::FbKindMultiple,
            QuestionKind::Text => Key::FbKindText,
            QuestionKind::Email => Key::FbKindEmail,
        }
    }

    pub fn has_options(self) -> bool {
        matches!(
            self,
            QuestionKind::SingleChoice | QuestionKind::MultipleChoice
        )
    }

    /// The inclusive range of a scored question.
    pub fn scale(self) -> Option<(i64, i64)> {
        match self {
            QuestionKind::Rating | QuestionKind::Csat => Some((1, 5)),
            QuestionKind::Nps => Some((0, 10)),
            _ => None,
        }
    }
}

/// The five CSAT answers, worst first.
pub const CSAT_LABELS: [Key; 5] = [
    Key::FbCsat1,
    Key::FbCsat2,
    Key::FbCsat3,
    Key::FbCsat4,
    Key::FbCsat5,
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Stable across versions ("q1", "q2", …): answers are stored under it.
    pub key: String,
    pub kind: QuestionKind,
    pub label: Localized,
    pub required: bool,
    /// Choice questions only.
    #[serde(default)]
    pub options: Vec<Localized>,
}

/// What opens a complaint when an answer comes in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ComplaintTrigger {
    /// A scored answer at or below the threshold.
    AtOrBelow(i64),
    /// A choice answer that includes the option (index into the options).
    Chose(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintRule {
    pub question: String,
    pub trigger: ComplaintTrigger,
    pub category: String,
    pub severity: crate::complaints::model::Severity,
    /// Who handles complaints from anonymous answers (a customer's own owner otherwise).
    pub assignee: Option<UserId>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormDefinition {
    pub title: Localized,
    pub intro: Localized,
    pub thanks: Localized,
    pub questions: Vec<Question>,
    pub complaint_rule: Option<ComplaintRule>,
}

fn required_localized(field: &str, text: &Localized, max: usize, out: &mut Vec<FieldError>) {
    if text.en.trim().is_empty() {
        out.push(FieldError::new(field, Key::ErrRequired));
    }
    if text.en.chars().count() > max || text.zh.chars().count() > max {
        out.push(FieldError::new(field, Key::ErrTooLong));
    }
}

impl FormDefinition {
    /// Checks a definition before it is stored. Field names point at the builder's
    /// inputs: `title`, `q3.label`, `q3.options`, `rule.question`, …
    pub fn validate(&self) -> Result<(), AppError> {
        let mut out = Vec::new();
        required_localized("title", &self.title, MAX_LABEL_CHARS, &mut out);
        for (field, text) in [("intro", &self.intro), ("thanks", &self.thanks)] {
            if text.en.chars().count() > MAX_INTRO_CHARS
                || text.zh.chars().count() > MAX_INTRO_CHARS
            {
                out.push(FieldError::new(field, Key::ErrTooLong));
            }
        }
        if self.questions.is_empty() {
            out.push(FieldError::new("questions", Key::FbErrNoQuestions));
        }
        if self.questions.len() > MAX_QUESTIONS {
            out.push(FieldError::new("questions", Key::ErrTooLong));
        }
        let mut seen = std::collections::HashSet::new();
        for q in &self.questions {
            if q.key.is_empty()
                || q.key.len() > 16
                || !q.key.chars().all(|c| c.is_ascii_alphanumeric())
                || !seen.insert(q.key.clone())
            {
                out.push(FieldError::new("questions", Key::ErrInvalidChoice));
            }
            required_localized(
                &format!("{}.label", q.key),
                &q.label,
                MAX_LABEL_CHARS,
                &mut out,
            );
            if q.kind.has_options() {
                if q.options.len() < 2 || q.options.len() > MAX_OPTIONS {
                    out.push(FieldError::new(
                        &format!("{}.options", q.key),
                        Key::FbErrOptions,
                    ));
                }
                for o in &q.options {
                    if o.en.trim().is_empty() || o.en.chars().count() > MAX_LABEL_CHARS {
                        out.push(FieldError::new(
                            &format!("{}.options", q.key),
                            Key::FbErrOptions,
                        ));
                        break;
                    }
                }
            }
        }
        if let Some(rule) = &self.complaint_rule {
            match self.questions.iter().find(|q| q.key == rule.question) {
                None => out.push(FieldError::new("rule.question", Key::ErrInvalidChoice)),
                Some(q) => {
                    let fits = match rule.trigger {
                        ComplaintTrigger::AtOrBelow(v) => q
                            .kind
                            .scale()
                            .is_some_and(|(lo, hi)| (lo..=hi).contains(&v)),
                        ComplaintTrigger::Chose(i) => q.kind.has_options() && i < q.options.len(),
                    };
                    if !fits {
                        out.push(FieldError::new("rule.trigger", Key::FbErrRuleTrigger));
                    }
                }
            }
            if rule.category.trim().is_empty() || rule.category.chars().count() > 80 {
                out.push(FieldError::new("rule.category", Key::ErrRequired));
            }
        }
        if out.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(out))
        }
    }

    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.key == key)
    }

    /// A key not used by any question yet.
    pub fn next_question_key(&self) -> String {
        let max = self
            .questions
            .iter()
            .filter_map(|q| q.key.strip_prefix('q').and_then(|n| n.parse::<u32>().ok()))
            .max()
            .unwrap_or(0);
        format!("q{}", max + 1)
    }
}

/// One stored answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnswerValue {
    Number(i64),
    Choices(Vec<usize>),
    Text(String),
}

/// The answers of one response, by question key, in question order.
pub type Answers = Vec<(String, AnswerValue)>;

/// Raw submitted values: every value of every field name, as a form post delivers them.
pub type RawFields = Vec<(String, String)>;

fn values<'a>(raw: &'a RawFields, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    raw.iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
        && s.chars().count() <= MAX_EMAIL_CHARS
}

/// Checks a submission against a form version. Field errors are keyed by question key.
pub fn parse_answers(def: &FormDefinition, raw: &RawFields) -> Result<Answers, Vec<FieldError>> {
    let mut answers = Vec::new();
    let mut errors = Vec::new();
    for q in &def.questions {
        let given: Vec<&str> = values(raw, &q.key).collect();
        if given.is_empty() {
            if q.required {
                errors.push(FieldError::new(&q.key, Key::ErrRequired));
            }
            continue;
        }
        let parsed = match q.kind {
            QuestionKind::Rating | QuestionKind::Nps | QuestionKind::Csat => {
                let (lo, hi) = q.kind.scale().unwrap_or((0, 0));
                match (given.len(), given[0].parse::<i64>()) {
                    (1, Ok(n)) if (lo..=hi).contains(&n) => Ok(AnswerValue::Number(n)),
                    _ => Err(Key::FbErrOutOfRange),
                }
            }
            QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
                let mut picked = Vec::new();
                let mut bad = given.len() > 1 && q.kind == QuestionKind::SingleChoice;
                for v in &given {
                    match v.parse::<usize>() {
                        Ok(i) if i < q.options.len() => {
                            if !picked.contains(&i) {
                                picked.push(i);
                            }
                        }
                        _ => bad = true,
                    }
                }
                picked.sort_unstable();
                if bad {
                    Err(Key::ErrInvalidChoice)
                } else {
                    Ok(AnswerValue::Choices(picked))
                }
            }
            QuestionKind::Text => {
                let text = given.join("\n");
                if text.chars().count() > MAX_TEXT_ANSWER_CHARS {
                    Err(Key::ErrTooLong)
                } else {
                    Ok(AnswerValue::Text(text))
                }
            }
            QuestionKind::Email => {
                if given.len() == 1 && looks_like_email(given[0]) {
                    Ok(AnswerValue::Text(given[0].to_string()))
                } else {
                    Err(Key::ErrInvalidEmail)
                }
            }
        };
        match parsed {
            Ok(v) => answers.push((q.key.clone(), v)),
            Err(key) => errors.push(FieldError::new(&q.key, key)),
        }
    }
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(errors)
    }
}

/// The first answer of a kind (the figure a response contributes to NPS or CSAT).
pub fn first_score(def: &FormDefinition, answers: &Answers, kind: QuestionKind) -> Option<i64> {
    def.questions
        .iter()
        .filter(|q| q.kind == kind)
        .find_map(|q| match answers.iter().find(|(k, _)| k == &q.key) {
            Some((_, AnswerValue::Number(n))) => Some(*n),
            _ => None,
        })
}

/// The free-text answers, one per line, for search and the comments list.
pub fn comment_text(def: &FormDefinition, answers: &Answers) -> Option<String> {
    let texts: Vec<&str> = def
        .questions
        .iter()
        .filter(|q| q.kind == QuestionKind::Text)
        .filter_map(|q| match answers.iter().find(|(k, _)| k == &q.key) {
            Some((_, AnswerValue::Text(t))) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n"))
}

/// Whether these answers meet the form's complaint rule.
pub fn triggers_complaint(def: &FormDefinition, answers: &Answers) -> bool {
    let Some(rule) = &def.complaint_rule else {
        return false;
    };
    let Some((_, value)) = answers.iter().find(|(k, _)| k == &rule.question) else {
        return false;
    };
    match (&rule.trigger, value) {
        (ComplaintTrigger::AtOrBelow(t), AnswerValue::Number(n)) => n <= t,
        (ComplaintTrigger::Chose(i), AnswerValue::Choices(c)) => c.contains(i),
        _ => false,
    }
}

/// Net promoter score: % promoters (9–10) − % detractors (0–6), rounded; `None` without answers.
pub fn nps(scores: &[i64]) -> Option<i64> {
    if scores.is_empty() {
        return None;
    }
    let promoters = scores.iter().filter(|s| **s >= 9).count() as i64;
    let detractors = scores.iter().filter(|s| **s <= 6).count() as i64;
    Some(rounded_percent(promoters - detractors, scores.len() as i64))
}

/// NPS from counts of promoters, passives and detractors.
pub fn nps_from_counts(promoters: i64, passives: i64, detractors: i64) -> Option<i64> {
    let total = promoters + passives + detractors;
    (total > 0).then(|| rounded_percent(promoters - detractors, total))
}

/// CSAT: the share of answers that are 4 or 5 ("satisfied" or better), in percent.
pub fn csat(scores: &[i64]) -> Option<i64> {
    let satisfied = scores.iter().filter(|s| **s >= 4).count() as i64;
    percent_of(satisfied, scores.len() as i64)
}

/// `part` of `whole` in percent, rounded; `None` for an empty whole.
pub fn percent_of(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| rounded_percent(part, whole))
}

/// `100 × part / whole`, rounded half away from zero.
fn rounded_percent(part: i64, whole: i64) -> i64 {
    let scaled = part * 200 / whole;
    (scaled + scaled.signum()) / 2
}

/// Where a response came from, as the staff pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseOrigin {
    pub customer: Option<(CustomerId, String)>,
    pub personal_link: bool,
}

/// A form in the forms list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormSummary {
    pub id: i64,
    pub slug: String,
    pub title: Localized,
    pub open: bool,
    pub version: i64,
    pub questions: usize,
    pub responses: i64,
    pub last_response_at: Option<i64>,
}

/// One form as the builder and the form page see it (its current version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormView {
    pub id: i64,
    pub slug: String,
    pub open: bool,
    pub version: i64,
    pub definition: FormDefinition,
    pub responses: i64,
    pub may_manage: bool,
    pub may_send_links: bool,
}

/// A form as the builder sends it. The definition is checked on the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormInput {
    pub slug: String,
    pub open: bool,
    pub definition: FormDefinition,
}

/// Lower-case letters, digits and dashes, 2 to 60 characters, starting with a letter or digit.
pub fn parse_slug(raw: &str) -> Result<String, FieldError> {
    let slug = raw.trim().to_lowercase();
    let ok = (2..=60).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    if ok {
        Ok(slug)
    } else {
        Err(FieldError::new("slug", Key::FbErrSlug))
    }
}

/// A request for personal links: one customer, or every visible member of a segment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRequest {
    pub customer_id: String,
    pub segment_id: String,
    /// `YYYY-MM-DD`, or empty for a link that does not expire.
    pub expires_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    pub id: i64,
    pub customer_id: CustomerId,
    pub customer_name: String,
    /// The path of the personal link (`/f/<slug>?t=<token>`).
    pub path: String,
    pub expires_at: Option<i64>,
    pub used_at: Option<i64>,
}

/// Filters of the analysis page; empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisFilter {
    pub form_id: Option<i64>,
    /// `YYYY-MM-DD`, inclusive.
    pub from: String,
    pub to: String,
    pub segment_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub team_id: Option<i64>,
    pub search: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthPoint {
    /// `YYYY-MM`.
    pub month: String,
    pub responses: i64,
    pub nps: Option<i64>,
    pub csat: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionStats {
    pub key: String,
    pub label: Localized,
    pub kind: QuestionKind,
    pub answered: i64,
    /// One bar per possible answer, in scale or option order.
    pub buckets: Vec<(Localized, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentRow {
    pub response_id: i64,
    pub at: i64,
    pub text: String,
    pub nps: Option<i64>,
    pub customer: Option<(CustomerId, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    pub responses: i64,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
    pub nps: Option<i64>,
    pub csat: Option<i64>,
    pub csat_answers: i64,
    pub by_month: Vec<MonthPoint>,
    pub questions: Vec<QuestionStats>,
    pub comments: Vec<CommentRow>,
    pub may_read_comments: bool,
    pub complaints: crate::complaints::model::ComplaintStats,
}

/// Choices for the analysis filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisOptions {
    pub forms: Vec<(i64, Localized)>,
    pub segments: Vec<(i64, String)>,
    pub owners: Vec<(i64, String)>,
    pub teams: Vec<(i64, String)>,
}

/// One manager's NPS and CSAT over the customers they own (for the KPI pages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagerScores {
    pub user_id: UserId,
    pub responses: i64,
    pub nps: Option<i64>,
    pub csat: Option<i64>,
}

/// Buckets of a question's answers, in scale or option order.
pub fn distribution(q: &Question, answers: &[&AnswerValue]) -> Vec<(Localized, i64)> {
    let mut buckets: Vec<(Localized, i64)> = match q.kind {
        QuestionKind::Rating | QuestionKind::Nps => {
            let (lo, hi) = q.kind.scale().unwrap_or((0, 0));
            (lo..=hi)
                .map(|n| (Localized::new(&n.to_string(), ""), 0))
                .collect()
        }
        QuestionKind::Csat => CSAT_LABELS
            .iter()
            .map(|k| (Localized::new(k.text(Lang::En), k.text(Lang::Zh)), 0))
            .collect(),
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
            q.options.iter().map(|o| (o.clone(), 0)).collect()
        }
        QuestionKind::Text | QuestionKind::Email => Vec::new(),
    };
    let offset = q.kind.scale().map(|(lo, _)| lo).unwrap_or(0);
    for a in answers {
        match a {
            AnswerValue::Number(n) => {
                if let Some(b) = usize::try_from(n - offset)
                    .ok()
                    .and_then(|i| buckets.get_mut(i))
                {
                    b.1 += 1;
                }
            }
            AnswerValue::Choices(c) => {
                for i in c {
                    if let Some(b) = buckets.get_mut(*i) {
                        b.1 += 1;
                    }
                }
            }
            AnswerValue::Text(_) => {}
        }
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::complaints::model::Severity;

    fn q(key: &str, kind: QuestionKind, required: bool, options: usize) -> Question {
        Question {
            key: key.into(),
            kind,
            label: Localized::new("Label", ""),
            required,
            options: (0..options)
                .map(|i| Localized::new(&format!("Option {i}"), ""))
                .collect(),
        }
    }

    fn form() -> FormDefinition {
        FormDefinition {
            title: Localized::new("Satisfaction", "满意度"),
            questions: vec![
                q("q1", QuestionKind::Nps, true, 0),
                q("q2", QuestionKind::Csat, false, 0),
                q("q3", QuestionKind::Rating, false, 0),
                q("q4", QuestionKind::SingleChoice, false, 3),
                q("q5", QuestionKind::MultipleChoice, false, 3),
                q("q6", QuestionKind::Text, false, 0),
                q("q7", QuestionKind::Email, false, 0),
            ],
            complaint_rule: Some(ComplaintRule {
                question: "q1".into(),
                trigger: ComplaintTrigger::AtOrBelow(6),
                category: "service".into(),
                severity: Severity::High,
                assignee: None,
            }),
            ..Default::default()
        }
    }

    fn raw(pairs: &[(&str, &str)]) -> RawFields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn error_for(result: Result<Answers, Vec<FieldError>>, key: &str) -> Option<Key> {
        result
            .err()
            .and_then(|e| e.into_iter().find(|f| f.field == key).map(|f| f.message))
    }

    #[test]
    fn a_complete_answer_parses_in_question_order() {
        let answers = parse_answers(
            &form(),
            &raw(&[
                ("q7", "a@b.cn"),
                ("q1", "9"),
                ("q2", "4"),
                ("q3", "5"),
                ("q4", "2"),
                ("q5", "2"),
                ("q5", "0"),
                ("q6", "  great <b>service</b> "),
            ]),
        )
        .unwrap();
        let keys: Vec<&str> = answers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["q1", "q2", "q3", "q4", "q5", "q6", "q7"]);
        assert_eq!(answers[4].1, AnswerValue::Choices(vec![0, 2]));
        assert_eq!(
            answers[5].1,
            AnswerValue::Text("great <b>service</b>".into())
        );
    }

    #[test]
    fn each_kind_rejects_what_it_cannot_hold() {
        let f = form();
        assert_eq!(
            error_for(parse_answers(&f, &raw(&[])), "q1"),
            Some(Key::ErrRequired)
        );
        for bad in ["11", "-1", "x", "9.5"] {
            assert_eq!(
                error_for(parse_answers(&f, &raw(&[("q1", bad)])), "q1"),
                Some(Key::FbErrOutOfRange),
                "{bad}"
            );
        }
        assert_eq!(
            error_for(parse_answers(&f, &raw(&[("q1", "0"), ("q2", "0")])), "q2"),
            Some(Key::FbErrOutOfRange)
        );
        assert_eq!(
            error_for(parse_answers(&f, &raw(&[("q1", "0"), ("q3", "6")])), "q3"),
            Some(Key::FbErrOutOfRange)
        );
        assert_eq!(
            error_for(parse_answers(&f, &raw(&[("q1", "0"), ("q4", "3")])), "q4"),
            Some(Key::ErrInvalidChoice)
        );
        assert_eq!(
            error_for(
                parse_answers(&f, &raw(&[("q1", "0"), ("q4", "0"), ("q4", "1")])),
                "q4"
            ),
            Some(Key::ErrInvalidChoice)
        );
        assert_eq!(
            error_for(parse_answers(&f, &raw(&[("q1", "0"), ("q5", "7")])), "q5"),
            Some(Key::ErrInvalidChoice)
        );
        let long = "x".repeat(MAX_TEXT_ANSWER_CHARS + 1);
        assert_eq!(
            error_for(parse_answers(&f, &raw(&[("q1", "0"), ("q6", &long)])), "q6"),
            Some(Key::ErrTooLong)
        );
        for bad in ["a", "a@b", "a b@c.d", "@c.d"] {
            assert_eq!(
                error_for(parse_answers(&f, &raw(&[("q1", "0"), ("q7", bad)])), "q7"),
                Some(Key::ErrInvalidEmail),
                "{bad}"
            );
        }
        // Optional questions left empty are simply absent.
        let only_nps = parse_answers(&f, &raw(&[("q1", "10"), ("q6", "   ")])).unwrap();
        assert_eq!(only_nps, vec![("q1".to_string(), AnswerValue::Number(10))]);
    }

    #[test]
    fn the_complaint_rule_fires_at_or_below_its_threshold() {
        let f = form();
        let at = |s: &str| triggers_complaint(&f, &parse_answers(&f, &raw(&[("q1", s)])).unwrap());
        assert!(at("0"));
        assert!(at("6"));
        assert!(!at("7"));
        let mut chose = form();
        chose.complaint_rule.as_mut().unwrap().question = "q5".into();
        chose.complaint_rule.as_mut().unwrap().trigger = ComplaintTrigger::Chose(1);
        let answers = parse_answers(&chose, &raw(&[("q1", "10"), ("q5", "1")])).unwrap();
        assert!(triggers_complaint(&chose, &answers));
        let answers = parse_answers(&chose, &raw(&[("q1", "10"), ("q5", "2")])).unwrap();
        assert!(!triggers_complaint(&chose, &answers));
    }

    #[test]
    fn definitions_are_validated() {
        assert!(form().validate().is_ok());
        let mut f = form();
        f.title.en = " ".into();
        f.questions[3].options.truncate(1);
        f.complaint_rule.as_mut().unwrap().trigger = ComplaintTrigger::AtOrBelow(11);
        let Err(AppError::Validation(errors)) = f.validate() else {
            panic!("expected errors")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"title"));
        assert!(fields.contains(&"q4.options"));
        assert!(fields.contains(&"rule.trigger"));
        let mut dup = form();
        dup.questions[1].key = "q1".into();
        assert!(dup.validate().is_err());
        let empty = FormDefinition {
            title: Localized::new("T", ""),
            ..Default::default()
        };
        assert!(empty.validate().is_err());
        assert_eq!(form().next_question_key(), "q8");
    }

    #[test]
    fn nps_and_csat_follow_their_definitions() {
        assert_eq!(nps(&[]), None);
        assert_eq!(nps(&[10, 9, 8, 7, 0]), Some(20));
        assert_eq!(nps(&[0, 6]), Some(-100));
        assert_eq!(nps(&[9, 8, 6]), Some(0));
        // 1 promoter of 3: 33.3 → 33; 2 of 3: 66.7 → 67.
        assert_eq!(nps(&[9, 8, 8]), Some(33));
        assert_eq!(nps(&[9, 10, 8]), Some(67));
        assert_eq!(nps(&[0, 0, 8]), Some(-67));
        assert_eq!(nps_from_counts(1, 1, 0), Some(50));
        assert_eq!(nps_from_counts(0, 0, 0), None);
        assert_eq!(csat(&[5, 4, 3, 1]), Some(50));
        assert_eq!(csat(&[]), None);
    }

    #[test]
    fn distributions_count_each_answer_in_its_bucket() {
        let f = form();
        let nps = [
            AnswerValue::Number(10),
            AnswerValue::Number(0),
            AnswerValue::Number(10),
        ];
        let refs: Vec<&AnswerValue> = nps.iter().collect();
        let b = distribution(&f.questions[0], &refs);
        assert_eq!(b.len(), 11);
        assert_eq!((b[0].1, b[10].1), (1, 2));
        let multi = [
            AnswerValue::Choices(vec![0, 2]),
            AnswerValue::Choices(vec![2]),
        ];
        let refs: Vec<&AnswerValue> = multi.iter().collect();
        let b = distribution(&f.questions[4], &refs);
        assert_eq!(b.iter().map(|x| x.1).collect::<Vec<_>>(), [1, 0, 2]);
        let csat = [AnswerValue::Number(5)];
        let refs: Vec<&AnswerValue> = csat.iter().collect();
        assert_eq!(distribution(&f.questions[1], &refs)[4].1, 1);
        assert!(parse_slug("satisfaction").is_ok());
        assert!(parse_slug("-x").is_err());
        assert!(parse_slug("a b").is_err());
    }

    #[test]
    fn chinese_text_falls_back_to_english() {
        let l = Localized::new("Hello", "");
        assert_eq!(l.get(Lang::Zh), "Hello");
        assert_eq!(Localized::new("Hello", "你好").get(Lang::Zh), "你好");
    }
}
