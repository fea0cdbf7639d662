//! The continuation pop-up (spec `#helper-algorithms`, "show a
//! continuation dialog"): the IdP's `continue_on` page, which ends in
//! `IdentityProvider.resolve()` or closes.

use super::assertion::Selection;
use super::control::{Control, Refused};
use super::outcome::Reason;
use super::prompt::{Prompt, UserAction};
use super::trace::Event;
use super::Flow;
use url::Url;

/// The IdP's `continue_on` pop-up is open at `url`.
#[derive(Debug, Clone, Hash)]
pub(super) struct Continuation {
    pub(super) selection: Selection,
    pub(super) url: Url,
}

impl Continuation {
    const PROMPT: &'static str = "continuation-popup";

    pub(super) fn prompt(&self) -> Prompt {
        Prompt::ContinuationPopup { provider: self.selection.provider.get(), url: self.url.clone() }
    }

    pub(super) fn on_user(self, flow: &mut Flow, action: UserAction) -> Result<(), Refused> {
        match action {
            UserAction::Resolve { ref token, ref account_id } => {
                let mut selection = self.selection;
                if let Some(id) = account_id {
                    selection.account_id = id.clone();
                }
                let token = token.clone();
                flow.trace.push(Event::User { action });
                flow.resolve(&selection, token);
            }
            UserAction::Cancel | UserAction::IdpClose => {
                let (reason, who) = if action == UserAction::Cancel {
                    (Reason::ContinuationClosedByUser, "the user closed")
                } else {
                    (Reason::ContinuationClosedByIdp, "the IdP closed")
                };
                flow.trace.push(Event::User { action });
                flow.reject_with(reason, false, format!("{who} the continuation pop-up"), Vec::new());
            }
            _ => return Err(Refused::misfit(Control::Continuation(self), Self::PROMPT, &action)),
        }
        Ok(())
    }
}
