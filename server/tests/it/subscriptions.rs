//! Platform Support's console over HTTP: finding environments with their plans,
//! add-ons, balances and flags, and changing them with commands core decides.

use preflight_core::generate::SUPPORT_EMAIL;
use serde_json::json;

use crate::api::Api;

#[test]
fn support_finds_environments_and_changes_their_plan_add_ons_and_credit() {
    let api = Api::start();
    let support = api.login(SUPPORT_EMAIL);
    let (status, all) = api.call("GET", "/api/environments", Some(&support), None);
    assert_eq!(status, 200, "{all}");
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(names.len() >= 3, "{names:?}");

    // Search is by part of the name, any case.
    let (_, found) = api.call(
        "GET",
        "/api/environments?search=gLoBeX",
        Some(&support),
        None,
    );
    let found = found.as_array().unwrap().clone();
    assert!(!found.is_empty());
    assert!(found.iter().all(|e| e["name"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("globex")));
    let globex = &found[0];
    let id = globex["id"].as_str().unwrap().to_string();
    let credit = globex["credit"].as_i64().unwrap();
    assert_eq!(globex["flagged"], json!(credit < 0));

    // Top up, and the balance shows it.
    let top_up = json!({ "command": { "type": "TopUpCredit", "environment": id, "amount": 40 } });
    let (status, answer) = api.call("POST", "/api/commands", Some(&support), Some(top_up));
    assert_eq!(status, 200, "{answer}");
    let (_, again) = api.call(
        "GET",
        "/api/environments?search=globex",
        Some(&support),
        None,
    );
    let again = again
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == json!(id))
        .unwrap()
        .clone();
    assert_eq!(again["credit"].as_i64().unwrap(), credit + 40);

    // None of the demo's environments is flagged.
    let (_, flagged) = api.call(
        "GET",
        "/api/environments?flagged=true",
        Some(&support),
        None,
    );
    assert_eq!(flagged, json!([]));

    // A user, even an Administrator, is refused the list, as core answers.
    let alice = api.login("alice@acme.example");
    let (status, refused) = api.call("GET", "/api/environments", Some(&alice), None);
    assert_eq!(
        (status, refused["code"].as_str()),
        (403, Some("not_permitted"))
    );
    let (status, _) = api.call("GET", "/api/environments", None, None);
    assert_eq!(status, 401);
    let (status, refused) = api.call("GET", "/api/environments?sort=name", Some(&support), None);
    assert_eq!(status, 400, "{refused}");
}

#[test]
fn json_answers_are_gzip_compressed_for_clients_that_ask_and_plain_for_others() {
    use std::io::Read;
    let api = Api::start();
    let ahmed = api.login("ahmed@northwind.example");
    let plain = crate::api::request(api.addr(), "GET", "/api/projection", Some(&ahmed), None);
    assert_eq!(plain.0, 200);
    // The same answer with `Accept-Encoding: gzip`, over a raw socket.
    let mut stream = std::net::TcpStream::connect(api.addr()).unwrap();
    let head = format!(
        "GET /api/projection HTTP/1.0\r\nHost: {}\r\nCookie: preflight_session={ahmed}\r\nAccept-Encoding: gzip\r\n\r\n",
        api.addr()
    );
    std::io::Write::write_all(&mut stream, head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let headers = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    assert!(headers.contains("content-encoding: gzip"), "{headers}");
    let body = &raw[split + 4..];
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut unpacked)
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&unpacked).unwrap();
    assert_eq!(value, plain.2);
    assert!(
        body.len() * 3 < unpacked.len(),
        "{} of {}",
        body.len(),
        unpacked.len()
    );
}
