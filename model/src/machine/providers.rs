//! Each provider's steps up to its accounts (spec
//! `#create-identity-credential`, `#fetch-config-file`): the login status
//! and connection gates, then the well-known and config files.

use super::browser::LoginStatus;
use super::digest::Digested;
use super::fetch::RequestId;
use super::fetch::{FetchResult, Pending};
use super::manifests::Manifests;
use super::outcome::Reason;
use super::state::State;
use super::trace::Event;
use super::{Answer, Control, Flow};
use crate::idp::accounts::Account;
use crate::idp::client_metadata::ClientMetadata;
use crate::idp::config::Config;
use crate::mutation::mutant;
use crate::options::{Mediation, Mode, ProviderRequest};
use crate::problem::Problem;
use crate::profile::rules::{LoginStatusUse, PassiveProviders};
use crate::urls::{origin_string, same_site, ConfigUrl};
use std::sync::Arc;

/// What a provider contributes once its fetches are done (the spec's
/// provider map values).
#[derive(Debug, Clone, PartialEq, Hash)]
pub(super) enum ProviderEntry {
    LoggedOut,
    /// Credentials were sent to a logged-in IdP but no usable account came
    /// back: UI must follow, so silent tracking is impossible.
    Mismatch,
    Accounts(Digested<Vec<Account>>),
}

/// Where one provider is. Each stage but `Skipped` and `Done` is a spec
/// step, and entering it writes its trace label ([`ProviderStage::label`]):
/// the label comes from the stage, never set beside it.
#[derive(Debug, Clone, Hash)]
pub(super) enum ProviderStage {
    Skipped,
    /// Reading the login status and the connection gates (transient).
    LoginStatusCheck,
    /// Active mode, logged out: the login pop-up comes first (transient).
    LoginFirst,
    /// Fetching the well-known and config files. `for_login`: active mode,
    /// logged out, the login pop-up comes first.
    Manifests {
        manifests: Box<Manifests>,
        for_login: bool,
    },
    Accounts(RequestId),
    /// Filtering the fetched accounts by label and hints (transient).
    Filtering,
    Done(ProviderEntry),
}

impl ProviderStage {
    /// The trace label of this step, if it is one.
    fn label(&self) -> Option<State> {
        Some(match self {
            ProviderStage::Skipped | ProviderStage::Done(_) => return None,
            ProviderStage::LoginStatusCheck => State::LoginStatusCheck,
            ProviderStage::LoginFirst => State::LoginBeforeAccounts,
            ProviderStage::Manifests { .. } => State::FetchConfig,
            ProviderStage::Accounts(_) => State::FetchAccounts,
            ProviderStage::Filtering => State::FilterAccounts,
        })
    }

    /// A stage the machine passes through within one call, never resting
    /// in it (so it costs no bookkeeping work and no fingerprint sees it).
    fn transient(&self) -> bool {
        matches!(self, ProviderStage::LoginStatusCheck | ProviderStage::LoginFirst | ProviderStage::Filtering)
    }
}

/// A provider's position in the RP's `providers` list. Only [`Providers`]
/// makes one, from its own length, and providers are never removed, so
/// indexing with it cannot fail; a plain `usize` from outside (a request's
/// `provider`) becomes one through [`Providers::ix`] or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct ProviderIx(usize);

impl ProviderIx {
    /// The plain index, as requests, prompts and the trace carry it.
    pub(super) fn get(self) -> usize {
        self.0
    }
}

impl std::fmt::Display for ProviderIx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The RP's providers, in order; indexed by [`ProviderIx`] only.
#[derive(Debug, Clone, Default)]
pub(super) struct Providers(Vec<Provider>);

impl Providers {
    pub(super) fn new(list: Vec<Provider>) -> Providers {
        Providers(list)
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    /// The index `i`, if there is such a provider.
    pub(super) fn ix(&self, i: usize) -> Option<ProviderIx> {
        (i < self.0.len()).then_some(ProviderIx(i))
    }

    pub(super) fn first(&self) -> Option<ProviderIx> {
        self.ix(0)
    }

    /// Every index, without borrowing the list (so the loop may change it).
    pub(super) fn indices(&self) -> impl Iterator<Item = ProviderIx> {
        (0..self.0.len()).map(ProviderIx)
    }

    /// Every provider with its index.
    pub(super) fn iter(&self) -> impl Iterator<Item = (ProviderIx, &Provider)> {
        self.0.iter().enumerate().map(|(i, p)| (ProviderIx(i), p))
    }

    pub(super) fn values(&self) -> std::slice::Iter<'_, Provider> {
        self.0.iter()
    }
}

impl std::ops::Index<ProviderIx> for Providers {
    type Output = Provider;
    // A `ProviderIx` is below the length it was made from, and the list
    // never shrinks: the one index in the machine that is not checked.
    #[allow(clippy::indexing_slicing)]
    fn index(&self, i: ProviderIx) -> &Provider {
        &self.0[i.0]
    }
}

