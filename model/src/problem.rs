//! What can be wrong with a document the browser receives, or with the
//! options an RP passes: which document, which field, which rule (with the
//! spec section it comes from), and what to do about it.

use crate::json::JsonType;
use crate::urls::UrlError;
use serde::Serialize;
use std::fmt;

/// The documents an IdP serves, plus the RP's request options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Document {
    /// `/.well-known/web-identity` on the IdP's registrable domain.
    WellKnown,
    /// The config file the RP's `configURL` names.
    Config,
    /// The accounts list from the config's `accounts_endpoint`.
    Accounts,
    /// The client metadata from `client_metadata_endpoint`.
    ClientMetadata,
    /// The identity assertion endpoint's answer to the POST.
    Assertion,
    /// The disconnect endpoint's answer to the POST.
    Disconnect,
    /// What the RP passes to `navigator.credentials.get()` or `disconnect()`.
    RequestOptions,
}

impl Document {
    /// Every document an IdP serves, in the order the algorithm fetches them.
    pub const IDP_DOCUMENTS: [Document; 6] = [
        Document::WellKnown,
        Document::Config,
        Document::Accounts,
        Document::ClientMetadata,
        Document::Assertion,
        Document::Disconnect,
    ];

    /// The document's name in prose, for messages ("config file").
    pub fn title(self) -> &'static str {
        match self {
            Document::WellKnown => "well-known file",
            Document::Config => "config file",
            Document::Accounts => "accounts list",
            Document::ClientMetadata => "client metadata",
            Document::Assertion => "identity assertion response",
            Document::Disconnect => "disconnect response",
            Document::RequestOptions => "request options",
        }
    }

    /// The spec section that defines the document's format.
    pub fn anchor(self) -> &'static str {
        match self {
            Document::WellKnown => "idp-api-well-known",
            Document::Config => "idp-api-config-file",
            Document::Accounts => "idp-api-accounts-endpoint",
            Document::ClientMetadata => "idp-api-client-id-metadata-endpoint",
            Document::Assertion => "idp-api-id-assertion-endpoint",
            Document::Disconnect => "idp-api-disconnect-endpoint",
            Document::RequestOptions => "browser-api-credential-request-options",
        }
    }
}

impl std::str::FromStr for Document {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "well-known" => Document::WellKnown,
            "config" => Document::Config,
            "accounts" => Document::Accounts,
            "client-metadata" => Document::ClientMetadata,
            "assertion" => Document::Assertion,
            "disconnect" => Document::Disconnect,
            "request" | "request-options" => Document::RequestOptions,
            other => return Err(format!(
                "unknown document kind {other:?}: expected well-known, config, accounts, client-metadata, assertion, disconnect or request"
            )),
        })
    }
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The document is rejected (or, for deferred URL checks, the step that
    /// needs the field fails).
    Error,
    /// Accepted, but not what the IdP most likely meant.
    Warning,
}

/// The JavaScript exception an options problem turns into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum JsError {
    /// WebIDL conversion failed, or a member has an invalid value.
    TypeError,
    /// The options ask for something FedCM does not do (no `identity`, active mode with `silent`).
    NotSupportedError,
    /// Chromium profile: a `configURL` that does not parse, or an empty
    /// `clientId`.
    InvalidStateError,
    /// Spec profile: an empty `providers` list (the spec queues a
    /// NetworkError where engines throw a TypeError).
    NetworkError,
}

impl JsError {
    /// The exception's `name`, as JavaScript reports it.
    pub fn name(self) -> &'static str {
        match self {
            JsError::TypeError => "TypeError",
            JsError::NotSupportedError => "NotSupportedError",
            JsError::InvalidStateError => "InvalidStateError",
            JsError::NetworkError => "NetworkError",
        }
    }
}

/// Credential Management's "request a credential" algorithm, which runs
/// before FedCM's (its rejections for the options as a whole).
pub(crate) const CM_REQUEST: &str = "credential-management-1#algorithm-request";

/// Credential Management's `CredentialRequestOptions` (its `mediation`).
pub(crate) const CM_OPTIONS: &str = "credential-management-1#dictdef-credentialrequestoptions";

/// Every rule the model checks. `id()` is stable: tests, scenario files and
/// CI match on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
            | Rule::LegacyMember { .. } => document.anchor(),
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

/// One problem found in a document or in request options.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Whether the document is rejected or only warned about.
    pub severity: Severity,
    /// The document the problem is in.
    pub document: Document,
    /// Where in the document, e.g. `accounts[2].approved_clients`; `None`
    /// for the document as a whole.
    pub field: Option<String>,
    /// What the rule found, with its data.
    pub rule: Rule,
}

