//! Directives (per-block options) and suppressions, from info strings and HTML comments.
//!
//! Both live where a reader of the rendered page does not see them: the info string after
//! the fence language, or an HTML comment. One token grammar serves both:
//! `skip reason="needs network" timeout=10 requires=numpy,pandas compile-only fresh`.

use crate::entry::Directives;

/// Split `a b="c d" {e=f}` into tokens, honouring double quotes and ignoring braces.
fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            c if !quoted && (c.is_whitespace() || c == '{' || c == '}' || c == ',' && cur.is_empty()) => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Apply directive tokens to `d`. Returns the tokens that were not understood.
pub fn apply(d: &mut Directives, text: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    for tok in tokens(text) {
        let tok = tok.trim_start_matches('.');
        let tok = tok.strip_prefix("qa-").unwrap_or(tok);
        let (key, value) = match tok.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (tok, None),
        };
        match (key, value) {
            ("skip", v) => d.skip = Some(v.unwrap_or("").to_string()),
            ("reason", Some(v)) => d.skip = Some(v.to_string()),
            ("compile-only" | "compile_only" | "no-run" | "no_run", None) => d.compile_only = true,
            ("fresh" | "fresh-namespace", None) => d.fresh = true,
            ("allow-network" | "allow-subprocess" | "allow-writes", None) => d.allow.push(key.to_string()),
            // The config key's spelling works on a block too.
            ("allow-writes-outside", None) => d.allow.push("allow-writes".to_string()),
            ("timeout", Some(v)) => match v.trim_end_matches('s').parse::<f64>() {
                Ok(secs) if secs > 0.0 => d.timeout_secs = Some(secs),
                _ => unknown.push(tok.to_string()),
            },
            // pytest-examples' `test="skip"`; its `lint`/`upgrade` settings concern linters.
            ("test", Some("skip")) => d.skip = Some("test=\"skip\"".to_string()),
            // `requires="3.12"`: a minimum Python version, unlike `requires=numpy`.
            ("requires" | "python" | "min-python", Some(v)) if python_version(v).is_some() => {
                d.min_python = python_version(v);
            }
            ("requires", Some(v)) => d
                .requires
                .extend(v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from)),
            ("fixture" | "fixtures", Some(v)) => d
                .fixtures
                .extend(v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from)),
            ("file", Some(v)) => d.file = Some(v.to_string()),
            (k, Some(v)) => {
                d.other.insert(k.to_string(), v.to_string());
            }
            (k, None) => unknown.push(k.to_string()),
        }
    }
    unknown
}

/// `3.12`, `3.8+`, `>=3.10` -> (3, 12); anything else is not a version.
pub fn python_version(v: &str) -> Option<(u32, u32)> {
    let v = v.trim().trim_start_matches(">=").trim_end_matches('+');
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    (parts.all(|p| p.parse::<u32>().is_ok()) && (2..=4).contains(&major)).then_some((major, minor))
}

/// Attributes other tools put on fences, which say nothing to qa-lint: syntax highlighting
/// (`hl_lines`, `linenums`, `title`), mkdocs annotations (`.annotate`), and pytest-examples'
/// linter and grouping settings.
const FOREIGN: &[&str] = &[
    "annotate", "linenums", "hl_lines", "title", "lint", "upgrade", "group", "output",
];

/// Parse a fence info string: the language, then directive tokens. The language is the first
/// word (`python`, `Python`, `PY`), or the first class of an attribute block
/// (`{.python .annotate}`).
pub fn parse_info(info: &str) -> (String, Directives, Vec<String>) {
    let info = info.trim();
    if let Some(lang) = myst_language(info) {
        return (lang, Directives::default(), Vec::new());
    }
    let (mut lang, mut rest) = match info.find(|c: char| c.is_whitespace() || c == '{') {
        Some(i) => (&info[..i], &info[i..]),
        None => (info, ""),
    };
    let class_block;
    if lang.is_empty() {
        if let Some(inner) = rest.trim().strip_prefix('{').and_then(|r| r.split_once('}')) {
            let first = inner.0.split_whitespace().next().unwrap_or("");
            if let Some(class) = first.strip_prefix('.') {
                lang = class;
                class_block = format!("{{{}}}{}", &inner.0[first.len()..], inner.1);
                rest = &class_block;
            }
        }
    }
    let mut d = Directives::default();
    let mut unknown = apply(&mut d, rest);
    unknown.retain(|t| !FOREIGN.contains(&t.as_str()));
    d.title = d.other.remove("title");
    for key in FOREIGN {
        d.other.remove(*key);
    }
    let lang = lang.trim_start_matches('.').to_ascii_lowercase();
    (lang, d, unknown)
}

/// The language of a MyST directive fence (`{doctest}`, `{code-cell} python`, `{testcode}`,
/// `{note}`): code directives run as what they hold, a doctest as a transcript, `{testoutput}`
/// is the output of the `{testcode}` above it, and any other directive (an admonition, a
/// `{versionadded}`, a `{toctree}`) is not code. `None` when `info` is no MyST directive.
fn myst_language(info: &str) -> Option<String> {
    let rest = info.strip_prefix('{')?;
    let (name, arg) = rest.split_once('}')?;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':')
    {
        return None;
    }
    let arg = arg.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
    let lang = match name {
        "doctest" | "ipython" => "pycon".to_string(),
        "testoutput" => "output".to_string(),
        "code-cell" | "jupyter-execute" | "testcode" | "testsetup" | "testcleanup" => match arg.as_str() {
            "" | "python" | "python3" | "ipython" | "ipython3" | "py" => "python".to_string(),
            other => other.to_string(),
        },
        "code-block" | "code" | "sourcecode" => arg,
        other => format!("myst-{other}"),
    };
    Some(lang)
}

