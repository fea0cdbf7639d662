//! A provider's accounts (spec `#fetch-accounts` and its "fetch accounts"
//! helper): the credentialed GET, the login status it implies, the
//! pictures, the label and hint filters, then the provider map entry.

use super::browser::LoginStatus;
use super::fetch::{FetchRequest, FetchResult};
use super::providers::{ProviderEntry, ProviderIx, ProviderStage};
use super::trace::{EntryKind, Event, ResponseResult};
use super::{Answer, Control, Flow};
use crate::idp::accounts::Account;
use crate::idp::icons;
use crate::mutation::mutant;
use crate::options::Mediation;
use crate::problem::Problem;
use crate::profile::rules::{LoginStatusUse, MetadataTiming};
use url::Url;

impl Flow {
    pub(super) fn fetch_accounts(&mut self, i: ProviderIx) {
        let Some(config) = &self.providers[i].config else { return };
        let url = config.accounts_endpoint.url().clone();
        let id = self.id();
        if self.rules.metadata_timing == MetadataTiming::NewAccountsEachFetch {
            // Chromium asks for the client metadata again after every
            // accounts response (decisions P6).
            self.providers[i].metadata = None;
            self.providers[i].metadata_asked = false;
        }
        self.set_stage(i, ProviderStage::Accounts(id));
        let mut url = url;
        if mutant!(AccountsCarryClientId) {
            let client = self.providers[i].request.client_id.clone();
            url.query_pairs_mut().append_pair("client_id", &client);
        }
        self.send(FetchRequest::accounts(id, i.get(), url));
    }

    pub(super) fn on_accounts_response(&mut self, i: ProviderIx, answer: Answer, result: FetchResult) {
        if !matches!(self.providers[i].stage, ProviderStage::Accounts(a) if a == answer.id) {
            return answer.record(self, ResponseResult::Ignored);
        }
        let parsed = match &result {
            Ok(r) => crate::idp::accounts::parse(r, self.profile).map_err(|e| e.into_errors()),
            Err(e) => Err(vec![no_response(crate::Document::Accounts, &e.reason)]),
        };
        answer.record(
            self,
            match (&parsed, &result) {
                (Ok(_), _) => ResponseResult::Accepted,
                (Err(_), Err(e)) => ResponseResult::NetworkError { reason: e.reason.clone() },
                (Err(p), _) => ResponseResult::Rejected { problems: p.clone() },
            },
        );
        self.accounts_done(i, parsed.map(|p| p.value.accounts));
    }

    /// The spec's "fetch accounts" helper: login status, pictures, filters,
    /// then the provider map entry.
    fn accounts_done(&mut self, i: ProviderIx, result: Result<Vec<Account>, Vec<Problem>>) {
        let origin = self.providers[i].origin.clone();
        let list = match result {
            Ok(list) if !list.is_empty() => list,
            other => {
                let problem = other.err().and_then(|p| p.into_iter().next());
                if self.rules.login_status == LoginStatusUse::Consulted {
                    self.set_login_status(&origin, LoginStatus::LoggedOut);
                }
                let why =
                    if problem.is_some() { "the accounts list was rejected" } else { "the accounts list is empty" };
                return self.provider_without_accounts(i, why, problem);
            }
        };
        if self.rules.login_status == LoginStatusUse::Consulted {
            self.set_login_status(&origin, LoginStatus::LoggedIn);
        }
        // The spec fetches every picture before filtering, so the fetches
        // reveal nothing about the hints; Chromium fetches after filtering.
        if !self.rules.pictures_after_filter {
            self.fetch_pictures(i, &list);
        }
        self.set_stage(i, ProviderStage::Filtering);
        let p = &self.providers[i];
        let label = p.config.as_ref().and_then(|c| c.account_label.clone());
        let login_hint = p.request.login_hint.clone().filter(|h| !h.is_empty());
        let domain_hint = p.request.domain_hint.clone().filter(|h| !h.is_empty());
        let before = list.len();
        let filtered: Vec<Account> = list
            .into_iter()
            .filter(|a| label.as_deref().is_none_or(|l| a.matches_label(l)))
            .filter(|a| login_hint.as_deref().is_none_or(|h| a.matches_login_hint(h)))
            .filter(|a| domain_hint.as_deref().is_none_or(|h| a.matches_domain_hint(h)))
            .collect();
        if filtered.len() != before {
            self.note(format!("provider {i}: {} of {before} accounts match the hints and label", filtered.len()));
        }
        if filtered.is_empty() {
            return self.provider_without_accounts(
                i,
                "no account matches loginHint, domainHint or account_label",
                None,
            );
        }
        if self.rules.pictures_after_filter {
            self.fetch_pictures(i, &filtered);
            self.fetch_brand_icon(i);
        }
        self.set_entry(i, ProviderEntry::Accounts(super::digest::Digested::new(filtered)));
        self.after_provider_accounts(i);
    }

