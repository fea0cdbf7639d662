//! The Login Status API's signals from an IdP (spec, Login Status
//! section: `#login-status-http`, `#login-status-javascript`): the
//! `Set-Login` response header and `navigator.login.setStatus()`. Either
//! sets the status of the origin that sent it, only from a document (or a
//! response for one) whose frame is same-site with every ancestor; the
//! profile says how strict that is and what a script refused gets
//! (decisions A56).

use super::browser::LoginStatus;
use crate::profile::rules::{LoginSignalScope, SetStatusRefused};
use crate::profile::Rules;
use crate::urls::same_site;
use serde::Serialize;
use url::Url;

/// How the IdP signals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "via", rename_all = "kebab-case")]
pub enum Via {
    /// `navigator.login.setStatus(status)` from a document of the IdP.
    Script {
        /// The status passed.
        status: LoginStatus,
    },
    /// A `Set-Login` header on a response from the IdP's origin (a
    /// navigation or a subresource of a document), as sent.
    Header {
        /// The header's value.
        value: String,
    },
}

/// One signal: who sends it, from which frame, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoginSignal {
    /// The origin whose status changes: the script's document, or the
    /// response's URL.
    pub origin: Url,
    /// The origins of the frames around it, innermost first (empty for a
    /// top-level document or navigation).
    pub ancestors: Vec<Url>,
    /// How.
    pub via: Via,
}

/// What became of a signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum SignalResult {
    /// The status of `origin` is now `status`.
    Applied {
        /// The new status.
        status: LoginStatus,
    },
    /// Nothing changed, and the page is not told.
    Ignored {
        /// Why, in a sentence.
        why: String,
    },
    /// `setStatus()` rejected with `SecurityError`; nothing changed.
    Refused {
        /// Why, in a sentence.
        why: String,
    },
}

/// A `Set-Login` value: a Structured Field item whose bare item is the
/// token `logged-in` or `logged-out` (case-sensitive); parameters are
/// allowed and ignored. `None` for anything else.
pub fn parse_set_login(value: &str) -> Option<LoginStatus> {
    let item = value.trim_matches(' ');
    let bare = item.split(';').next().unwrap_or_default();
    let status = match bare {
        "logged-in" => LoginStatus::LoggedIn,
        "logged-out" => LoginStatus::LoggedOut,
        _ => return None,
    };
    // Parameters: `;key` or `;key=value`, keys lowercase tokens.
    let params_ok = item.get(bare.len()..).unwrap_or_default().split(';').skip(1).all(|p| {
        let p = p.trim_start_matches(' ');
        let key = p.split('=').next().unwrap_or_default();
        !key.is_empty()
            && key.starts_with(|c: char| c.is_ascii_lowercase() || c == '*')
            && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.*".contains(c))
    });
    params_ok.then_some(status)
}

/// The status a signal asks for, if its header parses.
pub fn status_of(signal: &LoginSignal) -> Option<LoginStatus> {
    match &signal.via {
        Via::Script { status } => Some(*status),
        Via::Header { value } => parse_set_login(value),
    }
}

/// Judges a signal under the profile's rules.
pub fn judge(signal: &LoginSignal, rules: &Rules) -> SignalResult {
    let Some(status) = status_of(signal) else {
        let value = match &signal.via {
            Via::Header { value } => value.as_str(),
            Via::Script { .. } => "",
        };
        return SignalResult::Ignored { why: format!("Set-Login {value:?} is not the token logged-in or logged-out") };
    };
    let (fits, scope) = match rules.login_signal_scope {
        LoginSignalScope::SameSite => (signal.ancestors.iter().all(|a| same_site(a, &signal.origin)), "same-site"),
        LoginSignalScope::SameOrigin => {
            (signal.ancestors.iter().all(|a| a.origin() == signal.origin.origin()), "same-origin")
        }
    };
    if fits {
        return SignalResult::Applied { status };
    }
    let why = format!("{} is not {scope} with every frame around it", signal.origin.origin().ascii_serialization());
    match (&signal.via, rules.set_status_refused) {
        (Via::Script { .. }, SetStatusRefused::SecurityError) => SignalResult::Refused { why },
        _ => SignalResult::Ignored { why },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_login_is_a_structured_field_token() {
        assert_eq!(parse_set_login("logged-in"), Some(LoginStatus::LoggedIn));
        assert_eq!(parse_set_login(" logged-out "), Some(LoginStatus::LoggedOut));
        assert_eq!(parse_set_login("logged-in; type=idp"), Some(LoginStatus::LoggedIn));
        assert_eq!(parse_set_login("logged-in;a"), Some(LoginStatus::LoggedIn));
        for bad in
            ["Logged-In", "\"logged-in\"", "logged-in, logged-out", "", "logged-in;A=1", "logged_in", "logged-in;"]
        {
            assert_eq!(parse_set_login(bad), None, "{bad:?}");
        }
    }
}
