//! UTC calendar arithmetic on millisecond timestamps: formatting for tables
//! and parsing `YYYY-MM-DD` from date inputs. Pure and identical on server and
//! browser, so a server-rendered table and its hydrated copy always agree.

pub const DAY_MS: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number from `days_from_civil`.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2026-11-25 14:03` (UTC).
pub fn format_utc(ms: i64) -> String {
    let (y, mo, d) = civil_from_days(ms.div_euclid(DAY_MS));
    let minutes = ms.rem_euclid(DAY_MS) / 60_000;
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}",
        minutes / 60,
        minutes % 60
    )
}

/// The start (UTC midnight, in ms) of a `YYYY-MM-DD` date, if it is a real date.
pub fn parse_date(raw: &str) -> Option<i64> {
    let mut parts = raw.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let days = days_from_civil(y, m, d);
    // Round-tripping rejects 2026-02-30 and month 13.
    (civil_from_days(days) == (y, m, d)).then_some(days * DAY_MS)
}

/// UTC midnight at or before `ms`.
pub fn day_start(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01 00:00");
        assert_eq!(format_utc(1_795_608_180_000), "2026-11-25 12:03");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00");
        assert_eq!(format_utc(-60_000), "1969-12-31 23:59");
    }

    #[test]
    fn parses_real_dates_only() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-02-29"), Some(951_782_400_000));
        assert_eq!(
            parse_date(" 2026-11-25 "),
            Some(days_from_civil(2026, 11, 25) * DAY_MS)
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "26-11-25",
            "2026/11/25",
            "",
            "2026-11-5",
            "abcd-ef-gh",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_round_trip_across_four_centuries() {
        for days in (-200_000..200_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn day_start_is_utc_midnight() {
        let noon = parse_date("2026-11-25").unwrap() + DAY_MS / 2;
        assert_eq!(day_start(noon), parse_date("2026-11-25").unwrap());
    }
}
