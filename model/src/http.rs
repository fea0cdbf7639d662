//! Responses as the model sees them: status, headers and raw bytes. The
//! model never performs a fetch; drivers build these from whatever they
//! received (a scenario file, a mock, the network).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names as received; lookups ignore case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A 200 response with `content-type: application/json`.
    pub fn json(body: impl Into<Vec<u8>>) -> Self {
        HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The last value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn is_ok_status(&self) -> bool {
        (200..=299).contains(&self.status)
    }

    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308)
    }
}

/// The essence (`type/subtype`, lower-cased) of a `Content-Type` value, or
/// `None` when it does not parse as a MIME type.
pub fn mime_essence(content_type: &str) -> Option<String> {
    let essence = content_type.split(';').next()?.trim();
    let (kind, subtype) = essence.split_once('/')?;
    let is_token =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if is_token(kind) && is_token(subtype) {
        Some(essence.to_ascii_lowercase())
    } else {
        None
    }
}

/// MIME Sniffing's "JSON MIME type": `application/json`, `text/json`, or any
/// subtype ending in `+json`.
pub fn is_json_mime(essence: &str) -> bool {
    essence == "application/json" || essence == "text/json" || essence.ends_with("+json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_mime_types() {
        for ok in ["application/json", "Application/JSON; charset=utf-8", "text/json", "application/ld+json"] {
            assert!(is_json_mime(&mime_essence(ok).unwrap()), "{ok}");
        }
        for bad in ["text/html", "application/javascript", "json"] {
            assert!(!mime_essence(bad).map(|m| is_json_mime(&m)).unwrap_or(false), "{bad}");
        }
        assert_eq!(mime_essence(""), None);
        assert_eq!(mime_essence("application/"), None);
    }

    #[test]
    fn header_lookup_ignores_case_and_takes_last() {
        let r = HttpResponse::json("{}").with_header("X-A", "1");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("x-a"), Some("1"));
    }
}
