//! The API contract, generated from the handlers and their types: served at
//! `GET /openapi.json` and committed as `openapi.json` (a test fails when the two differ).

use utoipa::openapi::Required;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{
    client_keys, deliveries, event_types, events, filters, partners, portal, settings,
    verification_keys, webhooks,
};

/// Every error answer: `{"error": {...}}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorOut {
    error: ErrorDetail,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// Stable and machine-readable: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `conflict`, `webhook_limit_reached`, `payload_too_large`,
    /// `validation_failed`, `rate_limited`, `internal_error`, ...
    code: String,
    /// For people: what is wrong and, where it helps, what to do.
    message: String,
    /// The request field at fault (validation errors: the first, when there are several), or
    /// the query parameter that did not parse (400).
    field: Option<String>,
    /// Validation errors: every field at fault, each with its own message.
    errors: Option<Vec<FieldErrorOut>>,
    /// The scope the key lacks (403).
    required_scope: Option<String>,
    /// The largest accepted body (413).
    limit_bytes: Option<u64>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FieldErrorOut {
    field: String,
    /// `invalid`.
    code: String,
    message: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hookline",
        description = "Webhooks as a service: subscribe endpoints to event types, publish events, \
            and read and replay the delivery log. Authenticate with `Authorization: Bearer <key>` \
            (or `X-API-Key`). Every error is JSON: `{\"error\": {\"code\", \"message\", ...}}`."
    ),
    paths(
        webhooks::create, webhooks::list, webhooks::read, webhooks::patch, webhooks::put,
        webhooks::delete, webhooks::rotate_secret, webhooks::send_test, webhooks::stats,
        filters::check,
        deliveries::list, deliveries::read, deliveries::retry, deliveries::recover,
        event_types::list, event_types::read, event_types::create, event_types::patch,
        event_types::delete,
        events::create, events::create_batch, events::read, client_keys::list,
        client_keys::create, client_keys::remove, portal::create, portal::current, verification_keys::list, verification_keys::public_list,
        verification_keys::rotate, partners::list, partners::read, partners::add_tenant,
        partners::remove_tenant, settings::read, settings::update, super::health,
    ),
    components(schemas(ErrorOut, ErrorDetail, FieldErrorOut)),
    modifiers(&Conventions),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

/// What every operation shares: the key scheme, and the error answers any of them can give.
struct Conventions;

const ERRORS: &[(&str, &str)] = &[
    (
        "400",
        "Malformed request: bad JSON, query string or cursor, or an unknown parameter",
    ),
    ("401", "No valid API key or token"),
    ("403", "The key lacks the scope this operation needs"),
    (
        "404",
        "Not found, another tenant's, or an id that cannot exist",
    ),
    (
        "409",
        "Conflict: a concurrent change, or the tenant's webhook limit",
    ),
    ("413", "The body is larger than the limit"),
    (
        "429",
        "Too many requests from this key or token this minute: `Retry-After` says when to retry",
    ),
    ("422", "A field is invalid (`field` names it)"),
    ("500", "Internal error; the request may be retried"),
    (
        "503",
        "The store or queue is out of room or throttled for now (`unavailable`): retry after `Retry-After`",
    ),
];

impl Modify for Conventions {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key (`hl_...`; also accepted bare in `Authorization` or as \
                         `X-API-Key`), or a JWT signed with the configured HS256 secret or a \
                         JWKS key (RS256, ES256, EdDSA), carrying `tenant_id`, `scope` and `exp`.",
                    ))
                    .build(),
            ),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            let names_tenant = TENANT_SCOPED.iter().any(|p| path.starts_with(p))
                && path != "/v1/portal-sessions/current";
            // Each operation: `tenant_id` where the route acts in a tenant, then
            // `Idempotency-Key` on every write, then the error answers.
            let ops = [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.patch, true),
                (&mut item.delete, true),
            ];
            for (op, write) in ops {
                let Some(op) = op else { continue };
                if names_tenant {
                    add_tenant_id(op);
                }
                if write {
                    add_idempotency_key(op);
                }
                add_errors(op);
            }
        }
    }
}

/// The routes whose credential acts in a tenant, which an operator's or a partner's key names
/// with `tenant_id` (`auth::Identity`'s reach): the catalogue and partners are the
/// deployment's, the public keys name their tenant in the path, and a portal session reading
/// itself (`/v1/portal-sessions/current`) is its tenant's.
const TENANT_SCOPED: &[&str] = &[
    "/v1/webhooks",
    "/v1/events",
    "/v1/settings",
    "/v1/verification-keys",
    "/v1/client-keys",
    "/v1/portal-sessions",
];

/// Every tenant-scoped route takes `tenant_id` in its query (read by the `Auth` extractor for
/// every route, so a handler's own query type need not declare it).
fn add_tenant_id(op: &mut Operation) {
    add_parameter(
        op,
        "tenant_id",
        ParameterIn::Query,
        "The tenant to act in: any tenant for an operator (`admin`) credential, one of its \
         tenants for a partner's (which a listing may leave out to span them all). A tenant's \
         own key or token acts in its tenant and leaves it out.",
        ObjectBuilder::new().schema_type(Type::String),
    );
}

/// Every write takes an `Idempotency-Key` (api::idempotency).
fn add_idempotency_key(op: &mut Operation) {
    add_parameter(
        op,
        "Idempotency-Key",
        ParameterIn::Header,
        "1 to 255 visible ASCII characters. A repeat of the same request within 24 hours gets \
         the first answer again (`Idempotent-Replayed: true`) without running; the same key \
         with another request is refused (422 `idempotency_key_mismatch`); a repeat while the \
         first runs gets 409 `idempotency_key_in_use`.",
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(255))
            .pattern(Some("^[!-~]+$")),
    );
}

/// Adds an optional parameter to `op`, unless it declares one of that name itself.
fn add_parameter(
    op: &mut Operation,
    name: &str,
    location: ParameterIn,
    description: &str,
    schema: ObjectBuilder,
) {
    let params = op.parameters.get_or_insert_with(Vec::new);
    if params.iter().any(|p| p.name == name) {
        return;
    }
    params.push(
        ParameterBuilder::new()
            .name(name)
            .parameter_in(location)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(schema))
            .build(),
    );
}

fn add_errors(op: &mut Operation) {
    for (status, description) in ERRORS {
        let response = ResponseBuilder::new()
            .description(*description)
            .content(
                "application/json",
                Content::new(Some(RefOr::Ref(Ref::from_schema_name("ErrorOut")))),
            )
            .build();
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert(RefOr::T(response));
    }
}

/// The contract as pretty JSON, as committed in `openapi.json`.
pub fn json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the contract serializes")
}
