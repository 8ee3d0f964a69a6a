//! The Management API's user search, as Logto's Console sends it (Logto's
//! `admin-user.search.test.ts`): `search` (a LIKE pattern over every field), `search.<field>`
//! (repeatable only in `exact` mode), `mode` / `mode.<field>` (`like`, `exact`, `similar_to`,
//! `posix`), `joint` (`or`, `and`), `isCaseSensitive` (default false) and `excludeRoleId`.
//! Parsing is separate from SQL so every refusal is a typed error with Logto's code.

use crate::store::Backend;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Id,
    Username,
    PrimaryEmail,
    PrimaryPhone,
    Name,
}

impl Field {
    const ALL: [Field; 5] = [Field::Id, Field::Username, Field::PrimaryEmail, Field::PrimaryPhone, Field::Name];

    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Field::Id,
            "username" => Field::Username,
            "primaryEmail" => Field::PrimaryEmail,
            "primaryPhone" => Field::PrimaryPhone,
            "name" => Field::Name,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Username => "username",
            Field::PrimaryEmail => "primaryEmail",
            Field::PrimaryPhone => "primaryPhone",
            Field::Name => "name",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Username => "COALESCE(username, '')",
            Field::PrimaryEmail => "COALESCE(primary_email, '')",
            Field::PrimaryPhone => "COALESCE(primary_phone, '')",
            Field::Name => "COALESCE(name, '')",
        }
    }

    /// The field's column in the FTS5 trigram table (SQLite).
    fn search_column(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Username => "username",
            Field::PrimaryEmail => "primary_email",
            Field::PrimaryPhone => "primary_phone",
            Field::Name => "name",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Like,
    Exact,
    SimilarTo,
    Posix,
}

impl Mode {
    fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "like" => Mode::Like,
            "exact" => Mode::Exact,
            "similar_to" => Mode::SimilarTo,
            "posix" => Mode::Posix,
            _ => return None,
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct SearchError(pub String);

impl crate::error::ErrorCode for SearchError {
    fn code(&self) -> &'static str {
        "request.invalid_input"
    }
}

/// One condition: `fields` (several for the bare `search`) matching any of `values`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    fields: Vec<Field>,
    mode: Mode,
    values: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserSearch {
    conditions: Vec<Condition>,
    /// `joint=and`: every condition must hold (default: any).
    all: bool,
    case_sensitive: bool,
    pub exclude_role_id: Option<String>,
}