    fn fetch_pictures(&mut self, i: ProviderIx, list: &[Account]) {
        for url in list.iter().filter_map(|a| a.picture.clone()) {
            self.fetch_image(i, url);
        }
    }

    /// Chromium downloads the one brand icon it picks for the mode with the
    /// pictures, and alone before a mismatch dialog; the spec fetches no
    /// icon (decisions A52).
    fn fetch_brand_icon(&mut self, i: ProviderIx) {
        if !self.rules.fetches_icons {
            return;
        }
        let branding = self.providers[i].config.as_ref().and_then(|c| c.branding.as_ref());
        let icons = branding.map(|b| b.icons.as_slice()).unwrap_or_default();
        if let Some(url) = icons::chromium_choice_url(icons, self.mode) {
            self.fetch_image(i, url);
        }
    }

    /// An image for provider `i`'s part of the dialog; its answer is ignored.
    pub(super) fn fetch_image(&mut self, i: ProviderIx, url: Url) {
        let id = self.id();
        self.send(FetchRequest::image(id, i.get(), url, self.rules.image_fetch));
    }

    /// Empty, failed or filtered-out: "mismatch" when credentials went to a
    /// logged-in IdP outside silent mediation (UI must follow), else
    /// "logged-out".
    fn provider_without_accounts(&mut self, i: ProviderIx, why: &str, problem: Option<Problem>) {
        let mismatch = self.providers[i].status_at_start == LoginStatus::LoggedIn
            && self.mediation != Mediation::Silent
            && !mutant!(EmptyAccountsNeverMismatch);
        let entry = if mismatch { ProviderEntry::Mismatch } else { ProviderEntry::LoggedOut };
        if mismatch {
            self.fetch_brand_icon(i);
        }
        self.trace.push(Event::Note {
            text: format!("provider {i}: {why}; it counts as {}", if mismatch { "a mismatch" } else { "logged out" }),
        });
        if let Some(p) = problem {
            self.trace.push(Event::ProviderSkipped { provider: i.get(), why: why.to_string(), problem: Some(p) });
        }
        self.set_entry(i, entry);
        self.after_provider_accounts(i);
    }

    pub(super) fn set_entry(&mut self, i: ProviderIx, entry: ProviderEntry) {
        let (name, accounts, approved_clients) = match &entry {
            ProviderEntry::LoggedOut => (EntryKind::LoggedOut, Vec::new(), Vec::new()),
            ProviderEntry::Mismatch => (EntryKind::Mismatch, Vec::new(), Vec::new()),
            ProviderEntry::Accounts(list) => (
                EntryKind::Accounts,
                list.iter().map(|a| a.id.clone()).collect(),
                list.iter().map(|a| a.approved_clients.clone()).collect(),
            ),
        };
        self.trace.push(Event::ProviderEntry { provider: i.get(), entry: name, accounts, approved_clients });
        self.set_stage(i, ProviderStage::Done(entry));
    }

    fn after_provider_accounts(&mut self, i: ProviderIx) {
        if matches!(self.control, Control::Refetch) {
            // A re-fetch after a login pop-up: back to the accounts UI.
            return match self.providers[i].entry() {
                Some(ProviderEntry::Accounts(_)) => self.show_accounts(),
                _ => self.ask(Control::ConfirmIdpLogin(super::login_popup::ConfirmIdpLogin { provider: i })),
            };
        }
        self.maybe_providers_done();
    }
}

fn no_response(document: crate::Document, reason: &str) -> Problem {
    Problem::error(document, None, crate::Rule::NoResponse { reason: reason.to_string() })
}
