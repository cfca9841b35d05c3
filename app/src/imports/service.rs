//! Runs an import. A file is ALL-OR-NOTHING: every row is parsed and checked first
//! (rejected rows are reported with their line and reason, the good ones kept), then all
//! good rows are written in ONE write transaction that commits once. A crash or error
//! while writing rolls the whole file back, so a file is never half applied; running the
//! same file again is safe because customers and orders match on their external ids.

use crate::audit::service::Change;
use crate::auth::model::Email;
use crate::auth::permissions::{
    check_assignment, may, may_assign_to, may_import, may_set_tier_on_create, Assignee,
    CustomerAction, CustomerScope, LEVEL_STANDARD,
};
use crate::auth::{CurrentUser, Role};
use crate::customers::model::{
    parse_tags, ContactDraft, ContactInput, CustomerDraft, CustomerInput, Grade, TEXT_MAX,
};
use crate::customers::service::{columns, display, ensure_tags};
use crate::db::{insert_rows, now, reserve_ids, Db, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::{TeamId, UserId};
use crate::imports::model::*;
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// Lookups by key use `IN` lists of at most this many values (SQLite's sweet spot).
const LOOKUP_CHUNK: usize = 400;
/// Rows written between two progress updates.
const WRITE_CHUNK: usize = 2_000;
/// Longest free text of an activity (summary, outcome, next step).
const NOTE_MAX: usize = 2_000;

/// Who the import acts for, beyond the permission subject.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Owner of new customers whose row names none. The web importer owns them; the
    /// operator's `--owner` for the command line.
    pub default_owner: Option<UserId>,
    /// The audit log's actor; `None` for the operator's command line.
    pub audit_actor: Option<UserId>,
    /// Failpoint for the crash tests: fail the write after this many rows were written.
    pub fail_after_rows: Option<u64>,
}

/// Reports phase, processed rows and total rows; called often, must be cheap.
pub type Progress<'a> = &'a (dyn Fn(JobPhase, u64, u64) + Send + Sync);

/// The operator acting from the command line: every right, no user account.
pub fn operator() -> CurrentUser {
    CurrentUser {
        id: UserId(0),
        email: "operator".into(),
        name: "operator".into(),
        role: Role::Admin,
        team_id: None,
        language: crate::i18n::Lang::En,
    }
}

/// A data row, decoded.
pub struct CsvRow {
    pub line: u64,
    pub cells: Vec<String>,
}

pub struct CsvFile {
    pub headers: Vec<String>,
    pub rows: Vec<CsvRow>,
    /// Rows refused while reading (column count, encoding).
    pub rejected: Vec<RejectedRow>,
    /// Data rows in the file, good and bad.
    pub total_rows: u64,
    /// Decoded from GB18030 (see [`decode_text`]).
    pub read_as_gb18030: bool,
}

/// The file's text as UTF-8: as it is when it is UTF-8, else decoded from GB18030 when it
/// is clean GB18030 (`true`), else (or with a NUL byte) refused. Line ends are single ASCII bytes in both, so
/// physical line numbers are the same in the decoded text.
fn decode_text(bytes: &[u8]) -> AppResult<(std::borrow::Cow<'_, [u8]>, bool)> {
    // NUL is no character of a text file (UTF-16, which Excel's "Unicode text" writes, is
    // full of them), and no database stores it in text.
    if bytes.contains(&0) {
        return Err(AppError::field("file", Key::ErrImportUnknownEncoding));
    }
    if std::str::from_utf8(bytes).is_ok() {
        return Ok((std::borrow::Cow::Borrowed(bytes), false));
    }
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok((
            std::borrow::Cow::Owned(text.into_owned().into_bytes()),
            true,
        )),
        None => Err(AppError::field("file", Key::ErrImportUnknownEncoding)),
    }
}

