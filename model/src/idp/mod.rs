//! One parser per document the browser receives from an IdP: bytes in, a
//! typed document or every problem found out.
//!
//! Each parser runs the same two stages: "extract the JSON fetch response"
//! (status, MIME type, size, UTF-8, JSON; spec `#helper-algorithms`), then a
//! WebIDL dictionary conversion (`idl.rs`) and the document's own
//! rules. Parsers keep going after the first error, so a linter can show
//! all of them; the machine only needs to know that the document failed.

pub mod accounts;
pub mod assertion;
pub mod client_metadata;
pub mod config;
pub mod disconnect;
pub mod icons;
pub mod well_known;

use crate::http::HttpResponse;
use crate::json::{self, Json};
use crate::problem::{Document, Path, Problem, Rule};
use crate::profile::rules::{Decoding, ResponseChecks};
use crate::profile::{Profile, MAX_BODY_BYTES};
use std::borrow::Cow;

/// A document that passed, with what was odd about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// The document.
    pub value: T,
    /// What was odd about it but accepted.
    pub warnings: Vec<Problem>,
}

/// A document that failed: at least one error (by construction: the
/// first is a field of its own), plus any warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// Boxed: a `Result` carrying a rejection stays small.
    first: Box<Problem>,
    more: Vec<Problem>,
    warnings: Vec<Problem>,
}

impl Rejected {
    /// A rejection for `first`, and any further errors and warnings.
    pub fn new(first: Problem, more: Vec<Problem>, warnings: Vec<Problem>) -> Rejected {
        Rejected { first: Box::new(first), more, warnings }
    }

    /// The error the machine reports as the reason.
    pub fn first(&self) -> &Problem {
        &self.first
    }

    /// Every error, the first first.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        std::iter::once(&*self.first).chain(&self.more)
    }

    /// Every error, the first first, owned.
    pub fn into_errors(self) -> Vec<Problem> {
        let mut all = Vec::with_capacity(1 + self.more.len());
        all.push(*self.first);
        all.extend(self.more);
        all
    }

    /// Problems that did not reject the document.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// Errors, then warnings.
    pub fn all(&self) -> impl Iterator<Item = &Problem> {
        self.errors().chain(&self.warnings)
    }

    fn single(problem: Problem) -> Rejected {
        Rejected::new(problem, Vec::new(), Vec::new())
    }
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.first)?;
        match self.more.len() {
            0 => Ok(()),
            n => write!(f, " (and {n} more error(s))"),
        }
    }
}

impl std::error::Error for Rejected {}

/// What every parser returns: the document and its warnings, or every problem.
pub type ParseResult<T> = Result<Parsed<T>, Rejected>;

/// Collects problems while a document is converted.
pub(crate) struct Cx {
    pub profile: Profile,
    pub document: Document,
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

impl Cx {
    pub(crate) fn new(document: Document, profile: Profile) -> Cx {
        Cx { profile, document, errors: Vec::new(), warnings: Vec::new() }
    }

    pub(crate) fn error(&mut self, path: &Path, rule: Rule) {
        self.errors.push(Problem::error(self.document, path.render(), rule));
    }

    pub(crate) fn warn(&mut self, path: &Path, rule: Rule) {
        self.warnings.push(Problem::warning(self.document, path.render(), rule));
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The document, unless an error was recorded.
    pub(crate) fn finish<T>(self, value: Option<T>) -> ParseResult<T> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(Parsed { value, warnings: self.warnings }),
            _ => {
                debug_assert!(!self.errors.is_empty(), "a parser dropped a document without an error");
                let mut errors = self.errors.into_iter();
                let first = errors.next().unwrap_or_else(|| Problem::error(self.document, None, Rule::MissingRequired));
                Err(Rejected::new(first, errors.collect(), self.warnings))
            }
        }
    }
}

/// How strict the transport checks are for one fetch.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Transport {
    /// Parse the body whatever the status (Chromium's assertion fetch).
    pub any_status: bool,
}

/// "extract the JSON fetch response", first half: status, MIME type, size
/// and text decoding. Returns the body text.
/// The steps every IdP document starts with: "extract the JSON fetch
/// response" ([`body_text`]), the JSON parse, and the top-level
/// dictionary. `members` reads the document's own members into a value;
/// every problem it reports (and the JSON's warnings) goes into the one
/// [`ParseResult`]. `None` from `members` means it reported an error.
pub(crate) fn parse_document<T>(
    document: Document,
    response: &HttpResponse,
    profile: Profile,
    transport: Transport,
    members: impl FnOnce(&mut Cx, crate::idl::Dict<'_, '_>) -> Option<T>,
) -> ParseResult<T> {
    let text = body_text(document, response, profile, transport)?;
    let (json, warnings) = parse_json(document, &text, profile)?;
    let mut cx = Cx::new(document, profile);
    cx.warnings = warnings;
    let Some(dict) = crate::idl::top_level(&mut cx, &json) else { return cx.finish(None) };
    let value = members(&mut cx, dict);
    cx.finish(value)
}

