//! The gates a call passes before any fetch (spec
//! `#create-identity-credential`): active mode's one-provider and
//! user-gesture rule, duplicate providers (ambiguity A35), and Chromium's
//! trustworthiness check of every `configURL`.

use super::control::Passing;
use super::outcome::{ErrorName, Reason, Rejection};
use super::providers::ProviderIx;
use super::Flow;
use crate::mutation::mutant;
use crate::options::Mode;
use crate::profile::rules::{CspBlocked, DuplicateKey, OpaqueRp};
use std::collections::BTreeMap;

impl Flow {
    /// Runs the gates, then starts every provider.
    pub(super) fn start(&mut self) {
        // Mode gate: active mode needs exactly one provider and a user gesture.
        if self.mode == Mode::Active && !mutant!(SkipModeGate) {
            self.pass(Passing::ModeGate);
            if self.providers.len() != 1 {
                let msg = format!("active mode takes exactly one provider, got {}", self.providers.len());
                if self.rules.active_several_invalid_state && self.providers.len() > 1 {
                    // Chromium throws InvalidStateError for several IdPs in
                    // active mode (measured on 156; ambiguity A44).
                    let error =
                        Rejection::new(ErrorName::InvalidStateError, Reason::ActiveModeProviderCount, false, msg);
                    return self.settle_reject(error);
                }
                return self.reject_now(Reason::ActiveModeProviderCount, msg);
            }
            if !self.browser.transient_activation {
                return self.reject_now(Reason::ActiveModeNoActivation, "active mode needs transient user activation");
            }
        }
        // Chromium refuses an opaque RP origin (a sandboxed frame) once the
        // mode gate has passed, with no delay (decisions A59).
        if self.rules.opaque_rp == OpaqueRp::Rejected && !self.rp.origin.origin().is_tuple() {
            return self.reject_now(Reason::OpaqueRp, "FedCM is not available to an opaque origin");
        }
        // Duplicates are found before any fetch (ambiguity A35). The spec
        // compares origins; Chromium compares config URLs. One map of first
        // occurrences keeps this linear in the number of providers.
        self.work += self.providers.len() as u64;
        let mut first: BTreeMap<&str, ProviderIx> = BTreeMap::new();
        let mut duplicate = None;
        for (i, a) in self.providers.iter() {
            let (key, comparable) = match self.rules.duplicate_key {
                DuplicateKey::Origin => (a.origin.as_str(), a.config_url().is_some()),
                DuplicateKey::ConfigUrl => (a.request.config_url_raw.as_str(), true),
            };
            match first.get(key) {
                Some(&j) if comparable => {
                    duplicate = Some((j, i, a.origin.clone()));
                    break;
                }
                Some(_) => {}
                None => {
                    first.insert(key, i);
                }
            }
        }
        if let Some((j, i, origin)) = duplicate.filter(|_| !mutant!(SkipDuplicateCheck)) {
            let msg = format!("providers {j} and {i} share the IdP origin {origin}");
            return self.reject_now(Reason::DuplicateProvider, msg);
        }
        // Chromium's renderer checks each configURL against the page's
        // connect-src before the request leaves it (decisions A58).
        if self.rules.csp_blocked == CspBlocked::RejectsAtOnce {
            let blocked = self.providers.values().find_map(|p| {
                let url = p.request.config_url.as_ref().ok()?.url();
                (!self.rp.may_connect(url)).then(|| url.to_string())
            });
            if let Some(url) = blocked {
                let msg = format!("the page's Content Security Policy (connect-src) blocks {url}");
                return self.reject_now(Reason::CspBlocked, msg);
            }
        }
        if self.rules.untrustworthy_rejects_call {
            if let Some(p) = self.providers.values().find(|p| p.request.config_url.is_err()) {
                let msg = format!("configURL {} is not potentially trustworthy", p.request.config_url_raw);
                return self.reject_now(Reason::UntrustworthyConfigUrl, msg);
            }
        }
        for i in self.providers.indices() {
            self.start_provider(i);
        }
        self.maybe_providers_done();
    }
}