/// Reads a whole CSV file. Broken rows become rejections, never errors; only a file that
/// is too large, empty, not text (UTF-8 or GB18030) or has an unreadable header row is
/// refused as a whole.
pub fn read_csv(bytes: &[u8]) -> AppResult<CsvFile> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::field("file", Key::ErrImportFileTooLarge));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (text, read_as_gb18030) = decode_text(bytes)?;
    let bytes: &[u8] = &text;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut headers: Option<Vec<String>> = None;
    let mut file = CsvFile {
        headers: Vec::new(),
        rows: Vec::new(),
        rejected: Vec::new(),
        total_rows: 0,
        read_as_gb18030,
    };
    let mut lines = PhysicalLines::new(bytes);
    // The text is valid UTF-8 as a whole, so every cell is too.
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                file.total_rows += 1;
                file.rejected.push(RejectedRow {
                    line: e.position().map(|p| lines.at(p.byte())).unwrap_or_default(),
                    column: String::new(),
                    reason: Key::ErrImportMalformedRow,
                });
                continue;
            }
        };
        let line = record
            .position()
            .map(|p| lines.at(p.byte()))
            .unwrap_or_default();
        let Some(headers) = &headers else {
            let h: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
            if h.len() > MAX_COLUMNS {
                return Err(AppError::field("file", Key::ErrImportTooManyColumns));
            }
            if h.iter().all(|c| c.is_empty()) {
                return Err(AppError::field("file", Key::ErrImportBadHeader));
            }
            headers = Some(h);
            continue;
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        file.total_rows += 1;
        if record.len() != headers.len() {
            file.rejected.push(RejectedRow {
                line,
                column: String::new(),
                reason: Key::ErrImportColumnCount,
            });
            continue;
        }
        let cells = record.iter().map(str::to_string).collect();
        file.rows.push(CsvRow { line, cells });
    }
    file.headers = headers.ok_or_else(|| AppError::field("file", Key::ErrImportEmptyFile))?;
    Ok(file)
}

/// Columns a file may have; wider files are refused before any row is kept.
pub const MAX_COLUMNS: usize = 200;

/// The physical line (1-based) on which a byte offset lies, counting `\n`, `\r\n` and a
/// lone `\r` each as one line end. Offsets only grow, so each byte is looked at once.
struct PhysicalLines<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> PhysicalLines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        PhysicalLines {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record the reader says starts at `byte`. After a `\r\n` the reader
    /// may point at the `\n`; a record never starts with a line end, so those are skipped.
    fn at(&mut self, byte: u64) -> u64 {
        let mut target = (byte as usize).min(self.bytes.len());
        while matches!(self.bytes.get(target), Some(b'\r' | b'\n')) {
            target += 1;
        }
        while self.offset < target {
            let b = self.bytes[self.offset];
            let lone_cr = b == b'\r' && self.bytes.get(self.offset + 1) != Some(&b'\n');
            if b == b'\n' || lone_cr {
                self.line += 1;
            }
            self.offset += 1;
        }
        self.line
    }
}

/// What the mapping step shows: headers, the first rows, the suggested mapping.
pub struct Preview {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub mapping: Vec<String>,
    pub read_as_gb18030: bool,
}

/// Headers and the first rows, for the mapping step.
pub fn preview(kind: ImportKind, bytes: &[u8]) -> AppResult<Preview> {
    let file = read_csv(bytes)?;
    let rows = file
        .rows
        .into_iter()
        .take(PREVIEW_ROWS)
        .map(|r| r.cells)
        .collect();
    let mapping = suggest_mapping(kind, &file.headers);
    Ok(Preview {
        headers: file.headers,
        rows,
        mapping,
        read_as_gb18030: file.read_as_gb18030,
    })
}

/// Where each mapped field sits in a row, and the header to name in rejections.
struct Columns {
    index: HashMap<&'static str, usize>,
    headers: Vec<String>,
}

impl Columns {
    fn get<'a>(&self, row: &'a CsvRow, field: &str) -> &'a str {
        self.index
            .get(field)
            .and_then(|i| row.cells.get(*i))
            .map(|s| s.trim())
            .unwrap_or("")
    }
    fn has(&self, field: &str) -> bool {
        self.index.contains_key(field)
    }
    /// The file's header for a field (or the field's own name).
    fn name(&self, field: &str) -> String {
        self.index
            .get(field)
            .and_then(|i| self.headers.get(*i))
            .cloned()
            .unwrap_or_else(|| field.to_string())
    }
}

struct Run<'a> {
    db: &'a Db,
    actor: &'a CurrentUser,
    options: &'a ImportOptions,
    progress: Progress<'a>,
    cols: Columns,
    report: ImportReport,
    written: u64,
    total: u64,
}

