//! Human-readable output of a run: the trace step by step, then the outcome
//! and why.

use crate::driver::RunReport;
use fedcm_model::machine::browser::BrowserState;
use fedcm_model::machine::fetch::{Credentials, FetchRequest};
use fedcm_model::machine::outcome::Outcome;
use fedcm_model::machine::prompt::{Form, Prompt, UserAction};
use fedcm_model::trace::{Event, ResponseResult, Trace};
use std::fmt::Write;

fn request_line(r: &FetchRequest) -> String {
    let cookies = match r.credentials {
        Credentials::Include => "cookies",
        Credentials::Omit => "no cookies",
    };
    let origin = r.origin.as_deref().map(|o| format!("Origin {o}")).unwrap_or_else(|| "no Origin".into());
    let mut line = format!("-> {:?} {} [{}; {cookies}; {origin}]", r.method, r.url, r.kind.name());
    if let Some(body) = &r.body {
        let _ = write!(line, "\n        body: {body}");
    }
    line.replace("Get ", "GET ").replace("Post ", "POST ")
}

fn prompt_line(p: &Prompt) -> String {
    match p {
        Prompt::AccountChooser { accounts, use_other_account, login_to, dialog } => {
            let list: Vec<String> = accounts
                .iter()
                .map(|a| {
                    let mut kind = String::from(if a.returning { "returning" } else { "new" });
                    if a.newly_logged_in {
                        kind.push_str(", just logged in");
                    }
                    for (label, link) in [("privacy", &a.privacy_policy_url), ("terms", &a.terms_of_service_url)] {
                        if let Some(link) = link {
                            let _ = write!(kind, "; {label} {link}");
                        }
                    }
                    format!("{} \"{}\" ({kind})", a.account_id, a.display_name)
                })
                .collect();
            let form = match dialog.form {
                Form::Confirm => "one account to confirm",
                Form::List => "a list",
                Form::ReturningAccount => "the returning account, then the list",
            };
            let heading = match (&dialog.title, &dialog.subtitle) {
                (Some(t), Some(sub)) => format!("\"{t}\" / \"{sub}\""),
                (Some(t), None) => format!("\"{t}\""),
                (None, _) => {
                    let idp = dialog.idp.as_deref().map(|i| format!(" with {i}")).unwrap_or_default();
                    let context = serde_json::to_value(dialog.context).ok().and_then(|v| v.as_str().map(String::from));
                    format!("{} to {}{idp}", context.unwrap_or_default(), dialog.rp)
                }
            };
            let mut s = format!("?  account chooser {heading}, {form}: {}", list.join(", "));
            if *use_other_account {
                s.push_str("; offers \"use another account\"");
            }
            if !login_to.is_empty() {
                let _ = write!(s, "; offers to log in to provider(s) {login_to:?}");
            }
            s
        }
        Prompt::ConfirmIdpLogin { config_url, .. } => format!("?  confirm IdP login: log in to {config_url} again?"),
        Prompt::LoginPopup { url, .. } => format!("?  login pop-up at {url}"),
        Prompt::ContinuationPopup { url, .. } => format!("?  continuation pop-up at {url}"),
        Prompt::ErrorDialog { code, url } => format!(
            "?  error dialog: error {code:?}{}",
            url.as_ref().map(|u| format!(", more details at {u}")).unwrap_or_default()
        ),
    }
}

fn action_line(a: &UserAction) -> String {
    match a {
        UserAction::Choose { account_id, .. } => format!("!  the person chooses account {account_id}"),
        UserAction::Cancel => "!  the person closes it".into(),
        UserAction::Login { .. } => "!  the person clicks to log in".into(),
        UserAction::LoggedIn => {
            "!  the person signs in; the IdP sets logged-in and calls IdentityProvider.close()".into()
        }
        UserAction::IdpClose => "!  the IdP page calls IdentityProvider.close()".into(),
        UserAction::Resolve { token, .. } => format!("!  the IdP page calls IdentityProvider.resolve({token})"),
        UserAction::Dismiss => "!  the person dismisses it".into(),
    }
}

pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "scenario: {} (profile {})", report.name, report.profile);
    if report.steps.is_empty() {
        render_call(&mut out, "  ", &report.trace, report.outcome, report.credential.as_ref(), report.error.as_ref());
    }
    for (i, step) in report.steps.iter().enumerate() {
        let _ = writeln!(out, "  step {i}: {}", step.action);
        if let (Some(trace), Some(outcome)) = (&step.trace, step.outcome) {
            render_call(&mut out, "    ", trace, outcome, step.credential.as_ref(), step.error.as_ref());
        }
        let _ = writeln!(out, "    browser now: {}", browser_line(&step.browser_after));
    }
    for v in &report.violations {
        let _ = writeln!(out, "INVARIANT VIOLATED: {v}");
    }
    match (report.expect.checked, report.expect.failures.is_empty()) {
        (false, _) => {}
        (true, true) => {
            let _ = writeln!(out, "expect: holds");
        }
        (true, false) => {
            let _ = writeln!(out, "expect: FAILED");
            for f in &report.expect.failures {
                let _ = writeln!(out, "  - {f}");
            }
        }
    }
    // Control characters are escaped where it is printed (output::print).
    out
}

