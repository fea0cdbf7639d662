//! What can be wrong with a document the browser receives, or with the
//! options an RP passes: which document, which field, which rule (with the
//! spec section it comes from), and what to do about it.

mod rule;

#[cfg(test)]
use crate::urls::UrlError;
pub use rule::Rule;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
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

/// One problem found in a document or in request options.
#[derive(Debug, Clone, PartialEq, Hash)]
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
