//! The CSV reader and every import kind, fuzzed with a fixed seed: random cell bytes,
//! random quoting (with line ends inside quoted cells), mixed line ends (`\n`, `\r\n`,
//! `\r`), rows with the wrong number of columns, and random encodings (UTF-8 with or
//! without BOM, GB18030, stray bytes that are neither). Properties: never a panic and
//! never an internal error; a file is either refused with a message about the file or
//! imported with a report whose rejected rows each name the physical line on which that
//! record starts — exactly the generated short and long rows for the column-count reason.
//! Runs on SQLite and PostgreSQL.

mod support;

use app::db::Db;
use app::error::AppError;
use app::i18n::Key;
use app::imports::csv::read_csv;
use app::imports::model::ImportOptions;
use app::imports::model::{suggest_mapping, ImportKind};
use app::imports::service::run_import;
use std::collections::BTreeSet;
use support::{on_both_engines, user, Rng};

/// Cases per import kind and engine.
const CASES: usize = 2_000;

const LINE_ENDS: [&str; 3] = ["\n", "\r\n", "\r"];
/// Cell text: plausible values, hostile ones, and plain noise.
const CELLS: [&str; 24] = [
    "",
    " ",
    "Acme",
    "王伟",
    "北京",
    "a@example.com",
    "not-an-email",
    "+86 137-6294 1166",
    "2026-01-31",
    "2026-13-45",
    "12.50",
    "-3",
    "1e9",
    "CNY",
    "call",
    "=cmd|'/C calc'!A0",
    "<script>alert(1)</script>",
    "\u{202e}txt",
    "e\u{301}",
    "🦀",
    "\u{200b}",
    "1",
    "VIP",
    "x,y",
];

/// One generated file: its bytes, the physical line each data record starts on, and the
/// start lines of the records generated with the wrong number of columns.
struct Generated {
    bytes: Vec<u8>,
    record_lines: BTreeSet<u64>,
    wrong_width_lines: BTreeSet<u64>,
}

fn cell(rng: &mut Rng) -> String {
    if rng.chance(10) {
        // Raw noise from a small alphabet that includes quotes and line ends.
        let alphabet = ['a', 'Z', '"', ',', ' ', '\n', '\r', '9', '中'];
        return (0..rng.below(6)).map(|_| *rng.pick(&alphabet)).collect();
    }
    rng.pick(&CELLS).to_string()
}

/// Writes one cell, quoted when it must be (or at random), and counts the line ends it
/// carries inside its quotes.
fn write_cell(out: &mut String, value: &str, rng: &mut Rng) -> u64 {
    let must_quote = value.contains([',', '"', '\n', '\r']);
    if must_quote || rng.chance(15) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
        count_line_ends(value)
    } else {
        out.push_str(value);
        0
    }
}

fn count_line_ends(s: &str) -> u64 {
    let b = s.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count() as u64
}

fn generate(kind: ImportKind, rng: &mut Rng) -> Generated {
    let fields = kind.fields();
    // A header of known field names in random order, sometimes with an unknown one.
    let mut header: Vec<String> = fields
        .iter()
        .filter(|_| rng.chance(80))
        .map(|f| f.to_string())
        .collect();
    if header.is_empty() || rng.chance(10) {
        header.push("extra".into());
    }
    let mut text = String::new();
    let mut line = 1u64;
    for (i, h) in header.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        line += write_cell(&mut text, h, rng);
    }
    let mut record_lines = BTreeSet::new();
    let mut wrong_width_lines = BTreeSet::new();
    let rows = rng.below(12);
    for _ in 0..rows {
        let end = *rng.pick(&LINE_ENDS);
        text.push_str(end);
        line += 1;
        // Now and then a blank line, which is no record.
        if rng.chance(5) {
            text.push_str(end);
            line += 1;
        }
        let width = match rng.below(10) {
            0 => header.len() + 1,
            1 if header.len() > 1 => header.len() - 1,
            _ => header.len(),
        };
        let start = line;
        let mut all_blank = true;
        for c in 0..width {
            if c > 0 {
                text.push(',');
            }
            let v = cell(rng);
            all_blank &= v.trim().is_empty();
            line += write_cell(&mut text, &v, rng);
        }
        if all_blank {
            // A record of blanks is an empty line to the reader: skipped, not a row.
            continue;
        }
        record_lines.insert(start);
        if width != header.len() {
            wrong_width_lines.insert(start);
        }
    }
    if rng.chance(50) {
        let end: &str = LINE_ENDS[rng.below(3) as usize];
        text.push_str(end);
    }
    let bytes = match rng.below(10) {
        // UTF-8 with a BOM, as Excel's "CSV UTF-8" writes.
        0 | 1 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        // GB18030, as Excel on Chinese Windows writes.
        2 | 3 => encoding_rs::GB18030.encode(&text).0.into_owned(),
        // A stray byte that is neither UTF-8 nor GB18030.
        4 => {
            let mut b = text.into_bytes();
            let at = rng.below(b.len() as u64 + 1) as usize;
            b.insert(at, 0xFF);
            b
        }
        _ => text.into_bytes(),
    };
    Generated {
        bytes,
        record_lines,
        wrong_width_lines,
    }
}

