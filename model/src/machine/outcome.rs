//! How a request ends: the credential, or what JavaScript sees plus the
//! model's own reason for it.

use crate::problem::Problem;
use serde::Serialize;
use url::Url;

/// What the RP's promise resolves with (spec
/// `#browser-api-identity-credential-interface`). Only the assertion step
/// can make one, so no path yields a token without an assertion response.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityCredential {
    token: serde_json::Value,
    is_auto_selected: bool,
    /// The RP's `configURL` string, unnormalized.
    #[serde(rename = "configURL")]
    config_url: String,
}

impl IdentityCredential {
    pub(crate) fn new(token: serde_json::Value, is_auto_selected: bool, config_url: String) -> Self {
        IdentityCredential { token, is_auto_selected, config_url }
    }
    pub fn token(&self) -> &serde_json::Value {
        &self.token
    }
    pub fn is_auto_selected(&self) -> bool {
        self.is_auto_selected
    }
    pub fn config_url(&self) -> &str {
        &self.config_url
    }
}

/// The exception's name as JavaScript sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ErrorName {
    NetworkError,
    IdentityCredentialError,
    NotAllowedError,
    AbortError,
    TypeError,
    NotSupportedError,
    InvalidStateError,
}

impl ErrorName {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorName::NetworkError => "NetworkError",
            ErrorName::IdentityCredentialError => "IdentityCredentialError",
            ErrorName::NotAllowedError => "NotAllowedError",
            ErrorName::AbortError => "AbortError",
            ErrorName::TypeError => "TypeError",
            ErrorName::NotSupportedError => "NotSupportedError",
            ErrorName::InvalidStateError => "InvalidStateError",
        }
    }
}

/// Why the model rejected: never shown to the RP, which sees only
/// [`Rejection::name`] (and `code`/`url` of an `IdentityCredentialError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    InvalidOptions,
    ActiveModeProviderCount,
    ActiveModeNoActivation,
    DuplicateProvider,
    UntrustworthyConfigUrl,
    /// Every provider was skipped (see the trace for each one's reason).
    NoProviderLeft,
    /// Providers answered, but no account to show and nothing to log in to.
    NotSignedIn,
    SilentWithoutAutoReauthn,
    UserCancelled,
    LoginPopupFailed,
    AssertionEndpointInvalid,
    AssertionNetworkError,
    AssertionInvalidResponse,
    IdpError,
    ContinueOnRejected,
    ContinuationClosedByUser,
    ContinuationClosedByIdp,
    ContinuationNotAllowed,
    Aborted,
    // disconnect()
    DisconnectInvalidConfigUrl,
    DisconnectUntrustworthy,
    DisconnectNoConnection,
    DisconnectConfigFailed,
    DisconnectEndpointMissing,
    DisconnectEndpointInvalid,
    DisconnectFailedOnServer,
}

impl Reason {
    pub const ALL: [Reason; 26] = [
        Reason::InvalidOptions,
        Reason::ActiveModeProviderCount,
        Reason::ActiveModeNoActivation,
        Reason::DuplicateProvider,
        Reason::UntrustworthyConfigUrl,
        Reason::NoProviderLeft,
        Reason::NotSignedIn,
        Reason::SilentWithoutAutoReauthn,
        Reason::UserCancelled,
        Reason::LoginPopupFailed,
        Reason::AssertionEndpointInvalid,
        Reason::AssertionNetworkError,
        Reason::AssertionInvalidResponse,
        Reason::IdpError,
        Reason::ContinueOnRejected,
        Reason::ContinuationClosedByUser,
        Reason::ContinuationClosedByIdp,
        Reason::ContinuationNotAllowed,
        Reason::Aborted,
        Reason::DisconnectInvalidConfigUrl,
        Reason::DisconnectUntrustworthy,
        Reason::DisconnectNoConnection,
        Reason::DisconnectConfigFailed,
        Reason::DisconnectEndpointMissing,
        Reason::DisconnectEndpointInvalid,
        Reason::DisconnectFailedOnServer,
    ];

    pub fn id(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    pub name: ErrorName,
    /// `IdentityCredentialError.error` (the scenario format's `code`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `IdentityCredentialError.url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Held back by the randomised privacy delay (spec
    /// `#browser-api-rp-sign-in`), so the RP cannot time why it failed.
    pub delayed: bool,
    pub reason: Reason,
    /// The documents' problems behind the reason, if any.
    pub problems: Vec<Problem>,
    /// A sentence for people.
    pub message: String,
}

impl Rejection {
    pub(crate) fn new(name: ErrorName, reason: Reason, delayed: bool, message: impl Into<String>) -> Rejection {
        Rejection { name, code: None, url: None, delayed, reason, problems: Vec::new(), message: message.into() }
    }

    pub(crate) fn identity_error(reason: Reason, code: String, url: Option<&Url>, message: impl Into<String>) -> Self {
        Rejection {
            name: ErrorName::IdentityCredentialError,
            code: Some(code),
            url: Some(url.map(|u| u.to_string()).unwrap_or_default()),
            delayed: false,
            reason,
            problems: Vec::new(),
            message: message.into(),
        }
    }

    pub(crate) fn with_problems(mut self, problems: impl IntoIterator<Item = Problem>) -> Self {
        self.problems.extend(problems);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    Resolve { credential: IdentityCredential },
    Reject { error: Rejection },
}

impl Outcome {
    pub fn credential(&self) -> Option<&IdentityCredential> {
        match self {
            Outcome::Resolve { credential } => Some(credential),
            Outcome::Reject { .. } => None,
        }
    }
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Outcome::Reject { error } => Some(error),
            Outcome::Resolve { .. } => None,
        }
    }
}
