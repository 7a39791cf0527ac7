//! Course windows: when a grant may be used. Bounds are read once into unix seconds — RFC
//! 3339 from the API; on the command line and in CSV files also a UTC date, where
//! `--until 2027-01-31` includes that whole day — and applied at every vend: outside the
//! window the vend is refused naming the crossed bound, inside it the session ends by
//! `not_after`, and with less than STS's 15-minute minimum session left it is refused
//! with the reason (AssumeRole's DurationSeconds is at least 900).

use tempcreds_core::credentials::rfc3339;
use tempcreds_store::Grant;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Time};

/// STS's shortest session (AssumeRole `DurationSeconds` ≥ 900).
pub const MIN_SESSION_SECONDS: i64 = 900;

/// What a session's length leaves unused before `not_after`. STS stamps `Expiration` from
/// the moment the call reaches it (its clock, plus the request's trip), so a session as long
/// as the time left here would end a moment after the window; the broker's own `now` is
/// also taken to the next whole second.
pub const SLACK_SECONDS: i64 = 5;

/// Which end of a window a time is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    NotBefore,
    NotAfter,
}

/// What forms a time may take where it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// RFC 3339 only (the API, as its description says).
    Rfc3339,
    /// RFC 3339 or a `YYYY-MM-DD` date in UTC (the command line, CSV files).
    OrDate,
}

/// Unix seconds as RFC 3339 UTC (`2027-01-31T00:00:00Z`).
pub fn show(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t).map_or_else(|_| t.to_string(), rfc3339)
}

/// Parses one bound; the error is the rule broken, for the caller to prefix with the field.
pub fn parse(text: &str, side: Side, form: Form) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    match (form, Date::parse(text, date_format)) {
        (Form::OrDate, Ok(day)) => {
            let start = day.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp();
            Ok(match side {
                Side::NotBefore => start,
                // The named day is included: the window closes at the next midnight.
                Side::NotAfter => start + 86_400,
            })
        }
        (Form::OrDate, Err(_)) => Err(format!(
            "\"{text}\" is not a time: use RFC 3339 (2027-01-31T18:00:00Z) or a date (2027-01-31)"
        )),
        (Form::Rfc3339, _) => Err(format!(
            "\"{text}\" is not an RFC 3339 time (2027-01-31T18:00:00Z)"
        )),
    }
}

/// A grant's window must be able to hold one session.
pub fn check(grant: &Grant) -> Result<(), String> {
    match (grant.not_before, grant.not_after) {
        (Some(from), Some(until)) if until - from < MIN_SESSION_SECONDS => Err(format!(
            "the window of role {} ({} to {}) is shorter than the 15-minute minimum session",
            grant.role,
            show(from),
            show(until)
        )),
        _ => Ok(()),
    }
}

/// Why a vend is refused by the grant's window: the message names the crossed bound.
pub fn refusal(grant: &Grant, now: i64) -> Option<String> {
    if let Some(from) = grant.not_before.filter(|&t| now < t) {
        return Some(format!(
            "the grant of role {} starts at {} (not_before)",
            grant.role,
            show(from)
        ));
    }
    let until = grant.not_after?;
    if now >= until {
        return Some(format!(
            "the grant of role {} ended at {} (not_after)",
            grant.role,
            show(until)
        ));
    }
    let left = until - now;
    (left - SLACK_SECONDS < MIN_SESSION_SECONDS).then(|| {
        format!(
            "the grant of role {} ends at {} (not_after), in {left} s: too soon for the 15-minute minimum of an STS session",
            grant.role,
            show(until)
        )
    })
}

/// The longest session the window allows from `now` (None: the window sets no limit): the
/// time left less `SLACK_SECONDS`, so that the session ends by `not_after`.
pub fn seconds_left(grant: &Grant, now: i64) -> Option<u32> {
    grant
        .not_after
        .map(|until| u32::try_from((until - now - SLACK_SECONDS).max(0)).unwrap_or(u32::MAX))
}

/// Now, in unix seconds (when a change happened, whether a token has expired).
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Now in unix seconds, rounded up (a window's end is never met early by rounding down).
pub fn now_ceil() -> i64 {
    let now = OffsetDateTime::now_utc();
    now.unix_timestamp() + i64::from(now.nanosecond() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(from: Option<i64>, until: Option<i64>) -> Grant {
        Grant {
            role: "lab".to_owned(),
            not_before: from,
            not_after: until,
        }
    }

    #[test]
    fn times_are_rfc3339_or_on_the_command_line_a_whole_utc_day() {
        let day = 1_801_353_600; // 2027-01-31T00:00:00Z
        assert_eq!(
            parse("2027-01-31T00:00:00Z", Side::NotAfter, Form::Rfc3339),
            Ok(day)
        );
        assert_eq!(
            parse("2027-01-31T01:00:00+01:00", Side::NotBefore, Form::Rfc3339),
            Ok(day)
        );
        assert_eq!(parse("2027-01-31", Side::NotBefore, Form::OrDate), Ok(day));
        assert_eq!(
            parse("2027-01-31", Side::NotAfter, Form::OrDate),
            Ok(day + 86_400)
        );
        let api = parse("2027-01-31", Side::NotAfter, Form::Rfc3339).expect_err("API");
        assert!(api.contains("RFC 3339"), "{api}");
        for bad in ["", "tomorrow", "2027-02-30", "2027-01-31T25:00:00Z"] {
            assert!(parse(bad, Side::NotAfter, Form::OrDate).is_err(), "{bad}");
        }
        assert_eq!(show(day), "2027-01-31T00:00:00Z");
    }

    #[test]
    fn a_vend_is_refused_outside_the_window_and_near_its_end() {
        let g = grant(Some(1000), Some(5000));
        let early = refusal(&g, 999).expect("before");
        assert!(
            early.contains("starts at 1970-01-01T00:16:40Z (not_before)"),
            "{early}"
        );
        assert_eq!(refusal(&g, 1000), None);
        assert_eq!(seconds_left(&g, 1000), Some(3995), "less the slack");
        let last = 5000 - 900 - SLACK_SECONDS;
        assert_eq!(refusal(&g, last), None);
        assert_eq!(seconds_left(&g, last), Some(900));
        let near = refusal(&g, last + 1).expect("under 15 minutes");
        assert!(
            near.contains("in 904 s") && near.contains("15-minute"),
            "{near}"
        );
        let late = refusal(&g, 5000).expect("after");
        assert!(
            late.contains("ended at") && late.contains("(not_after)"),
            "{late}"
        );
        assert_eq!(refusal(&grant(None, None), 0), None);
        assert_eq!(seconds_left(&grant(None, None), 0), None);
    }

    #[test]
    fn a_window_must_hold_one_session() {
        assert!(check(&grant(Some(0), Some(899))).is_err());
        assert!(check(&grant(Some(0), Some(900))).is_ok());
        assert!(check(&grant(None, Some(1))).is_ok());
    }
}
