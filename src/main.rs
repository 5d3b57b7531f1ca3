use clap::Parser;

fn main() {
    let cli = sbcbench::cli::Cli::parse();
    if let Err(err) = sbcbench::commands::dispatch(cli) {
        eprintln!("sbcbench: error: {err:#}");
        std::process::exit(sbcbench::error::exit_code(&err));
    }
}
