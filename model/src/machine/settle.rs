//! How a call ends (spec `#browser-api-rp-sign-in`): the error dialog
//! before an `IdentityCredentialError`, the randomised delay before some
//! rejections, and the settled promise with the connection it records.

use super::assertion::Selection;
use super::browser::Connection;
use super::control::{Control, Refused};
use super::fetch::FetchRequest;
use super::outcome::{ErrorName, IdentityCredential, Outcome, Reason, Rejection};
use super::prompt::{Prompt, UserAction};
use super::trace::Event;
use super::{Flow, TimerId};
use crate::mutation::mutant;
use crate::problem::Problem;
use crate::profile::rules::{CredentialConfigUrl, ErrorMember};
use url::Url;

/// The error dialog is shown; dismissing it rejects with `rejection`.
#[derive(Debug, Clone, Hash)]
pub(super) struct ErrorDialog {
    rejection: Rejection,
}

impl ErrorDialog {
    const PROMPT: &'static str = "error-dialog";

    pub(super) fn prompt(&self) -> Prompt {
        let r = &self.rejection;
        Prompt::ErrorDialog {
            code: r.code.clone().unwrap_or_default(),
            url: r.url.as_deref().and_then(|u| Url::parse(u).ok()),
        }
    }

    pub(super) fn on_user(self, flow: &mut Flow, action: UserAction) -> Result<(), Refused> {
        match action {
            UserAction::Dismiss | UserAction::Cancel => {
                flow.trace.push(Event::User { action });
                flow.settle_reject(self.rejection);
                Ok(())
            }
            _ => Err(Refused::misfit(Control::ErrorDialog(self), Self::PROMPT, &action)),
        }
    }
}

/// Waiting out the privacy delay before rejecting with `rejection`.
#[derive(Debug, Clone, Hash)]
pub(super) struct Delay {
    pub(super) timer: TimerId,
    rejection: Rejection,
}

impl Delay {
    pub(super) fn on_timer(self, flow: &mut Flow) {
        flow.trace.push(Event::TimerFired { id: self.timer });
        flow.settle_reject(self.rejection);
    }
}

impl Flow {
    pub(super) fn resolve(&mut self, selection: &Selection, token: serde_json::Value) {
        let p = &self.providers[selection.provider];
        let connection = Connection {
            embedder: self.rp_embedder.clone(),
            rp: self.rp_origin.clone(),
            idp: p.origin.clone(),
            account: selection.account_id.clone(),
        };
        let auto = selection.auto && !mutant!(CredentialNeverAuto);
        // Chromium hands back the parsed URL; the spec the RP's string
        // (decisions P16).
        let config_url = match (self.rules.credential_config_url, p.config_url()) {
            (CredentialConfigUrl::Parsed, Some(c)) => c.url().to_string(),
            _ => p.request.config_url_raw.clone(),
        };
        let credential = IdentityCredential::new(token, auto, config_url);
        if self.browser_mut().connect(connection.clone()) {
            self.trace.push(Event::ConnectionAdded { connection });
        }
        // A successful sign-in is the mediation `preventSilentAccess()`
        // asked for: Chromium clears the flag then; the spec never does
        // (ambiguity A5).
        if self.rules.sign_in_clears_mediation && self.browser.requires_user_mediation.contains(&self.rp_origin) {
            let origin = self.rp_origin.clone();
            self.browser_mut().requires_user_mediation.remove(&origin);
            self.trace.push(Event::UserMediationCleared { origin });
        }
        self.settle(Outcome::Resolve { credential });
        if mutant!(RequestAfterSettle) {
            let id = self.id();
            let url = self.providers[selection.provider].config_url().map(|c| c.url().clone());
            if let Some(url) = url {
                self.send(FetchRequest::image(id, selection.provider.get(), url, self.rules.image_fetch));
            }
        }
    }

    /// The error dialog comes before an `IdentityCredentialError`.
    pub(super) fn show_error(&mut self, rejection: Rejection) {
        if self.rules.error_member == ErrorMember::Unsupported {
            // No IdentityCredentialError and no error dialog: every failure
            // of the assertion is a NetworkError (Firefox, decisions F1).
            let Rejection { reason, message, problems, .. } = rejection;
            return self.reject_with(reason, false, message, problems);
        }
        if mutant!(NoErrorDialog) {
            return self.settle_reject(rejection);
        }
        self.ask(Control::ErrorDialog(ErrorDialog { rejection }));
    }

    pub(super) fn reject_now(&mut self, reason: Reason, message: impl Into<String>) {
        self.reject_with(reason, false, message, Vec::new());
    }

    /// Rejects with a `NetworkError`, after the privacy delay when `delayed`.
    pub(super) fn reject_with(
        &mut self,
        reason: Reason,
        delayed: bool,
        message: impl Into<String>,
        problems: Vec<Problem>,
    ) {
        let delayed =
            (delayed && !mutant!(NeverDelay)) || (reason == Reason::UserCancelled && mutant!(DelayUserCancel));
        let mut rejection = Rejection::new(ErrorName::NetworkError, reason, delayed, message).with_problems(problems);
        if mutant!(NetworkErrorWithCode) {
            rejection.code = Some(String::new());
        }
        if delayed {
            let timer = self.outbox.ids.timer();
            self.transition(Control::Delay(Delay { timer, rejection }));
            self.trace.push(Event::TimerStarted { id: timer });
        } else {
            self.settle_reject(rejection);
        }
    }

    pub(super) fn settle_reject(&mut self, rejection: Rejection) {
        self.settle(Outcome::Reject { error: rejection });
    }

    /// Ends the call: the Resolved or Rejected label, then the outcome.
    fn settle(&mut self, outcome: Outcome) {
        self.transition(Control::Done(outcome.clone()));
        self.outbox.close();
        if mutant!(DoubleSettle) {
            self.trace.push(Event::Settled { outcome: outcome.clone() });
        }
        self.trace.push(Event::Settled { outcome });
    }
}
