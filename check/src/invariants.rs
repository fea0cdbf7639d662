//! The spec's safety and privacy properties as functions over a trace.
//!
//! Each invariant reads only the trace (whose first event records the
//! inputs), so it checks runs from any driver: scenario files, property
//! tests, the model checker, fuzzers, the HTTP prober. A property that does
//! not apply to a run (say, a disconnect trace) holds vacuously.

use fedcm_model::machine::browser::{Connection, LoginStatus};
use fedcm_model::machine::fetch::{Credentials, FetchKind, FetchRequest, Method, Redirect, RequestId, RequestMode};
use fedcm_model::machine::outcome::{ErrorName, Outcome};
use fedcm_model::machine::prompt::{Prompt, UserAction};
use fedcm_model::machine::state::State;
use fedcm_model::options::{Mediation, Mode};
use fedcm_model::trace::{EntryKind, Event, ResponseResult, Start, Trace};
use fedcm_model::{is_potentially_trustworthy, registrable_domain, ConfigUrl, Profile};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use url::Url;

/// One property.
pub struct Invariant {
    /// Stable identifier (`I1`..., `T1`...). Numbers are never reused; the
    /// gaps (`I11`, `I19`, `I28`) are properties this model does not check.
    pub id: &'static str,
    /// What must hold, in a phrase.
    pub name: &'static str,
    /// The spec section it comes from.
    pub anchor: &'static str,
    /// Checks a whole trace; `Err` says what broke.
    pub check: fn(&Trace) -> Result<(), String>,
}

/// A property that failed on a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The invariant's [`Invariant::id`].
    pub id: &'static str,
    /// The invariant's [`Invariant::name`].
    pub name: &'static str,
    /// The invariant's [`Invariant::anchor`].
    pub anchor: &'static str,
    /// What broke, with the events involved.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} (spec #{}): {}", self.id, self.name, self.anchor, self.message)
    }
}

impl std::error::Error for Violation {}

/// Checks every invariant.
pub fn check_all(trace: &Trace) -> Vec<Violation> {
    ALL.iter()
        .filter_map(|inv| {
            (inv.check)(trace).err().map(|message| Violation {
                id: inv.id,
                name: inv.name,
                anchor: inv.anchor,
                message,
            })
        })
        .collect()
}

/// Every invariant the model checks, in id order.
pub const ALL: &[Invariant] = &[
    Invariant {
        id: "I1",
        name: "no-assertion-without-permission",
        anchor: "create-identity-credential",
        check: no_assertion_without_permission,
    },
    Invariant {
        id: "I2",
        name: "at-most-one-assertion",
        anchor: "create-identity-credential",
        check: at_most_one_assertion,
    },
    Invariant {
        id: "I3",
        name: "auto-reauthn-respects-mediation",
        anchor: "create-identity-credential",
        check: auto_reauthn_respects_mediation,
    },
    Invariant {
        id: "I4",
        name: "auto-reauthn-only-for-a-connected-account",
        anchor: "browser-connected-accounts-set",
        check: auto_reauthn_only_connected,
    },
    Invariant { id: "I5", name: "silent-is-silent", anchor: "create-identity-credential", check: silent_is_silent },
    Invariant { id: "I6", name: "same-origin-endpoints", anchor: "helper-algorithms", check: same_origin_endpoints },
    Invariant { id: "I7", name: "fixed-well-known-location", anchor: "fetch-config-file", check: fixed_well_known },
    Invariant {
        id: "I8",
        name: "uncredentialed-manifests-pictures-metadata",
        anchor: "idp-api",
        check: uncredentialed_metadata,
    },
    Invariant {
        id: "I9",
        name: "accounts-fetch-reveals-nothing-about-the-rp",
        anchor: "fetch-accounts",
        check: accounts_reveal_nothing,
    },
    Invariant { id: "I10", name: "fetch-ordering", anchor: "fetch-config-file", check: fetch_ordering },
    Invariant {
        id: "I12",
        name: "logged-out-passive-means-no-accounts-fetch",
        anchor: "create-identity-credential",
        check: logged_out_no_accounts,
    },
    Invariant {
        id: "I13",
        name: "accounts-response-updates-login-status",
        anchor: "create-identity-credential",
        check: login_status_updates,
    },
    Invariant {
        id: "I14",
        name: "no-silent-tracking-after-a-credentialed-fetch",
        anchor: "create-identity-credential",
        check: no_silent_tracking,
    },
    Invariant {
        id: "I15",
        name: "token-only-from-the-assertion",
        anchor: "fetch-identity-assertion",
        check: token_only_from_assertion,
    },
    Invariant {
        id: "I16",
        name: "credential-fields",
        anchor: "browser-api-identity-credential-interface",
        check: credential_fields,
    },
    Invariant {
        id: "I17",
        name: "assertion-body-agrees-with-the-credential",
        anchor: "fetch-identity-assertion",
        check: assertion_body_agrees,
    },
    Invariant {
        id: "I18",
        name: "only-shown-accounts-are-chosen",
        anchor: "create-identity-credential",
        check: only_shown_accounts,
    },
    Invariant { id: "I20", name: "no-redirects-on-pinned-endpoints", anchor: "network-requests", check: no_redirects },
    Invariant { id: "I21", name: "fedcm-destination", anchor: "unauthorized-fetching", check: fedcm_destination },
    Invariant {
        id: "I22",
        name: "assertion-and-disconnect-are-cors-with-the-rp-origin",
        anchor: "fetch-identity-assertion",
        check: cors_posts,
    },
    Invariant {
        id: "I23",
        name: "error-url-confined-to-the-idp-site",
        anchor: "fetch-identity-assertion",
        check: error_url_confined,
    },
    Invariant {
        id: "I24",
        name: "error-dialog-before-identity-credential-error",
        anchor: "create-identity-credential",
        check: error_ui_first,
    },
    Invariant {
        id: "I25",
        name: "connections-only-on-success",
        anchor: "fetch-identity-assertion",
        check: connections_on_success,
    },
    Invariant {
        id: "I26",
        name: "disconnect-is-bounded",
        anchor: "browser-api-identity-credential-disconnect",
        check: disconnect_bounded,
    },
    Invariant {
        id: "I27",
        name: "active-mode-needs-a-gesture-and-one-provider",
        anchor: "create-identity-credential",
        check: active_gate,
    },
    Invariant {
        id: "I29",
        name: "privacy-delay-matches-the-failure-kind",
        anchor: "browser-api-rp-sign-in",
        check: privacy_delay,
    },
    Invariant {
        id: "I30",
        name: "duplicate-idp-origins-are-rejected",
        anchor: "create-identity-credential",
        check: duplicates_rejected,
    },
    Invariant {
        id: "I31",
        name: "login-popup-goes-only-to-login-url",
        anchor: "helper-algorithms",
        check: login_popup_url,
    },
    Invariant { id: "T1", name: "exactly-one-outcome-last", anchor: "browser-api-rp-sign-in", check: one_outcome },
    Invariant {
        id: "T2",
        name: "rejection-reveals-nothing-the-spec-hides",
        anchor: "privacy-principals",
        check: rejection_reveals_nothing,
    },
    Invariant {
        id: "T3",
        name: "nothing-sent-after-settling",
        anchor: "browser-api-rp-sign-in",
        check: nothing_after_settle,
    },
];