impl std::ops::IndexMut<ProviderIx> for Providers {
    #[allow(clippy::indexing_slicing)]
    fn index_mut(&mut self, i: ProviderIx) -> &mut Provider {
        &mut self.0[i.0]
    }
}

/// One entry of the RP's `providers`, and what the call learned of it.
#[derive(Debug, Clone)]
pub(super) struct Provider {
    /// What the RP asked for (its config URL among it): fixed for the
    /// call, so shared by the model checker's clones of a flow rather than
    /// copied.
    pub(super) request: Arc<ProviderRequest>,
    /// Serialized IdP origin (the provider map key).
    pub(super) origin: String,
    /// The login status read at the start (spec's local `loginStatus`).
    pub(super) status_at_start: LoginStatus,
    pub(super) stage: ProviderStage,
    pub(super) config: Option<Digested<Config>>,
    pub(super) metadata: Option<Digested<ClientMetadata>>,
    /// Whether the client metadata was asked for since the last accounts
    /// fetch (Chromium asks once per accounts response, whatever came back).
    pub(super) metadata_asked: bool,
    /// Why the provider dropped out, for the rejection's explanation.
    pub(super) skipped: Option<(String, Option<Problem>)>,
    /// The account ids listed when a login pop-up for this provider
    /// opened: any other account is newly logged in.
    pub(super) before_login: Option<Vec<String>>,
}

impl Provider {
    pub(super) fn new(request: ProviderRequest) -> Provider {
        let origin = request.config_url.as_ref().map(|c| origin_string(c.url())).unwrap_or_else(|_| "null".into());
        Provider {
            request: Arc::new(request),
            origin,
            status_at_start: LoginStatus::Unknown,
            stage: ProviderStage::Skipped,
            config: None,
            metadata: None,
            metadata_asked: false,
            skipped: None,
            before_login: None,
        }
    }

    /// The RP's `configURL`, if it parsed.
    pub(super) fn config_url(&self) -> Option<&ConfigUrl> {
        self.request.config_url.as_ref().ok()
    }

    /// Whether account `id` appeared through this request's login pop-up.
    pub(super) fn newly_logged_in(&self, id: &str) -> bool {
        self.before_login.as_ref().is_some_and(|before| !before.iter().any(|b| b == id))
    }

    pub(super) fn entry(&self) -> Option<&ProviderEntry> {
        match &self.stage {
            ProviderStage::Done(e) => Some(e),
            _ => None,
        }
    }

    fn settled(&self) -> bool {
        matches!(self.stage, ProviderStage::Skipped | ProviderStage::Done(_))
    }

    /// What of the provider decides the call's future (for [`Flow::future_key`]).
    pub(super) fn key(&self) -> impl std::fmt::Debug + std::hash::Hash + '_ {
        (&self.stage, &self.config, &self.metadata, self.metadata_asked, self.status_at_start, &self.before_login)
    }
}

impl Flow {
    /// Every stage change goes through here, keeping `unsettled` exact and
    /// writing the stage's trace label.
    pub(super) fn set_stage(&mut self, i: ProviderIx, stage: ProviderStage) {
        if !stage.transient() {
            self.work += 1;
        }
        if let Some(state) = stage.label() {
            self.trace.push(Event::Enter { state, provider: Some(i.get()) });
        }
        let was = self.providers[i].settled();
        self.providers[i].stage = stage;
        match (was, self.providers[i].settled()) {
            (true, false) => self.unsettled += 1,
            (false, true) => self.unsettled -= 1,
            _ => {}
        }
    }

    pub(super) fn skip(&mut self, i: ProviderIx, why: impl Into<String>, problem: Option<Problem>) {
        let why = why.into();
        self.set_stage(i, ProviderStage::Skipped);
        self.providers[i].skipped = Some((why.clone(), problem.clone()));
        self.trace.push(Event::ProviderSkipped { provider: i.get(), why, problem });
    }

