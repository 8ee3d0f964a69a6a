//! `GET /api/users?search=…&search.<field>=…&mode.<field>=…&joint=…`: any query string is
//! refused or becomes SQL whose placeholders and parameters agree, on both backends; and the
//! short lists' LIKE matching terminates on any pattern.
#![no_main]

use identity::users::search::UserSearch;
use identity::Backend;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &[u8]| {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query).into_owned().collect();
    if let Ok(search) = UserSearch::parse(&pairs) {
        for (backend, narrow) in [(Backend::Sqlite, true), (Backend::Sqlite, false), (Backend::Postgres, true)] {
            let first = 3;
            if let Ok((sql, params)) = search.to_sql(backend, first, narrow) {
                // The parameters are bound by $first.. in order: none missing, none beyond.
                let used = placeholders(&sql);
                for n in first..first + params.len() {
                    assert!(used.contains(&n), "${n} missing from {sql}");
                }
                assert!(used.iter().all(|&n| n < first + params.len()), "an unbound placeholder in {sql}");
            }
        }
        if let Some((sql, params)) = search.sole_pattern_matches(Backend::Sqlite) {
            let used = placeholders(&sql);
            assert!((1..=params.len()).all(|n| used.contains(&n)) && used.iter().all(|&n| n <= params.len()), "{sql}");
        }
    }
    for (_, value) in &pairs {
        identity::search_pattern::matches(value, "Ada.Lovelace@example.com");
    }
});

fn placeholders(sql: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse() {
            found.push(n);
        }
    }
    found
}
