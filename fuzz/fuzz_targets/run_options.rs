//! The values of `run --threads` and `--kernels` (and the other typed run
//! options) through the real command line parser: accepted or a clap
//! error, never a panic.
#![no_main]
use clap::Parser;
use libfuzzer_sys::fuzz_target;
use sbcbench::cli::Cli;

const FLAGS: [&str; 8] = [
    "--threads",
    "--kernels",
    "--min-time",
    "--samples",
    "--warmup",
    "--clock-mhz",
    "--power",
    "--idle-time",
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(value) = std::str::from_utf8(rest) else {
        return;
    };
    let flag = FLAGS[which as usize % FLAGS.len()];
    let _ = Cli::try_parse_from(["sbcbench", "run", flag, value]);
});
