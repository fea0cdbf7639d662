//! Where a call is: one value, [`Control`], whose variants are the steps
//! the machine rests in between inputs, each holding what that step knows.
//! The trace label of a step comes from the variant ([`Control::label`])
//! and is written by [`Flow::transition`], the one place the control state
//! changes, so a label can never drift from the state it names.

use super::assertion::FetchAssertion;
use super::chooser::Chooser;
use super::continuation::Continuation;
use super::login_popup::{ConfirmIdpLogin, LoginPopup};
use super::outcome::Outcome;
use super::permission::ClientMetadataStep;
use super::prompt::{ActionError, UserAction};
use super::settle::{Delay, ErrorDialog};
use super::state::State;
use super::trace::Event;
use super::Flow;

/// The step a call rests in. The model checker hashes its `Debug` form
/// ([`Flow::future_key`]), so it is derived and shows every field.
#[derive(Debug, Clone, Hash)]
pub(super) enum Control {
    /// Providers are being fetched; each provider's stage has its own label.
    Gather,
    /// After a login pop-up from the accounts UI: that provider's accounts
    /// are fetched again, and the accounts UI follows whatever they hold.
    Refetch,
    ClientMetadata(ClientMetadataStep),
    Chooser(Chooser),
    ConfirmIdpLogin(ConfirmIdpLogin),
    LoginPopup(LoginPopup),
    FetchAssertion(FetchAssertion),
    Continuation(Continuation),
    ErrorDialog(ErrorDialog),
    Delay(Delay),
    Done(Outcome),
    /// The placeholder while a handler owns the step it took out with
    /// `mem::replace`; every handler leaves through a transition, so the
    /// machine never rests here.
    Taken,
}

impl Control {
    /// The trace label of this step and its provider. `Gather` and
    /// `Refetch` have none: their providers' stages have theirs.
    fn label(&self) -> Option<(State, Option<usize>)> {
        Some(match self {
            Control::Gather | Control::Refetch | Control::Taken => return None,
            Control::ClientMetadata(_) => (State::FetchClientMetadata, None),
            Control::Chooser(_) => (State::AccountChooser, None),
            Control::ConfirmIdpLogin(s) => (State::ConfirmIdpLogin, Some(s.provider.get())),
            Control::LoginPopup(s) => (State::LoginPopup, Some(s.provider.get())),
            Control::FetchAssertion(s) => (State::FetchIdentityAssertion, Some(s.selection.provider.get())),
            Control::Continuation(_) => (State::ContinuationPopup, None),
            Control::ErrorDialog(_) => (State::ErrorDialog, None),
            Control::Delay(_) => (State::RejectionDelay, None),
            Control::Done(Outcome::Resolve { .. }) => (State::Resolved, None),
            Control::Done(Outcome::Reject { .. }) => (State::Rejected, None),
        })
    }
}

/// A step the machine passes through within one call and never rests in:
/// it has a trace label but no variant of its own.
#[derive(Debug, Clone, Copy)]
pub(super) enum Passing {
    /// Checking the RP's options (spec `#browser-api-credential-request-options`).
    Validation,
    /// Active mode's gates: one provider, a user gesture.
    ModeGate,
    /// Deciding whether to re-authenticate without asking.
    AutoReauthn,
}

impl Passing {
    fn label(self) -> State {
        match self {
            Passing::Validation => State::RequestValidation,
            Passing::ModeGate => State::ModeGate,
            Passing::AutoReauthn => State::AutoReauthn,
        }
    }
}

/// An answer a step did not take: the step, handed back unchanged, and
/// why. Boxed: refusals are rare and a step is large.
pub(super) struct Refused {
    pub(super) step: Box<Control>,
    pub(super) error: ActionError,
}

impl Refused {
    pub(super) fn new(step: Control, error: ActionError) -> Refused {
        Refused { step: Box::new(step), error }
    }

    /// The answer is not one the prompt `prompt` takes.
    pub(super) fn misfit(step: Control, prompt: &'static str, action: &UserAction) -> Refused {
        Refused::new(step, ActionError::DoesNotFit { prompt, action: format!("{action:?}") })
    }
}

impl Flow {
    /// Passes through a step: its trace label, and no change of state.
    pub(super) fn pass(&mut self, step: Passing) {
        self.trace.push(Event::Enter { state: step.label(), provider: None });
    }

    /// Enters a step: its trace label, then the step.
    pub(super) fn transition(&mut self, next: Control) {
        if let Some((state, provider)) = next.label() {
            self.trace.push(Event::Enter { state, provider });
        }
        self.control = next;
        self.asked = None;
    }

    /// Enters a step that asks the person, and records the question.
    pub(super) fn ask(&mut self, next: Control) {
        self.transition(next);
        if let Some(prompt) = self.prompt() {
            let prompt = std::sync::Arc::new(prompt);
            self.asked = Some(std::sync::Arc::clone(&prompt));
            self.trace.push(Event::Prompt { prompt });
        }
    }
}
