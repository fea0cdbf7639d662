//! Where the spec leaves a choice open, or where shipping browsers differ
//! from it, the model names the choice instead of picking one silently.
//!
//! `Spec` reads the FedCM Editor's Draft (w3c-fedid/FedCM `spec/index.bs`)
//! literally, including WebIDL's coercing dictionary conversion. `Chromium`
//! follows `content/browser/webid/` with its newest features on: fields of
//! the wrong JSON type count as absent, duplicate account ids and blank
//! identifiers reject the list, and error bodies on non-2xx assertion
//! responses are honoured.

pub mod rules;

pub use rules::Rules;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which reading of the algorithm the model follows: a generation of the
/// spec or of a browser. Each is a value of [`Rules`] ([`Profile::rules`]);
/// `docs/profiles.md` has the table.
///
/// `Spec` reads the FedCM Editor's Draft (w3c-fedid/FedCM `spec/index.bs`)
/// literally, including WebIDL's coercing dictionary conversion; `Spec2024`
/// is the text before the 2025 token and nonce changes. `Chromium` is
/// Chromium as measured on 156 and read in `content/browser/webid/`;
/// `Chromium142` is the same before tokens of any type. `Firefox` is
/// Firefox's implementation as its source reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub enum Profile {
    /// The Editor's Draft, read literally (the default).
    #[default]
    #[serde(rename = "spec")]
    Spec,
    /// The spec before August 2025: a string token, the provider-level
    /// `nonce` posted as `nonce=`, no `params`.
    #[serde(rename = "spec-2024")]
    Spec2024,
    /// Chromium's shipped behaviour, measured on 156.
    #[serde(rename = "chromium")]
    Chromium,
    /// Chromium before 143: a token that is not a string counts as missing.
    #[serde(rename = "chromium-142")]
    Chromium142,
    /// Firefox, read in its source: a string token, the provider-level
    /// `nonce`, no error API, no Login Status API in the request.
    #[serde(rename = "firefox")]
    Firefox,
}

/// Bodies above this size are rejected before parsing. The spec sets no
/// limit; Chromium's loader caps IdP responses at 1 MiB, and no realistic
/// IdP document comes near it, so a larger body is a fault worth naming.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

impl Profile {
    /// Every profile, for checks that run under each.
    pub const ALL: [Profile; 5] =
        [Profile::Spec, Profile::Spec2024, Profile::Chromium, Profile::Chromium142, Profile::Firefox];

    /// The name the CLI and scenario files use.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Spec => "spec",
            Profile::Spec2024 => "spec-2024",
            Profile::Chromium => "chromium",
            Profile::Chromium142 => "chromium-142",
            Profile::Firefox => "firefox",
        }
    }

    /// One line: what the profile is and where its rules come from.
    pub fn summary(self) -> &'static str {
        match self {
            Profile::Spec => "the FedCM Editor's Draft (w3c-fedid/FedCM spec/index.bs), read literally",
            Profile::Spec2024 => {
                "the spec before August 2025: token converted to a string, provider-level nonce posted as nonce=, no params"
            }
            Profile::Chromium => "Chromium as measured on 156 with fedcm browser and read in content/browser/webid",
            Profile::Chromium142 => "Chromium before 143: a token that is not a string counts as missing",
            Profile::Firefox => {
                "Firefox as read in dom/credentialmanagement/identity (2025): string token, nonce=, no error API, no login status"
            }
        }
    }

    /// The profile's choice for every rule where profiles differ.
    pub fn rules(self) -> &'static Rules {
        #[cfg(feature = "mutations")]
        if let Some(rules) = crate::mutation::rules_for(self) {
            return rules;
        }
        match self {
            Profile::Spec => &rules::SPEC,
            Profile::Spec2024 => &rules::SPEC_2024,
            Profile::Chromium => &rules::CHROMIUM,
            Profile::Chromium142 => &rules::CHROMIUM_142,
            Profile::Firefox => &rules::FIREFOX,
        }
    }

    /// WebIDL conversion (`"id": 5` becomes `"5"`), or JSON types taken as
    /// they are, a wrong type counting as a missing member (Chromium).
    pub fn coerces_types(self) -> bool {
        self.rules().json_types == rules::JsonTypes::WebIdl
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
            format!("unknown profile {s:?}: expected one of {}", names.join(", "))
        })
    }
}