// ---- helpers ----

fn requests(t: &Trace) -> impl Iterator<Item = (usize, &FetchRequest)> {
    t.events.iter().enumerate().filter_map(|(i, e)| match e {
        Event::Request { request } => Some((i, request)),
        _ => None,
    })
}

fn settled_at(t: &Trace) -> Option<(usize, &Outcome)> {
    t.events.iter().enumerate().find_map(|(i, e)| match e {
        Event::Settled { outcome } => Some((i, outcome)),
        _ => None,
    })
}

/// The inputs of a `get()` run whose options were valid.
fn start(t: &Trace) -> Option<(&Start, &fedcm_model::options::RequestOptions)> {
    let s = t.start()?;
    Some((s, s.options.as_ref()?))
}

/// The RP's request for `provider`, an index the trace gave: a trace that
/// names a provider the options do not have is a violation, not a panic.
fn requested(
    o: &fedcm_model::options::RequestOptions,
    provider: usize,
) -> Result<&fedcm_model::options::ProviderRequest, String> {
    o.providers
        .get(provider)
        .ok_or_else(|| format!("the trace names provider {provider}, but the options have {}", o.providers.len()))
}

fn config_url(t: &Trace, provider: usize) -> Option<ConfigUrl> {
    let (_, o) = start(t)?;
    o.providers.get(provider)?.config_url.clone().ok()
}

fn idp_origin(t: &Trace, provider: usize) -> Option<String> {
    config_url(t, provider).map(|c| c.url().origin().ascii_serialization())
}

fn ensure(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(message())
    }
}

// ---- the properties ----

/// I1: every assertion request follows a choice in the chooser or the auto
/// re-authentication decision.
fn no_assertion_without_permission(t: &Trace) -> Result<(), String> {
    for (at, r) in requests(t).filter(|(_, r)| r.kind == FetchKind::Assertion) {
        let permitted = t.events[..at]
            .iter()
            .any(|e| matches!(e, Event::User { action: UserAction::Choose { .. } } | Event::AutoSelected { .. }));
        ensure(permitted, || format!("assertion request {:?} without a choice or auto re-authentication", r.id))?;
    }
    Ok(())
}

/// I2
fn at_most_one_assertion(t: &Trace) -> Result<(), String> {
    let n = requests(t).filter(|(_, r)| r.kind == FetchKind::Assertion).count();
    ensure(n <= 1, || format!("{n} assertion requests in one get()"))
}

