//! RFC 3339 dates for the public views (UTC, whole seconds) and their parsing.

use alloc::string::String;
use core::fmt::Write;

/// Formats Unix seconds as RFC 3339 UTC (`2015-07-30T20:00:00Z`).
///
/// ```
/// use watchword_core::service::rfc3339;
/// assert_eq!(rfc3339(1_438_286_400), "2015-07-30T20:00:00Z");
/// assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
/// ```
pub fn rfc3339(unix: u64) -> String {
    let mut out = String::with_capacity(20);
    let _ = write!(out, "{}", Rfc3339(unix));
    out
}

/// Unix seconds that display, and serialize, as RFC 3339 UTC text (see [`rfc3339`]), written
/// where they go without a `String` of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339(pub u64);

impl Rfc3339 {
    /// The text, written into `buf`, for a date with a four-digit year (every date before the
    /// year 10000); `None` for a later one.
    fn four_digit_year(self, buf: &mut [u8; 20]) -> Option<&str> {
        let (days, secs) = (self.0 / 86_400, self.0 % 86_400);
        let (year, month, day) = civil_from_days(days);
        if year > 9999 {
            return None;
        }
        *buf = *b"0000-00-00T00:00:00Z";
        for (at, width, mut n) in [
            (0, 4, year),
            (5, 2, month),
            (8, 2, day),
            (11, 2, secs / 3600),
            (14, 2, secs % 3600 / 60),
            (17, 2, secs % 60),
        ] {
            for digit in buf[at..at + width].iter_mut().rev() {
                *digit = b'0' + (n % 10) as u8;
                n /= 10;
            }
        }
        core::str::from_utf8(buf).ok()
    }
}

impl core::fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if let Some(text) = self.four_digit_year(&mut [0; 20]) {
            return f.write_str(text);
        }
        let (days, secs) = (self.0 / 86_400, self.0 % 86_400);
        let (year, month, day) = civil_from_days(days);
        write!(f, "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
    }
}

impl serde::Serialize for Rfc3339 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.four_digit_year(&mut [0; 20]) {
            Some(text) => serializer.serialize_str(text),
            None => serializer.collect_str(self),
        }
    }
}

/// Parses an RFC 3339 date-time (`2015-07-30T20:00:00Z`, `…T22:00:00+02:00`, fractional
/// seconds dropped) into Unix seconds. Dates before 1970 are rejected.
///
/// ```
/// use watchword_core::service::parse_rfc3339;
/// assert_eq!(parse_rfc3339("2015-07-30T22:00:00.5+02:00"), Some(1_438_286_400));
/// assert_eq!(parse_rfc3339("yesterday"), None);
/// ```
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: core::ops::Range<usize>| -> Option<u64> {
        let part = text.get(range)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset: i64 = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let h = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
            let m = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
            if h > 23 || m > 59 {
                return None;
            }
            let total = h * 3600 + m * 60;
            if *sign == b'+' {
                total
            } else {
                -total
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day)?;
    let local = days.checked_mul(86_400)?.checked_add(hour * 3600 + minute * 60 + second.min(59))?;
    u64::try_from(i64::try_from(local).ok()?.checked_sub(offset)?).ok()
}

fn is_leap(year: u64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    let y = i64::try_from(year).ok()? - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::try_from(month).ok()?;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::try_from(day).ok()? - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    u64::try_from(era * 146_097 + doe - 719_468).ok()
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_across_eras() {
        for t in [0u64, 59, 951_782_400, 1_111_111_111, 4_102_444_800, 20_000_000_000, 253_402_300_799] {
            assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t), "{t}");
        }
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(parse_rfc3339("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), None);
    }

    #[test]
    fn the_written_dates_are_the_formatted_ones() {
        let formatted = |t: u64| {
            let (days, secs) = (t / 86_400, t % 86_400);
            let (year, month, day) = civil_from_days(days);
            alloc::format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
        };
        let mut t = 0u64;
        while t < 260_000_000_000 {
            let expected = formatted(t);
            assert_eq!(rfc3339(t), expected);
            assert_eq!(serde_json::to_string(&Rfc3339(t)).unwrap(), alloc::format!("\"{expected}\""));
            t += 86_399 * 97 + 3_607;
        }
        // Past the year 9999 the year takes more digits.
        assert_eq!(rfc3339(253_402_300_800), "10000-01-01T00:00:00Z");
        assert_eq!(rfc3339(u64::MAX), formatted(u64::MAX));
    }
}
