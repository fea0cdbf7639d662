//! What `fedcm probe` makes of the Login Status API's `Set-Login` header
//! (spec `#login-status-http`; decisions A56): every one on every response
//! it got, plus a plain GET of the config's `login_url` just to read its
//! headers, and findings an IdP engineer can act on.
//!
//! A browser sets the login status of the origin of the response that
//! carries `Set-Login`, and FedCM reads only the config URL's origin's. It
//! reads the header on pages and their subresources, not on FedCM's own
//! fetches (decisions A56): only the login page's counts here.

use super::Reused;
use crate::escape;
use fedcm_model::machine::browser::LoginStatus;
use fedcm_model::machine::login_signal::parse_set_login;
use fedcm_model::{same_site, HttpResponse, Severity};
use serde::Serialize;
use std::fmt::{self, Write};
use url::Url;

/// The spec anchor the findings cite.
const ANCHOR: &str = "spec #login-status-http";

/// The fetch name a login page's entries carry.
pub const LOGIN_PAGE: &str = "login-page";

/// Where a response came from, seen from the IdP (the config URL's origin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// The IdP's own origin: the status FedCM reads.
    Idp,
    /// Another origin of the IdP's site: its own status, never read for
    /// this IdP.
    SameSite,
    /// Another site.
    CrossSite,
}

impl Relation {
    pub fn of(url: &Url, idp: &Url) -> Relation {
        if url.origin() == idp.origin() {
            Relation::Idp
        } else if same_site(url, idp) {
            Relation::SameSite
        } else {
            Relation::CrossSite
        }
    }

    fn words(self) -> &'static str {
        match self {
            Relation::Idp => "the IdP's origin",
            Relation::SameSite => "same-site, another origin",
            Relation::CrossSite => "cross-site",
        }
    }
}

/// One `Set-Login` header on one response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetLogin {
    /// The response's URL.
    pub url: String,
    /// The fetch it answered: a FedCM fetch's kind, or `login-page`.
    pub fetch: &'static str,
    /// The header's value as received.
    pub value: String,
    /// Whether it is the token `logged-in` or `logged-out` (parameters
    /// allowed); a browser ignores it otherwise.
    pub parses: bool,
    /// The status it asks for, when it parses.
    pub status: Option<LoginStatus>,
    /// The response's origin against the IdP's.
    pub origin: Relation,
    /// Whether browsers read `Set-Login` on this response: on the login
    /// page (a navigation), not on FedCM's own fetches (decisions A56).
    pub read: bool,
}

/// Every `Set-Login` header of `response`, the answer to `url`.
pub fn headers_of(response: &HttpResponse, url: &Url, fetch: &'static str, idp: &Url) -> Vec<SetLogin> {
    let read = fetch == LOGIN_PAGE;
    response
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-login"))
        .map(|(_, value)| {
            let status = parse_set_login(value);
            SetLogin {
                url: url.to_string(),
                fetch,
                value: value.clone(),
                parses: status.is_some(),
                status,
                origin: Relation::of(url, idp),
                read,
            }
        })
        .collect()
}

/// The plain GET of the config's `login_url`.
#[derive(Debug, Clone, Serialize)]
pub struct LoginPage {
    pub url: String,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub bytes: usize,
    pub millis: u128,
    pub network_error: Option<String>,
    /// Why the probe did not fetch it (another origin than the config's
    /// without `--via`, the overall deadline): not the IdP's fault.
    pub not_fetched: Option<String>,
    /// Under `--profile all`: the answer of an earlier profile's fetch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reused: Option<Reused>,
}

/// Something to fix about how the IdP signals its login status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// `set-login-absent`, `set-login-unparsable`, `set-login-cross-site`
    /// or `set-login-other-origin`.
    pub rule: &'static str,
    /// The response it is about, if one.
    pub url: Option<String>,
    /// What is wrong and what a browser does about it.
    pub message: String,
    /// What to do.
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: login status: {} [{}; {ANCHOR}] Fix: {}.", self.message, self.rule, self.fix)
    }
}

/// The login status part of a probe report (`login_status` in `--json`).
#[derive(Debug, Clone, Serialize)]
pub struct LoginStatusReport {
    /// Whether this profile's browser uses the Login Status API (Firefox
    /// does not: decisions F4). When not, the headers are listed, the login
    /// page is not fetched and nothing is checked.
    pub consulted: bool,
    /// The origin whose status FedCM reads: the config URL's.
    pub idp_origin: String,
    /// The GET of the config's `login_url`, if the config named one.
    pub login_page: Option<LoginPage>,
    /// Every `Set-Login` header on every response, in the order received.
    /// Pictures' headers are not kept (only their size and type), so theirs
    /// are not here.
    pub set_login: Vec<SetLogin>,
    pub findings: Vec<Finding>,
}

