//! Issue 15: the WCAG 2.x contrast of every text colour the themes declare on its surface,
//! read from the very sources the screens draw with: the `:root` block of
//! `src/web/static/hallq.css` (every web page: displays, counter, rating tablet, start page,
//! console, service desk, overview and the visitor's phone page) and
//! the `Theme` global of `ui/ui/theme.slint` (the Slint kiosk and displays). A surface is `NAME-bg`;
//! each `NAME-fg…` on it needs 4.5:1, or 3:1 when its name ends in `-large` (text of at
//! least 24 px bold). The pages' own styles may not bring colours of their own, and no
//! `.slint` file under `ui/ui` but theme.slint may either (the kiosk's screens and
//! components and display.slint: no `#hex`, `Colors.x`, `rgb()`, `hsl()` or colour by name),
//! so what is checked here is what is drawn.

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

/// The CSS named colours (CSS Color 4) and system colours, to find colours written by name.
const NAMED_COLOURS: &str = "aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet brown \
    burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue darkcyan darkgoldenrod darkgray \
    darkgreen darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen darkslateblue \
    darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite \
    forestgreen fuchsia gainsboro ghostwhite gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo ivory \
    khaki lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan lightgoldenrodyellow lightgray lightgreen \
    lightgrey lightpink lightsalmon lightseagreen lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime \
    limegreen linen magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen mediumslateblue \
    mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream mistyrose moccasin navajowhite navy oldlace olive \
    olivedrab orange orangered orchid palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum \
    powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown seagreen seashell sienna silver skyblue \
    slateblue slategray slategrey snow springgreen steelblue tan teal thistle tomato turquoise violet wheat white whitesmoke \
    yellow yellowgreen accentcolor accentcolortext activetext buttonborder buttonface buttontext canvas canvastext field \
    fieldtext graytext highlight highlighttext linktext mark marktext selecteditem selecteditemtext visitedtext";

fn named_colour(word: &str) -> bool {
    NAMED_COLOURS.split_whitespace().any(|n| n.eq_ignore_ascii_case(word))
}

/// `/* … */` taken out.
fn without_comments(css: &str) -> String {
    let mut text = String::new();
    let mut rest = css;
    while let Some(i) = rest.find("/*") {
        text.push_str(&rest[..i]);
        rest = rest[i..].find("*/").map_or("", |j| &rest[i + j + 2..]);
    }
    text.push_str(rest);
    text
}

/// `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa` and the colour functions (`rgb(`, `hsl(`, …) in a text.
fn colour_literals(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let word = |c: &u8| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-';
    let mut found = Vec::new();
    for (i, _) in text.match_indices('#') {
        let n = b[i + 1..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
        let apart = (i == 0 || !(word(&b[i - 1]) || b[i - 1] == b'&')) && b.get(i + 1 + n).is_none_or(|c| !word(c));
        if apart && [3, 4, 6, 8].contains(&n) {
            found.push(text[i..i + 1 + n].to_string());
        }
    }
    let lower = text.to_ascii_lowercase();
    for f in ["rgb(", "rgba(", "hsl(", "hsla(", "hwb(", "lab(", "lch(", "oklab(", "oklch(", "color-mix(", "color("] {
        for (i, _) in lower.match_indices(f) {
            if i == 0 || !word(&b[i - 1]) {
                let call = &text[i..];
                found.push(call[..call.find(')').map_or(call.len(), |e| e + 1)].chars().take(40).collect());
            }
        }
    }
    found
}

/// The declaration blocks of a style sheet (the text inside the innermost braces).
fn css_blocks(css: &str) -> Vec<&str> {
    css.split('{').skip(1).map(|s| s.split('}').next().unwrap()).collect()
}

/// `property: value` pairs of a declaration block or a `style="…"` attribute.
fn declarations(block: &str) -> Vec<(String, String)> {
    block
        .split(';')
        .filter_map(|d| d.split_once(':'))
        .map(|(p, v)| (p.trim().to_ascii_lowercase(), v.trim().to_string()))
        .filter(|(p, _)| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .collect()
}

/// The contents of every `attr="…"` in a text.
fn attributes<'a>(text: &'a str, attr: &str) -> Vec<&'a str> {
    text.match_indices(&format!("{attr}=\"")).filter_map(|(i, m)| text[i + m.len()..].split('"').next()).collect()
}

