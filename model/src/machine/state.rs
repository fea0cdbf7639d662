//! The states of the algorithm, named after the spec's steps. The trace
//! records each one entered, so tests and the CLI can say which paths a
//! scenario took.

use serde::Serialize;

/// A step of the algorithm, as the trace labels it ([`super::trace::Event::Enter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// IDL conversion of the options and the Credential Management gates.
    RequestValidation,
    /// Active mode: one provider and transient activation.
    ModeGate,
    /// Per provider: silent gate, login status, requires-user-mediation.
    LoginStatusCheck,
    /// Well-known file and config file, fetched in parallel.
    FetchConfig,
    /// Active mode, logged out: the login pop-up before any account fetch.
    LoginBeforeAccounts,
    /// Per provider: the accounts GET with the IdP's cookies.
    FetchAccounts,
    /// loginHint, domainHint and account_label filters.
    FilterAccounts,
    /// Per provider: the client metadata GET, for accounts that are new to the RP.
    FetchClientMetadata,
    /// Auto re-authentication: one returning account and no mediation needed, so no chooser.
    AutoReauthn,
    /// The account chooser is shown.
    AccountChooser,
    /// No account to show but the IdP was logged in: offer to log in again.
    ConfirmIdpLogin,
    /// The IdP's login pop-up is open.
    LoginPopup,
    /// The assertion POST for the chosen account.
    FetchIdentityAssertion,
    /// The IdP's `continue_on` pop-up is open.
    ContinuationPopup,
    /// The assertion failed and the error dialog is shown.
    ErrorDialog,
    /// Waiting out the randomised delay before a rejection.
    RejectionDelay,
    /// The promise resolved with a credential.
    Resolved,
    /// The promise rejected.
    Rejected,
    // disconnect()
    /// `disconnect()`: the options, the config URL and the connection gate.
    DisconnectValidation,
    /// `disconnect()`: the POST to `disconnect_endpoint`.
    DisconnectRequest,
}

impl State {
    /// Every state, for coverage reports.
    pub const ALL: [State; 20] = [
        State::RequestValidation,
        State::ModeGate,
        State::LoginStatusCheck,
        State::FetchConfig,
        State::LoginBeforeAccounts,
        State::FetchAccounts,
        State::FilterAccounts,
        State::FetchClientMetadata,
        State::AutoReauthn,
        State::AccountChooser,
        State::ConfirmIdpLogin,
        State::LoginPopup,
        State::FetchIdentityAssertion,
        State::ContinuationPopup,
        State::ErrorDialog,
        State::RejectionDelay,
        State::Resolved,
        State::Rejected,
        State::DisconnectValidation,
        State::DisconnectRequest,
    ];

    /// The kebab-case name the trace and scenario files use.
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
    }

    /// The spec section the state implements.
    pub fn anchor(self) -> &'static str {
        match self {
            State::RequestValidation => "browser-api-rp-sign-in",
            State::ModeGate
            | State::LoginStatusCheck
            | State::LoginBeforeAccounts
            | State::FilterAccounts
            | State::AutoReauthn
            | State::AccountChooser
            | State::ConfirmIdpLogin
            | State::ErrorDialog
            | State::Resolved => "create-identity-credential",
            State::FetchConfig => "fetch-config-file",
            State::FetchAccounts => "fetch-accounts",
            State::FetchClientMetadata => "request-permission-signup",
            State::LoginPopup | State::ContinuationPopup => "helper-algorithms",
            State::FetchIdentityAssertion => "fetch-identity-assertion",
            State::RejectionDelay | State::Rejected => "browser-api-rp-sign-in",
            State::DisconnectValidation => "browser-api-identity-credential-disconnect",
            State::DisconnectRequest => "disconnect-request",
        }
    }
}
