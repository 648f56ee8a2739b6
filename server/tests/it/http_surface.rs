//! The HTTP surface: API errors, the web app and its client-route fallback.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use crate::support::{demo_world, RunningServer};

#[test]
fn unknown_api_route_is_a_json_404() {
    let data = tempfile::tempdir().expect("temp dir");
    let server = RunningServer::start(data.path(), &data.path().join("no-web-app"), &[]);

    let response = server.get("/api/x");

    assert_eq!(response.status, 404);
    assert!(
        response
            .header("content-type")
            .is_some_and(|value| value.starts_with("application/json")),
        "headers: {:?}",
        response.headers
    );
    assert_eq!(response.json()["code"], "not_found");
    assert!(
        response.header("x-request-id").is_some(),
        "every response carries its request id"
    );
}

#[test]
fn client_routes_are_answered_with_the_web_app() {
    let data = tempfile::tempdir().expect("temp dir");
    let web_app = data.path().join("dist");
    std::fs::create_dir_all(&web_app).expect("dist dir");
    std::fs::write(
        web_app.join("index.html"),
        "<!DOCTYPE html><title>app</title>",
    )
    .expect("index.html");
    std::fs::write(web_app.join("style.css"), "body {}").expect("style.css");
    let server = RunningServer::start(data.path(), &web_app, &[]);

    let root = server.get("/");
    let client_route = server.get("/organisations/42");
    let asset = server.get("/style.css");
    let unknown_api = server.get("/api/organisations/42");

    assert_eq!(root.status, 200);
    assert!(root.body.contains("<title>app</title>"));
    assert_eq!(client_route.status, 200);
    assert!(client_route.body.contains("<title>app</title>"));
    assert_eq!(asset.body, "body {}");
    assert_eq!(unknown_api.status, 404);
    assert_eq!(unknown_api.json()["code"], "not_found");
}

#[test]
fn a_browser_that_accepts_gzip_gets_the_precompressed_copy_of_an_asset() {
    let data = tempfile::tempdir().expect("temp dir");
    let web_app = data.path().join("dist");
    std::fs::create_dir_all(&web_app).expect("dist dir");
    std::fs::write(web_app.join("index.html"), "<title>app</title>").expect("index.html");
    std::fs::write(web_app.join("app-1a2b.wasm"), "the module").expect("wasm");
    // The server sends the copy `cargo xtask precompress` made, byte for byte: it
    // does not compress or read it, so plain text stands in for gzip here.
    std::fs::write(web_app.join("app-1a2b.wasm.gz"), "its gzip copy").expect("copy");
    let server = RunningServer::start(data.path(), &web_app, &[]);

    let gzip = server.get_with("/app-1a2b.wasm", &["Accept-Encoding: gzip, deflate, br"]);
    let plain = server.get("/app-1a2b.wasm");

    assert_eq!(gzip.status, 200);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(gzip.header("content-type"), Some("application/wasm"));
    assert_eq!(gzip.body, "its gzip copy");
    assert_eq!(gzip.header("vary"), Some("accept-encoding"));
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.header("vary"), Some("accept-encoding"));
    assert_eq!(plain.body, "the module");
}

#[test]
fn missing_web_app_says_how_to_build_it() {
    let data = tempfile::tempdir().expect("temp dir");
    let server = RunningServer::start(data.path(), &data.path().join("no-web-app"), &[]);

    let response = server.get("/");

    assert_eq!(response.status, 503);
    assert!(
        response.body.contains("cargo xtask run"),
        "{}",
        response.body
    );
}

#[tokio::test]
async fn app_answers_health_without_a_socket() {
    let data = tempfile::tempdir().expect("temp dir");
    let (state, startup) = crate::support::open_library(data.path()).await;
    assert!(startup.seeded_demo);

    let response = preflight_server::app(state)
        .oneshot(
            Request::get("/api/health")
                .body(Body::empty())
                .expect("a request"),
        )
        .await
        .expect("the router answers");

    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("the body is read");
    let body: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(body["version"], demo_world().version());
}

