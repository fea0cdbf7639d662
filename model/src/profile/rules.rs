//! The rule table: for every rule where the profiles differ, what each one
//! does. A profile is a value of [`Rules`]; the parsers and the machine
//! read its members and never ask which profile they run under. Each
//! member says what it decides and which entry of `docs/decisions.md`
//! gives the sources (spec anchor, browser file, the version measured).

use serde::{Deserialize, Serialize};

/// How IdP JSON members become values (decisions A13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JsonTypes {
    /// WebIDL conversion: `"id": 5` becomes `"5"`, a wrong type coerces.
    WebIdl,
    /// JSON types as they are; a member of the wrong type counts as absent.
    AsTyped,
}

/// Bytes that are not UTF-8, and escaped lone surrogates (decisions P2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decoding {
    /// `UTF-8 decode` with replacement, then `JSON.parse` (lone surrogates
    /// become U+FFFD with a warning).
    Lenient,
    /// Strict UTF-8 and RFC 8259 JSON: both are errors.
    Strict,
}

/// Which `provider_urls` of the well-known file count (decisions A15, P5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WellKnownList {
    /// Exactly one entry, compared with the config URL resolved against it.
    ExactlyOne,
    /// A set (repeats collapse) of which any may match, resolved against
    /// the well-known URL; optional when the endpoint pair is present.
    AnyOfSet,
    /// The config URL as the RP wrote it must be one of the entries,
    /// compared as strings; with other than one entry, the file's
    /// `accounts_endpoint` must also equal the config's, as strings.
    ContainsString,
}

/// The well-known file of an RP that is same-site with the IdP (decisions P5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SameSiteWellKnown {
    /// No well-known fetch.
    NotFetched,
    /// Fetched and waited for; its answer does not count.
    FetchedAndIgnored,
}

/// When `id_assertion_endpoint` is checked (decisions P4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssertionEndpointCheck {
    /// When the assertion is fetched.
    WhenUsed,
    /// With the other config members: a bad one fails the config.
    WithConfig,
}

/// A document flaw that one profile warns about and another rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flaw {
    /// A warning; the document is used.
    Warn,
    /// An error; the document is rejected.
    Reject,
}

/// Which account identifiers count (decisions A11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Identifiers {
    /// A member that is set counts, even `""` (with a warning).
    Set,
    /// A member counts when it is not blank.
    NonBlank,
    /// Only `id` is required; no other identifier need be present.
    IdOnly,
}

/// Links in the client metadata (decisions P6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetadataLinks {
    /// Any string.
    Any,
    /// Absolute http(s) URLs only; others are dropped.
    AbsoluteHttp,
}

/// When the client metadata is fetched (decisions P6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetadataTiming {
    /// When `fields` is non-empty or the RP is framed cross-site; once,
    /// for the chooser.
    FieldsOrFramed,
    /// When `fields` is non-empty and an account is new; with each accounts
    /// response, before auto re-authentication.
    NewAccountsEachFetch,
    /// Never: the client metadata endpoint is not read.
    Never,
}

/// How the client metadata query is written (decisions A20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetadataQuery {
    /// Raw concatenation, `top_level_origin`.
    Raw,
    /// Form-encoded, `top_frame_origin`.
    Encoded,
}

/// Which assertion responses have their body read (decisions A23).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssertionStatus {
    /// 2xx only.
    OkOnly,
    /// Any status but 404, so an `error` object on a 4xx/5xx counts; 500
    /// and 503 without one are named `server_error` and
    /// `temporarily_unavailable`.
    AnyBut404,
}

/// The assertion response's `error` member (decisions P7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorMember {
    /// WebIDL dictionary conversion.
    WebIdl,
    /// An object only; the older `code` is read when `error` is absent; an
    /// empty `url` is none.
    ObjectWithLegacyCode,
    /// Not read: there is no `IdentityCredentialError`, so a response with
    /// an error and no token is a plain failure.
    Unsupported,
}

