//! Document bytes: upload, download, and the connection-key software API.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use preflight_core::generate::DEMO_PASSWORD;
use serde_json::{json, Value};

use crate::support::{demo_world, RunningServer};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../core/tests/fixtures/peppol/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("a fixture")
}

/// One HTTP/1.0 exchange; returns status, the Set-Cookie value and the body bytes.
pub(crate) fn exchange(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut head = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("head");
    stream.write_all(body).expect("body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(raw.len(), |p| p + 4);
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let cookie = head
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie:"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().split(';').next().unwrap_or("").to_string())
        .unwrap_or_default();
    (status, cookie, raw[split..].to_vec())
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

#[test]
fn invoices_upload_download_and_flow_through_connection_keys() {
    let data = tempfile::tempdir().expect("a temp dir");
    let server = RunningServer::start(data.path(), &data.path().join("no-web-app"), &[]);
    let addr = server.addr.clone();
    let world = demo_world();
    let login =
        json!({ "email": "ahmed@northwind.example", "password": DEMO_PASSWORD }).to_string();
    let (status, cookie, _) = exchange(
        &addr,
        "POST",
        "/api/session",
        &[("Content-Type", "application/json".into())],
        login.as_bytes(),
    );
    assert_eq!(status, 200);
    let session = [("Cookie", cookie.clone())];
    let ahmed = world
        .user_by_email("ahmed@northwind.example")
        .expect("ahmed")
        .id;
    let organisation = world.organisations_of_user(ahmed)[0];

    // The browser uploads a real Peppol invoice into Inbox OUT.
    let invoice = fixture("base-example.xml");
    let path = format!(
        "/api/organisations/{}/documents?box=InboxOut&name=base-example.xml",
        organisation.0
    );
    let (status, _, body) = exchange(&addr, "POST", &path, &session, &invoice);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let uploaded = json_of(&body);
    assert_eq!(uploaded["findings"], json!([]));
    let document = uploaded["document"].as_str().expect("an id").to_string();
    let (status, _, bytes) = exchange(
        &addr,
        "GET",
        &format!("/api/documents/{document}/content"),
        &session,
        b"",
    );
    assert_eq!((status, bytes == invoice), (200, true));

    // Not an invoice: refused from an inbox with the reader's code.
    let (status, _, body) = exchange(&addr, "POST", &path, &session, b"<Invoice><broken");
    assert_eq!(
        (status, json_of(&body)["code"].as_str()),
        (422, Some("malformed_xml"))
    );

    // A connection key, shown once, works as a bearer token for that organisation.
    let retrieve =
        json!({ "command": { "type": "RetrieveConnectionKey", "organisation": organisation } })
            .to_string();
    let (status, _, body) = exchange(
        &addr,
        "POST",
        "/api/commands",
        &[
            session[0].clone(),
            ("Content-Type", "application/json".into()),
        ],
        retrieve.as_bytes(),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let answer = json_of(&body);
    let secret = answer["secret"]
        .as_str()
        .expect("the key's secret")
        .to_string();
    let key = answer["events"]
        .as_array()
        .and_then(|events| events.iter().find(|e| e["type"] == "ConnectionKeyIssued"))
        .map(|e| e["key"].clone())
        .expect("the key");
    let bearer = [("Authorization", format!("Bearer {secret}"))];
    let (status, _, body) = exchange(&addr, "GET", "/api/software/documents", &bearer, b"");
    assert_eq!(status, 200);
    assert!(json_of(&body)
        .as_array()
        .is_some_and(|d| d.iter().any(|d| d["id"] == document.as_str())));
    let (status, _, bytes) = exchange(
        &addr,
        "GET",
        &format!("/api/software/documents/{document}"),
        &bearer,
        b"",
    );
    assert_eq!((status, bytes == invoice), (200, true));
    let credit_note = fixture("base-creditnote-correction.xml");
    let (status, _, body) = exchange(
        &addr,
        "POST",
        "/api/software/documents?box=InboxIn&name=credit.xml",
        &bearer,
        &credit_note,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    // A forged key and a revoked key stop at the door.
    let forged = [("Authorization", format!("Bearer {}", "0".repeat(64)))];
    assert_eq!(
        exchange(&addr, "GET", "/api/software/documents", &forged, b"").0,
        401
    );
    let revoke = json!({ "command": { "type": "RevokeConnectionKey", "key": key } }).to_string();
    let (status, _, _) = exchange(
        &addr,
        "POST",
        "/api/commands",
        &[
            session[0].clone(),
            ("Content-Type", "application/json".into()),
        ],
        revoke.as_bytes(),
    );
    assert_eq!(status, 200);
    assert_eq!(
        exchange(&addr, "GET", "/api/software/documents", &bearer, b"").0,
        401
    );
}

#[test]
fn demo_documents_are_real_files_the_reader_reads() {
    let data = tempfile::tempdir().expect("a temp dir");
    let server = RunningServer::start(data.path(), &data.path().join("no-web-app"), &[]);
    let addr = server.addr.clone();
    let world = demo_world();
    let login = json!({ "email": "owner@bakerybv.example", "password": DEMO_PASSWORD }).to_string();
    let (status, cookie, _) = exchange(
        &addr,
        "POST",
        "/api/session",
        &[("Content-Type", "application/json".into())],
        login.as_bytes(),
    );
    assert_eq!(status, 200);
    let session = [("Cookie", cookie)];
    let owner = world
        .user_by_email("owner@bakerybv.example")
        .expect("the Bakery BV owner");
    let mut read = 0;
    for organisation in world
        .organisations()
        .filter(|o| o.environment == owner.environment)
    {
        for document in world.documents_of(organisation.id) {
            let doc = world.document(document).expect("a document");
            let (status, _, bytes) = exchange(
                &addr,
                "GET",
                &format!("/api/documents/{}/content", document.0),
                &session,
                b"",
            );
            assert_eq!(status, 200, "the bytes of {}", doc.name);
            assert_eq!(preflight_core::Sha256::of(&bytes), doc.sha256);
            // The world's summary is what reading the stored file says.
            if let Some(summary) = &doc.summary {
                let document = preflight_core::peppol::read_document(&bytes).expect("UBL");
                assert_eq!(
                    &preflight_core::peppol::doc_summary(&document),
                    summary.as_ref()
                );
                assert!(document.findings.is_empty(), "{:?}", document.findings);
                read += 1;
            }
        }
    }
    assert!(read >= 3, "the owner's invoices were read ({read})");
}