/// The browser state in one line: login status, connections, and the RPs
/// that require mediation.
fn browser_line(b: &BrowserState) -> String {
    let status: Vec<String> = b.login_status.iter().map(|(o, s)| format!("{o} {s:?}")).collect();
    let connected: Vec<String> = b.connections.iter().map(|c| format!("{}@{} to {}", c.account, c.idp, c.rp)).collect();
    let mediation: Vec<&str> = b.requires_user_mediation.iter().map(String::as_str).collect();
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    let mut line = format!("login status {}; connected {}", list(&status), list(&connected));
    if !mediation.is_empty() {
        let _ = write!(line, "; requires mediation {}", mediation.join(", "));
    }
    line
}

/// One call's trace and how it settled, each line after `indent`.
fn render_call(
    out: &mut String,
    indent: &str,
    trace: &Trace,
    outcome: &str,
    credential: Option<&serde_json::Value>,
    error: Option<&serde_json::Value>,
) {
    for event in &trace.events {
        let line = match event {
            Event::Start(_)
            | Event::StartDisconnect { .. }
            | Event::StartCall { .. }
            | Event::StartUserInfo { .. }
            | Event::TokenReceived { .. } => continue,
            Event::ProviderEntry { provider, entry, accounts, .. } => {
                if accounts.is_empty() {
                    format!("   provider {provider} counts as {entry}")
                } else {
                    format!("   provider {provider} offers account(s) {}", accounts.join(", "))
                }
            }
            Event::AutoSelected { account_id, .. } => {
                format!("   auto re-authentication: account {account_id} is the only returning account")
            }
            Event::Enter { state, provider } => {
                let who = provider.map(|p| format!(" [provider {p}]")).unwrap_or_default();
                format!("*  {}{who}  (spec #{})", state.name(), state.anchor())
            }
            Event::Request { request } => request_line(request),
            Event::Response { kind, status, result, .. } => {
                let status = status.map(|s| s.to_string()).unwrap_or_else(|| "---".into());
                let what = match result {
                    ResponseResult::Accepted => "accepted".to_string(),
                    ResponseResult::Ignored => "ignored".to_string(),
                    ResponseResult::NetworkError { reason } => format!("network error: {reason}"),
                    ResponseResult::Rejected { problems } => {
                        let first = problems.first().map(|p| p.to_string()).unwrap_or_default();
                        format!("rejected: {first}")
                    }
                };
                format!("<- {status} {}: {what}", kind.name())
            }
            Event::ProviderSkipped { provider, why, problem } => {
                let p = problem.as_ref().map(|p| format!("\n        {p}")).unwrap_or_default();
                format!("x  provider {provider}: {why}{p}")
            }
            Event::LoginStatusSet { origin, status } => format!("   login status of {origin} := {status:?}"),
            Event::Prompt { prompt } => prompt_line(prompt),
            Event::User { action } => action_line(action),
            Event::ConnectionAdded { connection } => {
                format!("+  connected: account {} of {} to {}", connection.account, connection.idp, connection.rp)
            }
            Event::UserMediationCleared { origin } => {
                format!("   {origin} no longer requires user mediation (a sign-in succeeded)")
            }
            Event::ConnectionRemoved { connection } => {
                format!("-  disconnected: account {} of {} from {}", connection.account, connection.idp, connection.rp)
            }
            Event::TimerStarted { id } => format!("   privacy delay before rejecting (timer {})", id.0),
            Event::TimerFired { id } => format!("   timer {} fired", id.0),
            Event::Note { text } => format!("   note: {text}"),
            Event::Settled { outcome } => match outcome {
                Outcome::Resolve { credential } => format!(
                    "=> resolve: IdentityCredential {{ token: {}, isAutoSelected: {}, configURL: {:?} }}",
                    credential.token(),
                    credential.is_auto_selected(),
                    credential.config_url()
                ),
                Outcome::Reject { error } => {
                    let mut s = format!("=> reject: {}", error.name.as_str());
                    if let Some(code) = &error.code {
                        let _ = write!(s, " {{ error: {code:?}, url: {:?} }}", error.url.clone().unwrap_or_default());
                    }
                    let delay = if error.delayed { ", after the privacy delay" } else { "" };
                    let _ = write!(s, "{delay}\n   why: {} [{}]", error.message, error.reason.id());
                    s
                }
            },
        };
        let _ = writeln!(out, "{indent}{line}");
    }
    if outcome == "resolve" && credential.is_some_and(|c| c.is_null()) {
        let _ = writeln!(out, "{indent}=> disconnect() resolved");
    }
    if let Some(e) = error.filter(|_| trace.outcome().is_none()) {
        let (name, reason) = (e["name"].as_str().unwrap_or(""), e["reason"].as_str().unwrap_or(""));
        let _ = writeln!(out, "{indent}=> reject: {name} [{reason}]");
    }
}