/// Which `error.url` is kept (decisions A30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorUrlScope {
    /// Same registrable domain as the assertion endpoint, and potentially trustworthy.
    RegistrableDomain,
    /// Same schemeful site as the assertion endpoint.
    SchemefulSite,
}

/// How `continue_on` is parsed (decisions A27).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContinueOn {
    /// With no base: a relative URL is rejected.
    Absolute,
    /// Against the assertion endpoint; an unparsable one is skipped.
    RelativeToEndpoint,
}

/// The assertion request's form body (decisions A26, A34).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssertionForm {
    /// The spec's fields: `account_id`, `is_auto_selected`, the disclosure
    /// fields when a disclosure was shown, `params`.
    Spec,
    /// The spec before August 2025: `client_id`, `nonce`, `account_id`,
    /// `disclosure_text_shown`, `is_auto_selected`.
    Spec2024,
    /// Chromium (132 to 156): a provider-level `nonce`,
    /// `disclosure_text_shown` and `mode` always, `fields` whenever the
    /// list is not empty.
    Chromium,
    /// Firefox: `account_id`, `client_id`, `nonce` when given,
    /// `disclosure_text_shown=false`, `is_auto_selected`.
    Firefox,
}

/// The exception for a request-options mistake that engines name apart
/// from the spec (decisions A1, A4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OptionsError {
    /// `NetworkError`, queued like a fetch failure.
    NetworkError,
    /// `TypeError`, thrown at once.
    TypeError,
    /// `NotSupportedError`, thrown at once.
    NotSupportedError,
}

/// Two providers that are the same IdP (decisions A35).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DuplicateKey {
    /// The IdP origin (the spec).
    Origin,
    /// The config URL as written (Chromium).
    ConfigUrl,
}

/// Which failures wait for the privacy delay (decisions P1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DelayedFailures {
    /// Every `(failure, false)` path.
    Every,
    /// Only in passive mode outside silent mediation.
    PassiveNotSilent,
    /// None: every failure settles at once.
    Never,
}

/// When a login pop-up counts as a login (decisions P8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginSuccess {
    /// The IdP's login status is logged-in when the pop-up closes.
    StatusAtClose,
    /// The IdP signalled logged-in while the pop-up was open.
    SignalDuringPopup,
}

/// Where "use another account" is offered (decisions P9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UseOtherAccount {
    /// In active mode only.
    ActiveMode,
    /// In passive and active mode.
    EitherMode,
    /// Nowhere.
    Never,
}

/// What the assertion response's `token` becomes (decisions A13, P13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenConversion {
    /// Any JSON value, as it is (the spec since August 2025; Chromium 143+).
    Any,
    /// WebIDL `USVString` conversion: `42` is `"42"`, an object
    /// `"[object Object]"`, an array its elements joined with commas.
    ToString,
    /// A string only; any other value counts as no token (Chromium before 143).
    StringOnly,
}

/// Which era of the request options: where the RP's nonce goes (decisions P13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NonceEra {
    /// The provider-level `nonce` is a legacy member (warned); `params`
    /// carries IdP-specific values, the nonce among them.
    Params,
    /// The provider-level `nonce` is current and posted as `nonce=`;
    /// `params` does not exist (an unknown member, ignored).
    Provider,
}

/// How the dialog's images (account pictures, icons) are fetched (decisions A50).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageFetch {
    /// An `image` fetch that follows redirects.
    Image,
    /// As the JSON fetches: `webidentity`, `Accept: application/json`,
    /// redirects refused.
    LikeJson,
}

/// Whether the HTTP status and the MIME type of an IdP response are
/// checked before its body is parsed (decisions F2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseChecks {
    /// A non-2xx status or a MIME type that is not JSON fails the fetch.
    StatusAndType,
    /// Neither is looked at; the body must only parse as JSON.
    ParseOnly,
}