impl LoginStatusReport {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }
}

/// The findings on what the probe saw. `judged_absence`: whether enough
/// was seen to advise on a missing header (the config was answered, and
/// the login page was not cut off by the deadline).
pub fn findings(seen: &[SetLogin], idp: &Url, login_page: Option<&LoginPage>, judged_absence: bool) -> Vec<Finding> {
    let idp_origin = idp.origin().ascii_serialization();
    let send_from = format!(
        "send Set-Login from a response of {idp_origin} (the page that completes sign-in, or a subresource it loads from {idp_origin}), or call navigator.login.setStatus() from a page of {idp_origin}"
    );
    let mut out = Vec::new();
    let mut done: Vec<(&str, &str)> = Vec::new();
    for s in seen {
        if done.contains(&(s.url.as_str(), s.value.as_str())) {
            continue;
        }
        done.push((s.url.as_str(), s.value.as_str()));
        let on = format!("Set-Login {:?} on {} ({})", s.value, s.url, s.fetch.replace('-', " "));
        if !s.parses {
            let mut message = format!(
                "{on} is not the token logged-in or logged-out: a browser ignores it, and the login status stays as it was"
            );
            if !s.read {
                message.push_str(" (browsers do not read Set-Login on FedCM's own fetches anyway: decisions A56)");
            }
            out.push(Finding {
                severity: Severity::Error,
                rule: "set-login-unparsable",
                url: Some(s.url.clone()),
                message,
                fix: "send exactly `Set-Login: logged-in` or `Set-Login: logged-out` (lowercase, unquoted, one value; parameters after `;` are allowed)".into(),
            });
            continue;
        }
        // One on a FedCM fetch sets nothing anywhere: see the absence below.
        if !s.read {
            continue;
        }
        let Ok(url) = Url::parse(&s.url) else { continue };
        let origin = url.origin().ascii_serialization();
        let (severity, rule, why) = match s.origin {
            Relation::Idp => continue,
            Relation::CrossSite => (Severity::Error, "set-login-cross-site", "on another site"),
            Relation::SameSite => (
                Severity::Warning,
                "set-login-other-origin",
                "on the IdP's site but another origin (login status is kept per origin, not per site)",
            ),
        };
        out.push(Finding {
            severity,
            rule,
            url: Some(s.url.clone()),
            message: format!(
                "{on} sets the login status of {origin}, {why}: FedCM reads only the status of the config URL's origin {idp_origin}, so it never sees this one"
            ),
            fix: send_from.clone(),
        });
    }
    let signalled = seen.iter().any(|s| s.parses && s.read && s.origin == Relation::Idp);
    if judged_absence && !signalled {
        let mut message = format!("no response from {idp_origin} carried a Set-Login header a browser reads");
        if let Some(s) = seen.iter().find(|s| s.parses && !s.read) {
            let _ = write!(
                message,
                " (the one on the {} response is not read: browsers take Set-Login from pages and their subresources, not from FedCM's own fetches; decisions A56)",
                s.fetch.replace('-', " ")
            );
        }
        if let Some(page) = login_page.filter(|p| p.status.is_some()) {
            let _ = write!(
                message,
                "; the login page {} answered this unauthenticated GET without one, which is right if it sends it once the user has signed in",
                page.url
            );
        }
        message.push_str(
            ". Until the IdP signals, a browser knows its status only from the accounts fetch, which can only set logged-out: a user who then signs in at the IdP may be told they are not signed in",
        );
        out.push(Finding {
            severity: Severity::Warning,
            rule: "set-login-absent",
            url: None,
            message,
            fix: format!(
                "answer the request that completes sign-in (your login page, after the user signs in) with `Set-Login: logged-in` and sign-out with `Set-Login: logged-out`, from {idp_origin}; or call navigator.login.setStatus() from a page of {idp_origin}"
            ),
        });
    }
    out
}

