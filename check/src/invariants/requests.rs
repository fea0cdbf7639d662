//! Invariants about what each request carries and where it may go:
//! origins, credentials, redirects, destinations, CORS and URLs.

use super::*;
use fedcm_model::profile::rules::ImageFetch;
use fedcm_model::same_origin;

/// I6: credentialed and config-derived requests stay on the config's origin
/// and are potentially trustworthy; so do the login pop-up and (spec) the
/// continuation pop-up. Where the profile pins no endpoint to the config's
/// origin (Firefox, decisions F3), only the pop-ups are held to it.
pub(super) fn same_origin_endpoints(t: &Trace) -> Result<(), String> {
    let pinned = [FetchKind::Config, FetchKind::Accounts, FetchKind::ClientMetadata, FetchKind::Assertion];
    let endpoints_pinned = t.start().is_none_or(|s| s.profile.rules().endpoints_same_origin);
    for (_, r) in requests(t).filter(|(_, r)| endpoints_pinned && pinned.contains(&r.kind)) {
        let Some(cfg) = config_url(t, r.provider) else { continue };
        ensure(same_origin(&r.url, cfg.url()), || format!("{} is not on {}", r.url, cfg))?;
        ensure(is_potentially_trustworthy(&r.url), || format!("{} is not potentially trustworthy", r.url))?;
    }
    let assertion_url = requests(t).find(|(_, r)| r.kind == FetchKind::Assertion).map(|(_, r)| &r.url);
    for p in t.prompts() {
        match p {
            Prompt::LoginPopup { provider, url } => {
                let Some(cfg) = config_url(t, *provider) else { continue };
                ensure(same_origin(url, cfg.url()), || format!("login pop-up {url} is not on {cfg}"))?;
            }
            Prompt::ContinuationPopup { url, .. } => {
                let Some(a) = &assertion_url else { return Err("continuation pop-up without an assertion".into()) };
                ensure(same_origin(url, a), || format!("continuation pop-up {url} is not on {a}"))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// I7: the first well-known request of a provider goes to the fixed
/// location, without credentials or an RP origin.
pub(super) fn fixed_well_known(t: &Trace) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for (_, r) in requests(t).filter(|(_, r)| r.kind == FetchKind::WellKnown) {
        ensure(r.credentials == Credentials::Omit && r.origin.is_none(), || "credentialed well-known fetch".into())?;
        if seen.insert(r.provider) {
            if let Some(cfg) = config_url(t, r.provider) {
                let want = cfg.well_known_url();
                ensure(&r.url == want, || format!("well-known fetched at {} instead of {want}", r.url))?;
            }
        }
    }
    Ok(())
}

/// I8
pub(super) fn uncredentialed_metadata(t: &Trace) -> Result<(), String> {
    let kinds = [FetchKind::WellKnown, FetchKind::Config, FetchKind::Picture, FetchKind::ClientMetadata];
    for (_, r) in requests(t).filter(|(_, r)| kinds.contains(&r.kind)) {
        ensure(r.credentials == Credentials::Omit, || format!("{} fetch of {} carries cookies", r.kind.name(), r.url))?;
    }
    Ok(())
}

/// I9: the accounts request is a plain credentialed GET that names neither
/// the RP nor the client.
pub(super) fn accounts_reveal_nothing(t: &Trace) -> Result<(), String> {
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
        // What the URL says beyond the IdP's own origin: an IdP on the RP's
        // origin is not told anything by its own host name.
        let beyond_origin = &r.url[url::Position::BeforePath..];
        ensure(!beyond_origin.contains(&s.rp), || format!("accounts URL {} names the RP", r.url))?;
    }
    Ok(())
}

/// I10: accounts only after the config (and, cross-site, the well-known
/// file) was accepted; the assertion only after accepted accounts.
///
/// One pass over the trace, keeping what was sent and accepted so far per
/// (provider, kind): linear in the trace, however many providers.
pub(super) fn fetch_ordering(t: &Trace) -> Result<(), String> {
    // The well-known file is enforced only across sites (a same-site
    // RP's may be fetched, as Chromium does, but its verdict is ignored).
    let rp = t.start().and_then(|s| s.rp_url());
    let cross_site = |provider: usize| match (&rp, config_url(t, provider)) {
        (Some(rp), Some(config)) => !fedcm_model::same_site(rp, config.url()),
        _ => true,
    };
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
                        if sent.contains(&(r.provider, FetchKind::WellKnown)) && cross_site(r.provider) {
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

/// I20: pinned endpoints refuse redirects, and a redirect never leads to a
/// request of the same kind elsewhere.
pub(super) fn no_redirects(t: &Trace) -> Result<(), String> {
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
    // Each pinned document is fetched once per reason to fetch it: the
    // config once, and again only after a login (Chromium starts a
    // logged-out IdP over once it signs in); the client metadata once per
    // accounts fetch; the assertion and the disconnect once.
    let logins = t.events.iter().filter(|e| matches!(e, Event::User { action: UserAction::LoggedIn })).count();
    let mut seen = std::collections::BTreeMap::new();
    for (_, r) in requests(t) {
        *seen.entry((r.provider, r.kind)).or_insert(0usize) += 1;
        let allowed = match r.kind {
            FetchKind::Config => 1 + logins,
            FetchKind::ClientMetadata => seen.get(&(r.provider, FetchKind::Accounts)).copied().unwrap_or(0),
            FetchKind::Assertion | FetchKind::Disconnect => 1,
            FetchKind::WellKnown | FetchKind::Accounts | FetchKind::Picture => continue,
        };
        let n = seen.get(&(r.provider, r.kind)).copied().unwrap_or(0);
        ensure(n <= allowed, || format!("{} fetched {n} times where {allowed} is the most", r.kind.name()))?;
    }
    Ok(())
}

/// I21: every request says it is FedCM's. The spec's picture fetch is an
/// image fetch; Chromium sends its pictures and brand icons as
/// `webidentity` too (decisions A50).
pub(super) fn fedcm_destination(t: &Trace) -> Result<(), String> {
    let images = t.start().is_none_or(|s| s.profile.rules().image_fetch == ImageFetch::Image);
    for (_, r) in requests(t) {
        let want = if r.kind == FetchKind::Picture && images { "image" } else { "webidentity" };
        ensure(r.header("Sec-Fetch-Dest") == Some(want), || format!("{} without Sec-Fetch-Dest: {want}", r.url))?;
    }
    Ok(())
}

/// I22: the assertion and disconnect POSTs are credentialed CORS requests
/// from the RP's origin, and a CORS failure never resolves.
pub(super) fn cors_posts(t: &Trace) -> Result<(), String> {
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
    // its own headers, when it came from another origin (Fetch does not
    // judge CORS on a same-origin response).
    let cross_origin = requests(t)
        .filter(|(_, r)| r.kind == FetchKind::Assertion)
        .last()
        .is_none_or(|(_, r)| r.url.origin().ascii_serialization() != rp);
    if let (Some((at, Outcome::Resolve { .. })), true) = (settled_at(t), cross_origin) {
        let continued = before(t, at).iter().any(|e| matches!(e, Event::User { action: UserAction::Resolve { .. } }));
        let response = before(t, at).iter().rev().find_map(|e| match e {
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

/// I26: `disconnect()` sends its credentialed POST only when some account
/// is connected, and once sent, at least one connection is removed.
pub(super) fn disconnect_bounded(t: &Trace) -> Result<(), String> {
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

/// I31: the login pop-up URL carries only `login_hint` and `domain_hint`,
/// each iff the RP gave a non-empty one.
pub(super) fn login_popup_url(t: &Trace) -> Result<(), String> {
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

/// I35: a document the `identity-credentials-get` policy does not allow
/// sends nothing, where the profile reads the policy.
pub(super) fn policy_refused_sends_nothing(t: &Trace) -> Result<(), String> {
    use fedcm_model::profile::rules::PermissionsPolicy;
    let Some(s) = t.start() else { return Ok(()) };
    if s.policy_allowed || s.profile.rules().permissions_policy != PermissionsPolicy::Checked {
        return Ok(());
    }
    match t.requests().next() {
        Some(r) => Err(format!("{} was requested from a frame the policy does not allow", r.url)),
        None => Ok(()),
    }
}

/// I36: no well-known or config request for a provider whose `configURL`
/// the RP's `connect-src` blocks.
pub(super) fn no_fetch_csp_blocks(t: &Trace) -> Result<(), String> {
    let Some(s) = t.start() else { return Ok(()) };
    let (Some(list), Some(options)) = (&s.connect_src, &s.options) else { return Ok(()) };
    let Some(page) = s.rp_url() else { return Ok(()) };
    for r in t.requests().filter(|r| matches!(r.kind, FetchKind::WellKnown | FetchKind::Config)) {
        let Some(p) = options.providers.get(r.provider) else { continue };
        let Ok(config) = &p.config_url else { continue };
        ensure(list.allows(config.url(), page), || {
            format!("{} was fetched though connect-src blocks {}", r.url, config.url())
        })?;
    }
    Ok(())
}
