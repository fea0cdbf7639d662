//! Invariants about what the RP gets: the token, the credential's fields,
//! the error it may see, the connections recorded, and the trace's shape
//! around the one outcome.

use super::*;

/// I15: a resolved credential's token is the one the assertion response (or
/// `IdentityProvider.resolve()` in the continuation pop-up) gave.
pub(super) fn token_only_from_assertion(t: &Trace) -> Result<(), String> {
    let Some((at, Outcome::Resolve { credential })) = settled_at(t) else { return Ok(()) };
    let source = before(t, at).iter().rev().find_map(|e| match e {
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
pub(super) fn credential_fields(t: &Trace) -> Result<(), String> {
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
pub(super) fn assertion_body_agrees(t: &Trace) -> Result<(), String> {
    let Some((_, o)) = start(t) else { return Ok(()) };
    for (at, r) in requests(t).filter(|(_, r)| r.kind == FetchKind::Assertion) {
        let client = &requested(o, r.provider)?.client_id;
        ensure(r.form_field("client_id").as_deref() == Some(client.as_str()), || "client_id differs".into())?;
        let chosen = before(t, at).iter().rev().find_map(|e| match e {
            Event::User { action: UserAction::Choose { account_id, .. } } => Some(account_id.clone()),
            Event::AutoSelected { account_id, .. } => Some(account_id.clone()),
            _ => None,
        });
        ensure(r.form_field("account_id") == chosen, || "account_id is not the chosen account".into())?;
        let auto = before(t, at).iter().any(|e| matches!(e, Event::AutoSelected { .. }));
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
pub(super) fn only_shown_accounts(t: &Trace) -> Result<(), String> {
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

/// I23: an error URL given to the RP is on the assertion endpoint's site.
pub(super) fn error_url_confined(t: &Trace) -> Result<(), String> {
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
pub(super) fn error_ui_first(t: &Trace) -> Result<(), String> {
    let Some((at, Outcome::Reject { error })) = settled_at(t) else { return Ok(()) };
    if error.name != ErrorName::IdentityCredentialError {
        return Ok(());
    }
    let dialog = before(t, at)
        .iter()
        .rposition(|e| matches!(e, Event::Prompt { prompt } if matches!(**prompt, Prompt::ErrorDialog { .. })));
    let Some(d) = dialog else { return Err("IdentityCredentialError without the error dialog".into()) };
    let answered = before(t, at).get(d..).unwrap_or_default().iter().any(|e| matches!(e, Event::User { .. }));
    ensure(answered, || "rejected before the error dialog was dismissed".into())
}

/// I25: a connection is added only after a token, for the resolved account,
/// and a resolved run leaves that connection in place.
pub(super) fn connections_on_success(t: &Trace) -> Result<(), String> {
    let Some((s, _)) = start(t) else { return Ok(()) };
    for (at, e) in t.events.iter().enumerate() {
        if let Event::ConnectionAdded { connection } = e {
            let token_before = before(t, at)
                .iter()
                .any(|e| matches!(e, Event::TokenReceived { .. } | Event::User { action: UserAction::Resolve { .. } }));
            ensure(token_before, || format!("connection {connection:?} added before any token"))?;
            ensure(connection.rp == s.rp && connection.embedder == s.embedder, || "connection for another RP".into())?;
        }
    }
    if let Some((at, Outcome::Resolve { .. })) = settled_at(t) {
        let resolved_account = before(t, at).iter().rev().find_map(|e| match e {
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

/// T1: a `get()` settles once, and nothing happens after it but ignored
/// late responses and notes.
pub(super) fn one_outcome(t: &Trace) -> Result<(), String> {
    let settled = t.events.iter().filter(|e| matches!(e, Event::Settled { .. })).count();
    if t.start().is_none() {
        return Ok(());
    }
    ensure(settled <= 1, || format!("{settled} outcomes"))?;
    if let Some((at, _)) = settled_at(t) {
        let later = from(t, at + 1)
            .iter()
            .all(|e| matches!(e, Event::Note { .. } | Event::Response { result: ResponseResult::Ignored, .. }));
        ensure(later, || "events after the outcome".into())?;
    }
    Ok(())
}

/// T2: what JavaScript sees of a rejection: `IdentityCredentialError`
/// (with `error`/`url`) only from the assertion step; every other failure
/// is a bare exception with no IdP detail.
pub(super) fn rejection_reveals_nothing(t: &Trace) -> Result<(), String> {
    let Some((_, Outcome::Reject { error })) = settled_at(t) else { return Ok(()) };
    if error.name == ErrorName::IdentityCredentialError {
        let asserted = t.states().any(|s| s == State::FetchIdentityAssertion);
        ensure(asserted, || "IdentityCredentialError outside the assertion step".into())
    } else {
        ensure(error.code.is_none() && error.url.is_none(), || format!("{} carries IdP detail", error.name.as_str()))
    }
}

/// T3: no request is handed out once the outcome is settled.
pub(super) fn nothing_after_settle(t: &Trace) -> Result<(), String> {
    let Some((at, _)) = settled_at(t) else { return Ok(()) };
    ensure(!from(t, at).iter().any(|e| matches!(e, Event::Request { .. })), || "a request after settling".into())
}
