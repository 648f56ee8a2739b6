//! Sign-in throttling: progressive delays per account and per client address,
//! never a lock that one attacker can put on everyone.
//!
//! Failed sign-ins are counted per account (the email tried) and per client
//! address over a window of [`WINDOW`]. The first few failures cost nothing;
//! after that, each further attempt must wait a delay that doubles with every
//! failure, up to a ceiling, counted from the latest failure ([`Policy`]). A
//! waiting attempt is answered at once with `429` and the seconds to wait,
//! without hashing anything. A successful sign-in clears its account's count.
//!
//! The address is the TCP peer, or, when the peer is a proxy named in
//! `--trusted-proxies`, the first address in `X-Forwarded-For` (read from the
//! right) that is not one of those proxies ([`ClientAddress`]): a header from
//! anyone else is ignored, so rotating it gains nothing. IPv6 addresses count
//! by their /64, which one customer line gets whole.
//!
//! So that someone failing on purpose against a victim's email cannot keep the
//! victim out, a browser that signed in to an account carries a device token
//! (a cookie, stored hashed in the credentials); with it, that account's
//! delay does not apply, only its address's. The tables are bounded: past
//! [`MAX_ENTRIES`] records, expired ones go first, then the oldest.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// How long a failure counts.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// The most records per table.
pub const MAX_ENTRIES: usize = 100_000;

/// When failures start to cost a delay, and how long it may grow.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Failures that cost nothing.
    pub free: u32,
    /// The longest delay.
    pub ceiling: Duration,
}

/// Per account: five free failures, then 1 s, 2 s, 4 s, … up to 15 minutes.
pub const ACCOUNT: Policy = Policy {
    free: 5,
    ceiling: Duration::from_secs(15 * 60),
};
/// Per address: ten free failures (an office behind one address mistypes
/// more than one person does), then 1 s, 2 s, 4 s, … up to one minute.
pub const ADDRESS: Policy = Policy {
    free: 10,
    ceiling: Duration::from_secs(60),
};

impl Policy {
    /// The wait after `failures` failures.
    pub fn delay(&self, failures: u32) -> Duration {
        if failures < self.free {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free).min(20);
        Duration::from_secs(1u64 << doublings).min(self.ceiling)
    }
}

#[derive(Clone, Copy, Debug)]
struct Record {
    failures: u32,
    latest: Instant,
}

#[derive(Default)]
struct Table {
    records: HashMap<String, Record>,
}

impl Table {
    fn live(&self, key: &str, now: Instant) -> Option<Record> {
        self.records
            .get(key)
            .copied()
            .filter(|r| now.duration_since(r.latest) < WINDOW)
    }

    /// How long `key` must still wait under `policy`.
    fn wait(&self, key: &str, policy: Policy, now: Instant) -> Duration {
        match self.live(key, now) {
            Some(record) => {
                (record.latest + policy.delay(record.failures)).saturating_duration_since(now)
            }
            None => Duration::ZERO,
        }
    }

    fn fail(&mut self, key: &str, now: Instant) {
        let failures = self.live(key, now).map_or(0, |r| r.failures);
        if !self.records.contains_key(key) && self.records.len() >= MAX_ENTRIES {
            self.make_room(now);
        }
        self.records.insert(
            key.to_string(),
            Record {
                failures: failures.saturating_add(1),
                latest: now,
            },
        );
    }

    fn make_room(&mut self, now: Instant) {
        self.records
            .retain(|_, r| now.duration_since(r.latest) < WINDOW);
        if self.records.len() >= MAX_ENTRIES {
            if let Some(oldest) = self
                .records
                .iter()
                .min_by_key(|(_, r)| r.latest)
                .map(|(k, _)| k.clone())
            {
                self.records.remove(&oldest);
            }
        }
    }
}

/// See the module documentation.
#[derive(Default)]
pub struct Throttle {
    accounts: Mutex<Table>,
    addresses: Mutex<Table>,
}

impl Throttle {
    /// `Err(seconds to wait)` when a sign-in to `account` from `address` must
    /// wait; `trusted_device` skips the account's delay.
    pub fn admit(&self, account: &str, address: &str, trusted_device: bool) -> Result<(), u64> {
        self.admit_at(account, address, trusted_device, Instant::now())
    }

    fn admit_at(
        &self,
        account: &str,
        address: &str,
        trusted_device: bool,
        now: Instant,
    ) -> Result<(), u64> {
        let mut wait = self
            .addresses
            .lock()
            .map_or(Duration::ZERO, |t| t.wait(address, ADDRESS, now));
        if !trusted_device {
            let account_wait = self
                .accounts
                .lock()
                .map_or(Duration::ZERO, |t| t.wait(account, ACCOUNT, now));
            wait = wait.max(account_wait);
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.as_secs_f64().ceil() as u64)
        }
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, account: &str, address: &str) {
        let now = Instant::now();
        if let Ok(mut table) = self.accounts.lock() {
            table.fail(account, now);
        }
        if let Ok(mut table) = self.addresses.lock() {
            table.fail(address, now);
        }
    }

    /// A successful sign-in clears the account's failures (not the address's).
    pub fn succeeded(&self, account: &str) {
        if let Ok(mut table) = self.accounts.lock() {
            table.records.remove(account);
        }
    }
}

