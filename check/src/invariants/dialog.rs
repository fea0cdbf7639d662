//! Properties of what the account chooser shows (decisions A60); traces
//! without a chooser hold them vacuously.

use super::ensure;
use fedcm_model::color::Rgb;
use fedcm_model::machine::dialog::{display_key, site_for_display, BUTTON_CONTRAST, TEXT_CONTRAST};
use fedcm_model::machine::prompt::{AccountChoice, Dialog, Prompt};
use fedcm_model::profile::rules::{AccountOrder, BrandColors, DialogWords};
use fedcm_model::trace::Trace;

fn choosers(t: &Trace) -> impl Iterator<Item = (&Vec<AccountChoice>, &Dialog)> {
    t.prompts().filter_map(|p| match p {
        Prompt::AccountChooser { accounts, dialog, .. } => Some((accounts, dialog)),
        _ => None,
    })
}

/// I37: the dialog names the site of the top frame the person sees, or a
/// cross-site iframe RP's site together with the top frame's: never a
/// site the page did not show, and never an iframe alone, which would let
/// an embedded widget pass for the page around it.
pub(super) fn dialog_names_the_top_site(t: &Trace) -> Result<(), String> {
    let Some(s) = t.start() else { return Ok(()) };
    let (Some(rp), Some(top)) = (s.rp_url(), s.embedder_url()) else { return Ok(()) };
    // Looked up on the first chooser: most states the model checker
    // reaches have shown none.
    let mut sites = None;
    for (_, d) in choosers(t) {
        let (rp_site, top_site) = sites.get_or_insert_with(|| (site_for_display(rp), site_for_display(top)));
        let (rp_site, top_site) = (rp_site.as_str(), top_site.as_str());
        let fits = match &d.top {
            None => d.rp == top_site,
            Some(shown_top) => *shown_top == top_site && d.rp == rp_site && rp_site != top_site,
        };
        ensure(fits, || {
            format!("the dialog names {:?} (top {:?}) for an RP {rp_site} in a page of {top_site}", d.rp, d.top)
        })?;
        // Chromium's words name the RP in every title.
        if let Some(title) = d.title.as_ref().filter(|_| s.profile.rules().dialog_words == DialogWords::Chromium) {
            ensure(title.contains(&d.rp), || format!("the title {title:?} does not name {:?}", d.rp))?;
        }
    }
    Ok(())
}

/// I38: where the profile judges brand colours by contrast, every colour
/// the dialog uses is readable: text at least 4.5:1 on its background, the
/// background at least 3:1 against the dialog's own.
pub(super) fn brand_colours_readable(t: &Trace) -> Result<(), String> {
    let Some(s) = t.start() else { return Ok(()) };
    if s.profile.rules().brand_colors != BrandColors::Contrast {
        return Ok(());
    }
    for (_, d) in choosers(t) {
        for b in &d.brands {
            if let Some(bg) = b.background_color {
                let c = bg.contrast(Rgb::WHITE);
                ensure(c >= BUTTON_CONTRAST, || format!("background {bg} is {c:.2}:1 against the dialog"))?;
            }
            if let Some(text) = b.color {
                let Some(bg) = b.background_color else {
                    return Err(format!("text colour {text} without a background colour"));
                };
                let c = text.contrast(bg);
                ensure(c >= TEXT_CONTRAST, || format!("text {text} is {c:.2}:1 on {bg}"))?;
            }
        }
    }
    Ok(())
}

/// I39: where the profile sorts the chooser, accounts new since a login
/// pop-up come first, then returning accounts (the most recently used
/// first), then new ones, so the account a person just added or uses most
/// is the first they see.
pub(super) fn accounts_in_display_order(t: &Trace) -> Result<(), String> {
    let Some(s) = t.start() else { return Ok(()) };
    if s.profile.rules().account_order != AccountOrder::NewThenReturning {
        return Ok(());
    }
    for (accounts, _) in choosers(t) {
        let keys: Vec<_> = accounts.iter().map(display_key).collect();
        ensure(keys.is_sorted(), || {
            let ids: Vec<&str> = accounts.iter().map(|a| a.account_id.as_str()).collect();
            format!("accounts {ids:?} are not newly logged in, then returning by last use, then new")
        })?;
    }
    Ok(())
}
