//! `fedcm lint`: parse one document as a browser would, under each
//! profile, and report the typed result or every problem found.

use fedcm_model::idp::{self, Parsed, Rejected};
use fedcm_model::{ConfigUrl, Document, HttpResponse, Problem, Profile, Severity};
use serde::Serialize;

pub use crate::input::MAX_REQUEST_OPTIONS_BYTES;

/// What the document is checked against.
#[derive(Debug, Clone)]
pub struct LintContext {
    /// The config URL endpoints resolve against (and the well-known file
    /// must list).
    pub config_url: ConfigUrl,
    /// The assertion endpoint `error.url` and `continue_on` are checked
    /// against; defaults to `/assertion` on the config's origin.
    pub assertion_endpoint: Option<String>,
    pub status: u16,
    pub content_type: Option<String>,
}

impl Default for LintContext {
    fn default() -> Self {
        LintContext {
            config_url: ConfigUrl::parse("https://idp.example/config.json").expect("valid default"),
            assertion_endpoint: None,
            status: 200,
            content_type: Some("application/json".into()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LintReport {
    pub profile: Profile,
    /// Whether the browser accepts the document itself.
    pub accepted: bool,
    /// The typed document, when accepted.
    pub document: Option<serde_json::Value>,
    /// Errors first, then warnings. For a config this includes endpoint
    /// problems the spec only reports when the endpoint is used.
    pub problems: Vec<Problem>,
}

impl LintReport {
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| p.severity == Severity::Error).count()
    }
    pub fn warnings(&self) -> usize {
        self.problems.len() - self.errors()
    }
}

fn report<T: Serialize>(profile: Profile, result: Result<Parsed<T>, Rejected>) -> LintReport {
    match result {
        Ok(parsed) => LintReport {
            profile,
            accepted: true,
            document: serde_json::to_value(&parsed.value).ok(),
            problems: parsed.warnings,
        },
        Err(rejected) => {
            LintReport { profile, accepted: false, document: None, problems: rejected.all().cloned().collect() }
        }
    }
}

/// Why a document could not be linted at all (as opposed to the problems
/// a lint report lists).
#[derive(Debug)]
pub enum LintError {
    /// `--assertion-endpoint` does not resolve against the config URL.
    AssertionEndpoint { raw: String, reason: String },
    /// RP request options must be one JSON value.
    RequestNotJson(serde_json::Error),
    /// RP request options larger than [`MAX_REQUEST_OPTIONS_BYTES`].
    RequestTooLarge { bytes: usize },
}

impl std::fmt::Display for LintError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LintError::AssertionEndpoint { raw, reason } => {
                write!(f, "--assertion-endpoint {raw:?} cannot be used: {reason}")
            }
            LintError::RequestNotJson(e) => write!(f, "request options must be a JSON value: {e}"),
            LintError::RequestTooLarge { bytes } => write!(
                f,
                "request options of {bytes} bytes are over the linter's limit of {MAX_REQUEST_OPTIONS_BYTES} bytes; \
                 real options are a few hundred"
            ),
        }
    }
}

impl std::error::Error for LintError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LintError::RequestNotJson(e) => Some(e),
            _ => None,
        }
    }
}

/// Lints `body` as a document of `kind` under `profile`.
pub fn lint(kind: Document, body: &[u8], cx: &LintContext, profile: Profile) -> Result<LintReport, LintError> {
    let mut response = HttpResponse { status: cx.status, headers: Vec::new(), body: body.to_vec() };
    if let Some(ct) = &cx.content_type {
        response.headers.push(("content-type".into(), ct.clone()));
    }
    Ok(match kind {
        Document::WellKnown => report(profile, idp::well_known::parse(&response, profile)),
        Document::Config => {
            let result = idp::config::parse(&response, &cx.config_url, profile);
            let deferred: Vec<Problem> =
                result.as_ref().map(|p| p.value.deferred_problems().cloned().collect()).unwrap_or_default();
            let mut r = report(profile, result);
            r.problems.splice(0..0, deferred);
            r
        }
        Document::Accounts => report(profile, idp::accounts::parse(&response, profile)),
        Document::ClientMetadata => report(profile, idp::client_metadata::parse(&response, profile)),
        Document::Disconnect => report(profile, idp::disconnect::parse(&response, profile)),
        Document::Assertion => {
            let raw = cx.assertion_endpoint.as_deref().unwrap_or("/assertion");
            let endpoint = cx
                .config_url
                .resolve(raw)
                .map_err(|e| LintError::AssertionEndpoint { raw: raw.to_string(), reason: e.to_string() })?;
            report(profile, idp::assertion::parse(&response, &endpoint, profile))
        }
        Document::RequestOptions => {
            // A JSON tree costs tens of times its text: bound the text first.
            if body.len() > MAX_REQUEST_OPTIONS_BYTES {
                return Err(LintError::RequestTooLarge { bytes: body.len() });
            }
            let value: serde_json::Value = serde_json::from_slice(body).map_err(LintError::RequestNotJson)?;
            report(profile, fedcm_model::options::parse(&value, profile))
        }
    })
}