impl UserSearch {
    /// Reads the search parameters from a query's pairs; others (paging) are ignored.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, SearchError> {
        let invalid = |what: String| SearchError(format!("{what} is not valid"));
        let mut search = UserSearch::default();
        let mut modes: Vec<(Option<Field>, Mode)> = Vec::new();
        let mut values: Vec<(Option<Field>, String)> = Vec::new();
        for (key, value) in pairs {
            match key.as_str() {
                "search" => values.push((None, value.clone())),
                "mode" => modes.push((None, Mode::parse(value).ok_or_else(|| invalid(format!("mode `{value}`")))?)),
                "joint" => {
                    search.all = match value.as_str() {
                        "and" => true,
                        "or" => false,
                        other => return Err(invalid(format!("joint `{other}`"))),
                    }
                }
                "isCaseSensitive" => search.case_sensitive = value == "true",
                "excludeRoleId" => search.exclude_role_id = Some(value.clone()),
                key => {
                    if let Some(name) = key.strip_prefix("search.") {
                        values.push((Some(Field::parse(name).ok_or_else(|| invalid(format!("search field `{name}`")))?), value.clone()));
                    } else if let Some(name) = key.strip_prefix("mode.") {
                        let field = Field::parse(name).ok_or_else(|| invalid(format!("search field `{name}`")))?;
                        modes.push((Some(field), Mode::parse(value).ok_or_else(|| invalid(format!("mode `{value}`")))?));
                    }
                }
            }
        }
        let global_mode = modes.iter().find(|(f, _)| f.is_none()).map(|(_, m)| *m).unwrap_or(Mode::Like);
        let mut targets: Vec<Option<Field>> = Vec::new();
        for (field, _) in &values {
            if !targets.contains(field) {
                targets.push(*field);
            }
        }
        for target in targets {
            let mode = target.and_then(|f| modes.iter().find(|(m, _)| *m == Some(f)).map(|(_, m)| *m)).unwrap_or(global_mode);
            let given: Vec<String> = values.iter().filter(|(f, _)| *f == target).map(|(_, v)| v.clone()).collect();
            let name = target.map(|f| format!("`search.{}`", f.name())).unwrap_or_else(|| "`search`".to_owned());
            if given.iter().any(String::is_empty) {
                return Err(SearchError(format!("the value of {name} cannot be empty")));
            }
            if given.len() > 1 && mode != Mode::Exact {
                return Err(SearchError(format!("{name} has several values, which only the `exact` mode accepts")));
            }
            if mode == Mode::SimilarTo && !search.case_sensitive {
                return Err(SearchError("the `similar_to` mode cannot be case-insensitive".to_owned()));
            }
            let mut unique = given;
            unique.dedup();
            search.conditions.push(Condition { fields: target.map(|f| vec![f]).unwrap_or_else(|| Field::ALL.to_vec()), mode, values: unique });
        }
        Ok(search)
    }

    /// The `WHERE` clause (with `$n` placeholders from `first`) and its values, in order.
    ///
    /// Every LIKE condition is answerable from an index (migration 0027): on PostgreSQL the
    /// case-insensitive comparison is itself over the trigram-indexed expression (and a
    /// case-sensitive one is narrowed by it first); on SQLite the FTS5 trigram table narrows
    /// the candidates, then the exact comparison decides.
    ///
    /// `narrow` (SQLite) adds the FTS5 candidates to each LIKE condition: right when they are
    /// few; for a search most users match, walking the list in order and testing each is
    /// faster, and `narrow` false does that.
    pub fn to_sql(&self, backend: Backend, first: usize, narrow: bool) -> Result<(String, Vec<String>), SearchError> {
        let mut binds: Vec<String> = Vec::new();
        let mut placeholder = |value: &str| {
            binds.push(value.to_owned());
            format!("${}", first + binds.len() - 1)
        };
        let mut clauses: Vec<String> = Vec::new();
        for condition in &self.conditions {
            let mut alternatives = Vec::new();
            for field in &condition.fields {
                let column = field.column();
                let matched = match (condition.mode, self.case_sensitive, backend) {
                    (Mode::Exact, true, _) => format!("{column} IN ({})", condition.values.iter().map(|v| placeholder(v)).collect::<Vec<_>>().join(", ")),
                    (Mode::Exact, false, _) => format!("lower({column}) IN ({})", condition.values.iter().map(|v| format!("lower({})", placeholder(v))).collect::<Vec<_>>().join(", ")),
                    (Mode::Like, false, Backend::Postgres) => match postgres_index_key(&condition.values[0]) {
                        // The index is asked for the key; the `|| ''` keeps the whole pattern
                        // out of the index scan (it would look up every trigram) and decides.
                        Some(key) => format!("(lower({column}) LIKE lower({}) AND (lower({column}) || '') LIKE lower({}))", placeholder(&key), placeholder(&condition.values[0])),
                        None => format!("lower({column}) LIKE lower({})", placeholder(&condition.values[0])),
                    },
                    (Mode::Like, false, Backend::Sqlite) => format!("lower({column}) LIKE lower({})", placeholder(&condition.values[0])),
                    (Mode::Like, true, Backend::Postgres) => {
                        let pattern = &condition.values[0];
                        let key = postgres_index_key(pattern).unwrap_or_else(|| pattern.clone());
                        format!("(lower({column}) LIKE lower({}) AND {column} LIKE {})", placeholder(&key), placeholder(pattern))
                    }
                    // SQLite's LIKE ignores ASCII case; GLOB is its case-sensitive twin.
                    (Mode::Like, true, Backend::Sqlite) => format!("{column} GLOB {}", placeholder(&like_to_glob(&condition.values[0]))),
                    (Mode::SimilarTo, _, Backend::Postgres) => format!("{column} SIMILAR TO {}", placeholder(&condition.values[0])),
                    (Mode::Posix, true, Backend::Postgres) => format!("{column} ~ {}", placeholder(&condition.values[0])),
                    (Mode::Posix, false, Backend::Postgres) => format!("{column} ~* {}", placeholder(&condition.values[0])),
                    (Mode::SimilarTo | Mode::Posix, _, Backend::Sqlite) => {
                        return Err(SearchError("the `similar_to` and `posix` modes need PostgreSQL; on SQLite use `like` or `exact`".to_owned()))
                    }
                };
                alternatives.push(matched);
            }
            let mut clause = format!("({})", alternatives.join(" OR "));
            if narrow && backend == Backend::Sqlite && condition.mode == Mode::Like && trigram_indexable(&condition.values[0]) {
                // FTS5's LIKE ignores ASCII case as SQLite's does: every row the comparison
                // finds is among them (a case-sensitive GLOB then keeps fewer).
                let candidates = candidates_sql(condition, &mut placeholder);
                clause = format!("(id IN (SELECT user_id FROM user_search_rows WHERE search_row IN ({candidates})) AND {clause})");
            }
            clauses.push(clause);
        }
        let mut sql = if clauses.is_empty() { "TRUE".to_owned() } else { clauses.join(if self.all { " AND " } else { " OR " }) };
        if let Some(role) = &self.exclude_role_id {
            sql = format!("({sql}) AND id NOT IN (SELECT user_id FROM users_roles WHERE role_id = {})", placeholder(role));
        }
        Ok((sql, binds))
    }

    /// Whether nothing narrows the list (every user matches).
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty() && self.exclude_role_id.is_none()
    }

    /// On SQLite, when the search is one case-insensitive LIKE pattern with a trigram in it
    /// (the Console's `search=%kw%`), the users it finds as SQL with `$n` from 1: driven by the
    /// FTS5 candidates in the index's order, each tested as the search tests it, so counting
    /// them stops where asked (reading ten thousand candidates to show twenty would not).
    pub fn sole_pattern_matches(&self, backend: Backend) -> Option<(String, Vec<String>)> {
        let [condition] = &self.conditions[..] else { return None };
        let indexed = backend == Backend::Sqlite && condition.mode == Mode::Like && trigram_indexable(&condition.values[0]);
        if !indexed || self.case_sensitive || self.exclude_role_id.is_some() {
            return None;
        }
        let mut binds = Vec::new();
        let candidates = candidates_sql(condition, &mut |value: &str| {
            binds.push(value.to_owned());
            format!("${}", binds.len())
        });
        // `%kw%` with an ASCII keyword: the candidates are the matches (the index folds case
        // as LIKE does for ASCII; beyond it, a rare `K` (Kelvin) or `ſ` in a field would be a
        // candidate LIKE refuses, which can only make a count above the limit one too high).
        let pattern = &condition.values[0];
        let keyword = pattern.strip_prefix('%').and_then(|p| p.strip_suffix('%')).filter(|k| !k.contains(['%', '_']) && k.is_ascii());
        if keyword.is_some() {
            return Some((candidates, binds));
        }
        let (filter, tested) = self.to_sql(backend, binds.len() + 1, false).ok()?;
        binds.extend(tested);
        let sql = format!(
            "SELECT users.id FROM ({candidates}) AS candidates \
             JOIN user_search_rows ON user_search_rows.search_row = candidates.rowid \
             JOIN users ON users.id = user_search_rows.user_id WHERE {filter}"
        );
        Some((sql, binds))
    }
}

