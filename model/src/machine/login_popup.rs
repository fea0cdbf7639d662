//! Logging in to the IdP (spec `#helper-algorithms`, "show an IdP login
//! dialog"): the confirm-IdP-login prompt after a mismatch, the login
//! pop-up, and the accounts fetch that follows a successful login.

use super::browser::LoginStatus;
use super::control::{Control, Refused};
use super::outcome::Reason;
use super::prompt::{Prompt, UserAction};
use super::providers::{ProviderEntry, ProviderIx};
use super::trace::Event;
use super::Flow;
use crate::mutation::mutant;
use crate::profile::rules::LoginSuccess;
use url::Url;

/// What follows a successful login pop-up, and what a failed one means.
#[derive(Debug, Clone, Copy, PartialEq, Hash)]
pub(super) enum AfterLogin {
    /// Active mode, logged out before any account fetch.
    FetchAccounts,
    /// From a mismatch: failure ends the request.
    Refetch,
    /// "Use another account": failure goes back to the chooser.
    UseOther,
}

/// A mismatched IdP: the person is offered to log in to it again.
#[derive(Debug, Clone, Hash)]
pub(super) struct ConfirmIdpLogin {
    pub(super) provider: ProviderIx,
}

impl ConfirmIdpLogin {
    const PROMPT: &'static str = "confirm-idp-login";

    pub(super) fn prompt(&self, flow: &Flow) -> Prompt {
        let config_url = flow.providers[self.provider].request.config_url_raw.clone();
        Prompt::ConfirmIdpLogin { provider: self.provider.get(), config_url }
    }

    pub(super) fn on_user(self, flow: &mut Flow, action: UserAction) -> Result<(), Refused> {
        match action {
            UserAction::Cancel => {
                flow.trace.push(Event::User { action });
                flow.reject_with(Reason::UserCancelled, false, "the user closed the dialog", Vec::new());
            }
            UserAction::Login { .. } => {
                flow.trace.push(Event::User { action });
                flow.open_login_popup(self.provider, AfterLogin::Refetch);
            }
            _ => return Err(Refused::misfit(Control::ConfirmIdpLogin(self), Self::PROMPT, &action)),
        }
        Ok(())
    }
}

/// The IdP's login pop-up is open at `url`.
#[derive(Debug, Clone, Hash)]
pub(super) struct LoginPopup {
    pub(super) provider: ProviderIx,
    url: Url,
    then: AfterLogin,
}

impl LoginPopup {
    const PROMPT: &'static str = "login-popup";

    pub(super) fn prompt(&self) -> Prompt {
        Prompt::LoginPopup { provider: self.provider.get(), url: self.url.clone() }
    }

    pub(super) fn on_user(self, flow: &mut Flow, action: UserAction) -> Result<(), Refused> {
        if !matches!(action, UserAction::LoggedIn | UserAction::IdpClose | UserAction::Cancel) {
            return Err(Refused::misfit(Control::LoginPopup(self), Self::PROMPT, &action));
        }
        let (i, after) = (self.provider, self.then);
        let origin = flow.providers[i].origin.clone();
        let cancelled = action == UserAction::Cancel;
        let logged_in = action == UserAction::LoggedIn;
        flow.trace.push(Event::User { action });
        if logged_in {
            flow.set_login_status(&origin, LoginStatus::LoggedIn);
        }
        // The spec: success iff the IdP's login status is logged-in when
        // the pop-up closes through IdentityProvider.close(). Chromium: iff
        // the IdP signalled logged-in while the pop-up was open; a close()
        // without that signal fails the call, even when the status already
        // was logged-in and even after "use another account" (decisions P8).
        let success = !cancelled
            && match flow.rules.login_success {
                LoginSuccess::StatusAtClose => flow.browser.login_status(&origin) == LoginStatus::LoggedIn,
                LoginSuccess::SignalDuringPopup => logged_in,
            };
        if !success {
            // The person closing the window goes back to the chooser.
            let back =
                after == AfterLogin::UseOther && (cancelled || flow.rules.login_success == LoginSuccess::StatusAtClose);
            if back {
                flow.show_chooser();
            } else {
                let msg = "the login pop-up closed without the user logging in";
                flow.reject_with(Reason::LoginPopupFailed, false, msg, Vec::new());
            }
            return Ok(());
        }
        // The pop-up is closed: nothing is asked while accounts load.
        if after == AfterLogin::FetchAccounts {
            flow.transition(Control::Gather);
            flow.providers[i].status_at_start = LoginStatus::LoggedIn;
            if flow.rules.restart_after_login {
                flow.restart_provider(i);
                return Ok(());
            }
        } else {
            flow.transition(Control::Refetch);
        }
        flow.fetch_accounts(i);
        Ok(())
    }
}

impl Flow {
    pub(super) fn open_login_popup(&mut self, i: ProviderIx, then: AfterLogin) {
        let listed = match self.providers[i].entry() {
            Some(ProviderEntry::Accounts(list)) => list.iter().map(|a| a.id.clone()).collect(),
            _ => Vec::new(),
        };
        self.providers[i].before_login.get_or_insert(listed);
        let Some(config) = &self.providers[i].config else {
            return self.reject_with(Reason::LoginPopupFailed, false, "no config to take login_url from", Vec::new());
        };
        // The login URL as resolved when the config was checked (the spec
        // re-parses the raw string with no base; ambiguity A28).
        let Some(login_url) = &config.login_url else {
            return self.reject_with(Reason::LoginPopupFailed, false, "the config has no login_url", Vec::new());
        };
        let mut url = login_url.url().clone();
        let req = &self.providers[i].request;
        let hints: Vec<(&str, &str)> = [("login_hint", &req.login_hint), ("domain_hint", &req.domain_hint)]
            .into_iter()
            .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v)))
            .collect();
        if !hints.is_empty() && !mutant!(LoginPopupDropsHints) {
            url.query_pairs_mut().extend_pairs(hints);
        }
        self.ask(Control::LoginPopup(LoginPopup { provider: i, url, then }));
    }
}
