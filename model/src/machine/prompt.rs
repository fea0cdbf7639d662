//! What the browser asks the person, and what they can answer.

use serde::{Deserialize, Serialize};
use url::Url;

/// One account as the chooser shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountChoice {
    pub provider: usize,
    pub config_url: String,
    pub account_id: String,
    pub display_name: String,
    /// "Sign in" (returning) rather than "sign up" (new): decides whether
    /// the disclosure text is shown.
    pub returning: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "prompt", rename_all = "kebab-case")]
pub enum Prompt {
    /// The account chooser (or, for one account, the sign-in/sign-up
    /// confirmation). `login_to` lists providers whose accounts did not
    /// match (a "mismatch"): the person may log in to them instead.
    AccountChooser { accounts: Vec<AccountChoice>, use_other_account: bool, login_to: Vec<usize> },
    /// No account to show, but the IdP was logged in: offer to log in
    /// again (spec "confirm IdP login").
    ConfirmIdpLogin { provider: usize, config_url: String },
    /// A pop-up at the IdP's `login_url`.
    LoginPopup { provider: usize, url: Url },
    /// A pop-up at the IdP's `continue_on` URL.
    ContinuationPopup { provider: usize, url: Url },
    /// The identity assertion failed; the person must see and dismiss it.
    ErrorDialog { code: String, url: Option<Url> },
}

impl Prompt {
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UserAction {
    /// Picks an account in the chooser. `config_url` disambiguates when
    /// two providers list the same id.
    Choose { account_id: String, config_url: Option<String> },
    /// Closes the dialog or pop-up (and dismisses an error dialog).
    Cancel,
    /// "Use another account", or "continue" in a confirm-IdP-login dialog,
    /// or the login link of a mismatched IdP in the chooser.
    Login { config_url: Option<String> },
    /// In a login pop-up: the person signs in, the IdP sets its login
    /// status to logged-in and calls `IdentityProvider.close()`.
    LoggedIn,
    /// The IdP page calls `IdentityProvider.close()` without a sign-in.
    IdpClose,
    /// In a continuation pop-up: `IdentityProvider.resolve(token, {accountId})`.
    Resolve { token: serde_json::Value, account_id: Option<String> },
    /// Acknowledges an error dialog.
    Dismiss,
}

/// Why an answer does not fit the question. `prompt` names what was being
/// asked, when anything was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "error", rename_all = "kebab-case")]
pub enum ActionError {
    /// The chooser shows no such account.
    UnknownAccount { prompt: Option<&'static str>, account_id: String },
    /// "Use another account" (or a login) with no provider to log in to.
    NoLoginTarget { prompt: Option<&'static str> },
    /// The request has settled: nothing can be answered any more.
    Settled { prompt: Option<&'static str> },
    /// The answer (its debug form) is not one this prompt takes.
    DoesNotFit { prompt: &'static str, action: String },
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
