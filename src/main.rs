//! The `simscale` command: parse arguments, run, print the one error, exit.

use simscale::cli::{parse, run_with};
use std::process::ExitCode;

fn main() -> ExitCode {
    let (cli, extras) = parse();
    match run_with(cli, extras, &mut std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