/// A call from a frame that is not same-origin with its ancestors
/// (decisions P14, F6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CrossOriginFrames {
    /// Held to the `identity-credentials-get` policy, like any call.
    Allowed,
    /// Allowed for exactly one provider; another count is
    /// `NotAllowedError` before any check of the options' values.
    OneProvider,
    /// Always `NotAllowedError` ("same origin ancestors only").
    Refused,
}

/// Whether the request reads the Login Status API (decisions F4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginStatusUse {
    /// The status gates the fetches, the accounts response updates it,
    /// and a logged-out IdP can be signed in through its `login_url`.
    Consulted,
    /// Never read or updated by the request: no logged-out shortcut, no
    /// mismatch, no login pop-up, and the config's `login_url` is not read.
    Ignored,
}

/// Which providers a passive-mode call asks (decisions F4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PassiveProviders {
    /// Every provider.
    All,
    /// Only IdPs the RP is connected to or same-site with; the others are
    /// dropped before any fetch.
    ConnectedOrSameSite,
}

/// A `disconnect()` whose POST fails (decisions F5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisconnectFailure {
    /// The call rejects with `NetworkError`; the connections stay.
    Rejects,
    /// Every connection of the RP to the IdP is forgotten and the call
    /// resolves.
    ForgetsAndResolves,
}

/// A `get()` made while another `get()` of the page is pending (decisions A3, F9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConcurrentGet {
    /// Refused with `NotAllowedError`, unless it is active with transient
    /// activation and the pending one is passive: that one is then
    /// rejected with `NetworkError` and this one runs.
    ActiveReplacesPassive,
    /// Always refused with `NotAllowedError`; nothing is replaced.
    Refused,
}

/// A `disconnect()` made while another `disconnect()` of the page is
/// pending (decisions A55, F9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConcurrentDisconnect {
    /// Rejected with `NetworkError`; nothing is sent.
    Refused,
    /// Runs beside the pending one.
    Allowed,
}

/// How close to its frames an IdP's login-status signal must be (decisions A56, F10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginSignalScope {
    /// Same-site with every ancestor frame (the spec, Chromium).
    SameSite,
    /// Same-origin with every ancestor frame (Firefox).
    SameOrigin,
}

/// What `navigator.login.setStatus()` gets from a frame out of scope
/// (decisions A56).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetStatusRefused {
    /// The promise rejects with `SecurityError`.
    SecurityError,
    /// The call is ignored and the promise resolves.
    Ignored,
}

/// Whether the browser has `IdentityProvider.getUserInfo()` (decisions A42, F11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserInfo {
    /// It does.
    Supported,
    /// It does not: calling it throws `TypeError`.
    Missing,
}

/// Which accounts `getUserInfo()` counts as returning (decisions A42).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserInfoReturning {
    /// A non-empty `approved_clients` without the client vetoes; one with
    /// it is enough; else the connected accounts set decides.
    Spec,
    /// Any `approved_clients` without the client (even empty) vetoes; the
    /// browser's own connection is always needed.
    Chromium,
}

/// Whether `get()` and `disconnect()` read the `identity-credentials-get`
/// permissions policy (decisions A57, F6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PermissionsPolicy {
    /// A document the policy does not allow gets `NotAllowedError`.
    Checked,
    /// The policy is not read (Firefox refuses cross-origin frames instead).
    Ignored,
}

/// What a `configURL` the RP's `connect-src` blocks does (decisions A58).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CspBlocked {
    /// That provider's config fetch fails: it is skipped like any other.
    ProviderFails,
    /// The whole call rejects at once with `NetworkError`, before any request.
    RejectsAtOnce,
}

/// A call from an opaque origin, such as a sandboxed frame (decisions A59).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpaqueRp {
    /// It goes on (the spec only never takes the same-site shortcut).
    Proceeds,
    /// `NetworkError` at once, after the mode gate.
    Rejected,
}