/// What an HTML comment says to qa-lint.
#[derive(Debug, PartialEq)]
pub enum Comment {
    /// `<!-- qa-lint: skip timeout=3 -->`: options for the next code block.
    Directive(String),
    /// `<!-- qa-lint-disable-next-line rule-a rule-b -->`
    DisableNextLine(Vec<String>),
    /// `<!-- qa-lint-disable-file rule-a -->`
    DisableFile(Vec<String>),
    /// `<!-- qa-lint-... -->` that is none of the above.
    Unknown(String),
}

/// The rules a comment line inside a code block suppresses on the next code line:
/// `# qa-lint-disable-next-line NAMES` (also after a `>>> ` prompt). A Python comment, so the
/// code still runs as written; `None` for any other line.
pub fn code_line_suppression(line: &str) -> Option<Vec<String>> {
    let line = line.trim_start();
    let line = line.strip_prefix(">>> ").unwrap_or(line).trim_start();
    let rest = line
        .strip_prefix('#')?
        .trim_start()
        .strip_prefix("qa-lint-disable-next-line")?;
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    Some(
        rest.split([' ', ','])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect(),
    )
}

/// Recognise a qa-lint HTML comment; `None` for any other HTML.
pub fn parse_comment(html: &str) -> Option<Comment> {
    let body = html.trim().strip_prefix("<!--")?.strip_suffix("-->")?.trim();
    let rest = body.strip_prefix("qa-lint")?;
    let names = |s: &str| {
        s.split([' ', ','])
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect()
    };
    if let Some(r) = rest.strip_prefix(':') {
        Some(Comment::Directive(r.trim().to_string()))
    } else if let Some(r) = rest.strip_prefix("-disable-next-line") {
        Some(Comment::DisableNextLine(names(r)))
    } else if let Some(r) = rest.strip_prefix("-disable-file") {
        Some(Comment::DisableFile(names(r)))
    } else {
        Some(Comment::Unknown(body.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_string_attributes() {
        let (lang, d, unknown) = parse_info("python {skip reason=\"no net\" timeout=2.5 requires=a,b}");
        assert_eq!(lang, "python");
        assert_eq!(d.skip.as_deref(), Some("no net"));
        assert_eq!(d.timeout_secs, Some(2.5));
        assert_eq!(d.requires, ["a", "b"]);
        assert!(unknown.is_empty());
    }

    #[test]
    fn other_tools_attributes() {
        let (lang, d, unknown) = parse_info("python {test=\"skip\" lint=\"skip\"}");
        assert_eq!((lang.as_str(), d.skip.as_deref()), ("python", Some("test=\"skip\"")));
        assert!(unknown.is_empty() && d.other.is_empty(), "{unknown:?} {:?}", d.other);
        let (_, d, _) = parse_info("python {requires=\"3.12\" upgrade=\"skip\" lint=\"skip\"}");
        assert_eq!((d.min_python, d.requires.is_empty()), (Some((3, 12)), true));
        let (_, d, _) = parse_info("py requires=numpy");
        assert_eq!((d.min_python, d.requires), (None, vec!["numpy".to_string()]));
        let (lang, d, unknown) = parse_info("{.python .annotate}");
        assert_eq!(lang, "python");
        assert!(unknown.is_empty() && d == Directives::default(), "{unknown:?} {d:?}");
        let (lang, _, unknown) = parse_info("PY title=\"a.py\" hl_lines=\"1 3\" linenums=\"1\"");
        assert_eq!((lang.as_str(), unknown.len()), ("py", 0));
        assert_eq!(python_version("3.8+"), Some((3, 8)));
        assert_eq!(python_version("numpy"), None);
        assert_eq!(python_version("1.2"), None);
    }

    #[test]
    fn myst_directives() {
        for (info, lang) in [
            ("{doctest}", "pycon"),
            ("{doctest} point_group", "pycon"),
            ("{code-cell} python", "python"),
            ("{code-cell} ipython3", "python"),
            ("{testcode}", "python"),
            ("{testoutput}", "output"),
            ("{code-block} python", "python"),
            ("{note}", "myst-note"),
            ("{versionadded} 23.1.0", "myst-versionadded"),
        ] {
            let (l, d, unknown) = parse_info(info);
            assert_eq!(l, lang, "{info}");
            assert!(unknown.is_empty() && d == Directives::default(), "{info}");
        }
        // An attribute block is not a directive.
        assert_eq!(parse_info("{.python .annotate}").0, "python");
    }

    #[test]
    fn comments() {
        assert_eq!(
            parse_comment("<!-- qa-lint: fresh -->"),
            Some(Comment::Directive("fresh".into()))
        );
        assert_eq!(
            parse_comment("<!-- qa-lint-disable-next-line a b -->"),
            Some(Comment::DisableNextLine(vec!["a".into(), "b".into()]))
        );
        assert_eq!(parse_comment("<!-- other -->"), None);
    }
}
