//! A small HTTP/1.0 client for the tests: any method, headers and body, from
//! a chosen loopback address (the whole of 127.0.0.0/8 reaches a server on
//! 127.0.0.1), so that one test can be several clients.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

pub struct Reply {
    pub status: u16,
    /// Header lines, names lowercased, in order (several `set-cookie`s).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of the cookie `name` set by this reply.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .filter_map(|(_, v)| v.split(';').next())
            .filter_map(|pair| pair.split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    }
}

/// A connection to `addr` from `from` (any loopback address).
pub fn connect_from(addr: &str, from: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let target: SocketAddr = addr.parse().expect("a socket address");
    let Some(from) = from else {
        return TcpStream::connect(target);
    };
    let socket = Socket::new(Domain::for_address(target), Type::STREAM, None)?;
    socket.bind(&SocketAddr::new(from, 0).into())?;
    socket.connect(&target.into())?;
    Ok(socket.into())
}

/// One request, answered and closed (HTTP/1.0). `None` when the connection
/// failed or broke.
pub fn send(
    addr: &str,
    from: Option<IpAddr>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<Reply> {
    let mut stream = connect_from(addr, from).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    Some(Reply {
        status,
        headers,
        body,
    })
}

/// A JSON request with an optional session.
pub fn json(
    addr: &str,
    from: Option<IpAddr>,
    method: &str,
    path: &str,
    session: Option<&str>,
    body: &serde_json::Value,
) -> Option<Reply> {
    let cookie = session.map(|s| format!("preflight_session={s}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(cookie) = &cookie {
        headers.push(("Cookie", cookie.as_str()));
    }
    send(
        addr,
        from,
        method,
        path,
        &headers,
        body.to_string().as_bytes(),
    )
}

/// A loopback address other than 127.0.0.1: another client.
pub fn loopback(n: u8) -> Option<IpAddr> {
    Some(IpAddr::from([127, 0, 0, n]))
}