    /// The per-provider steps before any fetch.
    pub(super) fn start_provider(&mut self, i: ProviderIx) {
        self.set_stage(i, ProviderStage::LoginStatusCheck);
        let origin = &self.providers[i].origin;
        let has_connection = self.browser.has_connection(&self.rp_embedder, &self.rp_origin, origin);
        // Firefox's request never reads the login status (decisions F4).
        let status = match self.rules.login_status {
            LoginStatusUse::Consulted => self.browser.login_status(origin),
            LoginStatusUse::Ignored => LoginStatus::Unknown,
        };
        let requires_user_mediation = self.browser.requires_user_mediation.contains(&self.rp_origin);
        let config_url = match &self.providers[i].request.config_url {
            Ok(c) => c.clone(),
            Err(e) => {
                let problem = Problem::error(
                    crate::Document::RequestOptions,
                    Some(format!("identity.providers[{i}].configURL")),
                    crate::Rule::InvalidConfigUrl(e.clone()),
                );
                return self.skip(i, "the configURL cannot be fetched", Some(problem));
            }
        };
        // The spec's fetch-config-file: a configURL the page's connect-src
        // blocks fails that provider (decisions A58).
        if !self.rp.may_connect(config_url.url()) {
            return self.skip(i, "the page's Content Security Policy (connect-src) blocks the configURL", None);
        }
        // Firefox's passive mode asks only IdPs the RP is connected to or
        // same-site with (decisions F4).
        if self.mode == Mode::Passive
            && self.rules.passive_providers == PassiveProviders::ConnectedOrSameSite
            && !has_connection
            && !same_site(&self.rp.origin, config_url.url())
            && !mutant!(PassiveAsksUnknownIdps)
        {
            return self.skip(i, "passive mode, and the RP is neither connected to nor same-site with this IdP", None);
        }
        if self.mediation == Mediation::Silent && !has_connection && !mutant!(SkipSilentConnectionGate) {
            return self.skip(i, "silent mediation and no account of this IdP is connected to the RP", None);
        }
        self.providers[i].status_at_start = status;
        // `unknown` is treated like logged-in here (the spec lets the UA
        // choose; ambiguity A7, as Chromium does).
        if status == LoginStatus::LoggedOut && !mutant!(IgnoreLoggedOut) {
            if self.mode == Mode::Active && self.mediation != Mediation::Silent {
                self.set_stage(i, ProviderStage::LoginFirst);
                return self.fetch_manifests(i, config_url, true);
            }
            self.note(format!("provider {i}: the IdP is logged out; no fetch is made"));
            return self.set_entry(i, ProviderEntry::LoggedOut);
        }
        if self.mediation == Mediation::Silent && requires_user_mediation {
            return self.skip(i, "silent mediation, and the RP requires user mediation", None);
        }
        self.fetch_manifests(i, config_url, false);
    }

    /// Chromium, after a login pop-up signed a logged-out IdP in: its
    /// login-status observer starts the provider over, from the well-known
    /// and config files (decisions P12).
    pub(super) fn restart_provider(&mut self, i: ProviderIx) {
        match self.providers[i].request.config_url.clone() {
            Ok(config_url) => self.fetch_manifests(i, config_url, false),
            Err(_) => self.skip(i, "the configURL cannot be fetched", None),
        }
    }

    fn fetch_manifests(&mut self, i: ProviderIx, config_url: ConfigUrl, for_login: bool) {
        let mut out = Vec::new();
        let manifests =
            Manifests::start(config_url, &self.rp.origin, i.get(), self.profile, &mut self.outbox.ids, &mut out);
        self.set_stage(i, ProviderStage::Manifests { manifests: Box::new(manifests), for_login });
        for r in out {
            self.send(r);
        }
    }

    /// A well-known or config response (spec `#fetch-config-file`).
    pub(super) fn on_manifests_response(
        &mut self,
        i: ProviderIx,
        request: &Pending,
        answer: Answer,
        result: FetchResult,
    ) {
        let ProviderStage::Manifests { manifests, for_login } = &mut self.providers[i].stage else {
            return answer.record(self, super::trace::ResponseResult::Ignored);
        };
        let for_login = *for_login;
        let (follow, res) = manifests.on_response(request, &result, self.profile, &mut self.outbox.ids);
        answer.record(self, res);
        if let Some(f) = follow {
            self.note(format!("the well-known file redirects to {}; following", f.url));
            return self.send(f);
        }
        self.manifests_progress(i, for_login);
    }

    fn manifests_progress(&mut self, i: ProviderIx, for_login: bool) {
        let ProviderStage::Manifests { manifests, .. } = &mut self.providers[i].stage else { return };
        let Some(result) = manifests.take_result(self.profile) else { return };
        match result {
            Err(problem) => {
                if for_login {
                    let msg = format!("the config needed for the login pop-up failed: {problem}");
                    return self.reject_with(Reason::LoginPopupFailed, false, msg, vec![problem]);
                }
                self.skip(i, "fetch the config file failed", Some(problem));
                self.maybe_providers_done();
            }
            Ok(config) => {
                self.providers[i].config = Some(Digested::new(config));
                if for_login {
                    self.open_login_popup(i, super::login_popup::AfterLogin::FetchAccounts);
                } else {
                    self.fetch_accounts(i);
                }
            }
        }
    }

    /// Once every provider has settled, the decision follows.
    pub(super) fn maybe_providers_done(&mut self) {
        self.work += 1;
        if !matches!(self.control, Control::Gather | Control::Refetch) || self.unsettled > 0 {
            return;
        }
        self.decide();
    }
}