/// What each file of the web pages brings: (path, style sheet text, everything else).
/// The style sheet is hallq.css without its `:root` block, a page's `<style>` blocks, and
/// the `style="…"` attributes of pages and scripts; the rest is markup and script.
/// Left out: `src/web/vendor/` (Apache ECharts as published; console.js gives every text
/// it draws a theme colour: titles, axis labels and names, legend, pie labels, tooltip and
/// the no-ratings note) and `mod.rs` (Rust, no colours).
fn web_sources() -> Vec<(String, String, String)> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().unwrap() != "vendor" {
                    walk(&p, out);
                }
            } else if p.extension().is_some_and(|x| x == "html" || x == "css" || x == "js") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&root().join("src/web"), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.strip_prefix(root()).unwrap().display().to_string();
            let (mut css, mut rest) = (String::new(), String::new());
            if name.ends_with(".css") {
                let text = without_comments(&text);
                match text.find(":root") {
                    Some(at) if name.ends_with("static/hallq.css") => {
                        let end = at + text[at..].find('}').unwrap() + 1;
                        css = format!("{}{}", &text[..at], &text[end..]);
                    }
                    _ => css = text,
                }
            } else {
                let mut left = text.as_str();
                while let Some(i) = left.find("<style>") {
                    rest.push_str(&left[..i]);
                    let inside = &left[i + 7..];
                    let end = inside.find("</style>").expect("closed <style>");
                    css.push_str(&without_comments(&inside[..end]));
                    left = &inside[end + 8..];
                }
                rest.push_str(left);
                for a in attributes(&rest, "style") {
                    css.push_str(&format!("\n{{{a}}}\n"));
                }
            }
            (name, css, rest)
        })
        .collect()
}

