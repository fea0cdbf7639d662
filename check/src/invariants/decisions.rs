//! Invariants about what the algorithm decides: who may be asked, which
//! account may be used without asking, when credentials may go out, and
//! how failures are delayed or refused.

use super::*;
use fedcm_model::machine::outcome::Reason;
use fedcm_model::profile::rules::{DelayedFailures, DuplicateKey, LoginStatusUse, PassiveProviders};
use fedcm_model::same_site;

/// I1: every assertion request follows a choice in the chooser or the auto
/// re-authentication decision.
pub(super) fn no_assertion_without_permission(t: &Trace) -> Result<(), String> {
    for (at, r) in requests(t).filter(|(_, r)| r.kind == FetchKind::Assertion) {
        let permitted = before(t, at)
            .iter()
            .any(|e| matches!(e, Event::User { action: UserAction::Choose { .. } } | Event::AutoSelected { .. }));
        ensure(permitted, || format!("assertion request {:?} without a choice or auto re-authentication", r.id))?;
    }
    Ok(())
}

/// I2
pub(super) fn at_most_one_assertion(t: &Trace) -> Result<(), String> {
    let n = requests(t).filter(|(_, r)| r.kind == FetchKind::Assertion).count();
    ensure(n <= 1, || format!("{n} assertion requests in one get()"))
}