/// The embedded example documents `fedcm lint` checks when given no file.
pub const EXAMPLES: &[(Document, &str, &str)] = &[
    (Document::WellKnown, "well-known.json", include_str!("defaults/well-known.json")),
    (Document::Config, "config.json", include_str!("defaults/config.json")),
    (Document::Accounts, "accounts.json", include_str!("defaults/accounts.json")),
    (Document::ClientMetadata, "client-metadata.json", include_str!("defaults/client-metadata.json")),
    (Document::Assertion, "assertion.json", include_str!("defaults/assertion.json")),
    (Document::Disconnect, "disconnect.json", include_str!("defaults/disconnect.json")),
    (Document::RequestOptions, "request.json", include_str!("defaults/request.json")),
];

/// "works in: spec, chromium; breaks in: chromium-142 (wrong-type)": the
/// question across generations, answered in one line.
pub fn across(reports: &[LintReport]) -> String {
    let verdicts: Vec<(Profile, Option<String>)> = reports
        .iter()
        .map(|r| {
            let rules: Vec<&str> =
                r.problems.iter().filter(|p| p.severity == Severity::Error).map(|p| p.rule.id()).collect();
            (r.profile, (!(r.accepted && r.errors() == 0)).then(|| rules.join(", ")))
        })
        .collect();
    works_in(&verdicts)
}

/// The one-line answer across generations from each profile's verdict:
/// `None` where it works, else why it breaks. `fedcm lint` and `fedcm
/// probe --profile all` say it in these words.
pub fn works_in(verdicts: &[(Profile, Option<String>)]) -> String {
    let works: Vec<&str> = verdicts.iter().filter(|(_, why)| why.is_none()).map(|(p, _)| p.name()).collect();
    let breaks: Vec<String> =
        verdicts.iter().filter_map(|(p, why)| why.as_ref().map(|why| format!("{} ({why})", p.name()))).collect();
    match (works.is_empty(), breaks.is_empty()) {
        (_, true) => format!("works in every profile ({})", works.join(", ")),
        (true, false) => format!("breaks in every profile: {}", breaks.join("; ")),
        (false, false) => format!("works in: {}; breaks in: {}", works.join(", "), breaks.join("; ")),
    }
}

/// Human-readable output for one file.
pub fn render(name: &str, kind: Document, reports: &[LintReport]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "{name} ({})", kind.title());
    let width = reports.iter().map(|r| r.profile.name().len() + 1).max().unwrap_or(0);
    for r in reports {
        let verdict = if r.accepted && r.errors() == 0 {
            "accepted".to_string()
        } else if r.accepted {
            format!("accepted, but {} endpoint error(s) will fail the sign-in", r.errors())
        } else {
            "REJECTED".to_string()
        };
        let _ = writeln!(
            out,
            "  {:<width$} {verdict}, {} error(s), {} warning(s)",
            format!("{}:", r.profile),
            r.errors(),
            r.warnings()
        );
    }
    if reports.len() > 1 {
        let _ = writeln!(out, "  {}", across(reports));
    }
    // A problem both profiles report is printed once.
    let mut seen: Vec<(&Problem, Vec<Profile>)> = Vec::new();
    for r in reports {
        for p in &r.problems {
            match seen.iter_mut().find(|(q, _)| *q == p) {
                Some((_, profiles)) => profiles.push(r.profile),
                None => seen.push((p, vec![r.profile])),
            }
        }
    }
    for (p, profiles) in seen {
        let only = if profiles.len() == reports.len() {
            String::new()
        } else {
            format!("[{}] ", profiles.iter().map(|p| p.name()).collect::<Vec<_>>().join(", "))
        };
        let _ = writeln!(out, "  - {only}{p}");
    }
    // Control characters are escaped where it is printed (output::print).
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_examples_are_clean_under_every_profile() {
        for (kind, name, body) in EXAMPLES {
            for p in Profile::ALL {
                let r = lint(*kind, body.as_bytes(), &LintContext::default(), p).unwrap();
                assert!(r.accepted && r.problems.is_empty(), "{name} under {p}: {:?}", r.problems);
            }
        }
    }

    #[test]
    fn deferred_endpoint_problems_are_errors_in_lint() {
        let body = br#"{"accounts_endpoint":"/a","id_assertion_endpoint":"https://evil.example/t","login_url":"/l"}"#;
        let r = lint(Document::Config, body, &LintContext::default(), Profile::Spec).unwrap();
        assert!(r.accepted);
        assert_eq!(r.errors(), 1);
        let text = render("c.json", Document::Config, &[r]);
        assert!(text.contains("will fail the sign-in"), "{text}");
    }

    #[test]
    fn oversized_request_options_are_refused_before_parsing() {
        let mut body = b"[".to_vec();
        body.extend(std::iter::repeat_n(b"0,".as_slice(), MAX_REQUEST_OPTIONS_BYTES / 2).flatten());
        body.extend(b"0]");
        let err = lint(Document::RequestOptions, &body, &LintContext::default(), Profile::Spec).unwrap_err();
        assert!(matches!(err, LintError::RequestTooLarge { .. }), "{err}");
        assert!(err.to_string().contains("over the linter's limit"), "{err}");
    }
}