/// I3
fn auto_reauthn_respects_mediation(t: &Trace) -> Result<(), String> {
    let Some((s, o)) = start(t) else { return Ok(()) };
    let auto = t.events.iter().any(|e| matches!(e, Event::AutoSelected { .. }));
    if !auto {
        return Ok(());
    }
    ensure(o.mediation != Mediation::Required, || "auto re-authentication under mediation \"required\"".into())?;
    ensure(!s.browser.requires_user_mediation.contains(&s.rp), || {
        "auto re-authentication although the RP requires user mediation".into()
    })
}

/// I4: the auto-selected account was the only eligible one across every
/// provider (connected before the request, and not vetoed by its
/// `approved_clients`), and no provider was a mismatch.
fn auto_reauthn_only_connected(t: &Trace) -> Result<(), String> {
    let Some((s, o)) = start(t) else { return Ok(()) };
    let Some((provider, account_id)) = t.events.iter().find_map(|e| match e {
        Event::AutoSelected { provider, account_id } => Some((*provider, account_id.clone())),
        _ => None,
    }) else {
        return Ok(());
    };
    let mismatch = t.events.iter().any(|e| matches!(e, Event::ProviderEntry { entry: EntryKind::Mismatch, .. }));
    ensure(!mismatch, || "auto re-authentication while a provider was a mismatch".into())?;
    let mut eligible = Vec::new();
    for e in &t.events {
        let Event::ProviderEntry { provider: p, accounts, approved_clients, .. } = e else { continue };
        let idp = idp_origin(t, *p).unwrap_or_default();
        let client = &requested(o, *p)?.client_id;
        for (a, approved) in accounts.iter().zip(approved_clients) {
            let connection =
                Connection { embedder: s.embedder.clone(), rp: s.rp.clone(), idp: idp.clone(), account: a.clone() };
            let vetoed = approved.as_ref().is_some_and(|c| !c.contains(client));
            if s.browser.connections.contains(&connection) && !vetoed {
                eligible.push((*p, a.clone()));
            }
        }
    }
    ensure(eligible == [(provider, account_id.clone())], || {
        format!("auto-selected {account_id:?} but the eligible accounts were {eligible:?}")
    })
}

/// I5: silent mediation asks the person nothing before the auto
/// re-authentication decision, and never shows the chooser or a login
/// dialog; providers without a connection get no request at all. After an
/// auto re-authentication the error dialog the spec requires (and a
/// continuation pop-up) may follow: `fedcm explore` found that a bare "no
/// UI under silent" contradicts the MUST-show error UI.
fn silent_is_silent(t: &Trace) -> Result<(), String> {
    let Some((s, o)) = start(t) else { return Ok(()) };
    if o.mediation != Mediation::Silent {
        return Ok(());
    }
    let mut auto = false;
    for e in &t.events {
        match e {
            Event::AutoSelected { .. } => auto = true,
            Event::Prompt { prompt } => {
                let allowed = auto && matches!(prompt, Prompt::ErrorDialog { .. } | Prompt::ContinuationPopup { .. });
                ensure(allowed, || format!("{} shown under silent mediation", prompt.name()))?;
            }
            _ => {}
        }
    }
    let connected: BTreeSet<&str> = s
        .browser
        .connections
        .iter()
        .filter(|c| c.rp == s.rp && c.embedder == s.embedder)
        .map(|c| c.idp.as_str())
        .collect();
    for (_, r) in requests(t) {
        let Some(idp) = idp_origin(t, r.provider) else { continue };
        ensure(connected.contains(idp.as_str()), || {
            format!("silent mediation fetched {} for an IdP with no connection", r.url)
        })?;
    }
    Ok(())
}