/// Issue 15: a colour written anywhere under src/web but the theme would escape the pairs
/// checked above, so there is none: no `#hex`, no `rgb()`/`hsl()`/… and no colour by name,
/// in a style sheet, a `style` attribute, the markup or a script (whose theme colours are
/// read with getComputedStyle). Names are caught in every CSS value and, in scripts, as a
/// quoted string given to a key or property about colour (`color: "gray"`, `fill = 'red'`).
#[test]
fn no_web_page_brings_a_colour_of_its_own() {
    // The search itself: colours are found, ids, entities and theme names are not.
    assert_eq!(colour_literals("a{color:#fff;box-shadow:0 1px rgba(0,0,0,.1)} #editor &#123; #add-x"), ["#fff", "rgba(0,0,0,.1)"]);
    assert!(named_colour("Gray") && !named_colour("nowrap") && !named_colour("--nav-mark"));
    let sources = web_sources();
    let names: Vec<&str> = sources.iter().map(|(n, _, _)| n.as_str()).collect();
    for page in ["console.html", "desk.html", "index.html", "overview.html", "ticket.html", "counter.html", "static/console.js"] {
        assert!(names.contains(&format!("src/web/{page}").as_str()), "{page} is not among {names:?}");
    }
    let mut found = Vec::new();
    for (name, css, rest) in &sources {
        for block in css_blocks(css) {
            for (prop, value) in declarations(block) {
                let mut bad = colour_literals(&value);
                bad.extend(value.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).filter(|w| named_colour(w)).map(String::from));
                found.extend(bad.into_iter().map(|c| format!("{name}: {c} in `{prop}:{value}`")));
            }
        }
        for (i, line) in rest.lines().enumerate() {
            found.extend(colour_literals(line).into_iter().map(|c| format!("{name} line {}: {c}", i + 1)));
            for q in ['"', '\'', '`'] {
                let parts: Vec<&str> = line.split(q).collect();
                for k in (1..parts.len().saturating_sub(1)).step_by(2) {
                    let key = parts[k - 1].trim_end().trim_end_matches([':', '=']).trim_end().to_ascii_lowercase();
                    let about_colour = ["color", "fill", "stroke", "background", "border", "shadow"].iter().any(|w| key.ends_with(w));
                    if about_colour && named_colour(parts[k].trim()) {
                        found.push(format!("{name} line {}: {key} {q}{}{q}", i + 1, parts[k]));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "colours outside the theme (:root of hallq.css):\n{}", found.join("\n"));
}

/// Every theme name a page, sheet or script uses is in the theme and every name in the
/// theme is used; and where one rule sets both a surface and a text colour, the text is
/// the surface's own (`background:var(--card-bg); color:var(--card-fg-muted)`).
#[test]
fn the_web_pages_draw_each_text_colour_on_its_own_surface() {
    let css = std::fs::read_to_string(root().join("src/web/static/hallq.css")).unwrap();
    let theme = css_theme(&css);
    let root_block = {
        let at = css.find(":root").unwrap();
        &css[at..at + css[at..].find('}').unwrap()]
    };
    let surface =
        |name: &str| name.split_once("-fg").filter(|(_, rest)| rest.is_empty() || rest.starts_with('-')).map(|(s, _)| s.to_string());
    let mut used = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for (name, css, rest) in web_sources() {
        for text in [css.as_str(), rest.as_str()] {
            for (i, _) in text.match_indices("--") {
                let after = &text[i + 2..];
                let var = &after[..after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(after.len())];
                if !var.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                    continue;
                }
                let before = text[..i].trim_end();
                let declared_here = after[var.len()..].trim_start().starts_with(':') && !before.ends_with(['"', '\'']);
                let referenced = before.ends_with("var(") || before.ends_with(['"', '\'']);
                if referenced && !declared_here {
                    if !theme.contains_key(var) {
                        problems.push(format!("{name}: --{var} is not in the theme"));
                    }
                    used.insert(var.to_string());
                }
            }
        }
        for block in css_blocks(&css) {
            let decls = declarations(block);
            let var = |props: &[&str]| {
                decls
                    .iter()
                    .find(|(p, _)| props.contains(&p.as_str()))
                    .and_then(|(_, v)| v.strip_prefix("var(--")?.strip_suffix(')').map(String::from))
            };
            let (Some(bg), Some(fg)) = (var(&["background", "background-color"]), var(&["color"])) else { continue };
            if let (Some(bg_surface), Some(fg_surface)) = (bg.strip_suffix("-bg"), surface(&fg)) {
                if bg_surface != fg_surface {
                    problems.push(format!("{name}: --{fg} is drawn on --{bg} in `{}`", block.trim()));
                }
            }
        }
    }
    for (i, _) in root_block.match_indices("var(--") {
        let after = &root_block[i + 6..];
        used.insert(after[..after.find(')').unwrap()].to_string());
    }
    for name in theme.keys().filter(|k| !used.contains(*k)) {
        problems.push(format!("--{name} is in the theme but no page uses it"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_text_colour_of_the_slint_theme_is_legible_on_its_surface() {
    let text = std::fs::read_to_string(root().join("ui/ui/theme.slint")).unwrap();
    let theme = slint_theme(&text);
    let (failures, pairs) = check(&theme, "theme.slint");
    assert!(pairs >= 60, "the Slint theme declares {pairs} pairs");
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

/// A `.slint` text without its comments and string literals (what is left is code).
fn slint_code(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                    }
                    if last == '*' && d == '/' {
                        break;
                    }
                    last = d;
                }
            }
            '"' => {
                out.push_str("\"\"");
                let mut escaped = false;
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                    }
                    if !escaped && d == '"' {
                        break;
                    }
                    escaped = !escaped && d == '\\';
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The colours a piece of Slint code writes itself: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`,
/// `rgb()`/`rgba()`/`hsl()`/`hsla()` (and the other CSS colour functions), `Colors.name`, and
/// a colour by bare name (`white`; not a field `.red` nor a declaration `green:`).
fn slint_colour_literals(code: &str) -> Vec<String> {
    let mut found = colour_literals(code);
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in code.char_indices().chain([(code.len(), ' ')]) {
        match (word(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                tokens.push((s, &code[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    for (start, token) in tokens {
        let before = code[..start].trim_end();
        let after = code[start + token.len()..].trim_start();
        if before.ends_with("Colors.") || before.ends_with("Colors .") {
            found.push(format!("Colors.{token}"));
        } else if named_colour(token) && !before.ends_with('.') && !after.starts_with(':') {
            found.push(token.to_string());
        }
    }
    found
}

/// Every `.slint` file under ui/ui but theme.slint.
fn slint_sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "slint") && p.file_name().unwrap() != "theme.slint" {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&root().join("ui/ui"), &mut paths);
    paths.sort();
    paths.into_iter().map(|p| (p.strip_prefix(root()).unwrap().display().to_string(), std::fs::read_to_string(&p).unwrap())).collect()
}

/// Issue 15: the kiosk and the displays draw only `Theme` colours, so the pairs checked above
/// are what is on screen: no `.slint` file under ui/ui but theme.slint writes a colour of
/// its own, in any form Slint takes one.
#[test]
fn no_slint_file_but_the_theme_brings_a_colour_of_its_own() {
    // The search itself: colours are found; comments, strings, theme names and fields are not.
    let sample = "background: #fff; color: t.ok ? Colors.red : white; border-color: rgb(1, 2, 3);\n\
        fill: #11223344; // #abcdef white\n text: \"#123 white\"; stroke: Theme.go-bg; x: t.green; green: 1;";
    assert_eq!(slint_colour_literals(&slint_code(sample)), ["#fff", "#11223344", "rgb(1, 2, 3)", "Colors.red", "white"]);
    let sources = slint_sources();
    let names: Vec<&str> = sources.iter().map(|(n, _)| n.as_str()).collect();
    for file in
        ["kiosk.slint", "display.slint", "components/button.slint", "components/frame.slint", "pages/home.slint", "pages/ticket.slint"]
    {
        assert!(names.contains(&format!("ui/ui/{file}").as_str()), "{file} is not among {names:?}");
    }
    let mut found = Vec::new();
    for (name, text) in &sources {
        for (i, line) in slint_code(text).lines().enumerate() {
            found.extend(slint_colour_literals(line).into_iter().map(|c| format!("{name} line {}: {c}", i + 1)));
        }
    }
    assert!(found.is_empty(), "colours outside the theme (ui/ui/theme.slint):\n{}", found.join("\n"));
}