impl Run<'_> {
    fn reject(&mut self, line: u64, field: &str, reason: Key) {
        let column = if field.is_empty() {
            String::new()
        } else {
            self.cols.name(field)
        };
        self.report.rejected.push(RejectedRow {
            line,
            column,
            reason,
        });
    }
    fn validated(&self, done: usize) {
        if done.is_multiple_of(1_000) {
            (self.progress)(JobPhase::Validating, done as u64, self.total);
        }
    }
    /// Counts written rows, reports progress, and trips the test failpoint.
    fn wrote(&mut self, rows: usize) -> AppResult<()> {
        self.written += rows as u64;
        (self.progress)(JobPhase::Writing, self.written, self.total);
        match self.options.fail_after_rows {
            Some(limit) if self.written >= limit => {
                tracing::warn!("import failpoint reached after {} rows", self.written);
                Err(AppError::Internal)
            }
            _ => Ok(()),
        }
    }
    async fn insert(
        &mut self,
        conn: &mut AnyConnection,
        head: &str,
        rows: &[Vec<SqlValue>],
    ) -> AppResult<()> {
        for part in rows.chunks(WRITE_CHUNK) {
            insert_rows(conn, self.db.engine, head, part).await?;
            self.wrote(part.len())?;
        }
        Ok(())
    }
}

/// Imports `bytes` as `kind` with `mapping` (one entry per file column: a field name, or
/// empty to ignore the column). See the module comment for the all-or-nothing rule.
pub async fn run_import(
    db: &Db,
    actor: &CurrentUser,
    kind: ImportKind,
    bytes: &[u8],
    mapping: &[String],
    options: &ImportOptions,
    progress: Progress<'_>,
) -> AppResult<ImportReport> {
    if !may_import(actor) {
        return Err(AppError::Forbidden);
    }
    let file = read_csv(bytes)?;
    if mapping.len() > file.headers.len() {
        return Err(AppError::field("mapping", Key::ErrImportBadMapping));
    }
    let mut padded = mapping.to_vec();
    padded.resize(file.headers.len(), String::new());
    let fields = check_mapping(kind, &padded)
        .map_err(|_| AppError::field("mapping", Key::ErrImportBadMapping))?;
    let index: HashMap<&'static str, usize> = fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.map(|f| (f, i)))
        .collect();
    let has = |f: &str| index.contains_key(f);
    let complete = match kind {
        ImportKind::Customers => has("name") || has("external_id") || has("email") || has("phone"),
        ImportKind::Orders => has("customer_external_id") && has("date") && has("amount"),
        ImportKind::Contacts => {
            (has("customer_external_id") || has("customer_email")) && has("name")
        }
        ImportKind::Activities => {
            (has("customer_external_id") || has("customer_email"))
                && has("kind")
                && has("date")
                && has("summary")
        }
    };
    if !complete {
        return Err(AppError::field("mapping", Key::ErrImportMissingColumns));
    }
    let mut run = Run {
        db,
        actor,
        options,
        progress,
        cols: Columns {
            index,
            headers: file.headers.clone(),
        },
        report: ImportReport {
            total_rows: file.total_rows,
            read_as_gb18030: file.read_as_gb18030,
            rejected: file.rejected,
            ..Default::default()
        },
        written: 0,
        total: file.total_rows,
    };
    progress(JobPhase::Validating, 0, file.total_rows);
    // Lookups and writes share one transaction: what was checked is what gets written.
    let mut tx = db.begin_write().await?;
    match kind {
        ImportKind::Customers => import_customers(&mut run, &mut tx, &file.rows).await?,
        ImportKind::Orders => import_orders(&mut run, &mut tx, &file.rows).await?,
        ImportKind::Contacts => import_contacts(&mut run, &mut tx, &file.rows).await?,
        ImportKind::Activities => import_activities(&mut run, &mut tx, &file.rows).await?,
    }
    tx.commit().await?;
    let mut report = run.report;
    report.rejected.sort_by_key(|r| r.line);
    progress(JobPhase::Done, report.total_rows, report.total_rows);
    Ok(report)
}

/// A customer as the import sees it: identity, scope, and its stored values as form input.
struct StoredCustomer {
    id: i64,
    scope: CustomerScope,
    input: CustomerInput,
}

const TEXT_COLUMNS: [&str; 16] = [
    "external_id",
    "name",
    "kind",
    "email",
    "phone",
    "country",
    "province",
    "city",
    "address",
    "industry",
    "company_size",
    "gender",
    "income_band",
    "source_channel",
    "source_campaign",
    "source_referrer",
];

fn set_field(input: &mut CustomerInput, field: &str, value: String) {
    let slot = match field {
        "external_id" => &mut input.external_id,
        "name" => &mut input.name,
        "kind" => &mut input.kind,
        "email" => &mut input.email,
        "phone" => &mut input.phone,
        "country" => &mut input.country,
        "province" => &mut input.province,
        "city" => &mut input.city,
        "address" => &mut input.address,
        "industry" => &mut input.industry,
        "company_size" => &mut input.company_size,
        "gender" => &mut input.gender,
        "birth_year" => &mut input.birth_year,
        "income_band" => &mut input.income_band,
        "source_channel" => &mut input.source_channel,
        "source_campaign" => &mut input.source_campaign,
        "source_referrer" => &mut input.source_referrer,
        "level" => &mut input.level,
        "grade" => &mut input.grade,
        "tags" => &mut input.tags,
        _ => return,
    };
    *slot = value;
}