#[test]
fn the_openapi_document_describes_every_route_from_the_code() {
    let data = tempfile::tempdir().expect("temp dir");
    let server = RunningServer::start(data.path(), &data.path().join("no-web-app"), &[]);

    let response = server.get("/api/openapi.json");
    assert_eq!(response.status, 200, "{}", response.body);
    let document = response.json();
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{document}"
    );
    assert_eq!(document["servers"][0]["url"], "/api");
    // Every route the server answers, with its methods. The routes and their
    // descriptions are registered together (`utoipa_axum::routes!`), so a route
    // without a description cannot exist; this list catches one going missing.
    let expected = [
        ("/session", &["get", "post", "delete"][..]),
        ("/signup", &["post"]),
        ("/invitations/accept", &["post"]),
        ("/me", &["get"]),
        ("/projection", &["get"]),
        ("/commands", &["post"]),
        ("/preview", &["post"]),
        ("/check", &["get"]),
        ("/who-can", &["get"]),
        ("/what-can", &["get"]),
        ("/audit", &["get"]),
        ("/split/compare", &["post"]),
        ("/events", &["get"]),
        ("/health", &["get"]),
        ("/organisations/{organisation}/documents", &["post"]),
        ("/documents/{document}/content", &["get"]),
        ("/software/documents", &["get", "post"]),
        ("/software/documents/{document}", &["get"]),
        ("/organisations/{organisation}/export", &["post"]),
        ("/organisations/{organisation}/import", &["post"]),
        ("/removals", &["get"]),
        ("/environments", &["get"]),
    ];
    let paths = document["paths"].as_object().expect("paths");
    assert_eq!(
        paths.len(),
        expected.len(),
        "{:?}",
        paths.keys().collect::<Vec<_>>()
    );
    for (path, methods) in expected {
        for method in methods {
            let operation = &paths[path][*method];
            assert!(operation.is_object(), "{method} {path} is not described");
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
        }
    }
    // Every error answers with the same body, and every command kind is typed.
    let schemas = &document["components"]["schemas"];
    assert!(
        schemas["ErrorBody"]["properties"]["code"].is_object(),
        "{schemas}"
    );
    let kinds = schemas["Command"]["oneOf"]
        .as_array()
        .expect("Command is a oneOf");
    let sample = [
        "ShareDocument",
        "EndPartnership",
        "DisableUser",
        "ApplyAccessPlan",
        "SignUp",
    ];
    for kind in sample {
        assert!(
            kinds
                .iter()
                .any(|k| k.to_string().contains(&format!("\"{kind}\""))),
            "Command lacks {kind}"
        );
    }
    assert!(kinds.len() >= 46, "{} command kinds", kinds.len());
    // And the document is served as it is built, by the router itself.
    assert_eq!(response.header("content-type"), Some("application/json"));
}

/// Every `$ref` in the document names a schema it defines, and public
/// endpoints need no session.
#[test]
fn the_openapi_document_references_only_what_it_defines_and_marks_public_endpoints() {
    let data = tempfile::tempdir().expect("temp dir");
    let server = RunningServer::start(data.path(), &data.path().join("no-web-app"), &[]);
    let document = server.get("/api/openapi.json").json();
    let text = document.to_string();
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().expect("a name");
        assert!(
            schemas.contains_key(name),
            "`{name}` is referenced, not defined"
        );
    }
    for (path, method) in [
        ("/session", "post"),
        ("/signup", "post"),
        ("/invitations/accept", "post"),
        ("/health", "get"),
    ] {
        assert_eq!(
            document["paths"][path][method]["security"],
            serde_json::json!([{}]),
            "{method} {path} is public"
        );
    }
}

