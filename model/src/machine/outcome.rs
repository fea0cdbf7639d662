//! How a request ends: the credential, or what JavaScript sees plus the
//! model's own reason for it.

use crate::problem::Problem;
use serde::Serialize;
use url::Url;

/// What the RP's promise resolves with (spec
/// `#browser-api-identity-credential-interface`). Only the assertion step
/// can make one, so no path yields a token without an assertion response.
#[derive(Debug, Clone, PartialEq, Serialize, Hash)]
#[serde(rename_all = "camelCase")]
pub struct IdentityCredential {
    token: serde_json::Value,
    is_auto_selected: bool,
    /// The RP's `configURL` string, unnormalized, or the parsed URL
    /// (Chromium; decisions P16).
    #[serde(rename = "configURL")]
    config_url: String,
}

impl IdentityCredential {
    pub(crate) fn new(token: serde_json::Value, is_auto_selected: bool, config_url: String) -> Self {
        IdentityCredential { token, is_auto_selected, config_url }
    }
    /// `token` from the assertion response (or `IdentityProvider.resolve()`), any JSON value.
    pub fn token(&self) -> &serde_json::Value {
        &self.token
    }
    /// `isAutoSelected`: whether auto re-authentication picked the account without the person.
    pub fn is_auto_selected(&self) -> bool {
        self.is_auto_selected
    }
    /// `configURL` as the RP passed it, or parsed where the profile says so.
    pub fn config_url(&self) -> &str {
        &self.config_url
    }
}

/// The exception's name as JavaScript sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
pub enum ErrorName {
    /// Failures the RP must not be able to tell apart (most of the algorithm's rejections).
    NetworkError,
    /// The identity assertion failed; carries the IdP's `error` code and `url`.
    IdentityCredentialError,
    /// A frame the browser refuses, or `IdentityProvider.resolve()` outside a continuation pop-up.
    NotAllowedError,
    /// The RP's `AbortSignal` fired.
    AbortError,
    /// The request options failed WebIDL conversion or a FedCM check.
    TypeError,
    /// The options ask for something `IdentityCredential` does not do, or `store()`.
    NotSupportedError,
    /// As [`JsError::InvalidStateError`](crate::JsError::InvalidStateError),
    /// and a `disconnect()` `configURL` that does not parse.
    InvalidStateError,
}

impl ErrorName {
    /// The `name` JavaScript sees.
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
    /// The options failed conversion or a check; `problems` lists every one.
    InvalidOptions,
    /// Chromium: a frame that is not same-origin with its ancestors asked
    /// for other than exactly one provider.
    FramedProviderCount,
    /// Firefox: any call from a frame that is not same-origin with its ancestors.
    FramedCrossOrigin,
    /// The `identity-credentials-get` permissions policy does not allow the document.
    PolicyNotAllowed,
    /// Active mode with other than exactly one provider.
    ActiveModeProviderCount,
    /// Active mode without transient user activation.
    ActiveModeNoActivation,
    /// Two providers share an IdP origin.
    DuplicateProvider,
    /// A `configURL` is not potentially trustworthy.
    UntrustworthyConfigUrl,
    /// The RP's Content Security Policy (`connect-src`) blocks a `configURL`.
    CspBlocked,
    /// Chromium: the RP's origin is opaque (a sandboxed frame).
    OpaqueRp,
    /// Every provider was skipped (see the trace for each one's reason).
    NoProviderLeft,
    /// Providers answered, but no account to show and nothing to log in to.
    NotSignedIn,
    /// `mediation: "silent"`, but auto re-authentication could not pick an account.
    SilentWithoutAutoReauthn,
    /// The person closed the chooser or the confirm-IdP-login dialog.
    UserCancelled,
    /// The login pop-up could not open (no usable config) or closed without
    /// a sign-in.
    LoginPopupFailed,
    /// The config's `id_assertion_endpoint` is unusable (shown in the error dialog).
    AssertionEndpointInvalid,
    /// The assertion POST got no response, or a response that fails CORS.
    AssertionNetworkError,
    /// The assertion response is not a valid assertion document.
    AssertionInvalidResponse,
    /// The IdP answered the assertion with `{"error": ...}`.
    IdpError,
    /// The `continue_on` URL cannot be opened.
    ContinueOnRejected,
    /// The person closed the continuation pop-up.
    ContinuationClosedByUser,
    /// The IdP page called `IdentityProvider.close()` in the continuation pop-up.
    ContinuationClosedByIdp,
    /// Chromium profile: a `continue_on` pop-up with no gesture or explicit
    /// choice behind it (silent mediation, or a passive auto-selection
    /// without activation).
    ContinuationNotAllowed,
    /// The RP's `AbortSignal` fired.
    Aborted,
    /// `navigator.credentials.store()` of an `IdentityCredential`.
    StoreNotSupported,
    /// `IdentityProvider.resolve()` with no continuation pop-up waiting for it.
    ResolveOutsideContinuation,
    /// Another `get()` is pending in the page and this one may not replace it.
    RequestPending,
    /// A pending passive `get()` was replaced by an active one.
    ReplacedByActive,
    // getUserInfo()
    /// `getUserInfo()` does not exist in this browser.
    UserInfoNotSupported,
    /// `getUserInfo()`: the `identity-credentials-get` policy does not allow the document.
    UserInfoNotAllowed,
    /// `getUserInfo()`: the `configURL` does not parse, or `clientId` is empty.
    UserInfoInvalidConfig,
    /// `getUserInfo()`: the caller is not same-origin with the `configURL`.
    UserInfoNotSameOrigin,
    /// `getUserInfo()` from a top-level document.
    UserInfoTopLevel,
    /// `getUserInfo()`: the IdP is logged out.
    UserInfoNotSignedIn,
    /// `getUserInfo()`: no account of the IdP is connected to the embedding RP.
    UserInfoNoConnection,
    /// `getUserInfo()`: the well-known or config fetch failed.
    UserInfoConfigFailed,
    /// `getUserInfo()`: the accounts fetch failed.
    UserInfoAccountsFailed,
    /// `getUserInfo()`: no account the IdP returned is returning to the RP.
    UserInfoNoReturningAccount,
    // disconnect()
    /// `disconnect()`: the `configURL` does not parse.
    DisconnectInvalidConfigUrl,
    /// `disconnect()`: the `configURL` is not potentially trustworthy.
    DisconnectUntrustworthy,
    /// `disconnect()`: another `disconnect()` of the page is pending.
    DisconnectPending,
    /// `disconnect()`: no account of that IdP is connected to the RP, so nothing is sent.
    DisconnectNoConnection,
    /// `disconnect()`: the well-known or config fetch failed.
    DisconnectConfigFailed,
    /// `disconnect()`: the config has no `disconnect_endpoint`.
    DisconnectEndpointMissing,
    /// `disconnect()`: the `disconnect_endpoint` is invalid or cross-origin.
    DisconnectEndpointInvalid,
    /// `disconnect()`: the IdP's response is unusable (the connections are dropped anyway).
    DisconnectFailedOnServer,
}