/// Customers whose `column` is one of `values`, in chunks. With `full`, every stored
/// value (for updates); otherwise identity and scope only.
async fn customers_by(
    conn: &mut AnyConnection,
    column: &str,
    values: &[String],
    full: bool,
) -> AppResult<Vec<StoredCustomer>> {
    let mut out = Vec::new();
    let select = if full {
        "SELECT c.*"
    } else {
        "SELECT c.id, c.external_id, c.email, c.level, c.owner_id, c.service_manager_id, c.team_id"
    };
    for chunk in values.chunks(LOOKUP_CHUNK) {
        let mut q = SqlBuilder::new(format!("{select} FROM customers c WHERE c.{column} IN ("));
        for (i, v) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(SqlValue::Text(v.clone()));
        }
        q.push(")");
        for r in q.query().fetch_all(&mut *conn).await? {
            let scope = crate::auth::scope::scope_from_row(&r)?;
            let mut input = CustomerInput::default();
            let text = |c: &str| -> Result<String, sqlx::Error> {
                Ok(r.try_get::<Option<String>, _>(c)?.unwrap_or_default())
            };
            input.external_id = text("external_id")?;
            input.email = text("email")?;
            if full {
                for c in TEXT_COLUMNS {
                    set_field(&mut input, c, text(c)?);
                }
                input.birth_year = r
                    .try_get::<Option<i64>, _>("birth_year")?
                    .map(|y| y.to_string())
                    .unwrap_or_default();
                input.grade = text("grade")?;
            }
            input.level = scope.level.to_string();
            input.owner_id = scope.owner_id.to_string();
            input.service_manager_id = scope
                .service_manager_id
                .map(|s| s.to_string())
                .unwrap_or_default();
            out.push(StoredCustomer {
                id: r.try_get("id")?,
                scope,
                input,
            });
        }
    }
    Ok(out)
}

/// Every staff member by lower-case e-mail and by id (a small table).
struct Staff {
    by_email: HashMap<String, Assignee>,
    by_id: HashMap<UserId, Assignee>,
}

async fn load_staff(conn: &mut AnyConnection) -> AppResult<Staff> {
    let rows = sqlx::query("SELECT id, email, role, team_id, active FROM users")
        .fetch_all(&mut *conn)
        .await?;
    let mut staff = Staff {
        by_email: HashMap::new(),
        by_id: HashMap::new(),
    };
    for r in rows {
        let role: String = r.try_get("role")?;
        let Some(role) = Role::parse(&role) else {
            continue;
        };
        let a = Assignee {
            id: UserId(r.try_get("id")?),
            role,
            team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
            active: r.try_get::<i64, _>("active")? == 1,
        };
        staff
            .by_email
            .insert(r.try_get::<String, _>("email")?.to_lowercase(), a);
        staff.by_id.insert(a.id, a);
    }
    Ok(staff)
}

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

fn email_key(raw: &str) -> Option<String> {
    Email::parse("email", raw)
        .ok()
        .map(|e| e.as_str().to_string())
}

