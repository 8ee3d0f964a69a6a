//! The Management API's `search` parameter on short lists (roles, applications), as Logto's
//! Console sends it: a LIKE pattern (`%kw%`), or a plain substring.

/// Whether `text` matches `search`, case-insensitively: a LIKE pattern when it has `%` or `_`,
/// otherwise a substring.
pub fn matches(search: &str, text: &str) -> bool {
    let pattern = search.to_lowercase();
    let text = text.to_lowercase();
    if !pattern.contains(['%', '_']) {
        return text.contains(&pattern);
    }
    like(&pattern.chars().collect::<Vec<_>>(), &text.chars().collect::<Vec<_>>())
}

/// LIKE matching by dynamic programming (pattern × text steps, whatever the pattern: a hostile
/// `%a%a%a…` cannot make it explode).
fn like(pattern: &[char], text: &[char]) -> bool {
    // matched[j]: the pattern so far matches text[..j].
    let mut matched = vec![false; text.len() + 1];
    matched[0] = true;
    for p in pattern {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            next[j] = match p {
                '%' => matched[j] || (j > 0 && next[j - 1]),
                '_' => j > 0 && matched[j - 1],
                c => j > 0 && matched[j - 1] && text[j - 1] == *c,
            };
        }
        matched = next;
    }
    matched[text.len()]
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn search_is_a_like_pattern_or_a_substring() {
        assert!(matches("%admin%", "Super Admin"));
        assert!(matches("adm", "Super Admin"), "no wildcard: a substring");
        assert!(matches("s_per%", "super admin"));
        assert!(!matches("admin%", "super admin"));
        let hostile = "%a".repeat(200) + "%b";
        assert!(!matches(&hostile, &"a".repeat(300)), "answers at once, and correctly");
    }
}