/// The report's login status section as text, escaped.
pub fn render(r: &LoginStatusReport, profile: &str, out: &mut String) {
    let e = escape::line;
    if !r.consulted {
        let _ = writeln!(
            out,
            "login status: {profile} does not use the Login Status API (decisions F4); Set-Login headers are listed, not checked"
        );
    } else {
        let _ = writeln!(out, "login status (Set-Login; FedCM reads the status of {}):", e(&r.idp_origin));
    }
    if let Some(p) = &r.login_page {
        let answer = match (&p.not_fetched, &p.network_error, p.status) {
            (Some(n), _, _) => e(n).into_owned(),
            (None, Some(err), _) => format!("no response: {}", e(err)),
            (None, None, Some(s)) => {
                format!("{s} {}, {} bytes", e(p.content_type.as_deref().unwrap_or("(no content-type)")), p.bytes)
            }
            (None, None, None) => String::new(),
        };
        let took = if p.reused.is_some() { "answer reused".to_string() } else { format!("{} ms", p.millis) };
        let _ = writeln!(out, "    login page: GET {} [no cookies] -> {answer}, {took}", e(&p.url));
    }
    if r.set_login.is_empty() {
        let _ = writeln!(out, "    no response carried Set-Login");
    }
    for s in &r.set_login {
        let what = match s.status {
            Some(LoginStatus::LoggedIn) => "logged-in",
            Some(LoginStatus::LoggedOut) => "logged-out",
            Some(LoginStatus::Unknown) | None => "does not parse",
        };
        let unread = if s.read { "" } else { "; not read on FedCM's fetches" };
        let _ = writeln!(
            out,
            "    Set-Login: {} on {} [{}; {}{unread}] -> {what}",
            e(&s.value),
            e(&s.url),
            s.fetch,
            s.origin.words()
        );
    }
    for f in &r.findings {
        let _ = writeln!(out, "    - {}", e(&f.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(url: &str, fetch: &'static str, value: &str) -> SetLogin {
        let response = HttpResponse::json("{}").with_header("Set-Login", value);
        let idp = Url::parse("https://idp.example/config.json").unwrap();
        headers_of(&response, &Url::parse(url).unwrap(), fetch, &idp).remove(0)
    }

    fn rules(seen: &[SetLogin]) -> Vec<&'static str> {
        let idp = Url::parse("https://idp.example/config.json").unwrap();
        findings(seen, &idp, None, true).iter().map(|f| f.rule).collect()
    }

    #[test]
    fn the_login_page_signalling_is_enough() {
        assert_eq!(rules(&[seen("https://idp.example/login", LOGIN_PAGE, "logged-in")]), Vec::<&str>::new());
        assert_eq!(rules(&[]), ["set-login-absent"]);
        // On a FedCM fetch it is not read: still absent.
        assert_eq!(rules(&[seen("https://idp.example/accounts", "accounts", "logged-in")]), ["set-login-absent"]);
    }

    #[test]
    fn bad_values_and_other_origins_are_findings() {
        let page = seen("https://idp.example/login", LOGIN_PAGE, "logged-in");
        let bad = seen("https://idp.example/accounts", "accounts", "Logged-In");
        assert!(!bad.parses && bad.status.is_none());
        assert_eq!(rules(&[page.clone(), bad]), ["set-login-unparsable"]);
        let other = seen("https://www.idp.example/login", LOGIN_PAGE, "logged-in");
        assert_eq!(other.origin, Relation::SameSite);
        assert_eq!(rules(&[page.clone(), other]), ["set-login-other-origin"]);
        let cross = seen("https://idp-login.example/login", LOGIN_PAGE, "logged-out; v=1");
        assert_eq!((cross.origin, cross.status), (Relation::CrossSite, Some(LoginStatus::LoggedOut)));
        assert_eq!(rules(&[cross]), ["set-login-cross-site", "set-login-absent"]);
        // Another origin's on a FedCM fetch is not read: it sets nothing.
        let fetched = seen("https://idp.example/.well-known/web-identity", "well-known", "logged-in");
        assert_eq!(rules(&[page, fetched]), Vec::<&str>::new());
        let elsewhere = seen("https://www.idp.example/.well-known/web-identity", "well-known", "logged-in");
        assert_eq!(rules(&[elsewhere]), ["set-login-absent"]);
    }

    #[test]
    fn the_login_url_is_read_from_the_json_as_written() {
        let config = Url::parse("https://idp.example/fedcm/config.json").unwrap();
        let at = |body: &str| crate::serve::login_url_in(&config, body.as_bytes()).map(|u| u.to_string());
        assert_eq!(at(r#"{"login_url": "/login"}"#).as_deref(), Some("https://idp.example/login"));
        assert_eq!(at(r#"{"login_url": "signin"}"#).as_deref(), Some("https://idp.example/fedcm/signin"));
        assert_eq!(at(r#"{"login_url": "https://x.example/"}"#).as_deref(), Some("https://x.example/"));
        for none in
            [r#"{"login_url": ""}"#, r#"{"login_url": 1}"#, "{}", "[]", "not json", r#"{"login_url": "data:,x"}"#]
        {
            assert_eq!(at(none), None, "{none}");
        }
    }
}