/// JSON form: the stable rule id, the spec anchor and a message beside the
/// rule's own data, so tools need not know the Rust enum.
impl Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Problem", 8)?;
        st.serialize_field("severity", &self.severity)?;
        st.serialize_field("document", &self.document)?;
        st.serialize_field("field", &self.field)?;
        st.serialize_field("rule", self.rule.id())?;
        st.serialize_field("anchor", &self.anchor())?;
        st.serialize_field("message", &self.rule.describe())?;
        st.serialize_field("advice", &self.rule.advice(self.document))?;
        st.serialize_field("detail", &self.rule)?;
        st.end()
    }
}

impl Problem {
    /// An error in `document` at `field`.
    pub fn error(document: Document, field: Option<String>, rule: Rule) -> Self {
        Problem { severity: Severity::Error, document, field, rule }
    }

    /// A warning in `document` at `field`.
    pub fn warning(document: Document, field: Option<String>, rule: Rule) -> Self {
        Problem { severity: Severity::Warning, document, field, rule }
    }

    /// The spec section to cite: the rule's own, or a finer one for the field
    /// (`mediation`, deferred config endpoints).
    pub fn anchor(&self) -> Option<&'static str> {
        let field = self.field.as_deref().unwrap_or("");
        match (&self.rule, self.document) {
            // `mediation` is Credential Management's member, not FedCM's.
            (Rule::NotInEnum { .. }, Document::RequestOptions) if field == "mediation" => Some(CM_OPTIONS),
            // Endpoints the config holds unchecked are judged where the
            // algorithm first uses them.
            (Rule::Url(_), Document::Config) => Some(match field {
                "id_assertion_endpoint" => "fetch-identity-assertion",
                "client_metadata_endpoint" => "request-permission-signup",
                "disconnect_endpoint" => "disconnect-request",
                _ => "fetch-config-file",
            }),
            _ => self.rule.anchor(self.document),
        }
    }

    /// The JavaScript exception a request-options error throws.
    pub fn js_error(&self) -> JsError {
        match &self.rule {
            Rule::ActiveWithSilent | Rule::NoCredentialType => JsError::NotSupportedError,
            Rule::InvalidConfigUrl(_) | Rule::EmptyClientId => JsError::InvalidStateError,
            _ => JsError::TypeError,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}", self.document.title())?;
        if let Some(field) = &self.field {
            write!(f, ", `{field}`")?;
        }
        write!(f, ": {} [{}", self.rule.describe(), self.rule.id())?;
        match self.anchor() {
            // Anchors of other specs carry their spec's name.
            Some(a) if a.contains('#') => write!(f, "; spec {a}]")?,
            Some(a) => write!(f, "; spec #{a}]")?,
            None => write!(f, "; no spec rule, Chromium's behaviour]")?,
        }
        if let Some(advice) = self.rule.advice(self.document) {
            write!(f, " Fix: {advice}.")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

/// A JSON path built on the stack; turned into a string only when a
/// problem is reported.
#[derive(Clone, Copy)]
pub(crate) enum Path<'p> {
    Root,
    Field(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl<'p> Path<'p> {
    pub(crate) fn field(&'p self, name: &'p str) -> Path<'p> {
        Path::Field(self, name)
    }
    pub(crate) fn index(&'p self, i: usize) -> Path<'p> {
        Path::Index(self, i)
    }
    pub(crate) fn render(&self) -> Option<String> {
        match self {
            Path::Root => None,
            _ => Some(self.to_string()),
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_js() {
        let root = Path::Root;
        let a = root.field("accounts");
        let b = a.index(2);
        let c = b.field("login_hints");
        assert_eq!(c.to_string(), "accounts[2].login_hints");
        assert_eq!(root.render(), None);
    }

    #[test]
    fn display_names_document_field_rule_and_anchor() {
        let p = Problem::error(
            Document::Config,
            Some("accounts_endpoint".into()),
            Rule::Url(UrlError::CrossOrigin {
                url: "https://x.example/a".into(),
                expected_origin: "https://idp.example".into(),
            }),
        );
        let s = p.to_string();
        assert!(s.contains("config file"), "{s}");
        assert!(s.contains("`accounts_endpoint`"), "{s}");
        assert!(s.contains("url-cross-origin"), "{s}");
        assert!(s.contains("#fetch-config-file"), "{s}");
        assert!(s.contains("Fix:"), "{s}");
    }
}