pub(crate) fn body_text<'r>(
    document: Document,
    response: &'r HttpResponse,
    profile: Profile,
    transport: Transport,
) -> Result<Cow<'r, str>, Rejected> {
    let fail = |rule| Err(Rejected::single(Problem::error(document, None, rule)));
    if response.is_redirect() {
        return fail(Rule::Redirect { status: response.status });
    }
    // Firefox reads the body whatever its status and type (decisions F2).
    let checked = profile.rules().response_checks == ResponseChecks::StatusAndType;
    if !response.is_ok_status() && !transport.any_status && checked {
        return fail(Rule::HttpStatus { status: response.status });
    }
    match response.content_type() {
        _ if !checked => {}
        None => return fail(Rule::ContentTypeMissing),
        Some(ct) if ct.json => {}
        Some(ct) => return fail(Rule::ContentTypeNotJson { content_type: ct.value.to_string() }),
    }
    if response.body.len() > MAX_BODY_BYTES {
        return fail(Rule::BodyTooLarge { len: response.body.len(), limit: MAX_BODY_BYTES });
    }
    // Valid UTF-8 (the usual case) is borrowed under both profiles; only
    // invalid bytes take the lossy decoder (spec) or fail (Chromium).
    let text = match std::str::from_utf8(&response.body) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) if profile.rules().decoding == Decoding::Lenient => String::from_utf8_lossy(&response.body),
        Err(e) => return fail(Rule::NotUtf8 { valid_up_to: e.valid_up_to() }),
    };
    Ok(match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.strip_prefix('\u{feff}').unwrap_or(s)),
        Cow::Owned(s) => match s.strip_prefix('\u{feff}') {
            Some(rest) => Cow::Owned(rest.to_string()),
            None => Cow::Owned(s),
        },
    })
}

/// "extract the JSON fetch response", second half: the JSON parse, and the
/// warnings it leaves.
///
/// The spec parses with `JSON.parse`, which accepts escaped lone surrogates;
/// under the spec profile they become U+FFFD (what the conversion of the
/// members to strings does) with a warning, on the retry path only. Chromium
/// parses RFC JSON, which refuses them.
pub(crate) fn parse_json<'t>(
    document: Document,
    text: &'t str,
    profile: Profile,
) -> Result<(Json<'t>, Vec<Problem>), Rejected> {
    let reject = |e: json::SyntaxError| {
        let rule = if e.too_deep {
            Rule::NestingTooDeep
        } else {
            Rule::InvalidJson { line: e.line, column: e.column, message: e.message }
        };
        Rejected::single(Problem::error(document, None, rule))
    };
    match json::parse(text) {
        Ok(json) => Ok((json, Vec::new())),
        Err(e) if e.too_deep || profile.rules().decoding == Decoding::Strict => Err(reject(e)),
        Err(e) => match json::replace_lone_surrogates(text) {
            None => Err(reject(e)),
            Some(fixed) => match json::parse(&fixed) {
                Ok(json) => {
                    Ok((json.into_owned(), vec![Problem::warning(document, None, Rule::LoneSurrogateReplaced)]))
                }
                Err(_) => Err(reject(e)),
            },
        },
    }
}

/// Every problem of a result, errors first, in a stable order.
pub fn problems<T>(result: &ParseResult<T>) -> Vec<&Problem> {
    match result {
        Ok(p) => p.warnings.iter().collect(),
        Err(r) => r.all().collect(),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::problem::Severity;

    pub(crate) fn ok(body: &str) -> HttpResponse {
        HttpResponse::json(body.as_bytes().to_vec())
    }

    /// The rule ids of a rejected document's errors.
    pub(crate) fn error_ids<T: std::fmt::Debug>(r: &ParseResult<T>) -> Vec<&'static str> {
        match r {
            Ok(p) => panic!("expected a rejection, got {p:?}"),
            Err(e) => e.errors().map(|p| p.rule.id()).collect(),
        }
    }

    pub(crate) fn warning_ids<T>(r: &ParseResult<T>) -> Vec<&'static str> {
        problems(r).into_iter().filter(|p| p.severity == Severity::Warning).map(|p| p.rule.id()).collect()
    }

    pub(crate) fn fields<T: std::fmt::Debug>(r: &ParseResult<T>) -> Vec<String> {
        match r {
            Ok(p) => panic!("expected a rejection, got {p:?}"),
            Err(e) => e.errors().map(|p| p.field.clone().unwrap_or_default()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    fn transport(resp: &HttpResponse, profile: Profile) -> Result<String, &'static str> {
        body_text(Document::Config, resp, profile, Transport::default())
            .map(|t| t.into_owned())
            .map_err(|r| r.first().rule.id())
    }

    #[test]
    fn status_mime_size_and_encoding_are_checked_in_order() {
        let p = Profile::Spec;
        assert_eq!(transport(&ok("{}").with_status(404), p), Err("http-status"));
        assert_eq!(transport(&ok("{}").with_status(302), p), Err("redirect"));
        let mut no_ct = ok("{}");
        no_ct.headers.clear();
        assert_eq!(transport(&no_ct, p), Err("content-type-missing"));
        assert_eq!(transport(&ok("{}").with_header("Content-Type", "text/html"), p), Err("content-type-not-json"));
        let big = HttpResponse::json(vec![b' '; MAX_BODY_BYTES + 1]);
        assert_eq!(transport(&big, p), Err("body-too-large"));
    }

    #[test]
    fn utf8_is_lossy_in_spec_and_strict_in_chromium() {
        let resp = HttpResponse::json(b"{\"a\":\"\xff\"}".to_vec());
        assert_eq!(transport(&resp, Profile::Spec).unwrap(), "{\"a\":\"\u{fffd}\"}");
        assert_eq!(transport(&resp, Profile::Chromium), Err("not-utf8"));
    }

    #[test]
    fn bom_is_stripped() {
        let resp = HttpResponse::json(b"\xef\xbb\xbf{}".to_vec());
        assert_eq!(transport(&resp, Profile::Chromium).unwrap(), "{}");
    }
}