/// The words of the account chooser's title (decisions A60).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DialogWords {
    /// The spec gives no words: the dialog says who asks and for what
    /// (`context`), not how.
    Unspecified,
    /// Chromium's desktop strings: "Sign in to RP with IDP" and the three
    /// other contexts; "Sign in to RP" for several IdPs; "TOP embeds content
    /// from RP" under an
    /// iframe RP's name.
    Chromium,
    /// Firefox's strings: the RP's host alone, whatever the `context`.
    Firefox,
}

/// The order of the chooser's accounts (decisions A60).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountOrder {
    /// As fetched: providers in the RP's order, each IdP's accounts in
    /// its response's order (the spec sets no order).
    AsFetched,
    /// Chromium's stable sort of that list: accounts new since a login
    /// pop-up first, then returning before new.
    NewThenReturning,
}

/// How brand colours are read and when the dialog uses them (decisions A60).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BrandColors {
    /// The spec's CSS subset, used as given: no contrast rule.
    AsGiven,
    /// Chromium: its stricter grammar; the text colour dropped without a
    /// background or below 4.5:1 against it; the "Continue" button
    /// unbranded when the background is below 3:1 against the dialog's,
    /// and always in the active-mode modal.
    Contrast,
    /// Not read: the dialog shows no brand colour.
    Unused,
}

/// When one account is confirmed rather than chosen from a list
/// (decisions A60).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SingleAccount {
    /// Exactly one account, no "use another account" and no mismatch.
    Spec,
    /// Chromium's passive bubble: one IdP whose one row is an account and
    /// that does not offer another account, or one account new since the
    /// login pop-up; with several IdPs and exactly one returning account,
    /// that account above a "Choose an account" button. The active modal
    /// always lists.
    ChromiumBubble,
}

/// What `IdentityCredential.configURL` holds (decisions P16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialConfigUrl {
    /// The RP's string as it passed it.
    AsWritten,
    /// The parsed URL, serialized (`https://idp.example:443/c` becomes
    /// `https://idp.example/c`).
    Parsed,
}