impl Reason {
    /// Every reason, for tests that must cover each.
    pub const ALL: [Reason; 46] = [
        Reason::InvalidOptions,
        Reason::FramedProviderCount,
        Reason::FramedCrossOrigin,
        Reason::PolicyNotAllowed,
        Reason::ActiveModeProviderCount,
        Reason::ActiveModeNoActivation,
        Reason::DuplicateProvider,
        Reason::UntrustworthyConfigUrl,
        Reason::CspBlocked,
        Reason::OpaqueRp,
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
        Reason::StoreNotSupported,
        Reason::ResolveOutsideContinuation,
        Reason::RequestPending,
        Reason::ReplacedByActive,
        Reason::UserInfoNotSupported,
        Reason::UserInfoNotAllowed,
        Reason::UserInfoInvalidConfig,
        Reason::UserInfoNotSameOrigin,
        Reason::UserInfoTopLevel,
        Reason::UserInfoNotSignedIn,
        Reason::UserInfoNoConnection,
        Reason::UserInfoConfigFailed,
        Reason::UserInfoAccountsFailed,
        Reason::UserInfoNoReturningAccount,
        Reason::DisconnectInvalidConfigUrl,
        Reason::DisconnectUntrustworthy,
        Reason::DisconnectPending,
        Reason::DisconnectNoConnection,
        Reason::DisconnectConfigFailed,
        Reason::DisconnectEndpointMissing,
        Reason::DisconnectEndpointInvalid,
        Reason::DisconnectFailedOnServer,
    ];

    /// The kebab-case id scenario files and the CLI use.
    pub fn id(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
    }
}

/// Why `get()` or `disconnect()` rejected: what JavaScript sees, and the model's explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Hash)]
pub struct Rejection {
    /// The exception's name.
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
    /// The model's reason; JavaScript never sees it.
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

/// How `get()` settles.
#[derive(Debug, Clone, PartialEq, Serialize, Hash)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    /// The promise resolves with an `IdentityCredential`.
    Resolve {
        /// The credential.
        credential: IdentityCredential,
    },
    /// The promise rejects.
    Reject {
        /// The exception, with the model's reason.
        error: Rejection,
    },
}

impl Outcome {
    /// The credential, if the request resolved.
    pub fn credential(&self) -> Option<&IdentityCredential> {
        match self {
            Outcome::Resolve { credential } => Some(credential),
            Outcome::Reject { .. } => None,
        }
    }
    /// The rejection, if the request rejected.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Outcome::Reject { error } => Some(error),
            Outcome::Resolve { .. } => None,
        }
    }
}
