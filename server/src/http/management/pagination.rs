//! `page` / `page_size` query parameters and the `Total-Number` and `Link` headers (spec §0).

use axum::http::{HeaderMap, HeaderValue, Uri};

use super::super::error::ApiError;

pub const DEFAULT_PAGE_SIZE: i64 = 20;
pub const MAX_PAGE_SIZE: i64 = 100;
/// Far beyond any real list; keeps `(page - 1) * page_size` well inside `i64`.
pub const MAX_PAGE: i64 = 1_000_000;

/// How the OpenAPI document declares `page` and `page_size`, with the bounds `Page` enforces.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Read by utoipa's derive only; `Page::from_query` parses.
pub struct PageParams {
    /// The page, from 1.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    page_size: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub page: i64,
    pub page_size: i64,
    /// Other query parameters, as given.
    pub rest: Vec<(String, String)>,
}

impl Page {
    pub fn from_query(query: Option<&str>) -> Result<Self, ApiError> {
        let mut page = Page { page: 1, page_size: DEFAULT_PAGE_SIZE, rest: vec![] };
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned() {
            let number = || value.parse::<i64>().map_err(|_| ApiError::invalid_input(format!("{key} must be a positive integer")));
            match key.as_str() {
                "page" => page.page = number()?,
                "page_size" => page.page_size = number()?,
                _ => page.rest.push((key, value)),
            }
        }
        if !(1..=MAX_PAGE).contains(&page.page) || !(1..=MAX_PAGE_SIZE).contains(&page.page_size) {
            return Err(ApiError::invalid_input(format!("page must be 1 to {MAX_PAGE} and page_size 1 to {MAX_PAGE_SIZE}")));
        }
        Ok(page)
    }

    pub fn param(&self, key: &str) -> Option<&str> {
        self.rest.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// `Total-Number` and RFC 8288 `Link` headers (first, prev, next, last).
    pub fn headers(&self, uri: &Uri, total: i64) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("total-number", HeaderValue::from(total));
        let last = ((total + self.page_size - 1) / self.page_size).max(1);
        let link = |page: i64, rel: &str| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.extend_pairs(&self.rest).append_pair("page", &page.to_string()).append_pair("page_size", &self.page_size.to_string());
            format!("<{}?{}>; rel=\"{rel}\"", uri.path(), query.finish())
        };
        let mut links = vec![link(1, "first")];
        if self.page > 1 {
            links.push(link(self.page - 1, "prev"));
        }
        if self.page < last {
            links.push(link(self.page + 1, "next"));
        }
        links.push(link(last, "last"));
        if let Ok(value) = HeaderValue::from_str(&links.join(", ")) {
            headers.insert("link", value);
        }
        headers
    }
}

impl Page {
    /// The `cursor` parameter of keyset pagination: `Some("")` asks for the first page.
    pub fn cursor(&self) -> Option<&str> {
        self.param("cursor")
    }

    /// `Total-Number` and a `Link` to the next page by cursor (none after the last page).
    pub fn keyset_headers(&self, uri: &Uri, total: i64, next_cursor: Option<String>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("total-number", HeaderValue::from(total));
        if let Some(cursor) = next_cursor {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.extend_pairs(self.rest.iter().filter(|(key, _)| key != "cursor"));
            query.append_pair("cursor", &cursor).append_pair("page_size", &self.page_size.to_string());
            if let Ok(value) = HeaderValue::from_str(&format!("<{}?{}>; rel=\"next\"", uri.path(), query.finish())) {
                headers.insert("link", value);
            }
        }
        headers
    }
}

/// A paginated answer for a list read whole (short administrative lists): the requested page
/// and the `Total-Number` and `Link` headers.
pub fn paged<T: serde::Serialize>(query: Option<&str>, uri: &Uri, items: Vec<T>) -> Result<(HeaderMap, axum::Json<Vec<T>>), ApiError> {
    let page = Page::from_query(query)?;
    let total = items.len() as i64;
    let start = ((page.page - 1) * page.page_size).min(total) as usize;
    let items: Vec<T> = items.into_iter().skip(start).take(page.page_size as usize).collect();
    Ok((page.headers(uri, total), axum::Json(items)))
}
