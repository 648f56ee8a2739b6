//! `preflight-parity cases [demo] SEED` writes the cases of a seed (on a random
//! world, or on the demo world); `preflight-parity
//! answer` answers the cases on standard input natively (see the library).

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
                "usage: preflight-parity cases [demo] SEED | preflight-parity answer < cases.json"
            );
            return ExitCode::from(2);
        }
    };
    if std::io::stdout().write_all(output.as_bytes()).is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