/// Every rule where the profiles differ. One value per profile
/// ([`super::Profile::rules`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    // IdP documents.
    /// A13: how JSON members become values.
    pub json_types: JsonTypes,
    /// P2: invalid UTF-8 and lone surrogates.
    pub decoding: Decoding,
    /// A15, P5: the well-known file's `provider_urls`.
    pub well_known_list: WellKnownList,
    /// P5: the spec refuses a config with `client_metadata_endpoint` unless
    /// the well-known file has the endpoint pair.
    pub well_known_pair_for_metadata: bool,
    /// P5: a same-site RP's well-known fetch.
    pub same_site_well_known: SameSiteWellKnown,
    /// P4: when `id_assertion_endpoint` is checked.
    pub assertion_endpoint_check: AssertionEndpointCheck,
    /// A12: repeated account ids.
    pub duplicate_account_ids: Flaw,
    /// A11: which identifiers count.
    pub identifiers: Identifiers,
    /// P10: an empty `account_id` from the disconnect endpoint.
    pub empty_disconnect_account_id: Flaw,
    /// F2: whether the status and MIME type of a response are checked.
    pub response_checks: ResponseChecks,
    /// F3: endpoints must be same-origin with the config URL and
    /// potentially trustworthy (else any URL the config resolves to).
    pub endpoints_same_origin: bool,
    /// A11: an empty endpoint string is an invalid URL (else it resolves
    /// to the config URL).
    pub empty_url_invalid: bool,
    /// P6: which client metadata links are kept.
    pub metadata_links: MetadataLinks,
    /// A23: which assertion responses are read.
    pub assertion_status: AssertionStatus,
    /// P7: the `error` member.
    pub error_member: ErrorMember,
    /// A30: which `error.url` is kept.
    pub error_url_scope: ErrorUrlScope,
    /// A27: how `continue_on` is parsed.
    pub continue_on: ContinueOn,
    /// P13: what the `token` becomes.
    pub token: TokenConversion,

    // The RP's options.
    /// A1: the exception for an empty providers list.
    pub empty_providers_error: OptionsError,
    /// A4: the exception for `mediation: "conditional"`.
    pub conditional_error: OptionsError,
    /// A37: active mode with silent mediation is refused.
    pub refuses_active_silent: bool,
    /// A44: the most providers in one call.
    pub max_providers: Option<usize>,
    /// A45: an unparsable `configURL` or an empty `clientId` is refused
    /// before any fetch.
    pub checks_providers_up_front: bool,
    /// P14, F6: a call from a frame that is not same-origin with its ancestors.
    pub cross_origin_frames: CrossOriginFrames,
    /// P13: the provider-level `nonce` and `params`.
    pub nonce_era: NonceEra,
    /// P15: a `fields` entry may be a dictionary whose required `name` is
    /// the field (else every entry converts to a string).
    pub field_dictionaries: bool,

    // The flow.
    /// A44: several providers in active mode reject with
    /// `InvalidStateError` (else `NetworkError`).
    pub active_several_invalid_state: bool,
    /// F4: whether the request reads the Login Status API.
    pub login_status: LoginStatusUse,
    /// F4: which providers a passive-mode call asks.
    pub passive_providers: PassiveProviders,
    /// A35: what makes two providers the same IdP.
    pub duplicate_key: DuplicateKey,
    /// A45: an untrustworthy `configURL` rejects the call before any fetch
    /// (else the provider is skipped).
    pub untrustworthy_rejects_call: bool,
    /// P1: which failures wait for the privacy delay.
    pub delayed_failures: DelayedFailures,
    /// P1: when every IdP is logged out in passive mode, the call fails
    /// (delayed) before silent mediation is looked at.
    pub logged_out_fails_first: bool,
    /// P1: a silent call without auto re-authentication fails delayed.
    pub silent_failure_delayed: bool,
    /// P8: active mode opens the login pop-up straight from a mismatch or
    /// a failed accounts fetch of unknown status.
    pub active_login_shortcuts: bool,
    /// P8: a continuation pop-up needs a gesture or an explicit choice.
    pub continuation_needs_gesture: bool,
    /// P8: when a login pop-up counts as a login.
    pub login_success: LoginSuccess,
    /// P12: a logged-out IdP starts over (well-known, config, accounts)
    /// after its login pop-up.
    pub restart_after_login: bool,
    /// P9: where "use another account" is offered.
    pub use_other_account: UseOtherAccount,
    /// P6: when the client metadata is fetched.
    pub metadata_timing: MetadataTiming,
    /// A20: the client metadata query.
    pub metadata_query: MetadataQuery,
    /// A50: account pictures are fetched after the hints and label filter
    /// (else before it).
    pub pictures_after_filter: bool,
    /// A50: how the dialog's images are fetched.
    pub image_fetch: ImageFetch,
    /// A52: the IdP's brand icon and the RP's icon are fetched for the dialog.
    pub fetches_icons: bool,
    /// A26, A34: the assertion request's body.
    pub assertion_form: AssertionForm,
    /// A5: a successful sign-in clears the RP's `preventSilentAccess()`.
    pub sign_in_clears_mediation: bool,
    /// P16: what `IdentityCredential.configURL` holds.
    pub credential_config_url: CredentialConfigUrl,
    /// F5: a `disconnect()` whose POST fails.
    pub disconnect_failure: DisconnectFailure,
    /// A3, F9: a `get()` while another of the page is pending.
    pub concurrent_get: ConcurrentGet,
    /// A55, F9: a `disconnect()` while another of the page is pending.
    pub concurrent_disconnect: ConcurrentDisconnect,
    /// A56, F10: how close to its frames a login-status signal must be.
    pub login_signal_scope: LoginSignalScope,
    /// A56: what `setStatus()` gets from a frame out of scope.
    pub set_status_refused: SetStatusRefused,
    /// A42, F11: whether `getUserInfo()` exists.
    pub user_info: UserInfo,
    /// A42: `getUserInfo()` fails at once for a logged-out IdP.
    pub user_info_reads_login_status: bool,
    /// A42: `getUserInfo()`'s accounts fetch writes the login status.
    pub user_info_sets_login_status: bool,
    /// A42: which accounts `getUserInfo()` counts as returning.
    pub user_info_returning: UserInfoReturning,
    /// A57: whether the `identity-credentials-get` policy is read.
    pub permissions_policy: PermissionsPolicy,
    /// A58: what a `configURL` the RP's `connect-src` blocks does.
    pub csp_blocked: CspBlocked,
    /// A59: a call from an opaque origin.
    pub opaque_rp: OpaqueRp,
    /// A60: the words of the dialog's title.
    pub dialog_words: DialogWords,
    /// A60: the order of the chooser's accounts.
    pub account_order: AccountOrder,
    /// A60: brand colours.
    pub brand_colors: BrandColors,
    /// A60: one account confirmed rather than chosen.
    pub single_account: SingleAccount,
}

