//! Icon lists (`branding.icons` in the config, and Chromium's `icons` in
//! the client metadata) and which entry Chromium downloads for its dialog.
//! The spec only lets the user agent use the branding for its UI and
//! fetches no icon; Chromium picks one icon per list with Blink's manifest
//! icon selector and downloads it with the account pictures (decisions A52).

use super::config::Icon;
use super::Cx;
use crate::idl;
use crate::json::Json;
use crate::options::Mode;
use crate::problem::{Path, Rule};
use url::Url;

/// Parses an icon list, resolving URLs against `base` (the config URL for
/// the IdP's icons; none, so only absolute URLs, for the RP's).
pub(crate) fn parse(cx: &mut Cx, base: Option<&Url>, path: &Path, value: Option<&Json>) -> Vec<Icon> {
    let Some(value) = value else { return Vec::new() };
    let Json::Array(items) = value else {
        let found = value.json_type();
        if cx.profile.coerces_types() {
            cx.error(path, Rule::WrongType { expected: "an array of icons", found });
        } else {
            cx.warn(path, Rule::IgnoredWrongType { expected: "an array of icons", found });
        }
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = path.index(i);
        let Some(icon) = idl::dictionary(cx, &p, item) else {
            if !cx.profile.coerces_types() {
                cx.warn(&p, Rule::IconUnusable { reason: format!("{} is not an object", item.json_type()) });
            }
            continue;
        };
        let url_path = p.field("url");
        // WebIDL: `url` is required, so one icon without it fails the whole
        // config. Chromium skips the icon.
        let url = if cx.profile.coerces_types() {
            idl::required_string(cx, &url_path, icon.get("url"))
        } else {
            let url = idl::string(cx, &url_path, icon.get("url"));
            if url.is_none() {
                cx.warn(&p, Rule::IconUnusable { reason: "no url string".into() });
            }
            url
        };
        let size = idl::unsigned_long(cx, &p.field("size"), icon.get("size"));
        let Some(url) = url else { continue };
        match Url::options().base_url(base).parse(&url) {
            Ok(u) if matches!(u.scheme(), "https" | "http") => out.push(Icon { url: u.into(), size }),
            Ok(u) => cx.warn(&url_path, Rule::IconUnusable { reason: format!("{u} is not an http(s) URL") }),
            Err(e) => cx.warn(&url_path, Rule::IconUnusable { reason: format!("{url:?} is not a URL ({e})") }),
        }
    }
    out
}

/// The (ideal, minimum) icon size in pixels Chromium's desktop dialog asks
/// for: the mode's icon size (20 in the passive bubble, 32 in the active
/// modal) over the maskable safe zone (0.8), and the ideal twice that for
/// high-density screens.
pub fn chromium_sizes(mode: Mode) -> (u32, u32) {
    match mode {
        Mode::Passive => (50, 25),
        Mode::Active => (80, 40),
    }
}

/// The icon Chromium downloads in `mode`, if any: an icon of the ideal size
/// (the last one listed); else an icon without a size, an SVG first (the
/// last one listed of each); else the smallest icon above the ideal size,
/// or the largest below it but at least the minimum (the last one of
/// equals). Icons whose file name has no image extension never qualify.
pub fn chromium_choice(icons: &[Icon], mode: Mode) -> Option<&Icon> {
    let (ideal, minimum) = chromium_sizes(mode);
    let (mut best, mut svg_any, mut any): (Option<(&Icon, i64)>, Option<&Icon>, Option<&Icon>) = (None, None, None);
    for icon in icons {
        let Some(extension) = extension(&icon.url) else { continue };
        if !IMAGE_EXTENSIONS.contains(&extension.as_str()) {
            continue;
        }
        let Some(size) = sized(icon.size) else {
            if extension == "svg" {
                svg_any = Some(icon);
            } else {
                any = Some(icon);
            }
            continue;
        };
        if size < minimum {
            continue;
        }
        let delta = i64::from(size) - i64::from(ideal);
        let better = match best {
            None => true,
            Some((_, b)) if delta < 0 && b > 0 => false,
            Some((_, b)) => (delta > 0 && b < 0) || delta.abs() <= b.abs(),
        };
        if better {
            best = Some((icon, delta));
        }
    }
    match best {
        Some((icon, 0)) => Some(icon),
        _ => svg_any.or(any).or(best.map(|(icon, _)| icon)),
    }
}

/// [`chromium_choice`]'s URL.
pub fn chromium_choice_url(icons: &[Icon], mode: Mode) -> Option<Url> {
    chromium_choice(icons, mode).and_then(|icon| Url::parse(&icon.url).ok())
}

/// Chromium reads `size` as a JSON integer in C++ `int` range; zero, a
/// negative or any other value leaves the icon without a size.
fn sized(size: Option<u32>) -> Option<u32> {
    size.filter(|s| *s > 0 && i32::try_from(*s).is_ok())
}

