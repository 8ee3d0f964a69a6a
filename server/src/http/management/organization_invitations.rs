//! `/api/organization-invitations` (spec §13): invite an email address into an organization
//! with roles, optionally emailing it; thin over `identity::organizations::invitations`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use identity::organizations::invitations::{self, Filter, Invitation, InvitationError, InvitationMessage, NewInvitation, Status};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schemas;
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_organization_invitations, create_organization_invitation))
        .routes(routes!(get_organization_invitation, delete_organization_invitation))
        .routes(routes!(resend_organization_invitation))
        .routes(routes!(set_organization_invitation_status))
}

fn refused(err: InvitationError) -> ApiError {
    let unprocessable = err.is_unprocessable();
    let api = ApiError::from_code(&err);
    if unprocessable { api.with_status(StatusCode::UNPROCESSABLE_ENTITY) } else { api }
}

/// Logto's message payload: Vestibule's invitation email uses its `link` (required) and
/// `locale` (English when absent); other fields are accepted and unused.
fn message(payload: &Map<String, Value>) -> Result<InvitationMessage, ApiError> {
    let link = payload.get("link").and_then(Value::as_str).filter(|l| !l.trim().is_empty()).ok_or_else(|| ApiError::invalid_input("messagePayload.link is required"))?;
    let locale = payload.get("locale").and_then(Value::as_str).unwrap_or("en");
    Ok(InvitationMessage { link: link.to_owned(), locale: locale.to_owned() })
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListQuery {
    organization_id: Option<String>,
    inviter_id: Option<String>,
    /// Matched ignoring case.
    invitee: Option<String>,
}

/// Not paginated, as in Logto.
#[utoipa::path(get, path = "/api/organization-invitations", tag = "Organization invitations", params(ListQuery),
    responses((status = 200, description = "Invitations, oldest first", body = [schemas::OrganizationInvitation])))]
async fn list_organization_invitations(State(state): State<AppState>, Query(query): Query<ListQuery>) -> Result<Json<Vec<Invitation>>, ApiError> {
    let filter = Filter { organization_id: query.organization_id, inviter_id: query.inviter_id, invitee: query.invitee };
    Ok(Json(invitations::list(&state.store, state.provider.clock.as_ref(), &filter).await.map_err(refused)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewInvitationBody {
    inviter_id: Option<String>,
    /// An email address.
    invitee: String,
    organization_id: String,
    /// Epoch milliseconds, in the future.
    expires_at: i64,
    #[serde(default)]
    organization_role_ids: Vec<String>,
    /// `false` (no email), or `{link, locale?}`: the `OrganizationInvitation` email.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    message_payload: Value,
}

#[utoipa::path(post, path = "/api/organization-invitations", tag = "Organization invitations", request_body = NewInvitationBody,
    responses((status = 201, description = "The invitation, pending", body = schemas::OrganizationInvitation),
        (status = 422, description = "Already a member, already invited, or an unknown organization, inviter or role", body = schemas::ErrorBody),
        (status = 501, description = "No email connector", body = schemas::ErrorBody), (status = 429, description = "Too many messages to this address", body = schemas::ErrorBody)))]
async fn create_organization_invitation(State(state): State<AppState>, JsonBody(body): JsonBody<NewInvitationBody>) -> Result<(StatusCode, Json<Invitation>), ApiError> {
    let message = match &body.message_payload {
        Value::Null | Value::Bool(false) => None,
        Value::Object(payload) => Some(message(payload)?),
        _ => return Err(ApiError::invalid_input("messagePayload is false or an object")),
    };
    let new = NewInvitation {
        inviter_id: body.inviter_id.as_deref(),
        invitee: &body.invitee,
        organization_id: &body.organization_id,
        expires_at: body.expires_at,
        role_ids: &body.organization_role_ids,
    };
    let invitation = invitations::create(&state.store, state.provider.clock.as_ref(), new, message).await.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(invitation)))
}

/// A pending invitation past its time reads `Expired`.
#[utoipa::path(get, path = "/api/organization-invitations/{id}", tag = "Organization invitations", params(("id" = String, Path)),
    responses((status = 200, description = "The invitation", body = schemas::OrganizationInvitation), (status = 404, description = "No such invitation", body = schemas::ErrorBody)))]
async fn get_organization_invitation(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Invitation>, ApiError> {
    Ok(Json(invitations::get(&state.store, state.provider.clock.as_ref(), &id).await.map_err(refused)?))
}

#[utoipa::path(delete, path = "/api/organization-invitations/{id}", tag = "Organization invitations", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such invitation", body = schemas::ErrorBody)))]
async fn delete_organization_invitation(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    invitations::delete(&state.store, &id).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends the invitation email again, with this payload (`{link, locale?}`).
#[utoipa::path(post, path = "/api/organization-invitations/{id}/message", tag = "Organization invitations", params(("id" = String, Path)), request_body = Object,
    responses((status = 204, description = "Sent"), (status = 429, description = "Too many messages to this address", body = schemas::ErrorBody)))]
async fn resend_organization_invitation(State(state): State<AppState>, Path(id): Path<String>, JsonBody(payload): JsonBody<Map<String, Value>>) -> Result<StatusCode, ApiError> {
    invitations::send(&state.store, state.provider.clock.as_ref(), &id, &message(&payload)?).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewStatus {
    /// `Accepted` or `Revoked`.
    #[schema(value_type = String)]
    status: Status,
    /// Required to accept: the user whose primary email is the invitee; they join with the roles.
    accepted_user_id: Option<String>,
}

#[utoipa::path(put, path = "/api/organization-invitations/{id}/status", tag = "Organization invitations", params(("id" = String, Path)), request_body = NewStatus,
    responses((status = 200, description = "The invitation", body = schemas::OrganizationInvitation),
        (status = 422, description = "The invitation has ended, or the user is not the invitee", body = schemas::ErrorBody)))]
async fn set_organization_invitation_status(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<NewStatus>) -> Result<Json<Invitation>, ApiError> {
    if !matches!(body.status, Status::Accepted | Status::Revoked) {
        return Err(ApiError::invalid_input("status is Accepted or Revoked"));
    }
    let invitation = invitations::set_status(&state.store, state.provider.clock.as_ref(), &id, body.status, body.accepted_user_id.as_deref()).await.map_err(refused)?;
    Ok(Json(invitation))
}