/// Refusals that are about the file as a whole (with the message the user sees).
const FILE_REFUSALS: [Key; 5] = [
    Key::ErrImportUnknownEncoding,
    Key::ErrImportBadHeader,
    Key::ErrImportEmptyFile,
    Key::ErrImportMissingColumns,
    Key::ErrImportBadMapping,
];

async fn fuzz_kind(db: &Db, kind: ImportKind, seed: u64) -> (usize, usize) {
    let admin = user(
        db,
        &format!("fuzz-{}@example.com", kind.as_str()),
        app::auth::Role::Admin,
        None,
    )
    .await;
    let options = ImportOptions {
        default_owner: None,
        audit_actor: Some(admin.id),
        fail_after_rows: None,
    };
    let mut rng = Rng(seed);
    let (mut imported, mut refused) = (0, 0);
    for case in 0..CASES {
        let g = generate(kind, &mut rng);
        let mapping = read_csv(&g.bytes)
            .map(|f| suggest_mapping(kind, &f.headers))
            .unwrap_or_default();
        let result = run_import(
            db,
            &admin,
            kind,
            &g.bytes,
            &mapping,
            &options,
            &|_, _, _| {},
        )
        .await;
        match result {
            Ok(report) => {
                imported += 1;
                let wrong: BTreeSet<u64> = report
                    .rejected
                    .iter()
                    .filter(|r| r.reason == Key::ErrImportColumnCount)
                    .map(|r| r.line)
                    .collect();
                assert_eq!(
                    wrong, g.wrong_width_lines,
                    "{kind:?} case {case}: column-count rejections"
                );
                for r in &report.rejected {
                    assert!(
                        g.record_lines.contains(&r.line),
                        "{kind:?} case {case}: rejected line {} is no record start {:?}",
                        r.line,
                        g.record_lines
                    );
                }
                assert_eq!(
                    report.total_rows,
                    g.record_lines.len() as u64,
                    "{kind:?} case {case}: rows"
                );
            }
            Err(AppError::Validation(errors)) => {
                refused += 1;
                assert!(
                    errors.iter().all(|e| FILE_REFUSALS.contains(&e.message)),
                    "{kind:?} case {case}: {errors:?}"
                );
            }
            Err(other) => panic!("{kind:?} case {case}: {other:?}"),
        }
    }
    (imported, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_import_kind_survives_random_files_and_names_record_lines() {
    on_both_engines(|db| async move {
        for (i, kind) in ImportKind::ALL.into_iter().enumerate() {
            let (imported, refused) = fuzz_kind(&db, kind, 0x5eed_0000 + i as u64).await;
            assert_eq!(imported + refused, CASES);
            println!(
                "{:?} {kind:?}: {imported} imported, {refused} refused as a whole",
                db.engine
            );
            // The generator reaches both outcomes, or the test proves little.
            assert!(
                imported > CASES / 4 && refused > CASES / 20,
                "{kind:?}: {imported} imported, {refused} refused"
            );
        }
    })
    .await;
}
