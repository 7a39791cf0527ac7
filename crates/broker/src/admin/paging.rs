//! Page sizes and page tokens of the admin API's lists. A token is opaque to clients (hex of
//! a tagged cursor: the last name of a users page, the last row id of an audit page), so its
//! form can change without breaking them; a token of the wrong kind or shape is 400.

use crate::error::ApiError;

/// `?limit=`: 1..=1000, default 100.
pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;

pub fn limit(text: Option<&str>) -> Result<u32, ApiError> {
    let Some(text) = text else {
        return Ok(DEFAULT_LIMIT);
    };
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::BadRequest(format!(
            "?limit=: \"{text}\" is not a whole number from 1 to {MAX_LIMIT}"
        ))),
    }
}

fn encode(tag: char, cursor: &str) -> String {
    hex::encode(format!("{tag}{cursor}"))
}

fn decode(tag: char, token: &str) -> Result<String, ApiError> {
    hex::decode(token.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(tag).map(str::to_owned))
        .ok_or_else(|| {
            ApiError::BadRequest(
                "?page_token=: not a page token of this list (pass the next_page_token of the previous page)"
                    .to_owned(),
            )
        })
}

pub fn encode_name(name: &str) -> String {
    encode('u', name)
}

pub fn decode_name(token: &str) -> Result<String, ApiError> {
    decode('u', token)
}

pub fn encode_id(id: i64) -> String {
    encode('a', &id.to_string())
}

pub fn decode_id(token: &str) -> Result<i64, ApiError> {
    decode('a', token)?
        .parse()
        .map_err(|_| ApiError::BadRequest("?page_token=: not a page token of this list".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_not_interchangeable() {
        assert_eq!(
            decode_name(&encode_name("alice")).ok(),
            Some("alice".to_owned())
        );
        assert_eq!(decode_id(&encode_id(42)).ok(), Some(42));
        assert!(decode_id(&encode_name("42")).is_err());
        assert!(decode_name("zz").is_err());
        assert_eq!(limit(None).ok(), Some(100));
        assert!(limit(Some("0")).is_err() && limit(Some("1001")).is_err());
    }
}
