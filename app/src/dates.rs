//! Calendar arithmetic and the user's clock, hand-written so the browser bundle carries no
//! date library. Days are counted from 1970-01-01; times are Unix seconds.

/// The calendar date of a day count (proleptic Gregorian; H. Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The day count of a calendar date (inverse of [`civil_from_days`]).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of a day count.
pub fn iso_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses `YYYY-MM-DD` (also `YYYY/MM/DD`) into a day count; rejects impossible dates
/// and years outside 1900–2200.
pub fn parse_date(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let mut parts = s.split(['-', '/']);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || y.len() != 4
        || m.is_empty()
        || m.len() > 2
        || d.is_empty()
        || d.len() > 2
    {
        return None;
    }
    // `str::parse` would take a sign ("+1"); a date has digits only.
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y) && digits(m) && digits(d)) {
        return None;
    }
    let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1900..=2200).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// Parses a `datetime-local` value (`YYYY-MM-DDTHH:MM[:SS]`) in a zone `offset_minutes`
/// east of UTC, into Unix seconds.
pub fn parse_local_datetime(raw: &str, offset_minutes: i64) -> Option<i64> {
    let s = raw.trim();
    let (date, time) = s.split_once(['T', ' ']).unwrap_or((s, "00:00"));
    let days = parse_date(date)?;
    let mut hm = time.split(':');
    let h: i64 = hm.next()?.parse().ok()?;
    let m: i64 = hm.next().unwrap_or("0").parse().ok()?;
    let sec: i64 = hm.next().unwrap_or("0").parse().ok()?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0..60).contains(&sec) {
        return None;
    }
    Some(days * 86_400 + h * 3_600 + m * 60 + sec - offset_minutes * 60)
}

/// Unix seconds as `YYYY-MM-DD<sep>HH:MM` (UTC).
pub fn date_and_time(ts: i64, sep: char) -> String {
    let (y, m, d) = civil_from_days(ts.div_euclid(86_400));
    let secs = ts.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}{sep}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// Unix seconds as a `datetime-local` value in the given zone.
pub fn local_datetime_value(ts: i64, offset_minutes: i64) -> String {
    date_and_time(ts + offset_minutes * 60, 'T')
}

/// The local day (count since 1970-01-01) that `ts` falls on.
pub fn local_day(ts: i64, offset_minutes: i64) -> i64 {
    (ts + offset_minutes * 60).div_euclid(86_400)
}

/// The cookie in which the browser tells the server its UTC offset, so "today" and
/// entered times mean the user's day, not the server's.
pub const TZ_COOKIE: &str = "rapport_tz";

/// Parses the offset cookie (minutes east of UTC), clamped to real zones.
pub fn parse_offset(raw: &str) -> Option<i64> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|m| (-14 * 60..=14 * 60).contains(m))
}

/// The user's UTC offset in minutes: from the request cookie on the server, from the
/// same cookie in the browser, so both render the same page.
pub fn user_offset_minutes() -> i64 {
    #[cfg(feature = "ssr")]
    {
        crate::request::request_cookie(TZ_COOKIE)
            .and_then(|c| parse_offset(&c))
            .unwrap_or(0)
    }
    #[cfg(not(feature = "ssr"))]
    {
        browser_cookie_offset().unwrap_or(0)
    }
}

#[cfg(not(feature = "ssr"))]
fn browser_cookie_offset() -> Option<i64> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let doc = web_sys::window()?
            .document()?
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()?;
        let cookies = doc.cookie().ok()?;
        cookies.split(';').find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == TZ_COOKIE).then(|| parse_offset(v)).flatten()
        })
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// Stores the browser's current UTC offset for the next requests (browser only).
pub fn remember_browser_offset() {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let offset = -(js_sys::Date::new_0().get_timezone_offset() as i64);
        if browser_cookie_offset() != Some(offset) {
            if let Some(doc) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
            {
                let _ = doc.set_cookie(&format!(
                    "{TZ_COOKIE}={offset}; path=/; max-age=31536000; samesite=lax"
                ));
            }
        }
    }
}

/// Seconds since the epoch, on either side.
pub fn now_seconds() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        (js_sys::Date::now() / 1000.0) as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default()
    }
}

/// Parses an amount such as `1234.5`, `1,234.50` or `-20` into cents; at most two
/// decimals and at most 10^12 cents.
pub fn parse_cents(raw: &str) -> Option<i64> {
    let s: String = raw
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 10
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let cents = whole * 100 + frac;
    Some(if neg { -cents } else { cents })
}

/// A three-letter currency code, upper-cased.
pub fn parse_currency(raw: &str) -> Option<String> {
    let s = raw.trim().to_ascii_uppercase();
    (s.len() == 3 && s.chars().all(|c| c.is_ascii_uppercase())).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        for days in [-1000, -1, 0, 59, 10_957, 20_758, 47_482] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(iso_date(20_758), "2026-11-01");
    }

    #[test]
    fn dates_are_checked() {
        assert_eq!(parse_date("2026-11-01"), Some(20_758));
        assert_eq!(parse_date("2026/11/1"), Some(20_758));
        assert_eq!(
            parse_date("2024-02-29").map(iso_date).as_deref(),
            Some("2024-02-29")
        );
        for bad in [
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "26-11-01",
            "2026-11",
            "yesterday",
            "",
            "2026-11-01-02",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn local_times_respect_the_offset() {
        // 09:00 in Beijing (UTC+8) is 01:00 UTC.
        let ts = parse_local_datetime("2026-11-02T09:00", 480).unwrap();
        assert_eq!(ts, 20_759 * 86_400 + 3_600);
        assert_eq!(local_datetime_value(ts, 480), "2026-11-02T09:00");
        assert_eq!(local_day(20_759 * 86_400 - 1, 480), 20_759);
        assert_eq!(parse_local_datetime("2026-11-02T24:00", 0), None);
        assert_eq!(parse_offset("480"), Some(480));
        assert_eq!(parse_offset("9999"), None);
    }

    #[test]
    fn amounts_parse_to_cents() {
        assert_eq!(parse_cents("12.34"), Some(1234));
        assert_eq!(parse_cents("1,234.5"), Some(123_450));
        assert_eq!(parse_cents("-20"), Some(-2000));
        assert_eq!(parse_cents(".5"), Some(50));
        for bad in ["", "abc", "1.234", "1e5", "12.3.4", "-", "99999999999"] {
            assert_eq!(parse_cents(bad), None, "{bad}");
        }
        assert_eq!(parse_currency("cny").as_deref(), Some("CNY"));
        assert_eq!(parse_currency("RMB1"), None);
    }
}
