//! Brand colours: the CSS subset a config's `branding` may use, read into
//! sRGB the way each profile reads it, and the WCAG contrast the dialog
//! judges them by (decisions A60).

use serde::{Serialize, Serializer};
use std::fmt;

/// An opaque sRGB colour. Alpha is dropped: Chromium forces brand colours
/// opaque, and the spec gives the dialog no use for transparency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// The dialog's own background in a light theme, against which
    /// Chromium judges the brand background (decisions A60).
    pub const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);

    /// WCAG 2 relative luminance.
    pub fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    /// WCAG 2 contrast ratio, from 1 (same luminance) to 21.
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

impl Serialize for Rgb {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Which colour syntax a profile accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
pub enum Grammar {
    /// CSS Color 4 as far as the spec's subset goes: hex, `rgb()`/`rgba()`
    /// and `hsl()`/`hsla()` with commas or spaces, numbers or percentages,
    /// and named colours, all ASCII case-insensitive.
    Css,
    /// Chromium's `ParseCssColorString`: hex, lowercase `rgb(`/`rgba(`
    /// with comma-separated integers 0-255, `hsl(`/`hsla(` with commas and
    /// percentages, and named colours; nothing else.
    Chromium,
}

/// `value` as a colour under `grammar`, or `None` when it is not one.
pub fn parse(value: &str, grammar: Grammar) -> Option<Rgb> {
    match grammar {
        // Hex digits read the same in either case: the usual `#rrggbb`
        // needs no lowercased copy.
        Grammar::Css => {
            let value = value.trim();
            match value.strip_prefix('#') {
                Some(digits) => hex(digits),
                None => css(&value.to_ascii_lowercase()),
            }
        }
        Grammar::Chromium => chromium(value),
    }
}

fn hex(digits: &str) -> Option<Rgb> {
    let digits = digits.as_bytes();
    // The value of one hex digit, or `None` for any other byte.
    let nibble = |i: usize| -> Option<u8> { char::from(*digits.get(i)?).to_digit(16).map(|v| v as u8) };
    if !(0..digits.len()).all(|i| nibble(i).is_some()) {
        return None;
    }
    let d = |i: usize| nibble(i).map(|v| v * 17);
    let p = |i: usize| Some(nibble(i)? * 16 + nibble(i + 1)?);
    match digits.len() {
        3 | 4 => Some(Rgb(d(0)?, d(1)?, d(2)?)),
        6 | 8 => Some(Rgb(p(0)?, p(2)?, p(4)?)),
        _ => None,
    }
}

fn named(name: &str) -> Option<Rgb> {
    let i = NAMED.binary_search_by(|(n, _)| n.cmp(&name)).ok()?;
    let &(_, v) = NAMED.get(i)?;
    Some(Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8))
}

/// `f(args)` for one of `names`, the arguments unparsed.
fn function<'a>(value: &'a str, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| value.strip_prefix(n)?.strip_prefix('(')?.strip_suffix(')'))
}

fn css(v: &str) -> Option<Rgb> {
    if let Some(digits) = v.strip_prefix('#') {
        return hex(digits);
    }
    if let Some(args) = function(v, &["rgba", "rgb"]) {
        let [r, g, b, ..] = css_args(args)?[..] else { return None };
        let channel = |s: &str| -> Option<u8> {
            let x = match s.strip_suffix('%') {
                Some(p) => p.parse::<f64>().ok()? * 2.55,
                None if s == "none" => 0.0,
                None => s.parse::<f64>().ok()?,
            };
            x.is_finite().then(|| x.clamp(0.0, 255.0).round() as u8)
        };
        return Some(Rgb(channel(r)?, channel(g)?, channel(b)?));
    }
    if let Some(args) = function(v, &["hsla", "hsl"]) {
        let [h, s, l, ..] = css_args(args)?[..] else { return None };
        let number = |s: &str, unit: &str| -> Option<f64> {
            let s = s.strip_suffix(unit).unwrap_or(s);
            let x = if s == "none" { 0.0 } else { s.parse::<f64>().ok()? };
            x.is_finite().then_some(x)
        };
        let h = number(h, "deg")?;
        let (s, l) = (number(s, "%")?, number(l, "%")?);
        return Some(hsl(h, s, l));
    }
    named(v)
}

