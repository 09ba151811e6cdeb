//! Issue 15: the WCAG 2.x contrast of every text colour the themes declare on its surface,
//! read from the very sources the screens draw with: the `:root` block of
//! `src/web/static/hallq.css` (the displays, counter and rating tablet in the browser) and
//! the `Theme` global of `ui/ui/theme.slint` (the Slint displays). A surface is `NAME-bg`;
//! each `NAME-fg…` on it needs 4.5:1, or 3:1 when its name ends in `-large` (text of at
//! least 24 px bold). The pages' own styles and display.slint may not bring colours of
//! their own, so what is checked here is what is drawn. (The kiosk's Slint colours are not
//! in a shared theme file yet and are not checked.)

use std::collections::BTreeMap;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// "#rgb" or "#rrggbb" to 0-255 channels.
fn hex(s: &str) -> Option<[u8; 3]> {
    let h = s.trim().strip_prefix('#')?;
    let full: String = match h.len() {
        3 => h.chars().flat_map(|c| [c, c]).collect(),
        6 => h.to_string(),
        _ => return None,
    };
    let v = u32::from_str_radix(&full, 16).ok()?;
    Some([(v >> 16) as u8, (v >> 8) as u8, v as u8])
}

/// WCAG 2.x relative luminance.
fn luminance(c: [u8; 3]) -> f64 {
    let lin = |v: u8| {
        let s = v as f64 / 255.0;
        if s <= 0.03928 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

fn ratio(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The CSS custom properties of the first `:root { … }` block, `var(--x)` resolved.
fn css_theme(css: &str) -> BTreeMap<String, String> {
    let start = css.find(":root").expect("hallq.css has a :root block");
    let body = &css[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
    // Comments out.
    let mut text = String::new();
    let mut rest = body;
    while let Some(i) = rest.find("/*") {
        text.push_str(&rest[..i]);
        rest = &rest[i + rest[i..].find("*/").expect("closed comment") + 2..];
    }
    text.push_str(rest);
    let mut vars = BTreeMap::new();
    for decl in text.split(';') {
        if let Some((k, v)) = decl.split_once(':') {
            let k = k.trim();
            if let Some(name) = k.strip_prefix("--") {
                vars.insert(name.to_string(), v.trim().to_string());
            }
        }
    }
    let resolved: BTreeMap<String, String> = vars
        .keys()
        .map(|k| {
            let mut v = vars[k].clone();
            for _ in 0..5 {
                if let Some(r) = v.strip_prefix("var(--").and_then(|r| r.strip_suffix(')')) {
                    v = vars.get(r).unwrap_or_else(|| panic!("--{k} refers to --{r}, which is not in :root")).clone();
                }
            }
            (k.clone(), v)
        })
        .collect();
    resolved
}

/// `out property <color> NAME: #hex;` lines of the Slint theme.
fn slint_theme(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("out property <color> "))
        .filter_map(|l| l.trim_end_matches(';').split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// Every NAME-fg… against NAME-bg: (pair, ratio, needed) for those that fail, and the count.
fn check(theme: &BTreeMap<String, String>, source: &str) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let mut pairs = 0;
    for (name, value) in theme {
        let Some((surface, _)) = name.split_once("-fg").filter(|(_, rest)| rest.is_empty() || rest.starts_with('-')) else { continue };
        let bg_name = format!("{surface}-bg");
        let bg = theme.get(&bg_name).unwrap_or_else(|| panic!("{source}: {name} has no surface {bg_name}"));
        let (fg, bgc) = (
            hex(value).unwrap_or_else(|| panic!("{source}: {name} = {value} is not #rgb or #rrggbb")),
            hex(bg).unwrap_or_else(|| panic!("{source}: {bg_name} = {bg} is not #rgb or #rrggbb")),
        );
        let need = if name.ends_with("-large") { 3.0 } else { 4.5 };
        let r = ratio(fg, bgc);
        pairs += 1;
        println!("{source}: {name} {value} on {bg_name} {bg}: {r:.2}:1 (needs {need}:1)");
        if r < need {
            failures.push(format!("{name} {value} on {bg_name} {bg}: {r:.2}:1, needs {need}:1"));
        }
    }
    (failures, pairs)
}

#[test]
fn the_formula_is_wcag_2() {
    // Known values: black on white 21:1, the WCAG example grey #777 on white about 4.48:1.
    assert!((ratio([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
    let grey = ratio(hex("#777").unwrap(), [255, 255, 255]);
    assert!((4.47..4.49).contains(&grey), "{grey}");
    // The failures the issue measured, under the old colours: yellow on red, white on yellow.
    assert!(ratio(hex("#ffd666").unwrap(), hex("#c4412b").unwrap()) < 4.5);
    assert!(ratio(hex("#ffffff").unwrap(), hex("#d8a21b").unwrap()) < 3.0);
    assert!(ratio(hex("#9fb6cf").unwrap(), hex("#eef2f6").unwrap()) < 2.2);
    // And the checker catches a failing pair.
    let bad: BTreeMap<String, String> = [("x-bg", "#ffffff"), ("x-fg", "#aaaaaa"), ("y-bg", "#000000"), ("y-fg-large", "#5a5a5a")]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let (failures, pairs) = check(&bad, "sample");
    assert_eq!((failures.len(), pairs), (1, 2), "{failures:?}");
}

#[test]
fn every_text_colour_of_the_web_theme_is_legible_on_its_surface() {
    let css = std::fs::read_to_string(root().join("src/web/static/hallq.css")).unwrap();
    let theme = css_theme(&css);
    let (failures, pairs) = check(&theme, "hallq.css");
    assert!(pairs >= 35, "the web theme declares {pairs} pairs");
    assert!(failures.is_empty(), "under WCAG contrast:\n{}", failures.join("\n"));
}

#[test]
fn every_text_colour_of_the_slint_theme_is_legible_on_its_surface() {
    let text = std::fs::read_to_string(root().join("ui/ui/theme.slint")).unwrap();
    let theme = slint_theme(&text);
    let (failures, pairs) = check(&theme, "theme.slint");
    assert!(pairs >= 20, "the Slint theme declares {pairs} pairs");
    assert!(failures.is_empty(), "under WCAG contrast:\n{}", failures.join("\n"));
}

/// A colour written anywhere but the theme would escape the check above.
#[test]
fn the_pages_and_the_display_draw_only_theme_colours() {
    let literal = |s: &str| {
        let mut found = Vec::new();
        for (i, line) in s.lines().enumerate() {
            for prop in ["color:", "background:", "background-color:", "border-color:"] {
                let mut rest = line;
                while let Some(at) = rest.find(prop) {
                    let value = rest[at + prop.len()..].split([';', '}']).next().unwrap_or("").trim();
                    let ok = value.starts_with("var(--") || ["transparent", "none", "inherit", "currentColor"].contains(&value);
                    if !ok {
                        found.push(format!("line {}: {prop} {value}", i + 1));
                    }
                    rest = &rest[at + prop.len()..];
                }
            }
        }
        found
    };
    for page in ["src/web/hall.html", "src/web/window.html", "src/web/counter.html", "src/web/rate.html"] {
        let html = std::fs::read_to_string(root().join(page)).unwrap();
        let style: String = html.split("<style>").skip(1).map(|s| s.split("</style>").next().unwrap()).collect();
        let found = literal(&style);
        assert!(found.is_empty(), "{page} has colours outside the theme: {found:?}");
    }
    let css = std::fs::read_to_string(root().join("src/web/static/hallq.css")).unwrap();
    let after_root = &css[css.find(":root").unwrap()..];
    let after_root = &after_root[after_root.find('}').unwrap() + 1..];
    let found = literal(after_root);
    assert!(found.is_empty(), "hallq.css has colours outside :root: {found:?}");
    let slint = std::fs::read_to_string(root().join("ui/ui/display.slint")).unwrap();
    for (i, line) in slint.lines().enumerate() {
        let code = line.split("//").next().unwrap();
        let hexes = code.match_indices('#').filter(|(at, _)| code[at + 1..].chars().next().is_some_and(|c| c.is_ascii_hexdigit())).count();
        assert!(
            hexes == 0 && !code.contains(": white") && !code.contains(": black"),
            "display.slint line {} draws a colour of its own: {line}",
            i + 1
        );
    }
}
