//! What the browser asks the person, and what they can answer.

pub use super::dialog::{Brand, Dialog, Form};
use serde::{Deserialize, Serialize};
use url::Url;

/// One account as the chooser shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Hash)]
pub struct AccountChoice {
    /// Index into the RP's `providers`.
    pub provider: usize,
    /// The provider's `configURL`, as the RP passed it.
    pub config_url: String,
    /// The account's `id`, what [`UserAction::Choose`] names.
    pub account_id: String,
    /// The first non-blank of `name`, `username`, `email`, `tel`; else the id.
    pub display_name: String,
    /// "Sign in" (returning) rather than "sign up" (new): decides whether
    /// the disclosure text is shown.
    pub returning: bool,
    /// The RP's privacy policy from the client metadata, linked in the
    /// sign-up disclosure: new accounts only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privacy_policy_url: Option<String>,
    /// The RP's terms of service, as `privacy_policy_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms_of_service_url: Option<String>,
    /// The account appeared through the login pop-up of this request (it
    /// was not listed before it): Chromium lists it first.
    #[serde(skip_serializing_if = "is_false")]
    pub newly_logged_in: bool,
    /// When this browser last used the account with this RP (a count of
    /// uses that grows, not a time): Chromium lists the most recent
    /// returning account first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<u64>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A question the browser puts to the person, through its own UI or a
/// pop-up at the IdP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Hash)]
#[serde(tag = "prompt", rename_all = "kebab-case")]
pub enum Prompt {
    /// The account chooser (or, for one account, the sign-in/sign-up
    /// confirmation). `login_to` lists providers whose accounts did not
    /// match (a "mismatch"): the person may log in to them instead.
    AccountChooser {
        /// The accounts shown, provider by provider in the RP's order.
        accounts: Vec<AccountChoice>,
        /// Whether "use another account" is offered (active mode, one
        /// provider whose config has `supports_use_other_account`).
        use_other_account: bool,
        /// Indices of the mismatched providers.
        login_to: Vec<usize>,
        /// What the dialog around the accounts shows.
        dialog: Dialog,
    },
    /// No account to show, but the IdP was logged in: offer to log in
    /// again (spec "confirm IdP login").
    ConfirmIdpLogin {
        /// Index into the RP's `providers`.
        provider: usize,
        /// The provider's `configURL`, as the RP passed it.
        config_url: String,
    },
    /// A pop-up at the IdP's `login_url`.
    LoginPopup {
        /// Index into the RP's `providers`.
        provider: usize,
        /// `login_url`, with the RP's `login_hint` and `domain_hint` added.
        url: Url,
    },
    /// A pop-up at the IdP's `continue_on` URL.
    ContinuationPopup {
        /// Index into the RP's `providers`.
        provider: usize,
        /// `continue_on`, same-origin with the assertion endpoint.
        url: Url,
    },
    /// The identity assertion failed; the person must see and dismiss it.
    ErrorDialog {
        /// The IdP's `error.error` code; empty when the IdP gave none.
        code: String,
        /// `error.url`, kept only on the assertion endpoint's site.
        url: Option<Url>,
    },
}

impl Prompt {
    /// The kebab-case name scenario files and the trace use.
    pub fn name(&self) -> &'static str {
        match self {
            Prompt::AccountChooser { .. } => "account-chooser",
            Prompt::ConfirmIdpLogin { .. } => "confirm-idp-login",
            Prompt::LoginPopup { .. } => "login-popup",
            Prompt::ContinuationPopup { .. } => "continuation-popup",
            Prompt::ErrorDialog { .. } => "error-dialog",
        }
    }
}

/// What the person (or the IdP page in a pop-up) does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum UserAction {
    /// Picks an account in the chooser. `config_url` disambiguates when
    /// two providers list the same id.
    Choose {
        /// The account's `id`.
        account_id: String,
        /// The provider's `configURL`; `None` picks the first account
        /// with that id.
        config_url: Option<String>,
    },
    /// Closes the dialog or pop-up (and dismisses an error dialog).
    Cancel,
    /// "Use another account", or "continue" in a confirm-IdP-login dialog,
    /// or the login link of a mismatched IdP in the chooser.
    Login {
        /// Which mismatched provider to log in to; `None` takes the first
        /// one, else "use another account".
        config_url: Option<String>,
    },
    /// In a login pop-up: the person signs in, the IdP sets its login
    /// status to logged-in and calls `IdentityProvider.close()`.
    LoggedIn,
    /// The IdP page calls `IdentityProvider.close()` without a sign-in.
    IdpClose,
    /// In a continuation pop-up: `IdentityProvider.resolve(token, {accountId})`.
    Resolve {
        /// The token, any JSON value.
        token: serde_json::Value,
        /// `accountId`, when the IdP names the account used.
        account_id: Option<String>,
    },
    /// Acknowledges an error dialog.
    Dismiss,
}

/// Why an answer does not fit the question. `prompt` names what was being
/// asked, when anything was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "error", rename_all = "kebab-case")]
pub enum ActionError {
    /// The chooser shows no such account.
    UnknownAccount {
        /// The prompt shown, by [`Prompt::name`].
        prompt: Option<&'static str>,
        /// The id asked for.
        account_id: String,
    },
    /// "Use another account" (or a login) with no provider to log in to.
    NoLoginTarget {
        /// The prompt shown, by [`Prompt::name`].
        prompt: Option<&'static str>,
    },
    /// The request has settled: nothing can be answered any more.
    Settled {
        /// The prompt shown when the request settled, if any.
        prompt: Option<&'static str>,
    },
    /// The answer (its debug form) is not one this prompt takes.
    DoesNotFit {
        /// The prompt shown, by [`Prompt::name`].
        prompt: &'static str,
        /// The answer's debug form.
        action: String,
    },
    /// Nothing is being asked.
    NothingAsked,
}

impl ActionError {
    /// The prompt that was shown, if any.
    pub fn prompt(&self) -> Option<&'static str> {
        match self {
            ActionError::UnknownAccount { prompt, .. }
            | ActionError::NoLoginTarget { prompt }
            | ActionError::Settled { prompt } => *prompt,
            ActionError::DoesNotFit { prompt, .. } => Some(prompt),
            ActionError::NothingAsked => None,
        }
    }
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(p) = self.prompt() {
            write!(f, "at the {p}: ")?;
        }
        match self {
            ActionError::UnknownAccount { account_id, .. } => write!(f, "no account {account_id:?} is shown"),
            ActionError::NoLoginTarget { .. } => {
                f.write_str("no provider to log in to, and no \"use another account\"")
            }
            ActionError::Settled { .. } => f.write_str("the request is already settled"),
            ActionError::DoesNotFit { action, .. } => write!(f, "{action} does not answer this prompt"),
            ActionError::NothingAsked => f.write_str("nothing is being asked"),
        }
    }
}

impl std::error::Error for ActionError {}