/// The FTS5 rows whose fields of `condition` may match its LIKE pattern: those holding its
/// longest literal, by one `MATCH` over the fields' columns (a LIKE per column would read
/// every trigram of the pattern once per field). The pattern itself then decides.
fn candidates_sql(condition: &Condition, placeholder: &mut impl FnMut(&str) -> String) -> String {
    let columns: Vec<&str> = condition.fields.iter().map(|field| field.search_column()).collect();
    let literal = longest_literal(&condition.values[0]);
    // A phrase in double quotes takes any text, its own quotes doubled; the trigram tokenizer
    // folds case, so it finds every row a case-insensitive LIKE does.
    let query = format!("{{{}}} : \"{}\"", columns.join(" "), literal.replace('"', "\"\""));
    format!("SELECT rowid FROM user_search WHERE user_search MATCH {}", placeholder(&query))
}

/// The longest run of a LIKE pattern without wildcards: the part of it an index finds fewest
/// rows for, as a rule — trigrams most values share (`use`, `ser` in `%user_42%`) have the
/// longest lists, and a longer literal is less likely to be one of them.
fn longest_literal(pattern: &str) -> &str {
    pattern.split(['%', '_']).fold("", |longest, literal| if literal.chars().count() >= longest.chars().count() { literal } else { longest })
}

