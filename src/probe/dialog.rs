//! The account chooser a probe reaches, as a text mock-up (issue 16;
//! decisions A60, docs/dialog.md): the model's [`Dialog`] around the
//! chooser's accounts, drawn in a box of at most [`WIDTH`] columns, with
//! the title in the profile's browser's words (or, under the spec, which
//! gives none, a neutral line marked as the model's), one row per account,
//! the form's buttons, the sign-up disclosure, and the IdP's brand, with
//! the colours the profile's rules dropped.
//!
//! Everything the IdP supplied is escaped ([`escape::line`]) before it is
//! wrapped, so a control character shows as `\u{1b}` and cannot drive the
//! terminal, and widths are counted on what is printed.

use crate::escape;
use fedcm_model::color::Rgb;
use fedcm_model::machine::dialog::{chromium_disclosure, site_for_display, BUTTON_CONTRAST, TEXT_CONTRAST};
use fedcm_model::machine::prompt::{AccountChoice, Dialog, Form};
use fedcm_model::options::{Context, Mode};
use fedcm_model::profile::rules::{BrandColors, DialogWords};
use fedcm_model::Profile;
use serde::Serialize;
use std::fmt::Write;
use url::Url;

/// The widest line of a mock-up, border included.
pub const WIDTH: usize = 78;
/// The text inside the box: `| ` and ` |` take four columns.
const INNER: usize = WIDTH - 4;

/// Account rows drawn in a list: an IdP may list thousands.
const ROWS_DRAWN: usize = 20;

/// The chooser the probe reached: what `--json` shows as `dialog`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DialogReport {
    /// The model's dialog: context, sites, title, form, brands.
    #[serde(flatten)]
    pub dialog: Dialog,
    /// The accounts shown, in display order.
    pub accounts: Vec<AccountChoice>,
    /// Whether a "Use a different account" row is offered.
    pub use_other_account: bool,
    /// The config URLs of the IdPs offered as "Sign in to IDP" rows (their
    /// accounts did not match).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub login_to: Vec<String>,
    /// The fields the sign-up disclosure asks to share (the probe's call
    /// names none, so the default).
    pub fields: Vec<String>,
    /// The mode of the call: the active modal draws brands otherwise.
    pub mode: Mode,
    /// The config's `branding` as given, to tell what the rules dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given: Option<GivenBrand>,
}

/// The config's `branding`, before the dialog's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct GivenBrand {
    /// `background_color` as written, when a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    /// `color` as written, when a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// `background_color` as the profile reads it (none when invalid).
    #[serde(skip)]
    pub background_rgb: Option<Rgb>,
    /// `color` as the profile reads it (none when invalid).
    #[serde(skip)]
    pub color_rgb: Option<Rgb>,
    /// How many usable icons the config lists.
    pub icons: usize,
}

impl GivenBrand {
    /// The branding of a config body: the raw colour strings from the
    /// JSON, the colours and icons from the model's parse of it.
    pub fn of(body: &[u8], parsed: Option<&fedcm_model::idp::config::Branding>) -> Option<GivenBrand> {
        let json: serde_json::Value = serde_json::from_slice(body).ok()?;
        let raw = json.get("branding")?;
        let text = |name: &str| raw.get(name).and_then(|v| v.as_str()).map(String::from);
        Some(GivenBrand {
            background_color: text("background_color"),
            color: text("color"),
            background_rgb: parsed.and_then(|b| b.background_color),
            color_rgb: parsed.and_then(|b| b.color),
            icons: parsed.map_or(0, |b| b.icons.len()),
        })
    }
}

