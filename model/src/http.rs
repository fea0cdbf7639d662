//! Responses as the model sees them: status, headers and raw bytes. The
//! model never performs a fetch; drivers build these from whatever they
//! received (a scenario file, a mock, the network).

use serde::{Deserialize, Serialize};

/// An HTTP response as received, before the model reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names as received; lookups ignore case.
    pub headers: Vec<(String, String)>,
    /// The body's bytes, undecoded.
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

    /// The same response with another status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The same response with header `name` set to `value` alone.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The last value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in order, by case-insensitive name.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Fetch's "extract a MIME type" on `Content-Type`, reduced to what the
    /// JSON check needs: `None` when there is no such header, else the
    /// last item that parses as a MIME type other than `*/*` (several
    /// headers and comma-separated items are all considered).
    pub fn content_type(&self) -> Option<ContentType<'_>> {
        let mut values = self.header_values("content-type");
        let first = values.next()?;
        let plain = |v: &str| !v.bytes().any(|b| b == b',' || b == b'"');
        let mut rest = values.peekable();
        // The common case, one header with one item: no splitting needed
        // (an item that does not parse is not JSON either), and what nearly
        // every IdP sends needs neither the scan nor the MIME parse.
        if rest.peek().is_none() {
            if first.eq_ignore_ascii_case("application/json") {
                return Some(ContentType { value: first, json: true });
            }
            if plain(first) {
                return Some(ContentType { value: first, json: is_json_content_type(first) });
            }
        }
        let (mut last_valid, mut last_seen) = (None, "");
        for item in std::iter::once(first).chain(rest).flat_map(split_header_value) {
            last_seen = item;
            if mime_essence_ok(item) {
                last_valid = Some(item);
            }
        }
        Some(match last_valid {
            Some(v) => ContentType { value: v, json: is_json_content_type(v) },
            None => ContentType { value: last_seen, json: false },
        })
    }

    /// Whether the status is 2xx ("ok status").
    pub fn is_ok_status(&self) -> bool {
        (200..=299).contains(&self.status)
    }

    /// Whether the status is 301, 302, 303, 307 or 308 (Fetch's "redirect status").
    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308)
    }
}

/// The MIME type a response declares, as Fetch extracts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentType<'a> {
    /// The item chosen (or the last one seen, when none parses).
    pub value: &'a str,
    /// Whether it is a JSON MIME type, which every IdP document must have.
    pub json: bool,
}

/// Whether `item` parses as a MIME type that "extract a MIME type" keeps
/// (it skips `*/*`).
fn mime_essence_ok(item: &str) -> bool {
    mime_essence(item).is_some_and(|e| e != "*/*")
}

/// Fetch's "getting, decoding, and splitting": commas separate items,
/// except inside quoted strings; each item is trimmed of tabs and spaces.
fn split_header_value(value: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        if quoted {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => {
                items.push(value[start..i].trim_matches([' ', '\t']));
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(value[start..].trim_matches([' ', '\t']));
    items
}

/// An HTTP token (RFC 9110 `tchar`s), tested per byte with a `match` rather
/// than a search of the symbol list: every response's `Content-Type` goes
/// through here.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            matches!(b, b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z'
                | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~')
        })
}

/// HTTP whitespace (Fetch): the only characters "parse a MIME type" trims.
/// Not `char::is_whitespace`, which would also accept a form feed or a
/// no-break space around the type (found by the `differential` fuzz target).
fn is_http_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' ')
}

/// The essence (`type/subtype`, lower-cased) of a `Content-Type` value, or
/// `None` when it does not parse as a MIME type.
pub(crate) fn mime_essence(content_type: &str) -> Option<String> {
    let essence = content_type.split(';').next()?.trim_matches(is_http_whitespace);
    let (kind, subtype) = essence.split_once('/')?;
    if is_token(kind) && is_token(subtype) {
        Some(essence.to_ascii_lowercase())
    } else {
        None
    }
}

/// MIME Sniffing's "JSON MIME type": `application/json`, `text/json`, or any
/// subtype ending in `+json`. The reference the tests hold
/// [`is_json_content_type`] to.
#[cfg(test)]
fn is_json_mime(essence: &str) -> bool {
    essence == "application/json" || essence == "text/json" || essence.ends_with("+json")
}

/// `is_json_mime(&mime_essence(content_type)?)`, without allocating.
pub(crate) fn is_json_content_type(content_type: &str) -> bool {
    let Some(essence) = content_type.split(';').next().map(|e| e.trim_matches(is_http_whitespace)) else {
        return false;
    };
    let Some((kind, subtype)) = essence.split_once('/') else { return false };
    if !(is_token(kind) && is_token(subtype)) {
        return false;
    }
    // Both halves are ASCII tokens here, so byte slicing is on char boundaries.
    let e = essence.as_bytes();
    e.eq_ignore_ascii_case(b"application/json")
        || e.eq_ignore_ascii_case(b"text/json")
        || e.len().checked_sub(5).and_then(|at| e.get(at..)).is_some_and(|t| t.eq_ignore_ascii_case(b"+json"))
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
        for ct in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "text/JSON",
            "a/b+JSON",
            "text/html",
            "json",
            "",
            "/json",
            "application/",
            "appl ication/json",
            " text/json ;x",
            "a/+json",
            "+json/x",
            "application/json\u{e9}",
        ] {
            assert_eq!(is_json_content_type(ct), mime_essence(ct).is_some_and(|m| is_json_mime(&m)), "{ct:?}");
        }
        assert_eq!(mime_essence("application/"), None);
    }

    #[test]
    fn content_type_is_extracted_as_fetch_does() {
        let with = |values: &[&str]| {
            let mut r = HttpResponse::json(Vec::new());
            r.headers.clear();
            for v in values {
                r.headers.push(("Content-Type".into(), v.to_string()));
            }
            r.content_type().map(|c| (c.value.to_string(), c.json))
        };
        assert_eq!(with(&[]), None);
        assert_eq!(with(&["application/json"]), Some(("application/json".into(), true)));
        // The last valid item wins, across items and across headers.
        assert_eq!(with(&["text/plain, application/json"]), Some(("application/json".into(), true)));
        assert_eq!(with(&["application/json, text/html"]), Some(("text/html".into(), false)));
        assert_eq!(with(&["text/html", "application/json"]), Some(("application/json".into(), true)));
        // Invalid items and */* are skipped.
        assert_eq!(with(&["application/json, nonsense"]), Some(("application/json".into(), true)));
        assert_eq!(with(&["application/json, */*"]), Some(("application/json".into(), true)));
        // A comma inside a quoted parameter does not split.
        assert_eq!(
            with(&["application/json; x=\"a,text/html\""]),
            Some(("application/json; x=\"a,text/html\"".into(), true))
        );
        // Nothing valid: not JSON.
        assert_eq!(with(&["nonsense"]), Some(("nonsense".into(), false)));
        assert_eq!(with(&[""]), Some(("".into(), false)));
    }

    #[test]
    fn header_lookup_ignores_case_and_takes_last() {
        let r = HttpResponse::json("{}").with_header("X-A", "1");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("x-a"), Some("1"));
    }
}
