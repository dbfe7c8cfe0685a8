//! The subset of micromatch that `--no-brotli` patterns use in `@capgo/cli`.

/// Whether `path` (relative, `/`-separated) matches `pattern`.
///
/// Supported: `*` (any characters within one segment), `?` (one character within a segment),
/// `**` as a whole segment (zero or more segments); everything else is literal. As in
/// micromatch, `*.js` matches `app.js` but not `assets/app.js`; write `**/*.js` for any folder.
///
/// ```
/// use otaseal_manifest::glob_match;
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

/// Segment-wise matching by dynamic programming: `reach[j]` says whether the pattern
/// segments seen so far match exactly `s[..j]`. Time is O(pattern segments × path segments),
/// whatever the number of `**` (a backtracking matcher is exponential in them).
fn match_segments(p: &[&str], s: &[&str]) -> bool {
    let mut reach = vec![false; s.len() + 1];
    reach[0] = true;
    for seg in p {
        let mut next = vec![false; s.len() + 1];
        if *seg == "**" {
            // Zero or more whole segments: reachable from any earlier position.
            let mut any = false;
            for (j, r) in reach.iter().enumerate() {
                any |= *r;
                next[j] = any;
            }
        } else {
            for (j, name) in s.iter().enumerate() {
                if reach[j] && match_segment(seg.as_bytes(), name.as_bytes()) {
                    next[j + 1] = true;
                }
            }
        }
        reach = next;
    }
    reach[s.len()]
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
        assert!(glob_match("**/*.map", "a/b/c.map"));
        assert!(glob_match("**/*.map", "c.map"));
        assert!(glob_match("a/**/b/**/c", "a/x/b/y/z/c"));
        assert!(!glob_match("a/**/b/**/c", "a/x/y/z/c"));
    }

    /// The fuzzer found the earlier backtracking matcher exponential in `**` (12 `**` against
    /// 25 segments took 30 s; these inputs would not finish). The dynamic-programming matcher
    /// does 40 × 201 cell updates here.
    #[test]
    fn many_double_stars_stay_polynomial() {
        let pattern = vec!["**"; 40].join("/") + "/nomatch";
        let path = vec!["x"; 200].join("/");
        assert!(!glob_match(&pattern, &path));
        let pattern = vec!["**"; 40].join("/") + "/x";
        assert!(glob_match(&pattern, &path));
    }
}
