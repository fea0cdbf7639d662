//! Deliberately broken guards, for the mutation check: each property and
//! scenario must be able to fail. Compiled in only with the `mutations`
//! feature; otherwise `mutant!` is a constant `false` and the model has
//! no global state at all.

/// One deliberately broken guard; the kebab-case name is the CLI's and the tests'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mutation {
    /// Active mode without its one-provider and activation gate.
    SkipModeGate,
    /// Two providers with one IdP origin are not rejected.
    SkipDuplicateCheck,
    /// Silent mediation goes on with no connected account.
    SkipSilentConnectionGate,
    /// A logged-out IdP is fetched as if logged in.
    IgnoreLoggedOut,
    /// A failed well-known fetch does not fail the config step.
    IgnoreWellKnownFailure,
    /// The accounts request carries the `client_id` (lets the IdP track the RP).
    AccountsCarryClientId,
    /// The config GET sends cookies.
    ConfigWithCookies,
    /// Auto re-authentication ignores `mediation: "required"`.
    AutoReauthnIgnoresRequired,
    /// Auto re-authentication picks the first of several eligible accounts.
    AutoReauthnWithSeveralAccounts,
    /// Auto re-authentication runs although a provider mismatched.
    AutoReauthnDespiteMismatch,
    /// The assertion response is used without its CORS check.
    SkipCorsCheck,
    /// An `error.url` cross-origin with the config is kept.
    KeepForeignErrorUrl,
    /// An assertion error rejects without showing the error dialog.
    NoErrorDialog,
    /// Choosing an account connects it before the assertion succeeds.
    ConnectOnSelection,
    /// No rejection is held back by the privacy delay.
    NeverDelay,
    /// Cancelling the chooser is delayed like a silent failure.
    DelayUserCancel,
    /// An endpoint cross-origin with the config is accepted.
    SkipSameOriginCheck,
    /// The assertion POST has no `Origin`.
    AssertionWithoutOrigin,
    /// An invalid assertion response resolves (with a null token).
    ResolveInvalidAssertion,
    /// The machine never changes the Login Status map.
    NoLoginStatusUpdate,
    /// An empty accounts list from a logged-in IdP is not a mismatch.
    EmptyAccountsNeverMismatch,
    /// The chooser is skipped: the first account shown goes to the assertion.
    AssertionWithoutChoice,
    /// The assertion request is sent twice.
    AssertionTwice,
    /// The well-known URL carries a query (`client_id=c`).
    WellKnownWithQuery,
    /// `IdentityCredential.isAutoSelected` is always false.
    CredentialNeverAuto,
    /// The assertion body's `is_auto_selected` is always false.
    BodyNeverAuto,
    /// A choice of an account the chooser does not show is accepted.
    AcceptUnshownChoice,
    /// The config fetch follows redirects.
    ConfigFollowsRedirect,
    /// The accounts GET has no `Sec-Fetch-Dest`.
    AccountsWithoutDestination,
    /// `disconnect()` sends its POST with no connected account.
    DisconnectWithoutConnection,
    /// The login pop-up URL loses `login_hint` and `domain_hint`.
    LoginPopupDropsHints,
    /// The trace records `Settled` twice.
    DoubleSettle,
    /// A `NetworkError` rejection carries an `IdentityCredentialError` code.
    NetworkErrorWithCode,
    /// A request goes out after the promise resolved.
    RequestAfterSettle,
    /// Passive mode asks IdPs the RP does not know (where the profile keeps it to known ones).
    PassiveAsksUnknownIdps,
    /// A `get()` starts whatever other `get()` of the page is pending.
    NoPendingGetCheck,
    /// A replaced request is not rejected: it goes on beside the new one.
    ReplacedCallGoesOn,
    /// Any second `get()` with activation replaces the pending one, whatever the modes.
    ReplaceAnyMode,
    /// A `disconnect()` starts whatever other `disconnect()` is pending.
    NoPendingDisconnectCheck,
    /// A login-status signal counts from any frame.
    LoginSignalIgnoresFrames,
    /// `getUserInfo()` answers with no connection to the embedding RP.
    UserInfoWithoutConnection,
    /// `getUserInfo()`'s accounts request carries the `client_id`.
    UserInfoCarriesClientId,
    /// `get()` and `disconnect()` ignore the `identity-credentials-get` policy.
    SkipPermissionsPolicy,
    /// A `configURL` the RP's `connect-src` blocks is fetched.
    IgnoreCsp,
    /// The dialog names a cross-site iframe RP without the top frame's site.
    IframeNameWithoutTop,
    /// Brand colours are used whatever their contrast.
    IgnoreBrandContrast,
    /// The chooser's accounts are not sorted (new after returning stays).
    UnsortedAccounts,
}

impl Mutation {
    /// Every mutation, for the check that each is caught.
    pub const ALL: [Mutation; 47] = [
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
        Mutation::PassiveAsksUnknownIdps,
        Mutation::NoPendingGetCheck,
        Mutation::ReplacedCallGoesOn,
        Mutation::ReplaceAnyMode,
        Mutation::NoPendingDisconnectCheck,
        Mutation::LoginSignalIgnoresFrames,
        Mutation::UserInfoWithoutConnection,
        Mutation::UserInfoCarriesClientId,
        Mutation::SkipPermissionsPolicy,
        Mutation::IgnoreCsp,
        Mutation::IframeNameWithoutTop,
        Mutation::IgnoreBrandContrast,
        Mutation::UnsortedAccounts,
    ];

    /// The kebab-case name, as `fedcm` and the tests spell it.
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

#[cfg(feature = "mutations")]
thread_local! {
    static RULES: std::cell::Cell<Option<(crate::Profile, &'static crate::profile::Rules)>> =
        const { std::cell::Cell::new(None) };
}

/// Makes `profile` follow `rules` on this thread (or undoes it): the check
/// that every rule of the table is reached swaps one member at a time and
/// looks for a scenario that notices.
#[cfg(feature = "mutations")]
pub fn set_rules(over: Option<(crate::Profile, &'static crate::profile::Rules)>) {
    RULES.with(|r| r.set(over));
}

/// The rules that replace `profile`'s on this thread, if any.
#[cfg(feature = "mutations")]
pub(crate) fn rules_for(profile: crate::Profile) -> Option<&'static crate::profile::Rules> {
    RULES.with(|r| r.get()).and_then(|(p, rules)| (p == profile).then_some(rules))
}

/// Whether `m` is on (only with the `mutations` feature; guards use
/// `mutant!`, which is the literal `false` without it).
#[cfg(feature = "mutations")]
#[inline]
pub(crate) fn on(m: Mutation) -> bool {
    ACTIVE.with(|a| a.get() == Some(m))
}

/// `mutant!(Name)`: whether the deliberately broken guard `Name` is on. The
/// one way the model asks: with the `mutations` feature it reads the
/// thread's switch; without it, it is the constant `false` (the name is
/// still checked), so every broken branch compiles out.
#[cfg(feature = "mutations")]
macro_rules! mutant {
    ($m:ident) => {
        $crate::mutation::on($crate::mutation::Mutation::$m)
    };
}

/// `mutant!(Name)`: whether the deliberately broken guard `Name` is on. The
/// one way the model asks: with the `mutations` feature it reads the
/// thread's switch; without it, it is the constant `false` (the name is
/// still checked), so every broken branch compiles out.
#[cfg(not(feature = "mutations"))]
macro_rules! mutant {
    ($m:ident) => {{
        let _ = $crate::mutation::Mutation::$m;
        false
    }};
}

pub(crate) use mutant;
