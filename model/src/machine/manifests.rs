//! "fetch the config file" (spec `#fetch-config-file`): the well-known file
//! and the config file, fetched in parallel, then checked against each
//! other. Shared by the sign-in flow and `disconnect()`.

use super::fetch::{FetchKind, FetchRequest, FetchResult, Pending, RequestId};
use super::outbox::Ids;
use super::trace::ResponseResult;
use crate::idp::config::{self, Config};
use crate::idp::well_known::{self, WellKnown};
use crate::mutation::mutant;
use crate::problem::{Document, Problem, Rule};
use crate::profile::rules::SameSiteWellKnown;
use crate::profile::Profile;
use crate::urls::{same_site, ConfigUrl};
use url::Url;

/// How many redirects the well-known fetch follows (Fetch's limit).
const MAX_REDIRECTS: usize = 20;

#[derive(Debug, Clone, Hash)]
pub(crate) enum Slot<T> {
    Waiting(RequestId),
    Ready(T),
    Failed(Problem),
    /// The value was handed to the flow.
    Taken,
}

#[derive(Debug, Clone, Hash)]
pub(crate) struct Manifests {
    pub config_url: ConfigUrl,
    /// `None` when the RP and the IdP are same-site under `spec`: no
    /// well-known fetch.
    pub well_known: Option<Slot<WellKnown>>,
    /// Whether the well-known file must list the config. Chromium fetches
    /// it for a same-site RP too, waits for it, and then ignores it.
    well_known_enforced: bool,
    pub config: Slot<Config>,
    /// Where the well-known request in flight went: a redirect's
    /// `Location` resolves against it.
    well_known_at: Option<Url>,
    redirects: usize,
}

impl Manifests {
    /// Starts both fetches. When the RP and the IdP are same-site the
    /// well-known file is not enforced: `spec` skips its fetch, `chromium`
    /// fetches it and ignores the result (decisions P5).
    pub(super) fn start(
        config_url: ConfigUrl,
        rp: &Url,
        provider: usize,
        profile: Profile,
        ids: &mut Ids,
        out: &mut Vec<FetchRequest>,
    ) -> Manifests {
        let mut id = || ids.request();
        let mut well_known_at = None;
        let well_known_enforced = !same_site(rp, config_url.url());
        let same_site_skip = profile.rules().same_site_well_known == SameSiteWellKnown::NotFetched;
        let well_known = if !well_known_enforced && same_site_skip {
            None
        } else {
            let mut url = config_url.well_known_url().clone();
            if mutant!(WellKnownWithQuery) {
                url.set_query(Some("client_id=c"));
            }
            well_known_at = Some(url.clone());
            let r = FetchRequest::anonymous(id(), FetchKind::WellKnown, provider, url);
            let slot = Slot::Waiting(r.id);
            out.push(r);
            Some(slot)
        };
        let r = FetchRequest::anonymous(id(), FetchKind::Config, provider, config_url.url().clone());
        let config = Slot::Waiting(r.id);
        out.push(r);
        Manifests { config_url, well_known, well_known_enforced, config, well_known_at, redirects: 0 }
    }

    pub(super) fn waits_for(&self, id: RequestId) -> bool {
        matches!(self.well_known, Some(Slot::Waiting(w)) if w == id)
            || matches!(self.config, Slot::Waiting(c) if c == id)
    }

    /// Consumes a response; may return a follow-up request (a well-known
    /// redirect) and says what it made of the response.
    pub(super) fn on_response(
        &mut self,
        request: &Pending,
        result: &FetchResult,
        profile: Profile,
        ids: &mut Ids,
    ) -> (Option<FetchRequest>, ResponseResult) {
        let document = if request.kind == FetchKind::WellKnown { Document::WellKnown } else { Document::Config };
        let response = match result {
            Err(e) => {
                let problem = Problem::error(document, None, Rule::NoResponse { reason: e.reason.clone() });
                self.fail(request.kind, problem);
                return (None, ResponseResult::NetworkError { reason: e.reason.clone() });
            }
            Ok(r) => r,
        };
        if request.kind == FetchKind::WellKnown && response.is_redirect() {
            let base = self.well_known_at.as_ref();
            if let Some(next) = response.header("location").and_then(|l| base?.join(l).ok()) {
                if self.redirects < MAX_REDIRECTS {
                    self.redirects += 1;
                    self.well_known_at = Some(next.clone());
                    let follow = FetchRequest::anonymous(ids.request(), FetchKind::WellKnown, request.provider, next);
                    self.well_known = Some(Slot::Waiting(follow.id));
                    return (Some(follow), ResponseResult::Accepted);
                }
            }
        }
        let result = match request.kind {
            FetchKind::WellKnown => match well_known::parse(response, profile) {
                Ok(p) => {
                    self.well_known = Some(Slot::Ready(p.value));
                    ResponseResult::Accepted
                }
                Err(r) => {
                    self.well_known = Some(Slot::Failed(r.first().clone()));
                    ResponseResult::Rejected { problems: r.into_errors() }
                }
            },
            _ => match config::parse(response, &self.config_url, profile) {
                Ok(p) => {
                    self.config = Slot::Ready(p.value);
                    ResponseResult::Accepted
                }
                Err(r) => {
                    self.config = Slot::Failed(r.first().clone());
                    ResponseResult::Rejected { problems: r.into_errors() }
                }
            },
        };
        (None, result)
    }

    fn fail(&mut self, kind: FetchKind, problem: Problem) {
        match kind {
            FetchKind::WellKnown => self.well_known = Some(Slot::Failed(problem)),
            _ => self.config = Slot::Failed(problem),
        }
    }

    /// `None` while waiting; then the config, or why it cannot be used.
    /// A usable config is moved out (the slot becomes `Taken`), not copied.
    pub(super) fn take_result(&mut self, profile: Profile) -> Option<Result<Config, Problem>> {
        let config = match &self.config {
            Slot::Waiting(_) | Slot::Taken => return None,
            Slot::Failed(p) => return Some(Err(p.clone())),
            Slot::Ready(c) => c,
        };
        let checked = match &self.well_known {
            Some(Slot::Waiting(_) | Slot::Taken) => return None,
            None => Ok(()),
            Some(_) if !self.well_known_enforced => Ok(()),
            Some(Slot::Failed(_)) if mutant!(IgnoreWellKnownFailure) => Ok(()),
            Some(Slot::Failed(p)) => Err(p.clone()),
            Some(Slot::Ready(wk)) => well_known::check(wk, &self.config_url, config, profile),
        };
        if let Err(p) = checked {
            return Some(Err(p));
        }
        match std::mem::replace(&mut self.config, Slot::Taken) {
            Slot::Ready(c) => Some(Ok(c)),
            other => {
                self.config = other;
                None
            }
        }
    }
}
