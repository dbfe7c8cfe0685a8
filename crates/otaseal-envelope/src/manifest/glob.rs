//! The subset of micromatch that `--no-brotli` patterns use in `@capgo/cli`.

/// Whether `path` (relative, `/`-separated) matches `pattern`.
///
/// Supported: `*` (any characters within one segment), `?` (one character within a segment),
/// `**` as a whole segment (zero or more segments); everything else is literal. As in
/// micromatch, `*.js` matches `app.js` but not `assets/app.js`; write `**/*.js` for any folder.
///
/// ```
/// use otaseal_envelope::manifest::glob_match;
///
/// assert!(glob_match("**/*.wasm", "assets/pkg/app.wasm"));
/// assert!(glob_match("**/*.wasm", "app.wasm"));
/// assert!(!glob_match("*.wasm", "assets/app.wasm"));
/// ```
#[must_use]
pub fn glob_match(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let s: Vec<&str> = path.split('/').collect();
    match_segments(&p, &s)
}

fn match_segments(p: &[&str], s: &[&str]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((&"**", rest)) => {
            (0..=s.len()).any(|k| s.get(k..).is_some_and(|t| match_segments(rest, t)))
        }
        Some((first, rest)) => match s.split_first() {
            Some((seg, tail)) => {
                match_segment(first.as_bytes(), seg.as_bytes()) && match_segments(rest, tail)
            }
            None => false,
        },
    }
}

/// Classic linear-time wildcard matching with one backtrack point for `*`.
fn match_segment(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || s.get(si) == Some(&c) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn patterns() {
        assert!(glob_match("*.js", "app.js"));
        assert!(!glob_match("*.js", "a/app.js"));
        assert!(glob_match("assets/**", "assets/a/b/c.png"));
        assert!(glob_match("assets/*.png", "assets/x.png"));
        assert!(!glob_match("assets/*.png", "assets/x.jpg"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "a/c"));
        assert!(glob_match("**", "x/y"));
        assert!(glob_match("*a*b*", "xxaxxbxx"));
        assert!(!glob_match("*a*b", "xxaxxbxx"));
        assert!(glob_match("index.html", "index.html"));
    }
}
