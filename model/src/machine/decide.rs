//! After every provider (spec `#create-identity-credential`): auto
//! re-authentication, a silent failure, or which UI comes next.

use super::assertion::Selection;
use super::browser::LoginStatus;
use super::control::Passing;
use super::login_popup::{AfterLogin, ConfirmIdpLogin};
use super::outcome::Reason;
use super::permission::AfterMetadata;
use super::providers::{ProviderEntry, ProviderIx};
use super::trace::Event;
use super::{Control, Flow};
use crate::idp::accounts::Account;
use crate::mutation::mutant;
use crate::options::{Mediation, Mode};
use crate::problem::Problem;
use crate::profile::rules::MetadataTiming;

impl Flow {
    pub(super) fn decide(&mut self) {
        self.work += self.providers.len() as u64;
        let entries: Vec<(ProviderIx, &ProviderEntry)> =
            self.providers.iter().filter_map(|(i, p)| p.entry().map(|e| (i, e))).collect();
        if entries.is_empty() {
            let delayed = self.failure_is_delayed();
            let skipped: Vec<&(String, Option<Problem>)> =
                self.providers.values().filter_map(|p| p.skipped.as_ref()).collect();
            let why: Vec<String> = skipped
                .iter()
                .enumerate()
                .map(|(i, (why, problem))| match problem {
                    Some(p) => format!("provider {i}: {why} ({})", p.rule.id()),
                    None => format!("provider {i}: {why}"),
                })
                .collect();
            let problems = skipped.iter().filter_map(|(_, p)| p.clone()).collect();
            let msg = format!("no provider could be used: {}", why.join("; "));
            return self.reject_with(Reason::NoProviderLeft, delayed, msg, problems);
        }
        let any_mismatch = entries.iter().any(|(_, e)| matches!(e, ProviderEntry::Mismatch));
        let (embedder, rp) = (&self.rp_embedder, &self.rp_origin);
        let eligible: Vec<(ProviderIx, String)> = entries
            .iter()
            .filter_map(|(i, e)| match e {
                ProviderEntry::Accounts(list) => Some((*i, list)),
                _ => None,
            })
            .flat_map(|(i, list)| {
                let p = &self.providers[i];
                list.iter()
                    .filter(|a| {
                        a.approved_clients.as_ref().is_none_or(|c| c.contains(&p.request.client_id))
                            && self.browser.is_connected(embedder, rp, &p.origin, &a.id)
                    })
                    .map(move |a| (i, a.id.clone()))
            })
            .collect();
        // Chromium drops logged-out IdPs before it looks at silent mediation,
        // and fails with the delay in passive mode.
        let all_logged_out_at_start = self.providers.values().all(|p| {
            p.status_at_start == LoginStatus::LoggedOut && matches!(p.entry(), Some(ProviderEntry::LoggedOut) | None)
        });
        if self.rules.logged_out_fails_first && all_logged_out_at_start && self.mode == Mode::Passive {
            let msg = "every IdP is logged out";
            return self.reject_with(Reason::NotSignedIn, true, msg, Vec::new());
        }
        if self.rules.metadata_timing == MetadataTiming::NewAccountsEachFetch {
            // Chromium asks for the client metadata with each accounts
            // response, before it considers auto re-authentication
            // (decisions P6); the decision resumes once it is in.
            let waiting: Vec<ProviderIx> = entries
                .iter()
                .filter(|(i, e)| matches!(e, ProviderEntry::Accounts(_)) && self.needs_client_metadata(*i))
                .map(|(i, _)| *i)
                .collect();
            if !waiting.is_empty() {
                return self.fetch_client_metadata_then(waiting, AfterMetadata::Decide);
            }
        }
        self.pass(Passing::AutoReauthn);
        let requires_mediation = self.browser.requires_user_mediation.contains(&self.rp_origin);
        let required = self.mediation == Mediation::Required && !mutant!(AutoReauthnIgnoresRequired);
        let one = eligible.len() == 1 || (mutant!(AutoReauthnWithSeveralAccounts) && !eligible.is_empty());
        let any_mismatch = any_mismatch && !mutant!(AutoReauthnDespiteMismatch);
        let auto = eligible.first().filter(|_| !required && !requires_mediation && one && !any_mismatch);
        if let Some((provider, account_id)) = auto.cloned() {
            self.trace.push(Event::AutoSelected { provider: provider.get(), account_id: account_id.clone() });
            return self.fetch_assertion(Selection { provider, account_id, auto: true, permission_requested: false });
        }
        if self.mediation == Mediation::Silent {
            let msg = format!(
                "silent mediation needs exactly one returning account and no mismatch; found {} eligible",
                eligible.len()
            );
            let delayed = self.rules.silent_failure_delayed;
            return self.reject_with(Reason::SilentWithoutAutoReauthn, delayed, msg, Vec::new());
        }
        self.show_accounts();
    }

