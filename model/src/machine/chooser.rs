//! The account chooser (spec `#create-identity-credential`, "show an
//! account chooser"): choosing an account, cancelling, or logging in to a
//! mismatched IdP or "use another account".

use super::assertion::Selection;
use super::browser::Connection;
use super::control::{Control, Refused};
use super::login_popup::AfterLogin;
use super::outcome::Reason;
use super::prompt::{AccountChoice, ActionError, Prompt, UserAction};
use super::providers::ProviderIx;
use super::trace::Event;
use super::Flow;
use crate::mutation::mutant;
use crate::options::Mode;
use crate::profile::rules::{AccountOrder, UseOtherAccount};

/// The chooser is shown; what it lists is read from the providers.
#[derive(Debug, Clone, Hash)]
pub(super) struct Chooser;

impl Chooser {
    const PROMPT: &'static str = "account-chooser";

    pub(super) fn on_user(self, flow: &mut Flow, action: UserAction) -> Result<(), Refused> {
        match &action {
            UserAction::Choose { account_id, config_url } => {
                let found = flow.accounts_shown().into_iter().find(|(i, a)| {
                    &a.id == account_id
                        && config_url.as_deref().is_none_or(|c| c == flow.providers[*i].request.config_url_raw)
                });
                let Some((provider, account)) = found else {
                    if let Some(provider) = flow.providers.first().filter(|_| mutant!(AcceptUnshownChoice)) {
                        let account_id = account_id.clone();
                        flow.trace.push(Event::User { action });
                        let selection = Selection { provider, account_id, auto: false, permission_requested: false };
                        flow.fetch_assertion(selection);
                        return Ok(());
                    }
                    let error =
                        ActionError::UnknownAccount { prompt: Some(Self::PROMPT), account_id: account_id.clone() };
                    return Err(Refused::new(Control::Chooser(self), error));
                };
                let returning = flow.is_returning(provider, account);
                let account_id = account_id.clone();
                if mutant!(ConnectOnSelection) {
                    let c = Connection {
                        embedder: flow.rp_embedder.clone(),
                        rp: flow.rp_origin.clone(),
                        idp: flow.providers[provider].origin.clone(),
                        account: account_id.clone(),
                    };
                    if flow.browser_mut().connect(c.clone()) {
                        flow.trace.push(Event::ConnectionAdded { connection: c });
                    }
                }
                let permission_requested = !returning && flow.has_fields(provider);
                flow.trace.push(Event::User { action });
                flow.fetch_assertion(Selection { provider, account_id, auto: false, permission_requested });
            }
            UserAction::Cancel => {
                flow.trace.push(Event::User { action });
                flow.reject_with(Reason::UserCancelled, false, "the user closed the dialog", Vec::new());
            }
            UserAction::Login { config_url } => {
                let pick = |i: &ProviderIx| {
                    config_url.as_deref().is_none_or(|c| c == flow.providers[*i].request.config_url_raw)
                };
                let (target, after) = match flow.mismatched().into_iter().find(pick) {
                    Some(i) => (i, AfterLogin::Refetch),
                    None => match flow.providers.first().filter(|_| flow.supports_use_other_account()) {
                        Some(only) => (only, AfterLogin::UseOther),
                        None => {
                            let error = ActionError::NoLoginTarget { prompt: Some(Self::PROMPT) };
                            return Err(Refused::new(Control::Chooser(self), error));
                        }
                    },
                };
                flow.trace.push(Event::User { action });
                flow.open_login_popup(target, after);
            }
            _ => return Err(Refused::misfit(Control::Chooser(self), Self::PROMPT, &action)),
        }
        Ok(())
    }
}

impl Flow {
    /// When the browser last used provider `i`'s account `id` with this RP.
    fn last_used(&self, i: ProviderIx, id: &str) -> Option<u64> {
        let key = (self.rp_embedder.as_str(), self.rp_origin.as_str(), self.providers[i].origin.as_str(), id);
        self.browser.connections.last_used(&key)
    }

    /// Shows the chooser (its label and prompt).
    pub(super) fn show_chooser(&mut self) {
        if mutant!(AssertionWithoutChoice) {
            if let Some((provider, a)) = self.accounts_shown().first().map(|(i, a)| (*i, a.id.clone())) {
                let selection = Selection { provider, account_id: a, auto: false, permission_requested: false };
                return self.fetch_assertion(selection);
            }
        }
        self.ask(Control::Chooser(Chooser));
    }

    /// One IdP that supports "use another account", in active mode (the
    /// spec) or in either mode (Chromium 156, decisions P9).
    pub(super) fn supports_use_other_account(&self) -> bool {
        let offered = match self.rules.use_other_account {
            UseOtherAccount::ActiveMode => self.mode == Mode::Active,
            UseOtherAccount::EitherMode => true,
            UseOtherAccount::Never => false,
        };
        offered
            && self.providers.len() == 1
            && self
                .providers
                .values()
                .next()
                .and_then(|p| p.config.as_ref())
                .is_some_and(|c| c.supports_use_other_account)
    }

    pub(super) fn chooser_prompt(&self) -> Prompt {
        let mut accounts: Vec<AccountChoice> = self
            .accounts_shown()
            .into_iter()
            .map(|(i, a)| {
                let returning = self.is_returning(i, a);
                // The disclosure, with the RP's links, is for a sign-up only.
                let links = self.providers[i].metadata.as_ref().filter(|_| !returning);
                AccountChoice {
                    provider: i.get(),
                    config_url: self.providers[i].request.config_url_raw.clone(),
                    account_id: a.id.clone(),
                    display_name: a.display_name().to_string(),
                    returning,
                    privacy_policy_url: links.and_then(|m| m.privacy_policy_url.clone()),
                    terms_of_service_url: links.and_then(|m| m.terms_of_service_url.clone()),
                    newly_logged_in: self.providers[i].newly_logged_in(&a.id),
                    last_used: self.last_used(i, &a.id),
                }
            })
            .collect();
        // Chromium's stable sort: new since the login pop-up, then
        // returning, the most recently used first, then the rest in the
        // order fetched (decisions A60).
        if self.rules.account_order == AccountOrder::NewThenReturning && !mutant!(UnsortedAccounts) {
            accounts.sort_by_key(super::dialog::display_key);
        }
        let use_other_account = self.supports_use_other_account();
        let login_to: Vec<usize> = self.mismatched().into_iter().map(ProviderIx::get).collect();
        let dialog = self.dialog(&accounts, use_other_account, &login_to);
        Prompt::AccountChooser { accounts, use_other_account, login_to, dialog }
    }
}