/// The proxies whose `X-Forwarded-For` is believed (`--trusted-proxies`).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies {
    networks: Vec<(IpAddr, u8)>,
}

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and networks
    /// (`10.0.0.1, 10.1.0.0/16, ::1`).
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut networks = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (address, prefix) = match item.split_once('/') {
                Some((address, prefix)) => (address, Some(prefix)),
                None => (item, None),
            };
            let address: IpAddr = address
                .parse()
                .map_err(|_| format!("`{item}` is not an IP address or network"))?;
            let max = if address.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| format!("`{item}` has no valid prefix length"))?,
                None => max,
            };
            networks.push((address, prefix));
        }
        Ok(TrustedProxies { networks })
    }

    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.networks
            .iter()
            .any(|(network, prefix)| in_network(address, canonical(*network), *prefix))
    }
}

/// An IPv4 address mapped into IPv6 as the IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

fn in_network(address: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Where a request comes from, as throttling counts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub String);

impl ClientAddress {
    /// The client of a request from `peer` with `headers`: the peer itself,
    /// unless it is a trusted proxy; then the nearest untrusted address in
    /// `X-Forwarded-For`.
    pub fn of(peer: Option<SocketAddr>, headers: &HeaderMap, trusted: &TrustedProxies) -> Self {
        let Some(peer) = peer.map(|p| canonical(p.ip())) else {
            return ClientAddress("unknown".into());
        };
        let mut client = peer;
        if trusted.trusts(peer) {
            let forwarded: Vec<IpAddr> = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse::<IpAddr>().ok())
                .map(canonical)
                .collect();
            for address in forwarded.into_iter().rev() {
                client = address;
                if !trusted.trusts(address) {
                    break;
                }
            }
        }
        ClientAddress(key(client))
    }
}

/// The key an address counts under: IPv4 whole, IPv6 by its /64.
fn key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn delays_grow_after_the_free_failures_up_to_a_ceiling() {
        assert_eq!(ACCOUNT.delay(4), Duration::ZERO);
        assert_eq!(ACCOUNT.delay(5), Duration::from_secs(1));
        assert_eq!(ACCOUNT.delay(8), Duration::from_secs(8));
        assert_eq!(ACCOUNT.delay(40), ACCOUNT.ceiling);
        assert_eq!(ADDRESS.delay(40), ADDRESS.ceiling);
    }

    #[test]
    fn failures_on_one_account_do_not_hold_back_another() {
        let throttle = Throttle::default();
        for _ in 0..6 {
            throttle.failed("victim@x.test", "1.2.3.4");
        }
        let now = Instant::now();
        assert!(throttle
            .admit_at("victim@x.test", "5.6.7.8", false, now)
            .is_err());
        assert!(throttle
            .admit_at("victim@x.test", "5.6.7.8", true, now)
            .is_ok());
        assert!(throttle
            .admit_at("other@x.test", "1.2.3.4", false, now)
            .is_ok());
        throttle.succeeded("victim@x.test");
        assert!(throttle
            .admit_at("victim@x.test", "5.6.7.8", false, now)
            .is_ok());
    }

    #[test]
    fn an_address_waits_after_many_failures_whatever_the_accounts() {
        let throttle = Throttle::default();
        for n in 0..ADDRESS.free {
            throttle.failed(&format!("random{n}@x.test"), "1.2.3.4");
        }
        let now = Instant::now();
        assert!(throttle
            .admit_at("new@x.test", "1.2.3.4", true, now)
            .is_err());
        assert!(throttle
            .admit_at("new@x.test", "9.9.9.9", false, now)
            .is_ok());
        // Past the window, it is forgiven.
        assert!(throttle
            .admit_at("new@x.test", "1.2.3.4", true, now + WINDOW)
            .is_ok());
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let peer: SocketAddr = "10.0.0.5:4000".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.1, 10.0.0.7"),
        );
        let none = TrustedProxies::default();
        assert_eq!(ClientAddress::of(Some(peer), &headers, &none).0, "10.0.0.5");
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // The nearest address that is not a trusted proxy.
        assert_eq!(
            ClientAddress::of(Some(peer), &headers, &proxies).0,
            "198.51.100.1"
        );
        let v6: SocketAddr = "[2001:db8:1:2:3:4:5:6]:1".parse().unwrap();
        assert_eq!(
            ClientAddress::of(Some(v6), &HeaderMap::new(), &none).0,
            "2001:db8:1:2::/64"
        );
        assert!(TrustedProxies::parse("10.0.0.0/40").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
        assert!(TrustedProxies::parse("").unwrap().is_empty());
    }
}
