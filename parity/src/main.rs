//! `preflight-parity cases [demo] SEED` writes the cases of a seed (on a random
//! world, or on the demo world); `preflight-parity
//! answer` answers the cases on standard input natively (see the library);
//! `preflight-parity judge CASES BROWSER_OUT` holds the browser's (wasm)
//! previews against the server's decisions and prints `confirmed allowed
//! unconfirmed failures`.

use std::io::{Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let output = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["cases", "demo", seed] => match seed.parse() {
            Ok(seed) => preflight_parity::demo_cases(seed),
            Err(_) => {
                eprintln!("preflight-parity: `{seed}` is not a seed");
                return ExitCode::from(2);
            }
        },
        ["cases", seed] => match seed.parse() {
            Ok(seed) => preflight_parity::cases(seed),
            Err(_) => {
                eprintln!("preflight-parity: `{seed}` is not a seed");
                return ExitCode::from(2);
            }
        },
        ["judge", cases, browser] => {
            let read = |path: &str| std::fs::read_to_string(path);
            let (cases, browser) = match (read(cases), read(browser)) {
                (Ok(c), Ok(b)) => (c, b),
                (Err(error), _) | (_, Err(error)) => {
                    eprintln!("preflight-parity: cannot read the cases or the answers: {error}");
                    return ExitCode::FAILURE;
                }
            };
            match preflight_parity::judge(&cases, &browser) {
                Ok(verdict) if verdict.failures.is_empty() => format!(
                    "{} {} {} 0\n",
                    verdict.confirmed, verdict.confirmed_allowed, verdict.unconfirmed
                ),
                Ok(verdict) => {
                    eprintln!("{}", verdict.failures.join("\n\n"));
                    return ExitCode::FAILURE;
                }
                Err(error) => {
                    eprintln!("preflight-parity: {error}");
                    return ExitCode::FAILURE;
                }
            }
        }
        ["answer"] => {
            let mut input = String::new();
            if let Err(error) = std::io::stdin().read_to_string(&mut input) {
                eprintln!("preflight-parity: cannot read the cases: {error}");
                return ExitCode::FAILURE;
            }
            preflight_parity::answer(&input)
        }
        _ => {
            eprintln!(
                "usage: preflight-parity cases [demo] SEED | preflight-parity answer < cases.json | preflight-parity judge cases.json browser.out"
            );
            return ExitCode::from(2);
        }
    };
    if std::io::stdout().write_all(output.as_bytes()).is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
