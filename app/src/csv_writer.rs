//! A CSV writer for files people open in spreadsheets: UTF-8 with a byte-order mark (so
//! Excel reads Chinese text correctly), RFC 4180 quoting, and cells that a spreadsheet
//! would run as a formula neutralised with a leading `'`.

/// Prefixes a cell that starts with `=`, `+`, `-`, `@`, tab or carriage return with `'`,
/// so a spreadsheet shows it as text instead of evaluating it.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Writes rows into a string; call [`CsvWriter::finish`] for the bytes.
pub struct CsvWriter {
    out: String,
}

impl Default for CsvWriter {
    fn default() -> Self {
        CsvWriter::new()
    }
}

impl CsvWriter {
    /// Starts a file with the UTF-8 byte-order mark.
    pub fn new() -> CsvWriter {
        CsvWriter {
            out: String::from("\u{feff}"),
        }
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            let cell = neutralise(cell.as_ref());
            if cell.contains([',', '"', '\n', '\r']) {
                self.out.push('"');
                self.out.push_str(&cell.replace('"', "\"\""));
                self.out.push('"');
            } else {
                self.out.push_str(&cell);
            }
        }
        self.out.push_str("\r\n");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_quoting_follows_rfc_4180() {
        let mut w = CsvWriter::new();
        w.row(&["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\ry"]);
        w.row(&["a,b", "say \"hi\"", "two\nlines", "北京客户", "plain", ""]);
        let out = w.finish();
        assert!(out.starts_with('\u{feff}'));
        let body = &out['\u{feff}'.len_utf8()..];
        let mut lines = body.split("\r\n");
        assert_eq!(
            lines.next().unwrap(),
            "'=cmd|' /C calc'!A0,'+1,'-2,'@SUM(A1),'\tx,\"'\ry\""
        );
        assert_eq!(
            body.split("\r\n").nth(1).unwrap(),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",北京客户,plain,"
        );
    }

    #[test]
    fn harmless_cells_are_untouched() {
        assert_eq!(neutralise("Acme"), "Acme");
        assert_eq!(neutralise("a=b"), "a=b");
        assert_eq!(neutralise("-5"), "'-5");
    }
}