/// On PostgreSQL, what the trigram index should be asked for a pattern that starts with a
/// wildcard and has several literals (`%scale_user_500000%` → `%500000%`): pg_trgm reads the
/// list of every trigram it is given. `None` when the pattern is its own best key, has no
/// trigram, or escapes (`\_` is not a wildcard there). A pattern anchored at its start keeps
/// its prefix, for the B-tree pattern index.
fn postgres_index_key(pattern: &str) -> Option<String> {
    if !pattern.starts_with(['%', '_']) || pattern.contains('\\') || !trigram_indexable(pattern) {
        return None;
    }
    let key = format!("%{}%", longest_literal(pattern));
    (key != pattern).then_some(key)
}

/// A trigram index can answer a LIKE pattern with three characters in a row that are not
/// wildcards; for anything shorter it would read every entry, no better than the table.
fn trigram_indexable(pattern: &str) -> bool {
    pattern.split(['%', '_']).any(|literal| literal.chars().count() >= 3)
}

/// A LIKE pattern as a GLOB pattern: `%` → `*`, `_` → `?`, GLOB's own wildcards literal.
fn like_to_glob(pattern: &str) -> String {
    let mut glob = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '%' => glob.push('*'),
            '_' => glob.push('?'),
            '*' => glob.push_str("[*]"),
            '?' => glob.push_str("[?]"),
            '[' => glob.push_str("[[]"),
            other => glob.push(other),
        }
    }
    glob
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let message = |list: &[(&str, &str)]| UserSearch::parse(&pairs(list)).unwrap_err().0;
        assert!(message(&[("search.primaryEmail", "a@b.c"), ("search.primaryEmail", "d@e.f")]).contains("`exact`"));
        assert!(message(&[("search.primaryEmail", ""), ("search", "tom")]).contains("cannot be empty"));
        assert!(message(&[("search.primaryEmail", "%gmail%"), ("mode.primaryEmail", "similar_to")]).contains("case-insensitive"));
        assert!(message(&[("search.primaryEmail", "%gmail%"), ("mode.primaryEmail", "similar to")]).contains("is not valid"));
        assert!(message(&[("search.email", "%gmail%")]).contains("is not valid"));
        assert!(message(&[("search.primaryEmail", "%gmail%"), ("joint", "and1")]).contains("is not valid"));
    }

    #[test]
    fn indexes_are_asked_for_the_longest_literal() {
        assert_eq!(longest_literal("%scale_user_500000%"), "500000");
        assert_eq!(longest_literal("user12%"), "user12");
        assert_eq!(postgres_index_key("%scale_user_500000%").as_deref(), Some("%500000%"));
        assert_eq!(postgres_index_key("_hopper"), Some("%hopper%".to_owned()));
        assert_eq!(postgres_index_key("%hopp%"), None, "already its own key");
        assert_eq!(postgres_index_key("user_12%"), None, "anchored: the B-tree takes its prefix");
        assert_eq!(postgres_index_key("%a\\_b_cde%"), None, "an escaped wildcard is a literal");
        assert_eq!(postgres_index_key("%ab_cd%"), None, "no trigram");
        let condition = Condition { fields: vec![Field::Username, Field::Name], mode: Mode::Like, values: vec!["%say_\"hi\"%".into()] };
        let mut binds = Vec::new();
        let sql = candidates_sql(&condition, &mut |value: &str| {
            binds.push(value.to_owned());
            "$1".to_owned()
        });
        assert_eq!(sql, "SELECT rowid FROM user_search WHERE user_search MATCH $1");
        assert_eq!(binds, vec![r#"{username name} : """hi""""#.to_owned()]);
    }

    #[test]
    fn like_patterns_become_globs_for_case_sensitive_sqlite() {
        assert_eq!(like_to_glob("search_tom%"), "search?tom*");
        assert_eq!(like_to_glob("a*b?[c"), "a[*]b[?][[]c");
    }
}