    /// Every account the chooser shows, with its provider.
    pub(super) fn accounts_shown(&self) -> Vec<(ProviderIx, &Account)> {
        self.providers
            .iter()
            .filter_map(|(i, p)| match p.entry() {
                Some(ProviderEntry::Accounts(list)) => Some(list.iter().map(move |a| (i, a))),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// The providers whose accounts fetch was a mismatch.
    pub(super) fn mismatched(&self) -> Vec<ProviderIx> {
        self.providers
            .iter()
            .filter(|(_, p)| matches!(p.entry(), Some(ProviderEntry::Mismatch)))
            .map(|(i, _)| i)
            .collect()
    }

    /// "connected" for the chooser: `approved_clients` decides alone when
    /// present (spec "compute the connection status").
    pub(super) fn is_returning(&self, i: ProviderIx, account: &Account) -> bool {
        let p = &self.providers[i];
        match &account.approved_clients {
            Some(clients) => clients.contains(&p.request.client_id),
            None => self.browser.is_connected(&self.rp_embedder, &self.rp_origin, &p.origin, &account.id),
        }
    }

    /// The accounts UI: the chooser (after any client metadata), or a way
    /// to log in, or the failure when nothing can be shown.
    pub(super) fn show_accounts(&mut self) {
        let shown = self.accounts_shown();
        let visited = (self.providers.len() + shown.len()) as u64;
        let mismatched = self.mismatched();
        if shown.is_empty() {
            if let Some(&i) = mismatched.first() {
                if self.rules.active_login_shortcuts && self.mode == Mode::Active {
                    // Chromium's active mode goes straight to the login pop-up.
                    return self.open_login_popup(i, AfterLogin::Refetch);
                }
                return self.ask(Control::ConfirmIdpLogin(ConfirmIdpLogin { provider: i }));
            }
            // Chromium's active mode offers the login pop-up when the accounts
            // fetch failed for an IdP whose status was unknown.
            if self.rules.active_login_shortcuts && self.mode == Mode::Active {
                let fetched = self
                    .providers
                    .iter()
                    .find(|(_, p)| {
                        p.config.is_some()
                            && p.status_at_start == LoginStatus::Unknown
                            && matches!(p.entry(), Some(ProviderEntry::LoggedOut))
                    })
                    .map(|(i, _)| i);
                if let Some(i) = fetched {
                    // The failed fetch set its status to logged-out: a
                    // login signs it in, as for a logged-out IdP.
                    return self.open_login_popup(i, AfterLogin::FetchAccounts);
                }
            }
            // Only logged-out providers: show nothing and fail as the spec's
            // option "return (failure, false)" does (ambiguities A8, A9).
            let delayed = self.failure_is_delayed();
            return self.reject_with(Reason::NotSignedIn, delayed, "the user is not signed in to any IdP", Vec::new());
        }
        let mut providers: Vec<ProviderIx> = shown.iter().map(|(i, _)| *i).collect();
        providers.dedup();
        self.work += visited;
        self.fetch_client_metadata(providers);
    }
}