/// I6: credentialed and config-derived requests stay on the config's origin
/// and are potentially trustworthy; so do the login pop-up and (spec) the
/// continuation pop-up.
fn same_origin_endpoints(t: &Trace) -> Result<(), String> {
    let pinned = [FetchKind::Config, FetchKind::Accounts, FetchKind::ClientMetadata, FetchKind::Assertion];
    for (_, r) in requests(t).filter(|(_, r)| pinned.contains(&r.kind)) {
        let Some(cfg) = config_url(t, r.provider) else { continue };
        ensure(r.url.origin() == cfg.url().origin(), || format!("{} is not on {}", r.url, cfg))?;
        ensure(is_potentially_trustworthy(&r.url), || format!("{} is not potentially trustworthy", r.url))?;
    }
    let assertion_url = requests(t).find(|(_, r)| r.kind == FetchKind::Assertion).map(|(_, r)| r.url.clone());
    for p in t.prompts() {
        match p {
            Prompt::LoginPopup { provider, url } => {
                let Some(cfg) = config_url(t, *provider) else { continue };
                ensure(url.origin() == cfg.url().origin(), || format!("login pop-up {url} is not on {cfg}"))?;
            }
            Prompt::ContinuationPopup { url, .. } => {
                let Some(a) = &assertion_url else { return Err("continuation pop-up without an assertion".into()) };
                ensure(url.origin() == a.origin(), || format!("continuation pop-up {url} is not on {a}"))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// I7: the first well-known request of a provider goes to the fixed
/// location, without credentials or an RP origin.
fn fixed_well_known(t: &Trace) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for (_, r) in requests(t).filter(|(_, r)| r.kind == FetchKind::WellKnown) {
        ensure(r.credentials == Credentials::Omit && r.origin.is_none(), || "credentialed well-known fetch".into())?;
        if seen.insert(r.provider) {
            if let Some(cfg) = config_url(t, r.provider) {
                let want = cfg.well_known_url();
                ensure(r.url == want, || format!("well-known fetched at {} instead of {want}", r.url))?;
            }
        }
    }
    Ok(())
}

/// I8
fn uncredentialed_metadata(t: &Trace) -> Result<(), String> {
    let kinds = [FetchKind::WellKnown, FetchKind::Config, FetchKind::Picture, FetchKind::ClientMetadata];
    for (_, r) in requests(t).filter(|(_, r)| kinds.contains(&r.kind)) {
        ensure(r.credentials == Credentials::Omit, || format!("{} fetch of {} carries cookies", r.kind.name(), r.url))?;
    }
    Ok(())
}

/// I9: the accounts request is a plain credentialed GET that names neither
/// the RP nor the client.
fn accounts_reveal_nothing(t: &Trace) -> Result<(), String> {
    let Some((s, o)) = start(t) else { return Ok(()) };
    for (_, r) in requests(t).filter(|(_, r)| r.kind == FetchKind::Accounts) {
        ensure(r.method == Method::Get && r.body.is_none(), || "accounts request is not a bodiless GET".into())?;
        ensure(r.origin.is_none() && r.header("Origin").is_none(), || "accounts request names the RP origin".into())?;
        ensure(r.header("Referer").is_none(), || "accounts request has a Referer".into())?;
        let client = &requested(o, r.provider)?.client_id;
        let query = r.url.query().unwrap_or("");
        ensure(!query.contains("client_id") && (client.is_empty() || !query.contains(client.as_str())), || {
            format!("accounts URL {} carries the client id", r.url)
        })?;
        ensure(!r.url.as_str().contains(&s.rp), || format!("accounts URL {} names the RP", r.url))?;
    }
    Ok(())
}

/// I10: accounts only after the config (and, cross-site, the well-known
/// file) was accepted; the assertion only after accepted accounts.
///
/// One pass over the trace, keeping what was sent and accepted so far per
/// (provider, kind): linear in the trace, however many providers.
fn fetch_ordering(t: &Trace) -> Result<(), String> {
    let mut kind_of: BTreeMap<RequestId, (usize, FetchKind)> = BTreeMap::new();
    let mut accepted_ids: BTreeSet<RequestId> = BTreeSet::new();
    let mut sent: BTreeSet<(usize, FetchKind)> = BTreeSet::new();
    let mut accepted: BTreeSet<(usize, FetchKind)> = BTreeSet::new();
    for e in &t.events {
        match e {
            Event::Response { id, result: ResponseResult::Accepted, .. } => {
                accepted_ids.insert(*id);
                if let Some(key) = kind_of.get(id) {
                    accepted.insert(*key);
                }
            }
            Event::Request { request: r } => {
                let ok = |kind| accepted.contains(&(r.provider, kind));
                match r.kind {
                    FetchKind::Accounts => {
                        ensure(ok(FetchKind::Config), || "accounts fetched before a valid config".into())?;
                        if sent.contains(&(r.provider, FetchKind::WellKnown)) {
                            ensure(ok(FetchKind::WellKnown), || {
                                "accounts fetched before the well-known file was accepted".into()
                            })?;
                        }
                    }
                    FetchKind::Assertion => {
                        ensure(ok(FetchKind::Accounts), || "assertion before accepted accounts".into())?;
                    }
                    _ => {}
                }
                let key = (r.provider, r.kind);
                kind_of.insert(r.id, key);
                sent.insert(key);
                if accepted_ids.contains(&r.id) {
                    accepted.insert(key);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// I12: a provider logged out at the start gets no accounts request in
/// passive mode (or silent), unless a login pop-up succeeded first.
fn logged_out_no_accounts(t: &Trace) -> Result<(), String> {
    let Some((s, o)) = start(t) else { return Ok(()) };
    if o.mode == Mode::Active && o.mediation != Mediation::Silent {
        return Ok(());
    }
    let mut logged_in_first = false;
    for e in &t.events {
        let r = match e {
            Event::User { action: UserAction::LoggedIn } => {
                logged_in_first = true;
                continue;
            }
            Event::Request { request } if request.kind == FetchKind::Accounts => request,
            _ => continue,
        };
        let Some(idp) = idp_origin(t, r.provider) else { continue };
        if s.browser.login_status(&idp) != LoginStatus::LoggedOut {
            continue;
        }
        ensure(logged_in_first, || format!("accounts fetched from logged-out {idp}"))?;
    }
    Ok(())
}

/// I13: every accounts response that was read sets the IdP's login status.
fn login_status_updates(t: &Trace) -> Result<(), String> {
    for (at, e) in t.events.iter().enumerate() {
        let Event::Response { kind: FetchKind::Accounts, result, .. } = e else { continue };
        if matches!(result, ResponseResult::Ignored) {
            continue;
        }
        let set = t.events[at + 1..]
            .iter()
            .take_while(|e| !matches!(e, Event::Response { .. }))
            .any(|e| matches!(e, Event::LoginStatusSet { .. }));
        ensure(set, || "an accounts response did not update the login status".into())?;
    }
    Ok(())
}

/// I14: credentials went to an IdP that was logged in, and no account came
/// back (empty, rejected or all filtered out): outside silent mediation some
/// UI follows, and nothing is auto-selected.
fn no_silent_tracking(t: &Trace) -> Result<(), String> {
    let Some((s, o)) = start(t) else { return Ok(()) };
    if o.mediation == Mediation::Silent {
        return Ok(());
    }
    let fetched: BTreeSet<usize> =
        requests(t).filter(|(_, r)| r.kind == FetchKind::Accounts).map(|(_, r)| r.provider).collect();
    let empty_after_credentials = t.events.iter().any(|e| match e {
        Event::ProviderEntry { provider, accounts, .. } if accounts.is_empty() => {
            let idp = idp_origin(t, *provider).unwrap_or_default();
            s.browser.login_status(&idp) == LoginStatus::LoggedIn && fetched.contains(provider)
        }
        _ => false,
    });
    if !empty_after_credentials {
        return Ok(());
    }
    let auto = t.events.iter().any(|e| matches!(e, Event::AutoSelected { .. }));
    ensure(!auto, || "auto re-authentication after a mismatch".into())?;
    let Some((settled, _)) = settled_at(t) else { return Ok(()) };
    let aborted = matches!(settled_at(t), Some((_, Outcome::Reject { error })) if error.name == ErrorName::AbortError);
    let ui = t.events[..settled].iter().any(|e| matches!(e, Event::Prompt { .. }));
    ensure(ui || aborted || o.mediation == Mediation::Silent, || "a mismatch ended without any UI".into())
}

/// I15: a resolved credential's token is the one the assertion response (or
/// `IdentityProvider.resolve()` in the continuation pop-up) gave.
fn token_only_from_assertion(t: &Trace) -> Result<(), String> {
    let Some((at, Outcome::Resolve { credential })) = settled_at(t) else { return Ok(()) };
    let source = t.events[..at].iter().rev().find_map(|e| match e {
        Event::TokenReceived { token, .. } => Some(token.clone()),
        Event::User { action: UserAction::Resolve { token, .. } } => Some(token.clone()),
        _ => None,
    });
    match source {
        None => Err("resolved without an assertion token or a resolve() call".into()),
        Some(token) => {
            ensure(&token == credential.token(), || format!("token {} differs from {token}", credential.token()))
        }
    }
}

/// I16: `configURL` is the RP's string for the provider the assertion went
/// to; `isAutoSelected` is true exactly when auto re-authentication chose.
fn credential_fields(t: &Trace) -> Result<(), String> {
    let Some((_, Outcome::Resolve { credential })) = settled_at(t) else { return Ok(()) };
    let Some((_, o)) = start(t) else { return Ok(()) };
    let Some((_, assertion)) = requests(t).find(|(_, r)| r.kind == FetchKind::Assertion) else {
        return Err("resolved without an assertion request".into());
    };
    let raw = &requested(o, assertion.provider)?.config_url_raw;
    ensure(credential.config_url() == raw, || format!("configURL {} is not the RP's {raw}", credential.config_url()))?;
    let auto = t.events.iter().any(|e| matches!(e, Event::AutoSelected { .. }));
    ensure(credential.is_auto_selected() == auto, || "isAutoSelected disagrees with the decision".into())
}

/// I17: the POST body names the provider's client, the chosen account and
/// the same `is_auto_selected` as the credential.
fn assertion_body_agrees(t: &Trace) -> Result<(), String> {
    let Some((_, o)) = start(t) else { return Ok(()) };
    for (at, r) in requests(t).filter(|(_, r)| r.kind == FetchKind::Assertion) {
        let client = &requested(o, r.provider)?.client_id;
        ensure(r.form_field("client_id").as_deref() == Some(client.as_str()), || "client_id differs".into())?;
        let chosen = t.events[..at].iter().rev().find_map(|e| match e {
            Event::User { action: UserAction::Choose { account_id, .. } } => Some(account_id.clone()),
            Event::AutoSelected { account_id, .. } => Some(account_id.clone()),
            _ => None,
        });
        ensure(r.form_field("account_id") == chosen, || "account_id is not the chosen account".into())?;
        let auto = t.events[..at].iter().any(|e| matches!(e, Event::AutoSelected { .. }));
        ensure(r.form_field("is_auto_selected").as_deref() == Some(if auto { "true" } else { "false" }), || {
            "is_auto_selected disagrees with the decision".into()
        })?;
        if let Some(Outcome::Resolve { credential }) = settled_at(t).map(|(_, o)| o) {
            ensure(credential.is_auto_selected() == auto, || "credential and body disagree".into())?;
        }
    }
    Ok(())
}

/// I18: a chosen account was in the chooser the person answered.
fn only_shown_accounts(t: &Trace) -> Result<(), String> {
    let mut shown: Option<&Prompt> = None;
    for e in &t.events {
        match e {
            Event::Prompt { prompt } => shown = Some(prompt),
            Event::User { action: UserAction::Choose { account_id, .. } } => {
                let Some(Prompt::AccountChooser { accounts, .. }) = shown else {
                    return Err("an account was chosen with no chooser shown".into());
                };
                ensure(accounts.iter().any(|a| &a.account_id == account_id), || {
                    format!("account {account_id:?} was not shown")
                })?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// I20: pinned endpoints refuse redirects, and a redirect never leads to a
/// request of the same kind elsewhere.
fn no_redirects(t: &Trace) -> Result<(), String> {
    let pinned = [
        FetchKind::Config,
        FetchKind::Accounts,
        FetchKind::ClientMetadata,
        FetchKind::Assertion,
        FetchKind::Disconnect,
    ];
    for (_, r) in requests(t).filter(|(_, r)| pinned.contains(&r.kind)) {
        ensure(r.redirect == Redirect::Error, || format!("{} fetch follows redirects", r.kind.name()))?;
    }
    let mut seen = std::collections::BTreeMap::new();
    for (_, r) in requests(t).filter(|(_, r)| pinned.contains(&r.kind) && r.kind != FetchKind::Accounts) {
        let n = seen.entry((r.provider, r.kind)).or_insert(0);
        *n += 1;
        ensure(*n == 1, || format!("{} fetched twice", r.kind.name()))?;
    }
    Ok(())
}

/// I21: every request says it is FedCM's (pictures are images).
fn fedcm_destination(t: &Trace) -> Result<(), String> {
    for (_, r) in requests(t) {
        let want = if r.kind == FetchKind::Picture { "image" } else { "webidentity" };
        ensure(r.header("Sec-Fetch-Dest") == Some(want), || format!("{} without Sec-Fetch-Dest: {want}", r.url))?;
    }
    Ok(())
}

/// I22: the assertion and disconnect POSTs are credentialed CORS requests
/// from the RP's origin, and a CORS failure never resolves.
fn cors_posts(t: &Trace) -> Result<(), String> {
    let rp = match (t.start(), t.events.first()) {
        (Some(s), _) => s.rp.clone(),
        (None, Some(Event::StartDisconnect { rp, .. })) => rp.clone(),
        _ => return Ok(()),
    };
    for (_, r) in requests(t).filter(|(_, r)| matches!(r.kind, FetchKind::Assertion | FetchKind::Disconnect)) {
        ensure(
            r.method == Method::Post && r.mode == RequestMode::Cors && r.credentials == Credentials::Include,
            || format!("{} is not a credentialed CORS POST", r.kind.name()),
        )?;
        ensure(r.origin.as_deref() == Some(rp.as_str()) && r.header("Origin") == Some(rp.as_str()), || {
            format!("{} does not carry Origin {rp}", r.kind.name())
        })?;
    }
    // A resolved run's assertion response must have passed CORS, judged on
    // its own headers.
    if let Some((at, Outcome::Resolve { .. })) = settled_at(t) {
        let continued = t.events[..at].iter().any(|e| matches!(e, Event::User { action: UserAction::Resolve { .. } }));
        let response = t.events[..at].iter().rev().find_map(|e| match e {
            Event::Response { kind: FetchKind::Assertion, access_control, .. } => Some(access_control),
            _ => None,
        });
        if let (Some(headers), false) = (response, continued && response.is_none()) {
            let get = |name: &str| headers.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim());
            ensure(get("access-control-allow-origin") == Some(rp.as_str()), || {
                format!("resolved although Access-Control-Allow-Origin is {:?}", get("access-control-allow-origin"))
            })?;
            ensure(get("access-control-allow-credentials") == Some("true"), || {
                "resolved although credentials were not allowed by CORS".into()
            })?;
        }
    }
    Ok(())
}

/// I23: an error URL given to the RP is on the assertion endpoint's site.
fn error_url_confined(t: &Trace) -> Result<(), String> {
    let Some((_, Outcome::Reject { error })) = settled_at(t) else { return Ok(()) };
    let Some(url) = error.url.as_deref().filter(|u| !u.is_empty()) else { return Ok(()) };
    let Some((_, assertion)) = requests(t).find(|(_, r)| r.kind == FetchKind::Assertion) else {
        return Err("an error url without an assertion request".into());
    };
    let url = Url::parse(url).map_err(|e| format!("error url {url:?} is not a URL: {e}"))?;
    let same = match (registrable_domain(&url), registrable_domain(&assertion.url)) {
        (Some(a), Some(b)) => a == b,
        _ => url.host_str() == assertion.url.host_str(),
    };
    ensure(same && is_potentially_trustworthy(&url), || format!("error url {url} leaves the IdP's site"))
}

/// I24: an `IdentityCredentialError` follows a shown and answered error dialog.
fn error_ui_first(t: &Trace) -> Result<(), String> {
    let Some((at, Outcome::Reject { error })) = settled_at(t) else { return Ok(()) };
    if error.name != ErrorName::IdentityCredentialError {
        return Ok(());
    }
    let dialog = t.events[..at].iter().rposition(|e| matches!(e, Event::Prompt { prompt: Prompt::ErrorDialog { .. } }));
    let Some(d) = dialog else { return Err("IdentityCredentialError without the error dialog".into()) };
    let answered = t.events[d..at].iter().any(|e| matches!(e, Event::User { .. }));
    ensure(answered, || "rejected before the error dialog was dismissed".into())
}

/// I25: a connection is added only after a token, for the resolved account,
/// and a resolved run leaves that connection in place.
fn connections_on_success(t: &Trace) -> Result<(), String> {
    let Some((s, _)) = start(t) else { return Ok(()) };
    for (at, e) in t.events.iter().enumerate() {
        if let Event::ConnectionAdded { connection } = e {
            let token_before = t.events[..at]
                .iter()
                .any(|e| matches!(e, Event::TokenReceived { .. } | Event::User { action: UserAction::Resolve { .. } }));
            ensure(token_before, || format!("connection {connection:?} added before any token"))?;
            ensure(connection.rp == s.rp && connection.embedder == s.embedder, || "connection for another RP".into())?;
        }
    }
    if let Some((at, Outcome::Resolve { .. })) = settled_at(t) {
        let resolved_account = t.events[..at].iter().rev().find_map(|e| match e {
            Event::User { action: UserAction::Resolve { account_id: Some(a), .. } } => Some(a.clone()),
            Event::User { action: UserAction::Choose { account_id, .. } } => Some(account_id.clone()),
            Event::AutoSelected { account_id, .. } => Some(account_id.clone()),
            _ => None,
        });
        let added = t.events.iter().any(|e| matches!(e, Event::ConnectionAdded { connection } if Some(&connection.account) == resolved_account.as_ref()));
        let existed =
            s.browser.connections.iter().any(|c| Some(&c.account) == resolved_account.as_ref() && c.rp == s.rp);
        ensure(added || existed, || "resolved without the connection in place".into())?;
    }
    Ok(())
}

/// I26: `disconnect()` sends its credentialed POST only when some account
/// is connected, and once sent, at least one connection is removed.
fn disconnect_bounded(t: &Trace) -> Result<(), String> {
    let Some(Event::StartDisconnect { rp, embedder, config_url, browser, .. }) = t.events.first() else {
        return Ok(());
    };
    let sent = requests(t).any(|(_, r)| r.kind == FetchKind::Disconnect);
    if !sent {
        return Ok(());
    }
    let idp = ConfigUrl::parse(config_url).map(|c| c.url().origin().ascii_serialization()).unwrap_or_default();
    ensure(browser.has_connection(embedder, rp, &idp), || "disconnect request with no connection".into())?;
    let answered = t.events.iter().any(|e| matches!(e, Event::Response { kind: FetchKind::Disconnect, .. }));
    let removed = t.events.iter().any(|e| matches!(e, Event::ConnectionRemoved { .. }));
    ensure(!answered || removed, || "a disconnect request removed no connection".into())
}

/// I27: active mode without a gesture or with several providers fails at
/// once, with no request.
fn active_gate(t: &Trace) -> Result<(), String> {
    let Some((s, o)) = start(t) else { return Ok(()) };
    if o.mode != Mode::Active || (o.providers.len() == 1 && s.browser.transient_activation) {
        return Ok(());
    }
    ensure(requests(t).next().is_none(), || "active mode fetched without a gesture or with several providers".into())?;
    match settled_at(t) {
        Some((_, Outcome::Reject { error })) => {
            ensure(!error.delayed, || "the active-mode gate failure was delayed".into())
        }
        _ => Err("active-mode gate did not reject".into()),
    }
}

/// I29: the privacy delay (a timer) comes exactly before delayed rejections;
/// a choice the person made is never held back. The spec delays the
/// "no provider / not signed in / silent" failures; Chromium only in
/// passive, non-silent mode.
fn privacy_delay(t: &Trace) -> Result<(), String> {
    let Some((at, Outcome::Reject { error })) = settled_at(t) else { return Ok(()) };
    let timer = t.events[..at].iter().any(|e| matches!(e, Event::TimerFired { .. }));
    ensure(timer == error.delayed, || format!("delayed = {} but timer fired = {timer}", error.delayed))?;
    use fedcm_model::machine::outcome::Reason::*;
    let always_immediate = matches!(
        error.reason,
        UserCancelled
            | LoginPopupFailed
            | ContinuationClosedByUser
            | ContinuationClosedByIdp
            | Aborted
            | DuplicateProvider
    );
    ensure(!(always_immediate && error.delayed), || format!("{} was delayed", error.reason.id()))?;
    if let Some(s) = t.start() {
        if s.profile == Profile::Spec && matches!(error.reason, NoProviderLeft | NotSignedIn | SilentWithoutAutoReauthn)
        {
            ensure(error.delayed, || format!("{} was not delayed", error.reason.id()))?;
        }
    }
    Ok(())
}

/// I30: two providers on one origin end the request with no request sent.
fn duplicates_rejected(t: &Trace) -> Result<(), String> {
    let Some((s, o)) = start(t) else { return Ok(()) };
    // The spec compares origins; Chromium compares config URLs.
    let keys: Vec<String> = match s.profile {
        Profile::Spec => (0..o.providers.len()).filter_map(|i| idp_origin(t, i)).collect(),
        Profile::Chromium => o.providers.iter().map(|p| p.config_url_raw.clone()).collect(),
    };
    let mut seen = BTreeSet::new();
    let dup = !keys.iter().all(|k| seen.insert(k));
    if !dup {
        return Ok(());
    }
    ensure(!requests(t).any(|(_, r)| r.kind == FetchKind::Assertion), || "assertion despite duplicate IdPs".into())?;
    match settled_at(t) {
        Some((_, Outcome::Reject { .. })) => Ok(()),
        Some((_, Outcome::Resolve { .. })) => Err("resolved despite duplicate IdP origins".into()),
        None => Ok(()),
    }
}

/// I31: the login pop-up URL carries only `login_hint` and `domain_hint`,
/// each iff the RP gave a non-empty one.
fn login_popup_url(t: &Trace) -> Result<(), String> {
    let Some((_, o)) = start(t) else { return Ok(()) };
    for p in t.prompts() {
        let Prompt::LoginPopup { provider, url } = p else { continue };
        let req = requested(o, *provider)?;
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        for (hint, value) in [("login_hint", &req.login_hint), ("domain_hint", &req.domain_hint)] {
            let want = value.as_deref().filter(|v| !v.is_empty());
            let got = pairs.iter().rev().find(|(k, _)| k == hint).map(|(_, v)| v.as_str());
            ensure(want.is_none() || got == want, || format!("login pop-up {url} lacks {hint}"))?;
        }
    }
    Ok(())
}

/// T1: a `get()` settles once, and nothing happens after it but ignored
/// late responses and notes.
fn one_outcome(t: &Trace) -> Result<(), String> {
    let settled = t.events.iter().filter(|e| matches!(e, Event::Settled { .. })).count();
    if t.start().is_none() {
        return Ok(());
    }
    ensure(settled <= 1, || format!("{settled} outcomes"))?;
    if let Some((at, _)) = settled_at(t) {
        let later = t.events[at + 1..]
            .iter()
            .all(|e| matches!(e, Event::Note { .. } | Event::Response { result: ResponseResult::Ignored, .. }));
        ensure(later, || "events after the outcome".into())?;
    }
    Ok(())
}

/// T2: what JavaScript sees of a rejection: `IdentityCredentialError`
/// (with `error`/`url`) only from the assertion step; every other failure
/// is a bare exception with no IdP detail.
fn rejection_reveals_nothing(t: &Trace) -> Result<(), String> {
    let Some((_, Outcome::Reject { error })) = settled_at(t) else { return Ok(()) };
    if error.name == ErrorName::IdentityCredentialError {
        let asserted = t.states().any(|s| s == State::FetchIdentityAssertion);
        ensure(asserted, || "IdentityCredentialError outside the assertion step".into())
    } else {
        ensure(error.code.is_none() && error.url.is_none(), || format!("{} carries IdP detail", error.name.as_str()))
    }
}

/// T3: no request is handed out once the outcome is settled.
fn nothing_after_settle(t: &Trace) -> Result<(), String> {
    let Some((at, _)) = settled_at(t) else { return Ok(()) };
    ensure(!t.events[at..].iter().any(|e| matches!(e, Event::Request { .. })), || "a request after settling".into())
}
