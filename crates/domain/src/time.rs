//! Timestamps on the wire: RFC 3339, UTC, millisecond precision (`2025-12-06T04:35:33.192Z`).
//! Every instant is truncated to milliseconds when it enters the domain, so what is
//! stored, hashed and served round-trips exactly.

use chrono::{DateTime, NaiveDate, SecondsFormat, SubsecRound, Utc};

pub type Timestamp = DateTime<Utc>;

pub fn truncate(t: Timestamp) -> Timestamp {
    t.trunc_subsecs(3)
}

pub fn format(t: &Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 date-time (any offset) or a plain `YYYY-MM-DD` date (midnight UTC).
pub fn parse(s: &str) -> Option<Timestamp> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(truncate(t.with_timezone(&Utc)));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc())
}

/// serde adapter for `Timestamp` in the wire format.
pub mod serde_ts {
    use super::*;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(t))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s).ok_or_else(|| D::Error::custom(format_args!("invalid date-time {s:?}")))
    }
}

/// serde adapter for `Option<Timestamp>` in the wire format.
pub mod serde_opt_ts {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format(t)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "super::serde_ts")] Timestamp);
        Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_millis() {
        let t = parse("2025-12-06T04:35:33.192Z").unwrap();
        assert_eq!(format(&t), "2025-12-06T04:35:33.192Z");
        let t = parse("2025-12-06T06:35:33.1929+02:00").unwrap();
        assert_eq!(format(&t), "2025-12-06T04:35:33.192Z");
        assert_eq!(format(&parse("2025-01-02").unwrap()), "2025-01-02T00:00:00.000Z");
        assert!(parse("yesterday").is_none());
    }
}
