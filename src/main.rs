fn main() {
    sbcbench::interrupt::survive_file_size_limit();
    let cli = sbcbench::cli::parse();
    let result = sbcbench::commands::dispatch(cli);
    std::process::exit(sbcbench::error::report(result));
}