/// The Editor's Draft, read literally.
pub const SPEC: Rules = Rules {
    json_types: JsonTypes::WebIdl,
    decoding: Decoding::Lenient,
    well_known_list: WellKnownList::ExactlyOne,
    well_known_pair_for_metadata: true,
    same_site_well_known: SameSiteWellKnown::NotFetched,
    assertion_endpoint_check: AssertionEndpointCheck::WhenUsed,
    duplicate_account_ids: Flaw::Warn,
    identifiers: Identifiers::Set,
    empty_disconnect_account_id: Flaw::Warn,
    response_checks: ResponseChecks::StatusAndType,
    endpoints_same_origin: true,
    empty_url_invalid: false,
    metadata_links: MetadataLinks::Any,
    assertion_status: AssertionStatus::OkOnly,
    error_member: ErrorMember::WebIdl,
    error_url_scope: ErrorUrlScope::RegistrableDomain,
    continue_on: ContinueOn::Absolute,
    token: TokenConversion::Any,
    empty_providers_error: OptionsError::NetworkError,
    conditional_error: OptionsError::TypeError,
    refuses_active_silent: false,
    max_providers: None,
    checks_providers_up_front: false,
    cross_origin_frames: CrossOriginFrames::Allowed,
    nonce_era: NonceEra::Params,
    field_dictionaries: false,
    active_several_invalid_state: false,
    login_status: LoginStatusUse::Consulted,
    passive_providers: PassiveProviders::All,
    duplicate_key: DuplicateKey::Origin,
    untrustworthy_rejects_call: false,
    delayed_failures: DelayedFailures::Every,
    logged_out_fails_first: false,
    silent_failure_delayed: true,
    active_login_shortcuts: false,
    continuation_needs_gesture: false,
    login_success: LoginSuccess::StatusAtClose,
    restart_after_login: false,
    use_other_account: UseOtherAccount::ActiveMode,
    metadata_timing: MetadataTiming::FieldsOrFramed,
    metadata_query: MetadataQuery::Raw,
    pictures_after_filter: false,
    image_fetch: ImageFetch::Image,
    fetches_icons: false,
    assertion_form: AssertionForm::Spec,
    credential_config_url: CredentialConfigUrl::AsWritten,
    sign_in_clears_mediation: false,
    disconnect_failure: DisconnectFailure::Rejects,
    concurrent_get: ConcurrentGet::ActiveReplacesPassive,
    concurrent_disconnect: ConcurrentDisconnect::Refused,
    login_signal_scope: LoginSignalScope::SameSite,
    set_status_refused: SetStatusRefused::SecurityError,
    user_info: UserInfo::Supported,
    user_info_reads_login_status: false,
    user_info_sets_login_status: false,
    user_info_returning: UserInfoReturning::Spec,
    permissions_policy: PermissionsPolicy::Checked,
    csp_blocked: CspBlocked::ProviderFails,
    opaque_rp: OpaqueRp::Proceeds,
    dialog_words: DialogWords::Unspecified,
    account_order: AccountOrder::AsFetched,
    brand_colors: BrandColors::AsGiven,
    single_account: SingleAccount::Spec,
};

