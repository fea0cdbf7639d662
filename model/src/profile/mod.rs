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

/// Which reading of the algorithm the model follows. Where the spec leaves
/// a choice open, or shipping browsers differ from it, the model names the
/// choice instead of picking one silently.
///
/// `Spec` reads the FedCM Editor's Draft (w3c-fedid/FedCM `spec/index.bs`)
/// literally, including WebIDL's coercing dictionary conversion. `Chromium`
/// follows `content/browser/webid/` with its newest features on: fields of
/// the wrong JSON type count as absent, duplicate account ids and blank
/// identifiers reject the list, and error bodies on non-2xx assertion
/// responses are honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// The Editor's Draft, read literally (the default).
    #[default]
    Spec,
    /// Chromium's shipped behaviour.
    Chromium,
}

/// Bodies above this size are rejected before parsing. The spec sets no
/// limit; Chromium's loader caps IdP responses at 1 MiB, and no realistic
/// IdP document comes near it, so a larger body is a fault worth naming.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

impl Profile {
    /// Both profiles, for checks that run under each.
    pub const ALL: [Profile; 2] = [Profile::Spec, Profile::Chromium];

    /// The lowercase name the CLI and scenario files use.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Spec => "spec",
            Profile::Chromium => "chromium",
        }
    }

    /// The profile's choice for every rule where profiles differ.
    pub fn rules(self) -> &'static Rules {
        match self {
            Profile::Spec => &rules::SPEC,
            Profile::Chromium => &rules::CHROMIUM,
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
        match s {
            "spec" => Ok(Profile::Spec),
            "chromium" => Ok(Profile::Chromium),
            other => Err(format!("unknown profile {other:?}: expected \"spec\" or \"chromium\"")),
        }
    }
}
