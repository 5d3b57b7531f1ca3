use clap::Parser;

fn main() {
    sbcbench::interrupt::survive_file_size_limit();
    let cli = sbcbench::cli::Cli::parse();
    if let Err(err) = sbcbench::commands::dispatch(cli) {
        eprintln!("sbcbench: error: {err:#}");
        std::process::exit(sbcbench::error::exit_code(&err));
    }
}