/// The columns `c` takes on a terminal: 0 for combining marks and
/// zero-width characters, 2 for East Asian wide ones and emoji, else 1.
/// An approximation of `wcwidth` without its tables: enough to keep the
/// box's right edge straight for names in common scripts.
fn char_cols(c: char) -> usize {
    match c as u32 {
        0x0300..=0x036F | 0x200B..=0x200D | 0xFE00..=0xFE0F | 0x20D0..=0x20FF => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// The columns `s` takes (see [`char_cols`]).
fn cols(s: &str) -> usize {
    s.chars().map(char_cols).sum()
}

/// `text` escaped and wrapped at spaces: the first line to `first`
/// columns, the rest to `rest`. A word wider than its line (a long URL or
/// name) is cut where the line ends. Never empty: an empty text is one
/// empty line.
fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    let text = escape::line(text);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    let width = |lines: &Vec<String>| if lines.is_empty() { first.max(1) } else { rest.max(1) };
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let w = cols(word);
        if used > 0 && used + 1 + w <= width(&lines) {
            line.push(' ');
            line.push_str(word);
            used += 1 + w;
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        for c in word.chars() {
            let cw = char_cols(c);
            if used > 0 && used + cw > width(&lines) {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    if used > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A line inside the box.
enum Row {
    Text(String),
    Rule,
}

/// The lines inside the box, drawn at the end.
#[derive(Default)]
struct Boxed {
    rows: Vec<Row>,
}

impl Boxed {
    /// `text` wrapped `indent` columns in, its continuation lines `hang`
    /// further in.
    fn text(&mut self, indent: usize, hang: usize, text: &str) {
        let (first, rest) = (INNER.saturating_sub(indent), INNER.saturating_sub(indent + hang));
        for (i, l) in wrap(text, first, rest).into_iter().enumerate() {
            let pad = if i == 0 { indent } else { indent + hang };
            self.rows.push(Row::Text(format!("{}{l}", " ".repeat(pad))));
        }
    }

    fn rule(&mut self) {
        self.rows.push(Row::Rule);
    }

    fn blank(&mut self) {
        self.rows.push(Row::Text(String::new()));
    }

    fn draw(&self, out: &mut String) {
        let edge = format!("+{}+", "-".repeat(WIDTH - 2));
        let _ = writeln!(out, "{edge}");
        for row in &self.rows {
            match row {
                Row::Rule => {
                    let _ = writeln!(out, "|{}|", "-".repeat(WIDTH - 2));
                }
                Row::Text(l) => {
                    let fill = INNER.saturating_sub(cols(l));
                    let _ = writeln!(out, "| {l}{} |", " ".repeat(fill));
                }
            }
        }
        let _ = writeln!(out, "{edge}");
    }
}

fn context_name(c: Context) -> &'static str {
    match c {
        Context::Signin => "signin",
        Context::Signup => "signup",
        Context::Use => "use",
        Context::Continue => "continue",
    }
}

/// The site an account's IdP goes by in the dialog.
fn idp_site(config_url: &str) -> String {
    Url::parse(config_url).map(|u| site_for_display(&u)).unwrap_or_else(|_| config_url.to_string())
}

/// The account's row: its name and what it is.
fn account_row(b: &mut Boxed, a: &AccountChoice) {
    let mut tags = vec![if a.returning { "returning" } else { "new" }];
    if a.newly_logged_in {
        tags.push("just logged in");
    }
    b.text(2, 2, &format!("o {} ({})", a.display_name, tags.join(", ")));
}

/// The sign-up disclosure for a new account, and the links it names.
fn disclosure(b: &mut Boxed, d: &DialogReport, a: &AccountChoice, words: DialogWords, indent: usize) {
    if a.returning || d.fields.is_empty() {
        return;
    }
    let idp = idp_site(&a.config_url);
    let fields: Vec<&str> = d.fields.iter().map(String::as_str).collect();
    let (pp, tos) = (a.privacy_policy_url.as_deref(), a.terms_of_service_url.as_deref());
    let sentence = match words {
        DialogWords::Chromium => chromium_disclosure(&idp, &fields, pp.is_some(), tos.is_some()),
        DialogWords::Firefox | DialogWords::Unspecified => {
            let links = match (pp, tos) {
                (Some(_), Some(_)) => "; links to the site's privacy policy and terms of service",
                (Some(_), None) => "; links to the site's privacy policy",
                (None, Some(_)) => "; links to the site's terms of service",
                (None, None) => "",
            };
            format!("~ {idp} shares {} with {}{links}", fields.join(", "), d.dialog.rp)
        }
    };
    b.text(indent, 2, &sentence);
    if let Some(pp) = pp {
        b.text(indent + 2, 4, &format!("privacy policy: {pp}"));
    }
    if let Some(tos) = tos {
        b.text(indent + 2, 4, &format!("terms of service: {tos}"));
    }
}

/// What the dialog shows of the brand, and what the profile's rules
/// dropped from the config's `branding`.
fn brand(b: &mut Boxed, d: &DialogReport, profile: Profile) {
    let shown = d.dialog.brands.first();
    let given = d.given.as_ref();
    if shown.is_none() && given.is_none() {
        return;
    }
    b.rule();
    let rules = profile.rules();
    match (shown.and_then(|s| s.icon.as_ref()), given.map_or(0, |g| g.icons)) {
        (Some(icon), _) => b.text(0, 6, &format!("icon: {icon}")),
        (None, 0) => b.text(0, 6, "icon: none (the config lists no usable icon)"),
        (None, n) if !rules.fetches_icons => {
            b.text(0, 6, &format!("icon: none shown ({profile} shows no IdP icon; the config lists {n})"))
        }
        (None, n) => {
            b.text(0, 6, &format!("icon: none shown (none of the {n} listed fits: square, large enough for the mode)"))
        }
    }
    let background = shown.and_then(|s| s.background_color);
    let text = shown.and_then(|s| s.color);
    let why_not = |rgb: Option<Rgb>, raw: Option<&String>, is_text: bool| -> Option<String> {
        let raw = raw?;
        let Some(rgb) = rgb else {
            return Some(format!("{raw:?} ignored (not a colour {profile} reads)"));
        };
        let why = match rules.brand_colors {
            BrandColors::Unused => format!("{profile} uses no brand colours"),
            BrandColors::Contrast if d.mode == Mode::Active => "the active-mode modal uses no brand colours".into(),
            BrandColors::Contrast if is_text => match given.and_then(|g| g.background_rgb) {
                Some(bg) if background.is_some() => {
                    format!("contrast {:.2}:1 on the background; needs {TEXT_CONTRAST}", rgb.contrast(bg))
                }
                _ => "no usable background to put it on".into(),
            },
            BrandColors::Contrast => format!(
                "contrast {:.2}:1 on the dialog's white; needs {BUTTON_CONTRAST}: the button is unbranded",
                rgb.contrast(Rgb::WHITE)
            ),
            BrandColors::AsGiven => format!("{profile}'s rules drop it"),
        };
        Some(format!("{rgb} dropped ({why})"))
    };
    let line = |name: &str, used: Option<Rgb>, rgb: Option<Rgb>, raw: Option<&String>, is_text: bool| match used {
        Some(c) => Some(format!("{name}: {c}")),
        None => why_not(rgb, raw, is_text).map(|w| format!("{name}: {w}")),
    };
    if let Some(l) = line(
        "background",
        background,
        given.and_then(|g| g.background_rgb),
        given.and_then(|g| g.background_color.as_ref()),
        false,
    ) {
        b.text(0, 4, &l);
    }
    if let Some(l) = line("text", text, given.and_then(|g| g.color_rgb), given.and_then(|g| g.color.as_ref()), true) {
        b.text(0, 4, &l);
    }
}

/// The mock-up of `d` as `profile` draws it: a heading line, then the box.
pub fn render(d: &DialogReport, profile: Profile) -> String {
    let whose = match profile.rules().dialog_words {
        DialogWords::Chromium => "in Chromium's words",
        DialogWords::Firefox => "in Firefox's words",
        DialogWords::Unspecified => "the spec gives no words: lines marked ~ are the model's",
    };
    let mut out = format!("dialog a browser would show ({profile}, {} mode; {whose}):\n", mode_name(d.mode));
    out.push_str(&mockup(d, profile));
    out
}

/// The box alone, at most [`WIDTH`] columns wide (see [`render`]).
pub fn mockup(d: &DialogReport, profile: Profile) -> String {
    let words = profile.rules().dialog_words;
    let mut out = String::new();
    let dialog = &d.dialog;
    let mut b = Boxed::default();
    match &dialog.title {
        Some(title) => b.text(0, 2, title),
        None => {
            let idp = dialog.idp.as_deref().map(|i| format!(", IdP {i}")).unwrap_or_default();
            b.text(0, 2, &format!("~ context {}: RP {}{idp}", context_name(dialog.context), dialog.rp));
        }
    }
    match (&dialog.subtitle, &dialog.top) {
        (Some(sub), _) => b.text(0, 2, sub),
        (None, Some(top)) => b.text(0, 2, &format!("~ in a frame on {top}")),
        (None, None) => {}
    }
    b.rule();
    match dialog.form {
        Form::Confirm => {
            for a in d.accounts.iter().take(1) {
                account_row(&mut b, a);
                b.text(2, 2, &format!("[ Continue as {} ]", a.display_name));
                disclosure(&mut b, d, a, words, 2);
            }
        }
        Form::List => {
            for a in d.accounts.iter().take(ROWS_DRAWN) {
                account_row(&mut b, a);
            }
            if let Some(more) = d.accounts.len().checked_sub(ROWS_DRAWN).filter(|n| *n > 0) {
                b.text(2, 2, &format!("... and {more} more account(s) (all are in --json)"));
            }
            // The disclosure shows once a new account is picked; the first
            // new account of each IdP stands for its IdP's.
            let mut seen: Vec<&str> = Vec::new();
            for a in d.accounts.iter().filter(|a| !a.returning) {
                if d.fields.is_empty() || seen.contains(&a.config_url.as_str()) {
                    continue;
                }
                seen.push(&a.config_url);
                b.blank();
                b.text(2, 2, &format!("picking a new {} account shows:", idp_site(&a.config_url)));
                disclosure(&mut b, d, a, words, 4);
            }
        }
        Form::ReturningAccount => {
            for a in d.accounts.iter().filter(|a| a.returning) {
                account_row(&mut b, a);
                b.text(2, 2, &format!("[ Continue as {} ]", a.display_name));
            }
            b.text(2, 2, &format!("[ Choose an account ] (opens all {} accounts)", d.accounts.len()));
        }
    }
    if d.use_other_account {
        b.text(2, 2, "+ Use a different account");
    }
    for config in &d.login_to {
        b.text(2, 2, &format!("+ Sign in to {}", idp_site(config)));
    }
    brand(&mut b, d, profile);
    b.draw(&mut out);
    out
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Passive => "passive",
        Mode::Active => "active",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fedcm_model::machine::prompt::Brand;

    fn account(id: &str, name: &str, returning: bool) -> AccountChoice {
        AccountChoice {
            provider: 0,
            config_url: "https://idp.example/config.json".into(),
            account_id: id.into(),
            display_name: name.into(),
            returning,
            privacy_policy_url: (!returning).then(|| "https://rp.example/privacy".into()),
            terms_of_service_url: (!returning).then(|| "https://rp.example/terms".into()),
            newly_logged_in: false,
            last_used: None,
        }
    }

    fn report(title: Option<&str>, form: Form, accounts: Vec<AccountChoice>) -> DialogReport {
        DialogReport {
            dialog: Dialog {
                context: Context::Signin,
                rp: "rp.example".into(),
                top: None,
                idp: Some("idp.example".into()),
                title: title.map(String::from),
                subtitle: None,
                form,
                brands: Vec::new(),
            },
            accounts,
            use_other_account: false,
            login_to: Vec::new(),
            fields: DEFAULT.iter().map(|s| s.to_string()).collect(),
            mode: Mode::Passive,
            given: None,
        }
    }

    const DEFAULT: [&str; 3] = ["name", "email", "picture"];
    const TITLE: &str = "Sign in to rp.example with idp.example";

    /// Every line of the box is exactly [`WIDTH`] columns, framed.
    fn boxed(text: &str) -> Vec<&str> {
        let lines: Vec<&str> = text.lines().collect();
        for l in &lines {
            assert_eq!(cols(l), WIDTH, "{l:?} in\n{text}");
            assert!(l.starts_with(['|', '+']) && l.ends_with(['|', '+']), "{l:?}");
        }
        lines
    }

    #[test]
    fn confirm_shows_title_account_button_and_chromium_disclosure() {
        let d = report(Some(TITLE), Form::Confirm, vec![account("1", "John Doe", false)]);
        let text = mockup(&d, Profile::Chromium);
        let lines = boxed(&text);
        assert!(lines[1].starts_with("| Sign in to rp.example with idp.example "), "{text}");
        assert!(text.contains("o John Doe (new)"), "{text}");
        assert!(text.contains("[ Continue as John Doe ]"), "{text}");
        let flat = text.split_whitespace().filter(|w| *w != "|").collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&chromium_disclosure("idp.example", &DEFAULT, true, true)), "{flat}");
        assert!(text.contains("privacy policy: https://rp.example/privacy"), "{text}");
        assert!(render(&d, Profile::Chromium)
            .starts_with("dialog a browser would show (chromium, passive mode; in Chromium's words):\n"));
    }

    #[test]
    fn a_returning_account_has_no_disclosure() {
        let d = report(Some(TITLE), Form::Confirm, vec![account("1", "Jo", true)]);
        let text = mockup(&d, Profile::Chromium);
        assert!(text.contains("(returning)") && !text.contains("To continue"), "{text}");
    }

    #[test]
    fn without_the_browsers_words_the_model_says_it_is_speaking() {
        let d = report(None, Form::Confirm, vec![account("1", "John Doe", false)]);
        let text = render(&d, Profile::Spec);
        assert!(text.contains("the spec gives no words: lines marked ~ are the model's"), "{text}");
        assert!(text.contains("| ~ context signin: RP rp.example, IdP idp.example "), "{text}");
        assert!(text.contains("~ idp.example shares name, email, picture with rp.example"), "{text}");
        assert!(!text.contains("To continue"), "{text}");
    }

    #[test]
    fn long_text_wraps_inside_the_box() {
        let mut d =
            report(Some(&"a long title word ".repeat(12)), Form::Confirm, vec![account("1", &"N".repeat(500), false)]);
        d.dialog.subtitle = Some("on top.example".into());
        let text = mockup(&d, Profile::Chromium);
        let lines = boxed(&text);
        assert!(lines.len() > 20, "{text}");
        // The 500-column name is cut into lines, none lost.
        let ns: usize = text.chars().filter(|c| *c == 'N').count();
        assert_eq!(ns, 1000, "name in its row and its button:\n{text}");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("aa bb cc", 5, 5), ["aa bb", "cc"]);
        assert_eq!(wrap("abcdefg", 3, 2), ["abc", "de", "fg"]);
        assert_eq!(wrap("", 3, 3), [""]);
        assert_eq!(wrap("x", 0, 0), ["x"]);
        assert_eq!(wrap("名前名前", 5, 5), ["名前", "名前"]);
    }

    #[test]
    fn control_characters_and_wide_names_are_escaped_and_aligned() {
        let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}evil\nname";
        let mut a = account("1", hostile, false);
        a.privacy_policy_url = Some("https://rp.example/\u{1b}[31m".into());
        let d = report(Some("Sign in to \u{1b}[2J"), Form::List, vec![a, account("2", "名前 José 😀", true)]);
        let text = mockup(&d, Profile::Chromium);
        boxed(&text);
        assert!(!text.chars().any(|c| c.is_control() && c != '\n' || c == '\u{202e}'), "{text:?}");
        assert!(text.contains("\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}31m\\u{202e}evil\\nname"), "{text}");
        assert!(text.contains("o 名前 José 😀 (returning)"), "{text}");
    }

    #[test]
    fn list_rows_other_account_and_mismatched_idps() {
        let mut d = report(Some(TITLE), Form::List, vec![account("1", "Ann", true), account("2", "Bob", false)]);
        d.accounts[1].newly_logged_in = true;
        d.use_other_account = true;
        d.login_to = vec!["https://other.example/config.json".into()];
        let text = mockup(&d, Profile::Chromium);
        boxed(&text);
        let rows: Vec<&str> = text.lines().map(|l| l.trim_matches(|c| c == '|' || c == ' ')).collect();
        let at = |s: &str| rows.iter().position(|r| *r == s).unwrap_or_else(|| panic!("{s:?} not in\n{text}"));
        assert!(at("o Ann (returning)") < at("o Bob (new, just logged in)"));
        assert!(at("picking a new idp.example account shows:") < at("+ Use a different account"));
        assert!(at("+ Use a different account") < at("+ Sign in to other.example"));
        assert!(!text.contains("Continue as"), "{text}");
    }

    #[test]
    fn a_long_list_is_cut_short() {
        let accounts = (0..1000).map(|i| account(&i.to_string(), &format!("n{i}"), true)).collect();
        let text = mockup(&report(Some(TITLE), Form::List, accounts), Profile::Chromium);
        boxed(&text);
        assert!(text.contains("o n19 (returning)") && !text.contains("o n20 "), "{text}");
        assert!(text.contains("... and 980 more account(s) (all are in --json)"), "{text}");
    }

    #[test]
    fn returning_account_form_offers_the_whole_list() {
        let d = report(
            Some("Sign in to rp.example"),
            Form::ReturningAccount,
            vec![account("1", "Ann", true), account("2", "Bob", false)],
        );
        let text = mockup(&d, Profile::Chromium);
        boxed(&text);
        assert!(text.contains("[ Continue as Ann ]") && !text.contains("Bob"), "{text}");
        assert!(text.contains("[ Choose an account ] (opens all 2 accounts)"), "{text}");
    }

    #[test]
    fn brand_shows_what_is_used_and_why_the_rest_was_dropped() {
        let mut d = report(Some(TITLE), Form::Confirm, vec![account("1", "Ann", true)]);
        let icon = Url::parse("https://idp.example/icon.png").unwrap();
        d.dialog.brands =
            vec![Brand { provider: 0, icon: Some(icon), background_color: Some(Rgb(0x1a, 0x73, 0xe8)), color: None }];
        d.given = Some(GivenBrand {
            background_color: Some("#1a73e8".into()),
            color: Some("#1a73e9".into()),
            background_rgb: Some(Rgb(0x1a, 0x73, 0xe8)),
            color_rgb: Some(Rgb(0x1a, 0x73, 0xe9)),
            icons: 1,
        });
        let text = mockup(&d, Profile::Chromium);
        boxed(&text);
        assert!(text.contains("icon: https://idp.example/icon.png"), "{text}");
        assert!(text.contains("background: #1a73e8 "), "{text}");
        assert!(text.contains("text: #1a73e9 dropped (contrast 1.00:1 on the background; needs 4.5)"), "{text}");
        // Firefox draws no brand colours nor icons.
        d.dialog.brands.clear();
        let text = mockup(&d, Profile::Firefox);
        assert!(text.contains("background: #1a73e8 dropped (firefox uses no brand colours)"), "{text}");
        assert!(text.contains("icon: none shown (firefox shows no IdP icon; the config lists 1)"), "{text}");
        // A colour the profile cannot read.
        d.given = Some(GivenBrand { background_color: Some("rgb(1 2 3)".into()), ..GivenBrand::default() });
        let text = mockup(&d, Profile::Chromium);
        assert!(text.contains("background: \"rgb(1 2 3)\" ignored (not a colour chromium reads)"), "{text}");
    }
}
