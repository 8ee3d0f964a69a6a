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
                    (Mode::Like, false, _) => format!("lower({column}) LIKE lower({})", placeholder(&condition.values[0])),
                    (Mode::Like, true, Backend::Postgres) => {
                        let pattern = &condition.values[0];
                        format!("(lower({column}) LIKE lower({}) AND {column} LIKE {})", placeholder(pattern), placeholder(pattern))
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
    /// (the Console's `search=%kw%`), the rows of the FTS5 table that match it, as SQL with
    /// `$n` from 1: exactly the users the search finds, so counting them stops where asked.
    pub fn sole_pattern_matches(&self, backend: Backend) -> Option<(String, Vec<String>)> {
        let [condition] = &self.conditions[..] else { return None };
        let indexed = backend == Backend::Sqlite && condition.mode == Mode::Like && trigram_indexable(&condition.values[0]);
        if !indexed || self.case_sensitive || self.exclude_role_id.is_some() {
            return None;
        }
        let mut binds = Vec::new();
        let sql = candidates_sql(condition, &mut |value: &str| {
            binds.push(value.to_owned());
            format!("${}", binds.len())
        });
        Some((sql, binds))
    }
}

/// The FTS5 rows whose fields of `condition` match its LIKE pattern.
fn candidates_sql(condition: &Condition, placeholder: &mut impl FnMut(&str) -> String) -> String {
    let selects: Vec<String> = condition
        .fields
        .iter()
        .map(|field| format!("SELECT rowid FROM user_search WHERE {} LIKE {}", field.search_column(), placeholder(&condition.values[0])))
        .collect();
    selects.join(" UNION ")
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
    fn like_patterns_become_globs_for_case_sensitive_sqlite() {
        assert_eq!(like_to_glob("search_tom%"), "search?tom*");
        assert_eq!(like_to_glob("a*b?[c"), "a[*]b[?][[]c");
    }
}