/// Chromium as measured on 156 (`fedcm browser`) and read in
/// `content/browser/webid/`.
pub const CHROMIUM: Rules = Rules {
    json_types: JsonTypes::AsTyped,
    decoding: Decoding::Strict,
    well_known_list: WellKnownList::AnyOfSet,
    well_known_pair_for_metadata: false,
    same_site_well_known: SameSiteWellKnown::FetchedAndIgnored,
    assertion_endpoint_check: AssertionEndpointCheck::WithConfig,
    duplicate_account_ids: Flaw::Reject,
    identifiers: Identifiers::NonBlank,
    empty_disconnect_account_id: Flaw::Reject,
    response_checks: ResponseChecks::StatusAndType,
    endpoints_same_origin: true,
    empty_url_invalid: true,
    metadata_links: MetadataLinks::AbsoluteHttp,
    assertion_status: AssertionStatus::AnyBut404,
    error_member: ErrorMember::ObjectWithLegacyCode,
    error_url_scope: ErrorUrlScope::SchemefulSite,
    continue_on: ContinueOn::RelativeToEndpoint,
    token: TokenConversion::Any,
    empty_providers_error: OptionsError::TypeError,
    conditional_error: OptionsError::NotSupportedError,
    refuses_active_silent: true,
    max_providers: Some(crate::options::MAX_PROVIDERS_CHROMIUM),
    checks_providers_up_front: true,
    cross_origin_frames: CrossOriginFrames::OneProvider,
    nonce_era: NonceEra::Params,
    field_dictionaries: true,
    active_several_invalid_state: true,
    login_status: LoginStatusUse::Consulted,
    passive_providers: PassiveProviders::All,
    duplicate_key: DuplicateKey::ConfigUrl,
    untrustworthy_rejects_call: true,
    delayed_failures: DelayedFailures::PassiveNotSilent,
    logged_out_fails_first: true,
    silent_failure_delayed: false,
    active_login_shortcuts: true,
    continuation_needs_gesture: true,
    login_success: LoginSuccess::SignalDuringPopup,
    restart_after_login: true,
    use_other_account: UseOtherAccount::EitherMode,
    metadata_timing: MetadataTiming::NewAccountsEachFetch,
    metadata_query: MetadataQuery::Encoded,
    pictures_after_filter: true,
    image_fetch: ImageFetch::LikeJson,
    fetches_icons: true,
    assertion_form: AssertionForm::Chromium,
    credential_config_url: CredentialConfigUrl::Parsed,
    sign_in_clears_mediation: true,
    disconnect_failure: DisconnectFailure::Rejects,
    concurrent_get: ConcurrentGet::ActiveReplacesPassive,
    concurrent_disconnect: ConcurrentDisconnect::Refused,
    login_signal_scope: LoginSignalScope::SameSite,
    set_status_refused: SetStatusRefused::Ignored,
    user_info: UserInfo::Supported,
    user_info_reads_login_status: true,
    user_info_sets_login_status: true,
    user_info_returning: UserInfoReturning::Chromium,
    permissions_policy: PermissionsPolicy::Checked,
    csp_blocked: CspBlocked::RejectsAtOnce,
    opaque_rp: OpaqueRp::Rejected,
    dialog_words: DialogWords::Chromium,
    account_order: AccountOrder::NewThenReturning,
    brand_colors: BrandColors::Contrast,
    single_account: SingleAccount::ChromiumBubble,
};

/// The spec before the August 2025 changes (w3c-fedid/FedCM PR 771 made the
/// token `any`; PR 768 moved the nonce into `params`): `token` was a
/// `USVString`, the nonce a provider-level member posted as `nonce=`.
pub const SPEC_2024: Rules = Rules {
    token: TokenConversion::ToString,
    nonce_era: NonceEra::Provider,
    assertion_form: AssertionForm::Spec2024,
    ..SPEC
};

