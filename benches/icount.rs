//! The operations of `benches/jwt.rs`, run a given number of times, for
//! counting instructions under callgrind (`bench/icount.sh`): unlike wall
//! time, the counts do not depend on what else the machine is doing.
//!
//! ```sh
//! icount <operation> <algorithm> <side> <iterations>
//! #   operation: create | decode | router_header | router_cookie_csrf | router_blocklist
//! #   algorithm: HS256 | RS256 | ES256 | EdDSA
//! #   side:      ours | baseline
//! ```
//!
//! Set-up (keys, routers, the runtime) is the same whatever the iteration
//! count, so the difference between two counts divided by the difference in
//! iterations is the cost of one operation.

mod common;

use std::hint::black_box;
use std::process::ExitCode;

use common::{RouterPair, Scenario, Side, TokenPair};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [operation, algorithm, side, iterations] = args.as_slice() else {
        eprintln!("usage: icount <operation> <algorithm> <ours|baseline> <iterations>");
        return ExitCode::from(2);
    };
    let (Some(side), Ok(iterations)) = (Side::from_name(side), iterations.parse::<usize>()) else {
        eprintln!("bad side or iteration count");
        return ExitCode::from(2);
    };
    if !common::ALGORITHMS.contains(&algorithm.as_str()) {
        eprintln!("unknown algorithm {algorithm}");
        return ExitCode::from(2);
    }
    match operation.as_str() {
        "create" => {
            let pair = TokenPair::new(algorithm);
            for _ in 0..iterations {
                black_box(pair.create(side));
            }
        }
        "decode" => {
            let pair = TokenPair::new(algorithm);
            for _ in 0..iterations {
                assert!(black_box(pair.decode(side)));
            }
        }
        name => {
            let Some(scenario) = Scenario::from_name(name) else {
                eprintln!("unknown operation {name}");
                return ExitCode::from(2);
            };
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return ExitCode::FAILURE;
            };
            runtime.block_on(async {
                let pair = RouterPair::new(algorithm, scenario).await;
                for _ in 0..iterations {
                    black_box(pair.call(side).await);
                }
            });
        }
    }
    ExitCode::SUCCESS
}
