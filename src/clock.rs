//! The one place that reads the time. `ECSDRILL_NOW` (RFC 3339) fixes it, so tests and
//! reproductions are deterministic; its UTC offset is then taken as the local time zone.
//! Days start at 4 a.m. local time, as in Anki, so a late-night session counts for the
//! day it started in.

use chrono::{DateTime, Duration, FixedOffset, Local, NaiveDate, TimeZone};

use crate::error::UserError;

/// Hour at which a new study day begins, local time.
pub const DAY_START_HOUR: u32 = 4;

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    fixed: Option<DateTime<FixedOffset>>,
}

impl Clock {
    /// Reads `ECSDRILL_NOW`; a malformed value is a usage error, never silently ignored.
    pub fn from_env() -> Result<Self, UserError> {
        match std::env::var("ECSDRILL_NOW") {
            Ok(text) if !text.trim().is_empty() => {
                let fixed = DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
                    UserError::env(format!(
                        "ECSDRILL_NOW={text:?} is not an RFC 3339 time: {e}"
                    ))
                    .with_hint("use a value like 2026-11-22T09:00:00+01:00, or unset it")
                })?;
                Ok(Clock { fixed: Some(fixed) })
            }
            _ => Ok(Clock { fixed: None }),
        }
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        self.fixed.unwrap_or_else(|| Local::now().fixed_offset())
    }
}

/// Milliseconds since the Unix epoch, the unit stored in the database.
pub fn to_ms(t: DateTime<FixedOffset>) -> i64 {
    t.timestamp_millis()
}

/// A stored timestamp, shown in the offset of `like`.
pub fn from_ms(ms: i64, like: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    like.offset()
        .timestamp_millis_opt(ms)
        .single()
        .unwrap_or(like)
}

/// The study day a moment belongs to (days start at 4 a.m. local time).
pub fn study_day(t: DateTime<FixedOffset>) -> NaiveDate {
    (t - Duration::hours(DAY_START_HOUR as i64)).date_naive()
}

/// Days between the study days of two moments.
pub fn days_between(earlier: DateTime<FixedOffset>, later: DateTime<FixedOffset>) -> i64 {
    (study_day(later) - study_day(earlier)).num_days()
}

/// The moment a study day begins, in the offset of `like`.
pub fn day_start(day: NaiveDate, like: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    let naive = day.and_hms_opt(DAY_START_HOUR, 0, 0).unwrap_or_default();
    like.offset()
        .from_local_datetime(&naive)
        .single()
        .unwrap_or(like)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn day_starts_at_four_local() {
        assert_eq!(
            study_day(t("2026-11-22T03:59:00+01:00")).to_string(),
            "2026-11-21"
        );
        assert_eq!(
            study_day(t("2026-11-22T04:00:00+01:00")).to_string(),
            "2026-11-22"
        );
        assert_eq!(
            days_between(t("2026-11-21T23:00:00Z"), t("2026-11-22T03:00:00Z")),
            0
        );
        assert_eq!(
            days_between(t("2026-11-21T23:00:00Z"), t("2026-11-22T05:00:00Z")),
            1
        );
        let start = day_start(
            study_day(t("2026-11-22T10:00:00+01:00")),
            t("2026-11-22T10:00:00+01:00"),
        );
        assert_eq!(start, t("2026-11-22T04:00:00+01:00"));
    }
}