/// Chromium before 143 (`kFedCmNonStringToken` shipped in 143): a token
/// that is not a string counts as missing, which ends in the error dialog
/// and an `IdentityCredentialError`. Its other rules are taken as 156's;
/// they were not measured on 142.
pub const CHROMIUM_142: Rules = Rules { token: TokenConversion::StringOnly, ..CHROMIUM };

/// Firefox, read in its source (`dom/credentialmanagement/identity/`,
/// 2025 revisions; decisions F1-F8). FedCM is behind a preference there
/// (`dom.security.credentialmanagement.identity.enabled`, off by default);
/// this is what it does when turned on. Not measured in a real Firefox.
pub const FIREFOX: Rules = Rules {
    json_types: JsonTypes::WebIdl,
    decoding: Decoding::Lenient,
    well_known_list: WellKnownList::ContainsString,
    well_known_pair_for_metadata: false,
    same_site_well_known: SameSiteWellKnown::NotFetched,
    assertion_endpoint_check: AssertionEndpointCheck::WhenUsed,
    duplicate_account_ids: Flaw::Warn,
    identifiers: Identifiers::IdOnly,
    empty_disconnect_account_id: Flaw::Warn,
    response_checks: ResponseChecks::ParseOnly,
    endpoints_same_origin: false,
    empty_url_invalid: false,
    metadata_links: MetadataLinks::Any,
    assertion_status: AssertionStatus::OkOnly,
    error_member: ErrorMember::Unsupported,
    error_url_scope: ErrorUrlScope::RegistrableDomain,
    continue_on: ContinueOn::Absolute,
    token: TokenConversion::ToString,
    empty_providers_error: OptionsError::NetworkError,
    conditional_error: OptionsError::TypeError,
    refuses_active_silent: false,
    max_providers: None,
    checks_providers_up_front: false,
    cross_origin_frames: CrossOriginFrames::Refused,
    nonce_era: NonceEra::Provider,
    field_dictionaries: false,
    active_several_invalid_state: false,
    login_status: LoginStatusUse::Ignored,
    passive_providers: PassiveProviders::ConnectedOrSameSite,
    duplicate_key: DuplicateKey::Origin,
    untrustworthy_rejects_call: false,
    delayed_failures: DelayedFailures::Never,
    logged_out_fails_first: false,
    silent_failure_delayed: false,
    active_login_shortcuts: false,
    continuation_needs_gesture: false,
    login_success: LoginSuccess::StatusAtClose,
    restart_after_login: false,
    use_other_account: UseOtherAccount::Never,
    metadata_timing: MetadataTiming::Never,
    metadata_query: MetadataQuery::Raw,
    pictures_after_filter: true,
    image_fetch: ImageFetch::Image,
    fetches_icons: false,
    assertion_form: AssertionForm::Firefox,
    credential_config_url: CredentialConfigUrl::AsWritten,
    sign_in_clears_mediation: true,
    disconnect_failure: DisconnectFailure::ForgetsAndResolves,
    concurrent_get: ConcurrentGet::Refused,
    concurrent_disconnect: ConcurrentDisconnect::Allowed,
    login_signal_scope: LoginSignalScope::SameOrigin,
    set_status_refused: SetStatusRefused::SecurityError,
    user_info: UserInfo::Missing,
    user_info_reads_login_status: false,
    user_info_sets_login_status: false,
    user_info_returning: UserInfoReturning::Spec,
    permissions_policy: PermissionsPolicy::Ignored,
    csp_blocked: CspBlocked::ProviderFails,
    opaque_rp: OpaqueRp::Proceeds,
    dialog_words: DialogWords::Firefox,
    account_order: AccountOrder::AsFetched,
    brand_colors: BrandColors::Unused,
    single_account: SingleAccount::Spec,
};
