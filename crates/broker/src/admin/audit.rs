//! `GET /v1/admin/audit`: the log of vends and changes, oldest first, filtered by time
//! range, user, role and kind, a page of `limit` rows at a time, as JSON `{"items",
//! "next_page_token"}` or CSV (`format=csv`: a header row; the next token in the
//! `Next-Page-Token` header). Pages follow the log's ids, which the store makes visible in
//! order, so no row is lost or repeated at a boundary while vends are being written.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tempcreds_core::sts::Sts;
use tempcreds_store::{AuditQuery, AuditRow, Store, VEND_KINDS, kind};

use super::paging;
use crate::app::App;
use crate::auth::Admin;
use crate::error::ApiError;
use crate::window::{self, Form, Side};

#[derive(Debug, Deserialize)]
pub struct Filters {
    since: Option<String>,
    until: Option<String>,
    user: Option<String>,
    role: Option<String>,
    kind: Option<String>,
    page_token: Option<String>,
    limit: Option<String>,
    format: Option<String>,
}

/// The CSV columns, in order (the JSON items have the same names).
const COLUMNS: [&str; 11] = [
    "id",
    "at",
    "actor",
    "kind",
    "user",
    "role",
    "session_name",
    "access_key_id",
    "expires_at",
    "client_addr",
    "detail",
];

fn time(name: &str, text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.map(|t| {
        window::parse(t, Side::NotBefore, Form::Rfc3339)
            .map_err(|rule| ApiError::BadRequest(format!("?{name}=: {rule}")))
    })
    .transpose()
}

fn query(f: &Filters) -> Result<(AuditQuery, bool), ApiError> {
    let csv = match f.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "?format=: \"{other}\" is neither json nor csv"
            )));
        }
    };
    if let Some(k) = &f.kind
        && !VEND_KINDS.contains(&k.as_str())
        && !kind::ALL_CHANGES.contains(&k.as_str())
    {
        let all: Vec<&str> = VEND_KINDS
            .iter()
            .chain(kind::ALL_CHANGES)
            .copied()
            .collect();
        return Err(ApiError::BadRequest(format!(
            "?kind=: \"{k}\" is not a kind of row ({})",
            all.join(", ")
        )));
    }
    let q = AuditQuery {
        since: time("since", f.since.as_deref())?,
        until: time("until", f.until.as_deref())?,
        user: f.user.clone(),
        role: f.role.clone(),
        kind: f.kind.clone(),
        after: f.page_token.as_deref().map(paging::decode_id).transpose()?,
        limit: paging::limit(f.limit.as_deref())?,
    };
    Ok((q, csv))
}

/// A row's values as text, in `COLUMNS` order (empty for none).
fn cells(r: &AuditRow) -> [String; 11] {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        r.id.to_string(),
        window::show(r.at),
        r.actor.clone(),
        r.kind.clone(),
        r.user.clone(),
        opt(&r.role),
        opt(&r.session_name),
        opt(&r.access_key_id),
        r.expires_at.map(window::show).unwrap_or_default(),
        r.client_addr.clone(),
        opt(&r.detail),
    ]
}

fn item(r: &AuditRow) -> Value {
    let mut v = serde_json::Map::new();
    for (name, cell) in COLUMNS.iter().zip(cells(r)) {
        let value = match *name {
            "id" => json!(r.id),
            "detail" => r
                .detail
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or(Value::Null),
            _ if cell.is_empty() => Value::Null,
            _ => json!(cell),
        };
        v.insert((*name).to_owned(), value);
    }
    Value::Object(v)
}

fn csv_text(rows: &[AuditRow]) -> Result<String, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ApiError::Upstream(format!("cannot write CSV: {e}"));
    w.write_record(COLUMNS).map_err(fail)?;
    for r in rows {
        w.write_record(cells(r)).map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::Upstream(e.to_string()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub async fn export<S: Store, T: Sts + Send + Sync>(
    State(app): State<Arc<App<S, T>>>,
    _: Admin,
    Query(f): Query<Filters>,
) -> Result<Response, ApiError> {
    let (mut q, csv) = query(&f)?;
    let limit = q.limit as usize;
    // One row more than the page: whether a next page exists, without an empty last page.
    q.limit += 1;
    let mut rows = app.store.audit(&q).await?;
    let next = (rows.len() > limit).then(|| {
        rows.truncate(limit);
        rows.last().map(|r| paging::encode_id(r.id))
    });
    let next = next.flatten();
    if !csv {
        let items: Vec<Value> = rows.iter().map(item).collect();
        return Ok(Json(json!({ "items": items, "next_page_token": next })).into_response());
    }
    let mut resp = (
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        csv_text(&rows)?,
    )
        .into_response();
    if let Some(token) = next.and_then(|t| HeaderValue::from_str(&t).ok()) {
        resp.headers_mut().insert("next-page-token", token);
    }
    Ok(resp)
}
