//! The CSV reader of imports: UTF-8 or GB18030 text, physical line numbers for every
//! row, broken rows reported rather than fatal, and the preview of the mapping step.

use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::imports::model::*;
use std::collections::HashMap;

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

impl Preview {
    /// What the mapping step of the file staged as `upload_id` shows.
    pub fn staged_as(self, upload_id: String) -> UploadPreview {
        UploadPreview {
            upload_id,
            headers: self.headers,
            rows: self.rows,
            mapping: self.mapping,
            read_as_gb18030: self.read_as_gb18030,
        }
    }
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
pub(super) struct Columns {
    pub(super) index: HashMap<&'static str, usize>,
    pub(super) headers: Vec<String>,
}

impl Columns {
    pub(super) fn get<'a>(&self, row: &'a CsvRow, field: &str) -> &'a str {
        self.index
            .get(field)
            .and_then(|i| row.cells.get(*i))
            .map(|s| s.trim())
            .unwrap_or("")
    }
    pub(super) fn has(&self, field: &str) -> bool {
        self.index.contains_key(field)
    }
    /// The file's header for a field (or the field's own name).
    pub(super) fn name(&self, field: &str) -> String {
        self.index
            .get(field)
            .and_then(|i| self.headers.get(*i))
            .cloned()
            .unwrap_or_else(|| field.to_string())
    }
}
