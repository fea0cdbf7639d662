//! Properties of `IdentityProvider.getUserInfo()` traces (spec
//! `#dom-identityprovider-getuserinfo`); other traces hold them vacuously.

use super::ensure;
use fedcm_model::machine::fetch::{Credentials, FetchKind};
use fedcm_model::machine::state::State;
use fedcm_model::trace::{Event, Trace};

/// The accounts request of `getUserInfo()` is the same anonymous-to-the-RP
/// GET as `get()`'s: the IdP's cookies, but no `client_id`, no `Origin`.
pub(super) fn user_info_sends_no_rp_identity(t: &Trace) -> Result<(), String> {
    if !matches!(t.events.first(), Some(Event::StartUserInfo { .. })) {
        return Ok(());
    }
    for r in t.requests().filter(|r| r.kind == FetchKind::Accounts) {
        ensure(!r.url.query_pairs().any(|(k, _)| k == "client_id"), || format!("{} carries a client_id", r.url))?;
        ensure(r.origin.is_none() && r.header("Origin").is_none(), || format!("{} carries an Origin", r.url))?;
        ensure(r.credentials == Credentials::Include, || format!("{} is sent without the IdP's cookies", r.url))?;
    }
    Ok(())
}

/// `getUserInfo()` resolves only for an RP (the caller's parent, under
/// its top-level site) that has a connection with the IdP: an IdP iframe
/// cannot learn who is signed in from an RP the person never used with it.
pub(super) fn user_info_answers_only_connected_rp(t: &Trace) -> Result<(), String> {
    let Some(Event::StartUserInfo { parent, top, options, browser, .. }) = t.events.first() else { return Ok(()) };
    if !t.states().any(|s| s == State::Resolved) {
        return Ok(());
    }
    let idp = url::Url::parse(&options.config_url).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
    let Some(rp) = parent else { return Err("resolved for a top-level caller".into()) };
    ensure(browser.has_connection(top, rp, &idp), || format!("resolved for {rp}, which has no connection to {idp}"))
}
