//! What the account chooser shows a person (decisions A60): the title with
//! its `context`, the sites it names, one account to confirm or a list, the
//! accounts' order, and the IdP's brand icon and colours. The spec asks for
//! the sites and the sign-up disclosure but gives no words or order;
//! Chromium's desktop dialog and Firefox's panel settle those, each under
//! its profile's rules.

use super::prompt::AccountChoice;
use super::providers::ProviderIx;
use super::Flow;
use crate::color::Rgb;
use crate::idp::icons;
use crate::mutation::mutant;
use crate::options::{Context, Mode};
use crate::profile::rules::{BrandColors, DialogWords, SingleAccount};
use crate::urls::{registrable_domain, same_site};
use serde::Serialize;
use url::Url;

/// Chromium's least contrast for brand text on the brand background (WCAG
/// AA for text); below it the text colour is dropped.
pub const TEXT_CONTRAST: f64 = 4.5;
/// Chromium's least contrast between the brand background and the
/// dialog's own; below it the "Continue" button is not branded.
pub const BUTTON_CONTRAST: f64 = 3.0;

/// The account chooser as a person sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Hash)]
pub struct Dialog {
    /// `identity.context`, which the title's words follow.
    pub context: Context,
    /// The site the dialog names as the RP: the top frame's, or a
    /// cross-site iframe's when its IdP says so.
    pub rp: String,
    /// The top frame's site, shown under an iframe RP's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top: Option<String>,
    /// The IdP's site, when the dialog is for one IdP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    /// The title in the profile's browser's English; none where the
    /// profile gives no words (the spec).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The line under the title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// One account to confirm, or a list to choose from.
    pub form: Form,
    /// The brand icon and colours of each IdP that has any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub brands: Vec<Brand>,
}

/// The shape of the chooser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// One account and one button: "Continue as NAME" (sign in or sign up).
    Confirm,
    /// A list of accounts to pick from.
    List,
    /// Chromium, several IdPs: the one returning account, with a button
    /// that opens the whole list.
    ReturningAccount,
}

/// What the dialog shows of one IdP's `branding`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Hash)]
pub struct Brand {
    /// Index into the RP's `providers`.
    pub provider: usize,
    /// The icon the dialog shows (and the browser downloads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<Url>,
    /// The background colour the dialog uses, after the profile's rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_color: Option<Rgb>,
    /// The text colour on that background, after the profile's rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<Rgb>,
}

/// Where Chromium lists an account: newly logged in, then returning (most
/// recently used first, then never used here), then new.
pub fn display_key(a: &AccountChoice) -> (bool, bool, std::cmp::Reverse<Option<u64>>) {
    (!a.newly_logged_in, !a.returning, std::cmp::Reverse(a.last_used.filter(|_| a.returning)))
}

/// A URL's site as a dialog names it: its registrable domain (private
/// registries included), or its host where it has none; never the scheme
/// or the port.
pub fn site_for_display(url: &Url) -> String {
    registrable_domain(url).map(str::to_string).or_else(|| url.host_str().map(str::to_string)).unwrap_or_default()
}

/// Chromium's title for one IdP in `context`, or for several.
fn chromium_title(context: Context, rp: &str, idp: Option<&str>) -> String {
    match (idp, context) {
        (None, _) => format!("Sign in to {rp}"),
        (Some(idp), Context::Signin) => format!("Sign in to {rp} with {idp}"),
        (Some(idp), Context::Signup) => format!("Sign up to {rp} with {idp}"),
        (Some(idp), Context::Use) => format!("Use {rp} with {idp}"),
        (Some(idp), Context::Continue) => format!("Continue to {rp} with {idp}"),
    }
}