/// I3
pub(super) fn auto_reauthn_respects_mediation(t: &Trace) -> Result<(), String> {
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
pub(super) fn auto_reauthn_only_connected(t: &Trace) -> Result<(), String> {
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
            let vetoed = approved.as_ref().is_some_and(|c| !c.contains(client));
            if s.browser.is_connected(&s.embedder, &s.rp, idp, a) && !vetoed {
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
pub(super) fn silent_is_silent(t: &Trace) -> Result<(), String> {
    let Some((s, o)) = start(t) else { return Ok(()) };
    if o.mediation != Mediation::Silent {
        return Ok(());
    }
    let mut auto = false;
    for e in &t.events {
        match e {
            Event::AutoSelected { .. } => auto = true,
            Event::Prompt { prompt } => {
                let allowed = auto && matches!(**prompt, Prompt::ErrorDialog { .. } | Prompt::ContinuationPopup { .. });
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
        ensure(connected.contains(idp), || {
            format!("silent mediation fetched {} for an IdP with no connection", r.url)
        })?;
    }
    Ok(())
}

/// I12: a provider logged out at the start gets no accounts request in
/// passive mode (or silent), unless a login pop-up succeeded first.
pub(super) fn logged_out_no_accounts(t: &Trace) -> Result<(), String> {
    let Some((s, o)) = start(t) else { return Ok(()) };
    if !reads_login_status(t) || (o.mode == Mode::Active && o.mediation != Mediation::Silent) {
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
        if s.browser.login_status(idp) != LoginStatus::LoggedOut {
            continue;
        }
        ensure(logged_in_first, || format!("accounts fetched from logged-out {idp}"))?;
    }
    Ok(())
}

/// I32: where the profile keeps passive mode to known IdPs (Firefox,
/// decisions F4), no request goes to an IdP the RP is neither connected to
/// nor same-site with.
pub(super) fn passive_asks_only_known_idps(t: &Trace) -> Result<(), String> {
    let Some((s, o)) = start(t) else { return Ok(()) };
    if o.mode != Mode::Passive || s.profile.rules().passive_providers != PassiveProviders::ConnectedOrSameSite {
        return Ok(());
    }
    let Some(rp) = s.rp_url() else { return Ok(()) };
    for (_, r) in requests(t) {
        let Some(cfg) = config_url(t, r.provider) else { continue };
        let idp = cfg.origin_serialized();
        let known = s.browser.has_connection(&s.embedder, &s.rp, idp) || same_site(rp, cfg.url());
        ensure(known, || {
            format!("passive mode asked {idp}, which the RP neither is connected to nor shares a site with")
        })?;
    }
    Ok(())
}

/// Whether the request reads the Login Status API (Firefox's does not,
/// decisions F4: I12-I14 hold only where it does).
fn reads_login_status(t: &Trace) -> bool {
    // getUserInfo() reads and writes the status only where its profile
    // says so (decisions A42).
    if let Some(Event::StartUserInfo { profile, .. }) = t.events.first() {
        let rules = profile.rules();
        return rules.user_info_reads_login_status && rules.user_info_sets_login_status;
    }
    t.start().is_none_or(|s| s.profile.rules().login_status == LoginStatusUse::Consulted)
}

/// I13: every accounts response that was read sets the IdP's login status.
pub(super) fn login_status_updates(t: &Trace) -> Result<(), String> {
    if !reads_login_status(t) {
        return Ok(());
    }
    for (at, e) in t.events.iter().enumerate() {
        let Event::Response { kind: FetchKind::Accounts, result, .. } = e else { continue };
        if matches!(result, ResponseResult::Ignored) {
            continue;
        }
        let set = from(t, at + 1)
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
pub(super) fn no_silent_tracking(t: &Trace) -> Result<(), String> {
    let Some((s, o)) = start(t) else { return Ok(()) };
    if o.mediation == Mediation::Silent || !reads_login_status(t) {
        return Ok(());
    }
    let fetched: BTreeSet<usize> =
        requests(t).filter(|(_, r)| r.kind == FetchKind::Accounts).map(|(_, r)| r.provider).collect();
    let empty_after_credentials = t.events.iter().any(|e| match e {
        Event::ProviderEntry { provider, accounts, .. } if accounts.is_empty() => {
            let idp = idp_origin(t, *provider).unwrap_or_default();
            s.browser.login_status(idp) == LoginStatus::LoggedIn && fetched.contains(provider)
        }
        _ => false,
    });
    if !empty_after_credentials {
        return Ok(());
    }
    let auto = t.events.iter().any(|e| matches!(e, Event::AutoSelected { .. }));
    ensure(!auto, || "auto re-authentication after a mismatch".into())?;
    let Some((settled, _)) = settled_at(t) else { return Ok(()) };
    // The page itself ended the request: its AbortSignal, or an active
    // request that replaced it (and shows its own UI).
    let ended_by_page = matches!(settled_at(t), Some((_, Outcome::Reject { error }))
        if error.name == ErrorName::AbortError || error.reason == Reason::ReplacedByActive);
    let ui = before(t, settled).iter().any(|e| matches!(e, Event::Prompt { .. }));
    ensure(ui || ended_by_page || o.mediation == Mediation::Silent, || "a mismatch ended without any UI".into())
}

/// I27: active mode without a gesture or with several providers fails at
/// once, with no request.
pub(super) fn active_gate(t: &Trace) -> Result<(), String> {
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
pub(super) fn privacy_delay(t: &Trace) -> Result<(), String> {
    let Some((at, Outcome::Reject { error })) = settled_at(t) else { return Ok(()) };
    let timer = before(t, at).iter().any(|e| matches!(e, Event::TimerFired { .. }));
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
        if s.profile.rules().delayed_failures == DelayedFailures::Every
            && matches!(error.reason, NoProviderLeft | NotSignedIn | SilentWithoutAutoReauthn)
        {
            ensure(error.delayed, || format!("{} was not delayed", error.reason.id()))?;
        }
    }
    Ok(())
}

/// I30: two providers on one origin end the request with no request sent.
pub(super) fn duplicates_rejected(t: &Trace) -> Result<(), String> {
    let Some((s, o)) = start(t) else { return Ok(()) };
    // The spec compares origins; Chromium compares config URLs.
    let keys: Vec<&str> = match s.profile.rules().duplicate_key {
        DuplicateKey::Origin => (0..o.providers.len()).filter_map(|i| idp_origin(t, i)).collect(),
        DuplicateKey::ConfigUrl => o.providers.iter().map(|p| p.config_url_raw.as_str()).collect(),
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