async fn import_customers(
    run: &mut Run<'_>,
    conn: &mut AnyConnection,
    rows: &[CsvRow],
) -> AppResult<()> {
    let year = crate::ui::civil_from_days(now().div_euclid(86_400)).0;
    let staff = load_staff(conn).await?;
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
    let stored_count = pending.len();
    let mut touched: HashSet<usize> = HashSet::new();
    for (n, row) in rows.iter().enumerate() {
        run.validated(n);
        let ext = run.cols.get(row, "external_id").to_string();
        let email = email_key(run.cols.get(row, "email"));
        let phone = run.cols.get(row, "phone").to_string();
        let target = [Some(ext.clone()), email.clone(), Some(phone.clone())]
            .into_iter()
            .enumerate()
            .find_map(|(k, key)| {
                key.filter(|k| !k.is_empty())
                    .and_then(|key| maps[k].get(&key).copied())
            });
        let mut input = target.map(|i| pending[i].input.clone()).unwrap_or_default();
        for field in ImportKind::Customers.fields() {
            let value = run.cols.get(row, field);
            if !value.is_empty() {
                set_field(&mut input, field, value.to_string());
            }
        }
        let mut unknown_user = None;
        for (field, slot) in [
            ("owner_email", &mut input.owner_id),
            ("service_manager_email", &mut input.service_manager_id),
        ] {
            let value = run.cols.get(row, field);
            if !value.is_empty() {
                match staff.by_email.get(&value.to_lowercase()) {
                    Some(a) => *slot = a.id.to_string(),
                    None => unknown_user = Some(field),
                }
            }
        }
        if let Some(field) = unknown_user {
            run.reject(row.line, field, Key::ErrImportUnknownUser);
            continue;
        }
        let draft = match CustomerDraft::parse(&input, year) {
            Ok(d) => d,
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
                run.reject(row.line, field, key);
                continue;
            }
            Err(e) => return Err(e),
        };
        // A changed external id must not collide with another customer's.
        if let Some(new_ext) = &draft.external_id {
            if maps[0].get(new_ext).is_some_and(|i| Some(*i) != target) {
                run.reject(row.line, "external_id", Key::ErrImportDuplicate);
                continue;
            }
        }
        let actor = run.actor;
        let team = match target.and_then(|i| pending[i].stored.as_ref().map(|s| (i, s))) {
            Some((_, stored)) => {
                let scope = stored.scope;
                // Invisible: answered as a taken external id, never as "may not change",
                // which would confirm the record and its ownership.
                if !may(actor, CustomerAction::Read, &scope) {
                    run.reject(row.line, "external_id", Key::ErrImportDuplicate);
                    continue;
                }
                if !may(actor, CustomerAction::Update, &scope) {
                    run.reject(row.line, "", Key::ErrImportMayNotChange);
                    continue;
                }
                let old_grade = Grade::parse(&stored.input.grade).unwrap_or(Grade::General);
                if (draft.level != scope.level || draft.grade != old_grade)
                    && !may(actor, CustomerAction::ChangeTier, &scope)
                {
                    run.reject(row.line, "level", Key::ErrImportMayNotChange);
                    continue;
                }
                let owner = draft.owner_id.unwrap_or(scope.owner_id);
                if owner != scope.owner_id
                    || draft.service_manager_id != scope.service_manager_id
                    || draft.level != scope.level
                {
                    if (owner != scope.owner_id
                        || draft.service_manager_id != scope.service_manager_id)
                        && !may(actor, CustomerAction::Reassign, &scope)
                    {
                        run.reject(row.line, "owner_email", Key::ErrImportMayNotChange);
                        continue;
                    }
                    match check_owner(actor, &staff, draft.level, owner, draft.service_manager_id) {
                        Ok(team) => team,
                        Err((column, key)) => {
                            run.reject(row.line, column, key);
                            continue;
                        }
                    }
                } else {
                    scope.team_id
                }
            }
            None => {
                let default_tier = draft.level == LEVEL_STANDARD && draft.grade == Grade::General;
                if !default_tier && !may_set_tier_on_create(actor) {
                    run.reject(row.line, "level", Key::ErrImportMayNotChange);
                    continue;
                }
                let Some(owner) = draft.owner_id.or(run.options.default_owner) else {
                    run.reject(row.line, "owner_email", Key::ErrImportOwnerRequired);
                    continue;
                };
                input.owner_id = owner.to_string();
                match check_owner(actor, &staff, draft.level, owner, draft.service_manager_id) {
                    Ok(team) => team,
                    Err((column, key)) => {
                        run.reject(row.line, column, key);
                        continue;
                    }
                }
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
        for (k, key) in [
            draft.external_id.clone(),
            draft.email.clone(),
            draft.phone.clone(),
        ]
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
            Change {
                entity: "customer",
                entity_id: *id,
                action: "import",
                field: None,
                before: None,
                after: Some(draft.name.clone()),
            },
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
                    Change {
                        entity: "customer",
                        entity_id: stored.id,
                        action: "update",
                        field: Some(col),
                        before,
                        after,
                    },
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
                Change {
                    entity: "customer",
                    entity_id: stored.id,
                    action: "update",
                    field: Some("tags"),
                    before: None,
                    after: Some(draft.tags.join(", ")),
                },
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

/// The customers rows refer to, by external id or e-mail, with the right to change them
/// checked. `Err` is the reason to reject the row.
struct CustomerRefs {
    by_ext: HashMap<String, StoredCustomer>,
    by_email: HashMap<String, StoredCustomer>,
}

impl CustomerRefs {
    async fn load(
        run: &Run<'_>,
        conn: &mut AnyConnection,
        rows: &[CsvRow],
    ) -> AppResult<CustomerRefs> {
        let mut exts = HashSet::new();
        let mut emails = HashSet::new();
        for row in rows {
            let ext = run.cols.get(row, "customer_external_id");
            if !ext.is_empty() {
                exts.insert(ext.to_string());
            } else if let Some(e) = email_key(run.cols.get(row, "customer_email")) {
                emails.insert(e);
            }
        }
        let exts: Vec<String> = exts.into_iter().collect();
        let emails: Vec<String> = emails.into_iter().collect();
        Ok(CustomerRefs {
            by_ext: customers_by(conn, "external_id", &exts, false)
                .await?
                .into_iter()
                .map(|c| (c.input.external_id.clone(), c))
                .collect(),
            by_email: customers_by(conn, "email", &emails, false)
                .await?
                .into_iter()
                .map(|c| (c.input.email.clone(), c))
                .collect(),
        })
    }

    /// The customer of a row, if the actor may change it; else the column and reason.
    fn resolve(&self, run: &Run<'_>, row: &CsvRow) -> Result<i64, (&'static str, Key)> {
        let ext = run.cols.get(row, "customer_external_id");
        let (column, found) = if !ext.is_empty() {
            ("customer_external_id", self.by_ext.get(ext))
        } else {
            let email = run.cols.get(row, "customer_email");
            if email.is_empty() {
                let column = if run.cols.has("customer_external_id") {
                    "customer_external_id"
                } else {
                    "customer_email"
                };
                return Err((column, Key::ErrRequired));
            }
            (
                "customer_email",
                email_key(email).and_then(|e| self.by_email.get(&e)),
            )
        };
        // An invisible customer is reported exactly like a missing one.
        let c = found
            .filter(|c| may(run.actor, CustomerAction::Read, &c.scope))
            .ok_or((column, Key::ErrImportUnknownCustomer))?;
        if !may(run.actor, CustomerAction::Update, &c.scope) {
            return Err((column, Key::ErrImportMayNotChange));
        }
        Ok(c.id)
    }
}

fn optional(
    run: &mut Run<'_>,
    row: &CsvRow,
    field: &str,
    max: usize,
) -> Result<Option<String>, ()> {
    let v = run.cols.get(row, field);
    if v.chars().count() > max {
        run.reject(row.line, field, Key::ErrTooLong);
        return Err(());
    }
    Ok((!v.is_empty()).then(|| v.to_string()))
}

/// One audit row per customer that received imported records of `what`.
fn summary_audit(run: &Run<'_>, counts: &HashMap<i64, u64>, what: &str) -> Vec<Vec<SqlValue>> {
    let t = now();
    let mut ids: Vec<_> = counts.iter().collect();
    ids.sort();
    ids.into_iter()
        .map(|(id, n)| {
            vec![
                SqlValue::Int(t),
                SqlValue::OptInt(run.options.audit_actor.map(|a| a.0)),
                SqlValue::Text("customer".into()),
                SqlValue::Int(*id),
                SqlValue::Text("import".into()),
                SqlValue::Text(what.into()),
                SqlValue::OptText(None),
                SqlValue::Text(n.to_string()),
            ]
        })
        .collect()
}

const AUDIT_HEAD: &str =
    "INSERT INTO audit_log (at, actor_id, entity, entity_id, action, field, before_value, after_value)";

struct OrderRow {
    customer_id: i64,
    external_id: Option<String>,
    values: Vec<SqlValue>,
}

async fn import_orders(
    run: &mut Run<'_>,
    conn: &mut AnyConnection,
    rows: &[CsvRow],
) -> AppResult<()> {
    let refs = CustomerRefs::load(run, conn, rows).await?;
    let mut order_exts: HashSet<String> = HashSet::new();
    for row in rows {
        let ext = run.cols.get(row, "external_id");
        if !ext.is_empty() {
            order_exts.insert(ext.to_string());
        }
    }
    let mut stored_orders: HashMap<String, i64> = HashMap::new();
    let mut foreign_orders: HashSet<String> = HashSet::new();
    // Customers whose orders this file changes: the new owners of every row, and the
    // previous owners of orders a row moves.
    let mut changed_customers: Vec<i64> = Vec::new();
    let order_exts: Vec<String> = order_exts.into_iter().collect();
    for chunk in order_exts.chunks(LOOKUP_CHUNK) {
        let mut q = SqlBuilder::new(
            "SELECT o.id, o.external_id, o.customer_id, c.level, c.owner_id, c.service_manager_id, c.team_id \
             FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.external_id IN (",
        );
        for (i, v) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(SqlValue::Text(v.clone()));
        }
        q.push(")");
        for r in q.query().fetch_all(&mut *conn).await? {
            let ext: String = r.try_get("external_id")?;
            // An order of a customer the actor may not change is never touched: the row
            // is refused as a taken external id, whatever customer it names.
            if !may(
                run.actor,
                CustomerAction::Update,
                &crate::auth::scope::scope_from_row(&r)?,
            ) {
                foreign_orders.insert(ext);
                continue;
            }
            stored_orders.insert(ext, r.try_get("id")?);
            changed_customers.push(r.try_get("customer_id")?);
        }
    }
    let t = now();
    let mut new_orders: Vec<OrderRow> = Vec::new();
    let mut new_by_ext: HashMap<String, usize> = HashMap::new();
    let mut updates: HashMap<i64, OrderRow> = HashMap::new();
    let mut per_customer: HashMap<i64, u64> = HashMap::new();
    for (n, row) in rows.iter().enumerate() {
        run.validated(n);
        let customer_id = match refs.resolve(run, row) {
            Ok(id) => id,
            Err((column, key)) => {
                run.reject(row.line, column, key);
                continue;
            }
        };
        let Some((date, day)) = parse_date(run.cols.get(row, "date")) else {
            run.reject(row.line, "date", Key::ErrImportBadDate);
            continue;
        };
        let Some(cents) = parse_amount(run.cols.get(row, "amount")) else {
            run.reject(row.line, "amount", Key::ErrImportBadAmount);
            continue;
        };
        let currency = match run.cols.get(row, "currency") {
            "" => "CNY".to_string(),
            c if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
                c.to_ascii_uppercase()
            }
            _ => {
                run.reject(row.line, "currency", Key::ErrImportBadCurrency);
                continue;
            }
        };
        let Ok(external_id) = optional(run, row, "external_id", 64) else {
            continue;
        };
        if external_id
            .as_ref()
            .is_some_and(|e| foreign_orders.contains(e))
        {
            run.reject(row.line, "external_id", Key::ErrImportOrderIdTaken);
            continue;
        }
        let Ok(product) = optional(run, row, "product", TEXT_MAX) else {
            continue;
        };
        let Ok(category) = optional(run, row, "category", TEXT_MAX) else {
            continue;
        };
        let Ok(channel) = optional(run, row, "channel", TEXT_MAX) else {
            continue;
        };
        let order = OrderRow {
            customer_id,
            external_id: external_id.clone(),
            values: vec![
                SqlValue::Int(customer_id),
                SqlValue::OptText(external_id.clone()),
                SqlValue::Text(date),
                SqlValue::Int(day * 86_400),
                SqlValue::Int(cents),
                SqlValue::Text(currency),
                SqlValue::OptText(product),
                SqlValue::OptText(category),
                SqlValue::OptText(channel),
                SqlValue::Int(t),
            ],
        };
        *per_customer.entry(customer_id).or_default() += 1;
        // The same external id again: the later row wins, as a re-import would.
        match external_id {
            Some(ext) if stored_orders.contains_key(&ext) => {
                run.report.updated += 1;
                updates.insert(stored_orders[&ext], order);
            }
            Some(ext) if new_by_ext.contains_key(&ext) => {
                run.report.updated += 1;
                new_orders[new_by_ext[&ext]] = order;
            }
            _ => {
                run.report.created += 1;
                if let Some(ext) = &order.external_id {
                    new_by_ext.insert(ext.clone(), new_orders.len());
                }
                new_orders.push(order);
            }
        }
    }
    (run.progress)(JobPhase::Writing, 0, run.total);
    changed_customers.extend(new_orders.iter().map(|o| o.customer_id));
    changed_customers.extend(updates.values().map(|o| o.customer_id));
    let values: Vec<Vec<SqlValue>> = new_orders.into_iter().map(|o| o.values).collect();
    run.insert(
        conn,
        "INSERT INTO orders (customer_id, external_id, order_date, ordered_at, amount_cents, currency, product, category, channel, created_at)",
        &values,
    )
    .await?;
    let mut updates: Vec<_> = updates.into_iter().collect();
    updates.sort_by_key(|(id, _)| *id);
    for (id, order) in updates {
        let mut q = SqlBuilder::new("UPDATE orders SET customer_id = ");
        q.bind(SqlValue::Int(order.customer_id));
        let names = [
            "order_date",
            "ordered_at",
            "amount_cents",
            "currency",
            "product",
            "category",
            "channel",
        ];
        for (name, v) in names.iter().zip(&order.values[2..9]) {
            // Only the columns the row gave: an empty optional cell keeps the stored value.
            if matches!(v, SqlValue::OptText(None)) {
                continue;
            }
            q.push(&format!(", {name} = ")).bind(v.clone());
        }
        q.push(" WHERE id = ").bind(SqlValue::Int(id));
        q.query().execute(&mut *conn).await?;
        run.wrote(1)?;
    }
    crate::db::derived::orders_changed(conn, &changed_customers).await?;
    let audit = summary_audit(run, &per_customer, "orders");
    insert_rows(conn, run.db.engine, AUDIT_HEAD, &audit).await?;
    Ok(())
}

async fn import_contacts(
    run: &mut Run<'_>,
    conn: &mut AnyConnection,
    rows: &[CsvRow],
) -> AppResult<()> {
    let refs = CustomerRefs::load(run, conn, rows).await?;
    // Stored contacts of those customers, so a re-import updates instead of duplicating.
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
        for (i, v) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(SqlValue::Int(*v));
        }
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
        let input = ContactInput {
            name: run.cols.get(row, "name").into(),
            title: run.cols.get(row, "title").into(),
            email: run.cols.get(row, "email").into(),
            phone: run.cols.get(row, "phone").into(),
            is_primary: parse_flag(run.cols.get(row, "primary")).then(|| "on".to_string()),
        };
        let draft = match ContactDraft::try_from(&input) {
            Ok(d) => d,
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
                continue;
            }
            Err(e) => return Err(e),
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
    let ids = reserve_ids(conn, run.db.engine, "contacts", new.len()).await?;
    let t = now();
    // A customer's first contact is its primary one, as in the form.
    let mut primary: HashMap<i64, i64> = HashMap::new();
    for (id, (customer, d)) in ids.iter().zip(&new) {
        if d.is_primary || (!has_contacts.contains(customer) && !primary.contains_key(customer)) {
            primary.insert(*customer, *id);
        }
    }
    for (id, customer, d) in &updates {
        if d.is_primary {
            primary.insert(*customer, *id);
        }
    }
    let rows_out: Vec<Vec<SqlValue>> = ids
        .iter()
        .zip(&new)
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
    for (id, _, d) in &updates {
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
    let audit = summary_audit(run, &per_customer, "contacts");
    insert_rows(conn, run.db.engine, AUDIT_HEAD, &audit).await?;
    Ok(())
}

async fn import_activities(
    run: &mut Run<'_>,
    conn: &mut AnyConnection,
    rows: &[CsvRow],
) -> AppResult<()> {
    let refs = CustomerRefs::load(run, conn, rows).await?;
    let t = now();
    let mut out: Vec<Vec<SqlValue>> = Vec::new();
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
        let kind = run.cols.get(row, "kind").to_lowercase();
        if !ACTIVITY_KINDS.contains(&kind.as_str()) {
            run.reject(row.line, "kind", Key::ErrInvalidChoice);
            continue;
        }
        let Some(when) = parse_datetime(run.cols.get(row, "date")) else {
            run.reject(row.line, "date", Key::ErrImportBadDate);
            continue;
        };
        let summary = run.cols.get(row, "summary");
        if summary.is_empty() {
            run.reject(row.line, "summary", Key::ErrRequired);
            continue;
        }
        let Ok(Some(summary)) = optional(run, row, "summary", NOTE_MAX) else {
            continue;
        };
        let Ok(outcome) = optional(run, row, "outcome", NOTE_MAX) else {
            continue;
        };
        let Ok(next_step) = optional(run, row, "next_step", NOTE_MAX) else {
            continue;
        };
        run.report.created += 1;
        *per_customer.entry(customer).or_default() += 1;
        out.push(vec![
            SqlValue::Int(customer),
            SqlValue::OptInt(run.options.audit_actor.map(|a| a.0)),
            SqlValue::Text(kind),
            SqlValue::Int(when),
            SqlValue::Text(summary),
            SqlValue::OptText(outcome),
            SqlValue::OptText(next_step),
            SqlValue::Int(t),
        ]);
    }
    (run.progress)(JobPhase::Writing, 0, run.total);
    run.insert(
        conn,
        "INSERT INTO activities (customer_id, user_id, kind, happened_at, summary, outcome, next_step, created_at)",
        &out,
    )
    .await?;
    let audit = summary_audit(run, &per_customer, "activities");
    insert_rows(conn, run.db.engine, AUDIT_HEAD, &audit).await?;
    Ok(())
}