/// Chromium's sign-up disclosure for `fields` (name, email, picture as
/// the IdP's dialog words them), with the links that are present.
pub fn chromium_disclosure(idp: &str, fields: &[&str], privacy_policy: bool, terms: bool) -> String {
    let words: Vec<&str> = fields
        .iter()
        .filter_map(|f| match *f {
            "name" => Some("name"),
            "email" => Some("email address"),
            "picture" => Some("profile picture"),
            _ => None,
        })
        .collect();
    let shared = match words.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [a, b] => format!("{a} and {b}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    };
    let mut text = format!("To continue, {idp} will share your {shared} with this site.");
    match (privacy_policy, terms) {
        (true, true) => text.push_str(" See this site's privacy policy and terms of service."),
        (true, false) => text.push_str(" See this site's privacy policy."),
        (false, true) => text.push_str(" See this site's terms of service."),
        (false, false) => {}
    }
    text
}

impl Flow {
    /// The providers the chooser shows: those with accounts or a mismatch.
    fn dialog_providers(&self, accounts: &[AccountChoice], login_to: &[usize]) -> Vec<ProviderIx> {
        self.providers
            .iter()
            .map(|(i, _)| i)
            .filter(|i| accounts.iter().any(|a| a.provider == i.get()) || login_to.contains(&i.get()))
            .collect()
    }

    /// The dialog around the chooser's `accounts` (already in display order).
    pub(super) fn dialog(&self, accounts: &[AccountChoice], use_other_account: bool, login_to: &[usize]) -> Dialog {
        let shown = self.dialog_providers(accounts, login_to);
        let context = self.context;
        let top = site_for_display(&self.rp.embedder);
        // A cross-site iframe RP is named when an IdP's client metadata
        // says the client is third party to the top frame.
        let third_party = shown
            .iter()
            .any(|i| self.providers[*i].metadata.as_ref().is_some_and(|m| m.client_is_third_party_to_top_frame_origin));
        // (Firefox refuses a cross-origin frame before any dialog.)
        let iframe = !same_site(&self.rp.origin, &self.rp.embedder) && third_party;
        let (rp, top) = if iframe { (site_for_display(&self.rp.origin), Some(top)) } else { (top, None) };
        let top = top.filter(|_| !mutant!(IframeNameWithoutTop));
        let one = match shown.as_slice() {
            [only] => Some(*only),
            _ => None,
        };
        let idp = one.and_then(|i| self.providers[i].config_url()).map(|c| site_for_display(c.url()));
        let (title, subtitle) = match self.rules.dialog_words {
            DialogWords::Unspecified => (None, None),
            DialogWords::Chromium => {
                // The subtitle as Chromium 156 words it (measured; older
                // builds said "on TOP").
                let subtitle = top.as_ref().map(|t| format!("{t} embeds content from {rp}"));
                (Some(chromium_title(context, &rp, idp.as_deref())), subtitle)
            }
            DialogWords::Firefox => {
                // Firefox names the IdP alone: its brand name, else the
                // config URL's host.
                let name = one.map(|i| {
                    let p = &self.providers[i];
                    let brand = p.config.as_ref().and_then(|c| c.branding.as_ref()).and_then(|b| b.name.clone());
                    brand.unwrap_or_else(|| {
                        p.config_url().and_then(|c| c.url().host_str()).unwrap_or_default().to_string()
                    })
                });
                let title = match name {
                    Some(n) => format!("Sign in with {n}"),
                    None => "Sign in with a login provider".to_string(),
                };
                (Some(title), None)
            }
        };
        let form = self.form(accounts, shown.len(), use_other_account, login_to);
        let brands = shown.iter().filter_map(|i| self.brand(*i)).collect();
        Dialog { context, rp, top, idp, title, subtitle, form, brands }
    }

    fn form(&self, accounts: &[AccountChoice], idps: usize, use_other: bool, login_to: &[usize]) -> Form {
        let one = accounts.len() == 1 && !use_other && login_to.is_empty();
        match self.rules.single_account {
            SingleAccount::Spec if one => Form::Confirm,
            SingleAccount::Spec => Form::List,
            SingleAccount::ChromiumBubble => {
                if self.mode == Mode::Active {
                    return Form::List;
                }
                let new_ones = accounts.iter().filter(|a| a.newly_logged_in).count();
                let returning = accounts.iter().filter(|a| a.returning).count();
                if new_ones == 1 || (idps == 1 && one) {
                    Form::Confirm
                } else if idps > 1 && returning == 1 {
                    Form::ReturningAccount
                } else {
                    Form::List
                }
            }
        }
    }

    /// Provider `i`'s brand as the dialog shows it, if it shows any.
    fn brand(&self, i: ProviderIx) -> Option<Brand> {
        let branding = self.providers[i].config.as_ref()?.branding.as_ref()?;
        let icon = if self.rules.fetches_icons { icons::chromium_choice_url(&branding.icons, self.mode) } else { None };
        let (background_color, color) = match self.rules.brand_colors {
            BrandColors::Unused => (None, None),
            BrandColors::AsGiven => (branding.background_color, branding.color),
            // The active modal's buttons never take brand colours; the
            // bubble's need a background that stands out from its own, and
            // text that can be read on it.
            BrandColors::Contrast if self.mode == Mode::Active => (None, None),
            BrandColors::Contrast => {
                let background = branding
                    .background_color
                    .filter(|b| b.contrast(Rgb::WHITE) >= BUTTON_CONTRAST || mutant!(IgnoreBrandContrast));
                let text = branding.color.filter(|t| {
                    background.is_some_and(|b| t.contrast(b) >= TEXT_CONTRAST) || mutant!(IgnoreBrandContrast)
                });
                (background, text)
            }
        };
        (icon.is_some() || background_color.is_some() || color.is_some()).then_some(Brand {
            provider: i.get(),
            icon,
            background_color,
            color,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_follow_context_and_the_number_of_idps() {
        let t = |c| chromium_title(c, "rp.example", Some("idp.example"));
        assert_eq!(t(Context::Signin), "Sign in to rp.example with idp.example");
        assert_eq!(t(Context::Signup), "Sign up to rp.example with idp.example");
        assert_eq!(t(Context::Use), "Use rp.example with idp.example");
        assert_eq!(t(Context::Continue), "Continue to rp.example with idp.example");
        assert_eq!(chromium_title(Context::Use, "rp.example", None), "Sign in to rp.example");
    }

    #[test]
    fn sites_drop_scheme_port_and_subdomains() {
        let s = |u: &str| site_for_display(&Url::parse(u).unwrap());
        assert_eq!(s("https://login.idp.example:8443/config.json"), "idp.example");
        assert_eq!(s("https://rp.github.io/"), "rp.github.io");
        assert_eq!(s("http://localhost:8080/"), "localhost");
        assert_eq!(s("https://127.0.0.1/"), "127.0.0.1");
    }

    #[test]
    fn disclosure_lists_fields_and_links() {
        let all = ["name", "email", "picture"];
        assert_eq!(
            chromium_disclosure("idp.example", &all, true, true),
            "To continue, idp.example will share your name, email address, and profile picture with this site. \
             See this site's privacy policy and terms of service."
        );
        assert_eq!(
            chromium_disclosure("idp.example", &["email", "name"], false, true),
            "To continue, idp.example will share your email address and name with this site. \
             See this site's terms of service."
        );
    }
}