fn assert_error_shape(reply: &crate::client::Reply, status: u16, code: &str) {
    assert_eq!(
        reply.status,
        status,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(
        reply
            .header("content-type")
            .is_some_and(|v| v.starts_with("application/json")),
        "{:?}",
        reply.headers
    );
    let body = reply.json();
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[test]
fn the_frameworks_own_errors_answer_code_and_message_with_their_documented_status() {
    use crate::client::{json, send};
    use preflight_core::generate::DEMO_PASSWORD;
    let data = tempfile::tempdir().expect("temp dir");
    let server = RunningServer::start(data.path(), &data.path().join("no-web-app"), &[]);
    let addr = server.addr.clone();
    let signed_in = json(
        &addr,
        None,
        "POST",
        "/api/session",
        None,
        &serde_json::json!({ "email": "alice@acme.example", "password": DEMO_PASSWORD }),
    )
    .expect("sign-in");
    let session = signed_in.cookie("preflight_session").expect("session");
    let cookie = format!("preflight_session={session}");
    let world = demo_world();
    let org = crate::support::org_named(&world, "Acme Accountants BV");
    // A query string that does not parse.
    let reply = send(
        &addr,
        None,
        "POST",
        &format!("/api/organisations/{org}/documents?box=Inbox&name=a.xml"),
        &[("Cookie", &cookie)],
        b"<x/>",
    )
    .expect("answered");
    assert_error_shape(&reply, 400, "bad_request");
    let reply = send(
        &addr,
        None,
        "GET",
        "/api/check?action=Bogus&resource=document:x",
        &[("Cookie", &cookie)],
        b"",
    )
    .expect("answered");
    assert_error_shape(&reply, 400, "bad_request");
    // A path that does not parse.
    let reply = send(
        &addr,
        None,
        "GET",
        "/api/documents/not-a-uuid/content",
        &[("Cookie", &cookie)],
        b"",
    )
    .expect("answered");
    assert_error_shape(&reply, 400, "bad_request");
    // An upload over the limit.
    let big = vec![b'x'; preflight_core::peppol::MAX_DOCUMENT_BYTES + 128 * 1024];
    let reply = send(
        &addr,
        None,
        "POST",
        &format!("/api/organisations/{org}/documents?box=Documents&name=big.bin"),
        &[("Cookie", &cookie)],
        &big,
    )
    .expect("answered");
    assert_error_shape(&reply, 413, "too_large");
    // A method a route does not have.
    let reply = send(&addr, None, "PUT", "/api/health", &[], b"").expect("answered");
    assert_error_shape(&reply, 405, "method_not_allowed");
    // A used invitation is a conflict, as documented.
    let invited = json(
        &addr,
        None,
        "POST",
        "/api/commands",
        Some(&session),
        &serde_json::json!({ "command": { "type": "InviteUser", "email": "newcomer@acme.example", "name": "Newcomer", "role": "User" } }),
    )
    .expect("invited");
    assert_eq!(invited.status, 200, "{}", invited.json());
    let secret = invited.json()["secret"]
        .as_str()
        .expect("a secret")
        .to_string();
    let accept = serde_json::json!({ "secret": secret, "password": "a long enough password" });
    let first = json(
        &addr,
        None,
        "POST",
        "/api/invitations/accept",
        None,
        &accept,
    )
    .expect("accepted");
    assert_eq!(first.status, 200, "{}", first.json());
    let again = json(
        &addr,
        None,
        "POST",
        "/api/invitations/accept",
        None,
        &accept,
    )
    .expect("answered");
    assert_error_shape(&again, 409, "conflict");
}

#[test]
fn a_bad_connection_key_is_told_what_is_wrong_with_it() {
    use crate::client::send;
    let data = tempfile::tempdir().expect("temp dir");
    let server = RunningServer::start(data.path(), &data.path().join("no-web-app"), &[]);
    let addr = server.addr.clone();
    let missing = send(&addr, None, "GET", "/api/software/documents", &[], b"").expect("answered");
    assert_error_shape(&missing, 401, "invalid_connection_key");
    assert!(missing.json()["message"]
        .as_str()
        .unwrap()
        .contains("Bearer"));
    let unknown = send(
        &addr,
        None,
        "GET",
        "/api/software/documents",
        &[("Authorization", &format!("Bearer {}", "ab".repeat(32)))],
        b"",
    )
    .expect("answered");
    assert_error_shape(&unknown, 401, "invalid_connection_key");
    let message = unknown.json()["message"].as_str().unwrap().to_string();
    assert!(message.contains("not known"), "{message}");
    assert!(!message.contains("session"), "{message}");
    let wrong_scheme = send(
        &addr,
        None,
        "GET",
        "/api/software/documents",
        &[("Authorization", "Basic dXNlcjpwYXNz")],
        b"",
    )
    .expect("answered");
    assert_error_shape(&wrong_scheme, 401, "invalid_connection_key");
}
