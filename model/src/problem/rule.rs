//! Every rule the model checks, with its stable id, the spec section it
//! comes from, a one-sentence description and advice on the fix.

use super::{Document, CM_REQUEST};
use crate::json::JsonType;
use crate::urls::UrlError;
use serde::Serialize;

/// Every rule the model checks. `id()` is stable: tests, scenario files and
/// CI match on it.
#[derive(Debug, Clone, PartialEq, Serialize, Hash)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum Rule {
    // --- transport: "extract the JSON fetch response" ---
    /// The response status is not 2xx (ok).
    HttpStatus {
        /// The HTTP status code received.
        status: u16,
    },
    /// No HTTP response at all (DNS, connection, TLS, CORS, time-out).
    NoResponse {
        /// Why, in the driver's words.
        reason: String,
    },
    /// A 3xx on a fetch whose redirect mode is `error`.
    Redirect {
        /// The 3xx status code received.
        status: u16,
    },
    /// No `Content-Type` header.
    ContentTypeMissing,
    /// A `Content-Type` that is not a JSON MIME type.
    ContentTypeNotJson {
        /// The header's value, as received.
        content_type: String,
    },
    /// The body is over [`MAX_BODY_BYTES`](crate::MAX_BODY_BYTES).
    BodyTooLarge {
        /// Body length in bytes.
        len: usize,
        /// The cap in bytes.
        limit: usize,
    },
    /// Invalid UTF-8 under the Chromium profile (the spec profile decodes lossily).
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        valid_up_to: usize,
    },
    /// The body does not parse as JSON.
    InvalidJson {
        /// 1-based line of the syntax error.
        line: usize,
        /// 1-based column of the syntax error.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// Arrays and objects nested `json::MAX_DEPTH` (200) deep, Chromium's bound.
    NestingTooDeep,
    /// The text escapes a lone UTF-16 surrogate; it became U+FFFD.
    LoneSurrogateReplaced,
    /// The top level (or a member that must be a dictionary) is not a JSON object.
    NotAnObject {
        /// The JSON type found instead.
        found: JsonType,
    },

    // --- WebIDL dictionary conversion ---
    /// A `required` dictionary member is absent.
    MissingRequired,
    /// A member's JSON type cannot be converted to its IDL type.
    WrongType {
        /// The IDL type, in prose.
        expected: &'static str,
        /// The JSON type found.
        found: JsonType,
    },
    /// Chromium reads members by JSON type: a wrong type is ignored.
    IgnoredWrongType {
        /// The IDL type, in prose.
        expected: &'static str,
        /// The JSON type found.
        found: JsonType,
    },
    /// WebIDL converted the value; the result is probably not meant.
    Coerced {
        /// The JSON type of the original value.
        found: JsonType,
        /// The string or number WebIDL made of it.
        result: String,
    },
    /// A member an older spec or Chromium-only syntax used.
    LegacyMember {
        /// The member browsers read now.
        replacement: &'static str,
    },
    /// A member the spec defines that this profile's browser does not read.
    MemberNotRead {
        /// What happens instead.
        instead: &'static str,
    },

    // --- URLs ---
    /// An endpoint URL in an IdP document is unusable.
    Url(UrlError),

    // --- well-known file ---
    /// `provider_urls` lists more than one config URL.
    TooManyProviderUrls {
        /// Entries in `provider_urls`.
        count: usize,
    },
    /// The well-known file gives no `provider_urls[0]` and not both
    /// `accounts_endpoint` and `login_url`.
    NoProviderUrls,
    /// The well-known file lists another config URL than the RP's.
    ConfigNotInWellKnown {
        /// The RP's `configURL`.
        config_url: String,
        /// What `provider_urls[0]` says.
        listed: String,
    },
    /// The well-known file's `accounts_endpoint` or `login_url` differs from the config's.
    WellKnownEndpointMismatch {
        /// The well-known file's value.
        well_known: String,
        /// The config's value.
        config: String,
    },
    /// The config has `client_metadata_endpoint`, so the well-known file must
    /// give the endpoint pair.
    WellKnownPairRequired,

    // --- config ---
    /// `branding.background_color` or `branding.color` is not a CSS color.
    InvalidColor {
        /// The string given.
        value: String,
    },
    /// A `branding.icons` entry Chromium cannot use (its URL or size).
    IconUnusable {
        /// What is wrong with it.
        reason: String,
    },

    // --- accounts ---
    /// An account with no name, username, email or tel to show.
    NoAccountIdentifier {
        /// Some are present but all blank, rather than all absent.
        blank: bool,
    },
    /// Two accounts share an `id`: an error under the Chromium profile, a
    /// warning under the spec, which has no rule for it.
    DuplicateAccountId {
        /// The repeated id.
        id: String,
        /// Index of the account that first used it.
        first_index: usize,
    },
    /// `picture` is not an absolute URL (a warning: browsers show a placeholder).
    PictureNotAbsolute {
        /// The string given.
        value: String,
    },
    /// `accounts` is an empty list: the user counts as signed out of the IdP.
    EmptyAccountsList,

    // --- client metadata ---
    /// `privacy_policy_url` or `terms_of_service_url` is not an absolute http(s)
    /// URL, so no link is shown.
    LinkDropped {
        /// The string given.
        value: String,
    },

    // --- assertion ---
    /// The response has none of `token`, `continue_on` and `error`.
    NoAssertionResult,
    /// `error.url` is dropped: unparsable, or off the assertion endpoint's site
    /// (a warning; the RP gets `""`).
    ErrorUrlDropped {
        /// The URL given.
        url: String,
        /// Why it was dropped.
        reason: &'static str,
    },
    /// `continue_on` cannot be opened: unparsable, or not same-origin with the
    /// assertion endpoint.
    ContinueOnRejected {
        /// Why it cannot be opened.
        reason: String,
    },

    // --- disconnect ---
    /// The disconnect response's `account_id` is an empty string.
    EmptyAccountId,

    // --- request options ---
    /// An enumeration member (`mode`, `context`, `mediation`) has a value outside its IDL enum.
    NotInEnum {
        /// The value given.
        value: String,
        /// The values the IDL enum allows.
        allowed: &'static [&'static str],
    },
    /// No credential type requested (`identity` absent): Credential
    /// Management rejects before FedCM runs.
    NoCredentialType,
    /// `identity.providers` is an empty list.
    EmptyProviders,
    /// More than
    /// [`MAX_PROVIDERS_CHROMIUM`](crate::options::MAX_PROVIDERS_CHROMIUM)
    /// providers (Chromium profile).
    TooManyProviders {
        /// Providers passed.
        count: usize,
    },
    /// `mediation: "conditional"`, which `IdentityCredential` does not support.
    ConditionalMediation,
    /// Active mode together with `mediation: "silent"` (Chromium profile).
    ActiveWithSilent,
    /// Chromium profile: a provider's `configURL` does not parse, refused
    /// before any fetch (the spec lets the config fetch fail instead).
    InvalidConfigUrl(UrlError),
    /// Chromium profile: a provider's `clientId` is empty (the spec never
    /// checks it).
    EmptyClientId,
    /// `nonce` given at the provider level instead of in `params`.
    ProviderLevelNonce,
}