/// Three or four arguments, by commas or by spaces with an optional
/// `/ alpha`; the alpha is checked for form and then dropped.
fn css_args(args: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = if args.contains(',') {
        args.split(',').map(str::trim).collect()
    } else {
        args.split(|c: char| c.is_whitespace() || c == '/').filter(|s| !s.is_empty()).collect()
    };
    let ok = matches!(parts.len(), 3 | 4) && parts.iter().all(|p| !p.is_empty());
    ok.then_some(parts)
}

/// Exactly `n` comma-separated arguments; white space may follow a comma
/// and nothing else (Chromium's regular expressions).
fn comma_args(args: &str, n: usize) -> Option<Vec<&str>> {
    let parts: Vec<&str> = args.split(',').enumerate().map(|(i, p)| if i == 0 { p } else { p.trim_start() }).collect();
    (parts.len() == n).then_some(parts)
}

/// A decimal of digits and dots, as Chromium's `[\d.]+` reads it.
fn decimal(s: &str) -> Option<f64> {
    let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    s.parse::<f64>().ok().filter(|_| ok)
}

fn chromium(v: &str) -> Option<Rgb> {
    if let Some(digits) = v.strip_prefix('#') {
        return hex(digits);
    }
    let byte = |s: &str| s.parse::<u8>().ok().filter(|_| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    let rgb = function(v, &["rgba"]).map(|a| (a, 4)).or_else(|| function(v, &["rgb"]).map(|a| (a, 3)));
    if let Some((args, n)) = rgb {
        let p = comma_args(args, n)?;
        let [r, g, b, ref alpha @ ..] = p[..] else { return None };
        // rgba's alpha outside 0-1 fails; any alpha is then dropped.
        if let [a] = alpha {
            if !(0.0..=1.0).contains(&decimal(a)?) {
                return None;
            }
        }
        return Some(Rgb(byte(r)?, byte(g)?, byte(b)?));
    }
    let hsl_args = function(v, &["hsla"]).map(|a| (a, 4)).or_else(|| function(v, &["hsl"]).map(|a| (a, 3)));
    if let Some((args, n)) = hsl_args {
        let p = comma_args(args, n)?;
        let [h, s, l, ref alpha @ ..] = p[..] else { return None };
        if let [a] = alpha {
            decimal(a)?; // hsla's alpha is clamped, then dropped.
        }
        let h = match h.strip_prefix('-') {
            Some(rest) => -decimal(rest)?,
            None => decimal(h)?,
        };
        let percent = |s: &str| decimal(s.strip_suffix('%')?);
        // The hue is cut to a whole degree; saturation and lightness clamp.
        let h = (h.trunc() as i64).rem_euclid(360) as f64;
        return Some(hsl(h, percent(s)?, percent(l)?));
    }
    // Skia's table: case-sensitive, without `rebeccapurple`, and with one
    // spelling of each grey (the `gray` ones, but `lightgrey`).
    const NOT_IN_SKIA: [&str; 8] =
        ["rebeccapurple", "grey", "darkgrey", "dimgrey", "slategrey", "darkslategrey", "lightslategrey", "lightgray"];
    if NOT_IN_SKIA.contains(&v) {
        return None;
    }
    named(v)
}

/// HSL (hue in degrees, saturation and lightness in percent) to sRGB.
fn hsl(h: f64, s: f64, l: f64) -> Rgb {
    let (s, l) = (s.clamp(0.0, 100.0) / 100.0, l.clamp(0.0, 100.0) / 100.0);
    let h = h.rem_euclid(360.0) / 30.0;
    let a = s * l.min(1.0 - l);
    let f = |n: f64| {
        let k = (n + h) % 12.0;
        let c = l - a * (k - 3.0).min(9.0 - k).clamp(-1.0, 1.0);
        (c * 255.0).round().clamp(0.0, 255.0) as u8
    };
    Rgb(f(0.0), f(8.0), f(4.0))
}

/// The CSS named colours, sorted by name.
const NAMED: &[(&str, u32)] = &[
    ("aliceblue", 0xf0f8ff),
    ("antiquewhite", 0xfaebd7),
    ("aqua", 0x00ffff),
    ("aquamarine", 0x7fffd4),
    ("azure", 0xf0ffff),
    ("beige", 0xf5f5dc),
    ("bisque", 0xffe4c4),
    ("black", 0x000000),
    ("blanchedalmond", 0xffebcd),
    ("blue", 0x0000ff),
    ("blueviolet", 0x8a2be2),
    ("brown", 0xa52a2a),
    ("burlywood", 0xdeb887),
    ("cadetblue", 0x5f9ea0),
    ("chartreuse", 0x7fff00),
    ("chocolate", 0xd2691e),
    ("coral", 0xff7f50),
    ("cornflowerblue", 0x6495ed),
    ("cornsilk", 0xfff8dc),
    ("crimson", 0xdc143c),
    ("cyan", 0x00ffff),
    ("darkblue", 0x00008b),
    ("darkcyan", 0x008b8b),
    ("darkgoldenrod", 0xb8860b),
    ("darkgray", 0xa9a9a9),
    ("darkgreen", 0x006400),
    ("darkgrey", 0xa9a9a9),
    ("darkkhaki", 0xbdb76b),
    ("darkmagenta", 0x8b008b),
    ("darkolivegreen", 0x556b2f),
    ("darkorange", 0xff8c00),
    ("darkorchid", 0x9932cc),
    ("darkred", 0x8b0000),
    ("darksalmon", 0xe9967a),
    ("darkseagreen", 0x8fbc8f),
    ("darkslateblue", 0x483d8b),
    ("darkslategray", 0x2f4f4f),
    ("darkslategrey", 0x2f4f4f),
    ("darkturquoise", 0x00ced1),
    ("darkviolet", 0x9400d3),
    ("deeppink", 0xff1493),
    ("deepskyblue", 0x00bfff),
    ("dimgray", 0x696969),
    ("dimgrey", 0x696969),
    ("dodgerblue", 0x1e90ff),
    ("firebrick", 0xb22222),
    ("floralwhite", 0xfffaf0),
    ("forestgreen", 0x228b22),
    ("fuchsia", 0xff00ff),
    ("gainsboro", 0xdcdcdc),
    ("ghostwhite", 0xf8f8ff),
    ("gold", 0xffd700),
    ("goldenrod", 0xdaa520),
    ("gray", 0x808080),
    ("green", 0x008000),
    ("greenyellow", 0xadff2f),
    ("grey", 0x808080),
    ("honeydew", 0xf0fff0),
    ("hotpink", 0xff69b4),
    ("indianred", 0xcd5c5c),
    ("indigo", 0x4b0082),
    ("ivory", 0xfffff0),
    ("khaki", 0xf0e68c),
    ("lavender", 0xe6e6fa),
    ("lavenderblush", 0xfff0f5),
    ("lawngreen", 0x7cfc00),
    ("lemonchiffon", 0xfffacd),
    ("lightblue", 0xadd8e6),
    ("lightcoral", 0xf08080),
    ("lightcyan", 0xe0ffff),
    ("lightgoldenrodyellow", 0xfafad2),
    ("lightgray", 0xd3d3d3),
    ("lightgreen", 0x90ee90),
    ("lightgrey", 0xd3d3d3),
    ("lightpink", 0xffb6c1),
    ("lightsalmon", 0xffa07a),
    ("lightseagreen", 0x20b2aa),
    ("lightskyblue", 0x87cefa),
    ("lightslategray", 0x778899),
    ("lightslategrey", 0x778899),
    ("lightsteelblue", 0xb0c4de),
    ("lightyellow", 0xffffe0),
    ("lime", 0x00ff00),
    ("limegreen", 0x32cd32),
    ("linen", 0xfaf0e6),
    ("magenta", 0xff00ff),
    ("maroon", 0x800000),
    ("mediumaquamarine", 0x66cdaa),
    ("mediumblue", 0x0000cd),
    ("mediumorchid", 0xba55d3),
    ("mediumpurple", 0x9370db),
    ("mediumseagreen", 0x3cb371),
    ("mediumslateblue", 0x7b68ee),
    ("mediumspringgreen", 0x00fa9a),
    ("mediumturquoise", 0x48d1cc),
    ("mediumvioletred", 0xc71585),
    ("midnightblue", 0x191970),
    ("mintcream", 0xf5fffa),
    ("mistyrose", 0xffe4e1),
    ("moccasin", 0xffe4b5),
    ("navajowhite", 0xffdead),
    ("navy", 0x000080),
    ("oldlace", 0xfdf5e6),
    ("olive", 0x808000),
    ("olivedrab", 0x6b8e23),
    ("orange", 0xffa500),
    ("orangered", 0xff4500),
    ("orchid", 0xda70d6),
    ("palegoldenrod", 0xeee8aa),
    ("palegreen", 0x98fb98),
    ("paleturquoise", 0xafeeee),
    ("palevioletred", 0xdb7093),
    ("papayawhip", 0xffefd5),
    ("peachpuff", 0xffdab9),
    ("peru", 0xcd853f),
    ("pink", 0xffc0cb),
    ("plum", 0xdda0dd),
    ("powderblue", 0xb0e0e6),
    ("purple", 0x800080),
    ("rebeccapurple", 0x663399),
    ("red", 0xff0000),
    ("rosybrown", 0xbc8f8f),
    ("royalblue", 0x4169e1),
    ("saddlebrown", 0x8b4513),
    ("salmon", 0xfa8072),
    ("sandybrown", 0xf4a460),
    ("seagreen", 0x2e8b57),
    ("seashell", 0xfff5ee),
    ("sienna", 0xa0522d),
    ("silver", 0xc0c0c0),
    ("skyblue", 0x87ceeb),
    ("slateblue", 0x6a5acd),
    ("slategray", 0x708090),
    ("slategrey", 0x708090),
    ("snow", 0xfffafa),
    ("springgreen", 0x00ff7f),
    ("steelblue", 0x4682b4),
    ("tan", 0xd2b48c),
    ("teal", 0x008080),
    ("thistle", 0xd8bfd8),
    ("tomato", 0xff6347),
    ("turquoise", 0x40e0d0),
    ("violet", 0xee82ee),
    ("wheat", 0xf5deb3),
    ("white", 0xffffff),
    ("whitesmoke", 0xf5f5f5),
    ("yellow", 0xffff00),
    ("yellowgreen", 0x9acd32),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sorted_for_the_binary_search() {
        assert!(NAMED.is_sorted_by(|a, b| a.0 < b.0));
        assert_eq!(named("rebeccapurple"), Some(Rgb(0x66, 0x33, 0x99)));
    }

    #[test]
    fn both_grammars_read_hex_and_names() {
        for g in [Grammar::Css, Grammar::Chromium] {
            assert_eq!(parse("#1a73e8", g), Some(Rgb(0x1a, 0x73, 0xe8)));
            assert_eq!(parse("#fff", g), Some(Rgb::WHITE));
            assert_eq!(parse("#000000ff", g), Some(Rgb(0, 0, 0)));
            assert_eq!(parse("navy", g), Some(Rgb(0, 0, 0x80)));
            assert_eq!(parse("rgb(26, 115, 232)", g), Some(Rgb(26, 115, 232)));
            assert_eq!(parse("hsl(120, 100%, 25%)", g), Some(Rgb(0, 128, 0)));
            assert_eq!(parse("#12345", g), None);
            assert_eq!(parse("bluish", g), None);
        }
    }

    #[test]
    fn chromium_refuses_css4_forms_the_spec_allows() {
        for v in [
            "rgb(26 115 232)",
            "rgb(10%, 20%, 30%)",
            "RGB(1, 2, 3)",
            "rgb(256, 0, 0)",
            "rgb(1, 2, 3, 0.5)",
            "rgb( 1, 2, 3)",
            "rgb(1 , 2, 3)",
            "rgba(1, 2, 3, 1.5)",
            "Navy",
            "grey",
            "rebeccapurple",
            " #fff",
        ] {
            assert_eq!(parse(v, Grammar::Chromium), None, "{v}");
        }
        assert_eq!(parse("rgb(26 115 232)", Grammar::Css), Some(Rgb(26, 115, 232)));
        assert_eq!(parse("rgb(100%, 0%, 0%)", Grammar::Css), Some(Rgb(255, 0, 0)));
        assert_eq!(parse("RGB(1, 2, 3)", Grammar::Css), Some(Rgb(1, 2, 3)));
        assert_eq!(parse("Grey", Grammar::Css), Some(Rgb(0x80, 0x80, 0x80)));
        assert_eq!(parse("lightgrey", Grammar::Chromium), Some(Rgb(0xd3, 0xd3, 0xd3)));
        assert_eq!(parse("hsl(-120, 100%, 50%)", Grammar::Chromium), Some(Rgb(0, 0, 255)));
        // Alpha is read, then dropped: an invisible colour becomes opaque.
        assert_eq!(parse("rgba(1, 2, 3, 0)", Grammar::Chromium), Some(Rgb(1, 2, 3)));
    }

    #[test]
    fn contrast_follows_wcag() {
        assert!((Rgb(0, 0, 0).contrast(Rgb::WHITE) - 21.0).abs() < 1e-9);
        assert!((Rgb::WHITE.contrast(Rgb::WHITE) - 1.0).abs() < 1e-9);
        // #767676 on white is the classic 4.54:1.
        let grey = Rgb(0x76, 0x76, 0x76).contrast(Rgb::WHITE);
        assert!(grey > 4.5 && grey < 4.6, "{grey}");
    }
}
