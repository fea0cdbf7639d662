//! Deliberately broken guards, for the mutation check: each property and
//! scenario must be able to fail. Compiled in only with the `mutations`
//! feature; otherwise `on` is a constant `false` and the model has no
//! global state at all.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mutation {
    SkipModeGate,
    SkipDuplicateCheck,
    SkipSilentConnectionGate,
    IgnoreLoggedOut,
    IgnoreWellKnownFailure,
    AccountsCarryClientId,
    ConfigWithCookies,
    AutoReauthnIgnoresRequired,
    AutoReauthnWithSeveralAccounts,
    AutoReauthnDespiteMismatch,
    SkipCorsCheck,
    KeepForeignErrorUrl,
    NoErrorDialog,
    ConnectOnSelection,
    NeverDelay,
    DelayUserCancel,
    SkipSameOriginCheck,
    AssertionWithoutOrigin,
    ResolveInvalidAssertion,
    NoLoginStatusUpdate,
    EmptyAccountsNeverMismatch,
    AssertionWithoutChoice,
    AssertionTwice,
    WellKnownWithQuery,
    CredentialNeverAuto,
    BodyNeverAuto,
    AcceptUnshownChoice,
    ConfigFollowsRedirect,
    AccountsWithoutDestination,
    DisconnectWithoutConnection,
    LoginPopupDropsHints,
    DoubleSettle,
    NetworkErrorWithCode,
    RequestAfterSettle,
}

impl Mutation {
    pub const ALL: [Mutation; 34] = [
        Mutation::SkipModeGate,
        Mutation::SkipDuplicateCheck,
        Mutation::SkipSilentConnectionGate,
        Mutation::IgnoreLoggedOut,
        Mutation::IgnoreWellKnownFailure,
        Mutation::AccountsCarryClientId,
        Mutation::ConfigWithCookies,
        Mutation::AutoReauthnIgnoresRequired,
        Mutation::AutoReauthnWithSeveralAccounts,
        Mutation::AutoReauthnDespiteMismatch,
        Mutation::SkipCorsCheck,
        Mutation::KeepForeignErrorUrl,
        Mutation::NoErrorDialog,
        Mutation::ConnectOnSelection,
        Mutation::NeverDelay,
        Mutation::DelayUserCancel,
        Mutation::SkipSameOriginCheck,
        Mutation::AssertionWithoutOrigin,
        Mutation::ResolveInvalidAssertion,
        Mutation::NoLoginStatusUpdate,
        Mutation::EmptyAccountsNeverMismatch,
        Mutation::AssertionWithoutChoice,
        Mutation::AssertionTwice,
        Mutation::WellKnownWithQuery,
        Mutation::CredentialNeverAuto,
        Mutation::BodyNeverAuto,
        Mutation::AcceptUnshownChoice,
        Mutation::ConfigFollowsRedirect,
        Mutation::AccountsWithoutDestination,
        Mutation::DisconnectWithoutConnection,
        Mutation::LoginPopupDropsHints,
        Mutation::DoubleSettle,
        Mutation::NetworkErrorWithCode,
        Mutation::RequestAfterSettle,
    ];

    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
    }
}

#[cfg(feature = "mutations")]
thread_local! {
    static ACTIVE: std::cell::Cell<Option<Mutation>> = const { std::cell::Cell::new(None) };
}

/// Turns one mutation on for this thread (or none).
#[cfg(feature = "mutations")]
pub fn set(m: Option<Mutation>) {
    ACTIVE.with(|a| a.set(m));
}

/// Whether `m` is on. Always false without the `mutations` feature.
#[inline]
pub(crate) fn on(m: Mutation) -> bool {
    #[cfg(feature = "mutations")]
    {
        ACTIVE.with(|a| a.get() == Some(m))
    }
    #[cfg(not(feature = "mutations"))]
    {
        let _ = m;
        false
    }
}