impl Rule {
    /// Whether the rule is a WebIDL conversion failure: those throw while
    /// the options are converted, before any step reads their values.
    pub fn is_conversion(&self) -> bool {
        matches!(
            self,
            Rule::MissingRequired | Rule::NotAnObject { .. } | Rule::NotInEnum { .. } | Rule::WrongType { .. }
        )
    }

    /// A stable identifier.
    pub fn id(&self) -> &'static str {
        match self {
            Rule::HttpStatus { .. } => "http-status",
            Rule::NoResponse { .. } => "no-response",
            Rule::Redirect { .. } => "redirect",
            Rule::ContentTypeMissing => "content-type-missing",
            Rule::ContentTypeNotJson { .. } => "content-type-not-json",
            Rule::BodyTooLarge { .. } => "body-too-large",
            Rule::NotUtf8 { .. } => "not-utf8",
            Rule::InvalidJson { .. } => "invalid-json",
            Rule::NestingTooDeep => "nesting-too-deep",
            Rule::LoneSurrogateReplaced => "lone-surrogate-replaced",
            Rule::NotAnObject { .. } => "not-an-object",
            Rule::MissingRequired => "missing-required",
            Rule::WrongType { .. } => "wrong-type",
            Rule::IgnoredWrongType { .. } => "ignored-wrong-type",
            Rule::Coerced { .. } => "coerced",
            Rule::LegacyMember { .. } => "legacy-member",
            Rule::MemberNotRead { .. } => "member-not-read",
            Rule::Url(UrlError::Unparsable { .. }) => "url-unparsable",
            Rule::Url(UrlError::CrossOrigin { .. }) => "url-cross-origin",
            Rule::Url(UrlError::NotTrustworthy { .. }) => "url-not-trustworthy",
            Rule::TooManyProviderUrls { .. } => "too-many-provider-urls",
            Rule::NoProviderUrls => "no-provider-urls",
            Rule::ConfigNotInWellKnown { .. } => "config-not-in-well-known",
            Rule::WellKnownEndpointMismatch { .. } => "well-known-endpoint-mismatch",
            Rule::WellKnownPairRequired => "well-known-pair-required",
            Rule::InvalidColor { .. } => "invalid-color",
            Rule::IconUnusable { .. } => "icon-unusable",
            Rule::NoAccountIdentifier { .. } => "no-account-identifier",
            Rule::DuplicateAccountId { .. } => "duplicate-account-id",
            Rule::PictureNotAbsolute { .. } => "picture-not-absolute",
            Rule::EmptyAccountsList => "empty-accounts-list",
            Rule::LinkDropped { .. } => "link-dropped",
            Rule::NoAssertionResult => "no-assertion-result",
            Rule::ErrorUrlDropped { .. } => "error-url-dropped",
            Rule::ContinueOnRejected { .. } => "continue-on-rejected",
            Rule::EmptyAccountId => "empty-account-id",
            Rule::NotInEnum { .. } => "not-in-enum",
            Rule::EmptyProviders => "empty-providers",
            Rule::TooManyProviders { .. } => "too-many-providers",
            Rule::ConditionalMediation => "conditional-mediation",
            Rule::ActiveWithSilent => "active-with-silent",
            Rule::NoCredentialType => "no-credential-type",
            Rule::InvalidConfigUrl(_) => "invalid-config-url",
            Rule::EmptyClientId => "empty-client-id",
            Rule::ProviderLevelNonce => "provider-level-nonce",
        }
    }

    /// The spec section (Bikeshed anchor in w3c-fedid/FedCM `spec/index.bs`)
    /// the rule comes from; `None` where the spec is silent and the model
    /// follows Chromium.
    pub fn anchor(&self, document: Document) -> Option<&'static str> {
        Some(match self {
            Rule::HttpStatus { .. }
            | Rule::NoResponse { .. }
            | Rule::ContentTypeMissing
            | Rule::ContentTypeNotJson { .. }
            | Rule::NotUtf8 { .. }
            | Rule::InvalidJson { .. }
            | Rule::LoneSurrogateReplaced => "helper-algorithms",
            // The spec sets no bound; the model's is Chromium's.
            Rule::NestingTooDeep => return None,
            Rule::Redirect { .. } => match document {
                Document::Config | Document::WellKnown => "fetch-config-file",
                Document::Accounts => "fetch-accounts",
                Document::Assertion => "fetch-identity-assertion",
                Document::Disconnect => "disconnect-request",
                Document::ClientMetadata => "request-permission-signup",
                _ => "idp-api",
            },
            Rule::BodyTooLarge { .. } => return None,
            Rule::NotAnObject { .. }
            | Rule::MissingRequired
            | Rule::WrongType { .. }
            | Rule::IgnoredWrongType { .. }
            | Rule::Coerced { .. }
            | Rule::LegacyMember { .. }
            | Rule::MemberNotRead { .. } => document.anchor(),
            Rule::Url(_) => match document {
                Document::Assertion => "fetch-identity-assertion",
                Document::Accounts => "fetch-accounts",
                _ => "fetch-config-file",
            },
            Rule::TooManyProviderUrls { .. }
            | Rule::NoProviderUrls
            | Rule::ConfigNotInWellKnown { .. }
            | Rule::WellKnownEndpointMismatch { .. }
            | Rule::WellKnownPairRequired => "fetch-config-file",
            Rule::InvalidColor { .. } => "idp-api-config-file",
            // The spec never drops an icon; Chromium skips unusable ones.
            Rule::IconUnusable { .. } => return None,
            Rule::NoAccountIdentifier { .. } | Rule::PictureNotAbsolute { .. } => "fetch-accounts",
            Rule::DuplicateAccountId { .. } => return None,
            Rule::EmptyAccountsList => "create-identity-credential",
            Rule::LinkDropped { .. } => return None,
            Rule::NoAssertionResult | Rule::ErrorUrlDropped { .. } | Rule::ContinueOnRejected { .. } => {
                "fetch-identity-assertion"
            }
            Rule::EmptyAccountId => return None,
            Rule::NotInEnum { .. } | Rule::ProviderLevelNonce => "browser-api-credential-request-options",
            Rule::EmptyProviders => "browser-api-rp-sign-in",
            // The spec's rule is the config fetch's; Chromium applies it
            // when the request is validated.
            Rule::InvalidConfigUrl(_) => "fetch-config-file",
            Rule::NoCredentialType | Rule::ConditionalMediation => CM_REQUEST,
            Rule::ActiveWithSilent | Rule::TooManyProviders { .. } | Rule::EmptyClientId => return None,
        })
    }

    /// What the rule found, in a sentence.
    pub fn describe(&self) -> String {
        match self {
            Rule::HttpStatus { status } => format!("HTTP status {status} is not a 2xx (ok) status"),
            Rule::NoResponse { reason } => format!("no response: {reason}"),
            Rule::Redirect { status } => format!("HTTP {status} redirect: this fetch does not follow redirects"),
            Rule::ContentTypeMissing => "no Content-Type header; a JSON MIME type is required".into(),
            Rule::ContentTypeNotJson { content_type } => {
                format!("Content-Type {content_type:?} is not a JSON MIME type")
            }
            Rule::BodyTooLarge { len, limit } => format!("body is {len} bytes, over the {limit}-byte limit"),
            Rule::NotUtf8 { valid_up_to } => format!("body is not UTF-8 (invalid byte at offset {valid_up_to})"),
            Rule::InvalidJson { line, column, message } => {
                format!("body is not JSON: {message} at line {line}, column {column}")
            }
            Rule::NestingTooDeep => {
                format!("JSON nesting reaches {} levels (Chromium's JSON reader refuses it)", crate::json::MAX_DEPTH)
            }
            Rule::LoneSurrogateReplaced => {
                "a string escapes a lone UTF-16 surrogate; JSON.parse accepts it and the conversion to a \
                 USVString makes it U+FFFD (Chromium rejects the whole body)"
                    .into()
            }
            Rule::NotAnObject { found } => format!("expected a JSON object, found {found}"),
            Rule::MissingRequired => "required member is missing".into(),
            Rule::WrongType { expected, found } => format!("expected {expected}, found {found}"),
            Rule::IgnoredWrongType { expected, found } => {
                format!("expected {expected}, found {found}; the value is ignored as if absent")
            }
            Rule::Coerced { found, result } => {
                format!("{found} is converted by WebIDL to {result:?}, which is probably not meant")
            }
            Rule::LegacyMember { replacement } => {
                format!("this member is not in the current spec; browsers now read {replacement}")
            }
            Rule::MemberNotRead { instead } => format!("this browser does not read this member: {instead}"),
            Rule::Url(e) | Rule::InvalidConfigUrl(e) => e.to_string(),
            Rule::TooManyProviderUrls { count } => {
                format!("provider_urls has {count} entries; at most one is allowed")
            }
            Rule::NoProviderUrls => {
                "neither provider_urls[0] nor both accounts_endpoint and login_url are given".into()
            }
            Rule::ConfigNotInWellKnown { config_url, listed } => {
                format!("the config URL {config_url} is not the one the well-known file lists ({listed})")
            }
            Rule::WellKnownEndpointMismatch { well_known, config } => {
                format!("the well-known file says {well_known} but the config says {config}")
            }
            Rule::WellKnownPairRequired => {
                "the config has client_metadata_endpoint, so the well-known file must give accounts_endpoint and login_url"
                    .into()
            }
            Rule::InvalidColor { value } => format!("{value:?} is not a hex, rgb(), hsl() or named CSS color"),
            Rule::IconUnusable { reason } => format!("icon cannot be used: {reason}"),
            Rule::NoAccountIdentifier { blank } => {
                if *blank {
                    "account has no non-blank name, username, email or tel".into()
                } else {
                    "account has none of name, username, email, tel".into()
                }
            }
            Rule::DuplicateAccountId { id, first_index } => {
                format!("account id {id:?} already appears at accounts[{first_index}]")
            }
            Rule::PictureNotAbsolute { value } => {
                format!("picture {value:?} is not an absolute URL; browsers show a placeholder")
            }
            Rule::EmptyAccountsList => "the accounts list is empty: the user is treated as signed out".into(),
            Rule::LinkDropped { value } => format!("{value:?} is not an absolute http(s) URL; the link is not shown"),
            Rule::NoAssertionResult => "none of token, continue_on or error is present".into(),
            Rule::ErrorUrlDropped { url, reason } => format!("error url {url:?} is dropped: {reason}"),
            Rule::ContinueOnRejected { reason } => format!("continue_on cannot be opened: {reason}"),
            Rule::EmptyAccountId => "account_id is empty".into(),
            Rule::NotInEnum { value, allowed } => {
                format!("{value:?} is not one of {}", allowed.join(", "))
            }
            Rule::EmptyProviders => "providers is empty".into(),
            Rule::NoCredentialType => "the options ask for no credential type: `identity` is absent".into(),
            Rule::TooManyProviders { count } => format!("{count} providers; Chromium allows at most 10"),
            Rule::ConditionalMediation => "IdentityCredential does not support mediation \"conditional\"".into(),
            Rule::ActiveWithSilent => "mode \"active\" cannot be combined with mediation \"silent\"".into(),
            Rule::EmptyClientId => "clientId is empty".into(),
            Rule::ProviderLevelNonce => {
                "nonce at the provider level was removed from the spec; pass params: {nonce: ...}".into()
            }
        }
    }

    /// What to change, where the description does not make it obvious.
    pub fn advice(&self, document: Document) -> Option<&'static str> {
        Some(match self {
            Rule::HttpStatus { .. } => "serve the document with status 200",
            Rule::Redirect { .. } => "serve the document at the exact URL; FedCM fetches refuse redirects",
            Rule::ContentTypeMissing | Rule::ContentTypeNotJson { .. } => "send Content-Type: application/json",
            Rule::NotAnObject { .. } if document == Document::Assertion => {
                "answer with an object: {\"token\": ...}, {\"continue_on\": ...} or {\"error\": {...}}"
            }
            Rule::Url(UrlError::CrossOrigin { .. }) => {
                "serve every endpoint from the config file's origin, or use a relative URL"
            }
            Rule::Url(UrlError::NotTrustworthy { .. }) => "use an https URL",
            Rule::TooManyProviderUrls { .. } => {
                "list exactly one config URL, or give accounts_endpoint and login_url to allow several configs"
            }
            Rule::ConfigNotInWellKnown { .. } => {
                "list the exact config URL the RP passes as configURL in provider_urls"
            }
            Rule::NoAccountIdentifier { .. } => "give every account a name, username, email or tel",
            Rule::DuplicateAccountId { .. } => "give every account a distinct id",
            Rule::NoAssertionResult => "answer {\"token\": ...} on success or {\"error\": {\"error\": ...}} on failure",
            Rule::ProviderLevelNonce => "move nonce into params",
            Rule::LoneSurrogateReplaced => "escape whole characters (surrogate pairs) or send UTF-8 text",
            Rule::NestingTooDeep => "flatten the document: nest fewer than 200 arrays and objects",
            _ => return None,
        })
    }
}
