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
    let config = preflight_server::Config {
        addr: "127.0.0.1:0".parse().expect("an address"),
        database: preflight_server::database_in(data.path()),
        seed_demo: true,
        seed_synthetic: false,
        snapshot_every: 0,
        static_dir: data.path().join("no-web-app"),
        support_password: None,
        secure_cookies: false,
    };
    let (state, startup) = preflight_server::open_state(&config)
        .await
        .expect("the state opens");
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