/// Extensions Chromium maps to an image type it decodes (its well-known
/// MIME table, which never asks the platform), compared without case.
const IMAGE_EXTENSIONS: [&str; 15] =
    ["png", "apng", "gif", "jpg", "jpeg", "jfif", "pjpeg", "pjp", "webp", "avif", "bmp", "ico", "xbm", "svg", "svgz"];

/// The lower-cased extension of the URL's file name: the last path segment
/// up to any `;`, after its last dot.
fn extension(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    let file = url.path().rsplit('/').next()?;
    let file = file.split(';').next()?;
    let (_, extension) = file.rsplit_once('.')?;
    (!extension.is_empty()).then(|| extension.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn icon(url: &str, size: Option<u32>) -> Icon {
        Icon { url: format!("https://idp.example/{url}"), size }
    }

    fn choice(icons: &[Icon], mode: Mode) -> Option<&str> {
        chromium_choice(icons, mode).map(|i| i.url.trim_start_matches("https://idp.example/"))
    }

    #[test]
    fn passive_mode_wants_50_and_at_least_25() {
        let p = Mode::Passive;
        let sizes = |s: &[u32]| s.iter().map(|s| icon(&format!("{s}.png"), Some(*s))).collect::<Vec<_>>();
        assert_eq!(choice(&sizes(&[10, 24, 25, 40, 64, 100]), p), Some("64.png"));
        assert_eq!(choice(&sizes(&[40, 50, 64]), p), Some("50.png"));
        assert_eq!(choice(&sizes(&[24, 25, 26]), p), Some("26.png"));
        assert_eq!(choice(&sizes(&[30, 45, 40]), p), Some("45.png"));
        assert_eq!(choice(&sizes(&[25]), p), Some("25.png"));
        assert_eq!(choice(&sizes(&[10, 24]), p), None);
        assert_eq!(choice(&sizes(&[64, 30]), p), Some("64.png"));
        assert_eq!(choice(&sizes(&[30, 64]), p), Some("64.png"));
    }

    #[test]
    fn active_mode_wants_80_and_at_least_40() {
        let icons = [icon("50.png", Some(50)), icon("80.png", Some(80)), icon("39.png", Some(39))];
        assert_eq!(choice(&icons, Mode::Active), Some("80.png"));
        assert_eq!(choice(&icons[2..], Mode::Active), None);
    }

    #[test]
    fn the_last_of_equals_wins() {
        let p = Mode::Passive;
        assert_eq!(choice(&[icon("a.png", Some(64)), icon("b.png", Some(64))], p), Some("b.png"));
        assert_eq!(choice(&[icon("a.png", Some(40)), icon("b.png", Some(40))], p), Some("b.png"));
        assert_eq!(choice(&[icon("a.png", Some(50)), icon("b.png", Some(50))], p), Some("b.png"));
        assert_eq!(choice(&[icon("a.png", None), icon("b.png", None)], p), Some("b.png"));
    }

    #[test]
    fn an_icon_without_size_beats_all_but_the_ideal_size() {
        let p = Mode::Passive;
        assert_eq!(choice(&[icon("64.png", Some(64)), icon("any.png", None)], p), Some("any.png"));
        assert_eq!(choice(&[icon("any.png", None), icon("50.png", Some(50))], p), Some("50.png"));
        let svg_last = [icon("a.png", None), icon("s.svg", None), icon("b.png", None)];
        assert_eq!(choice(&svg_last, p), Some("s.svg"));
        // Only `.svg` counts as SVG here; `.svgz` is another image.
        assert_eq!(choice(&[icon("z.svgz", None), icon("p.png", None)], p), Some("p.png"));
        // A sized SVG is sized.
        assert_eq!(choice(&[icon("s.svg", Some(64)), icon("p.png", Some(40))], p), Some("s.svg"));
    }

    #[test]
    fn zero_and_out_of_range_sizes_are_no_size() {
        let p = Mode::Passive;
        assert_eq!(choice(&[icon("zero.png", Some(0)), icon("64.png", Some(64))], p), Some("zero.png"));
        assert_eq!(choice(&[icon("big.png", Some(3_000_000_000)), icon("64.png", Some(64))], p), Some("big.png"));
    }

    #[test]
    fn only_image_file_names_qualify() {
        let p = Mode::Passive;
        for url in ["icon", "i.txt", "t.tiff", "icon?x=1.png", "i.", "dir.png/icon"] {
            assert_eq!(choice(&[icon(url, Some(50))], p), None, "{url}");
        }
        for url in ["I.PNG", "i.jpg", "i.webp", "i.ico", "i.svg", "a/b.png;v=1", "i.png?x=1", ".png"] {
            assert!(choice(&[icon(url, Some(50))], p).is_some(), "{url}");
        }
        assert_eq!(choice(&[icon("i.jpg", Some(50)), icon("i.gif", Some(64))], p), Some("i.jpg"));
    }
}
