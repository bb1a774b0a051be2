//! The `simscale` command: parse arguments, run, print the one error, exit.

use clap::Parser;
use simscale::cli::{Cli, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    simscale::report::writer::stop_cleanly_on_interrupt();
    match run(cli, &mut std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
