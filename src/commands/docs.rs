//! `sbcbench completions SHELL` and `sbcbench man`: generated from the one
//! CLI definition (`cli.rs`) at run time, so that a static binary copied
//! to a board carries its own, always matching its options.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

pub fn completions(shell: Shell) -> anyhow::Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sbcbench", &mut out);
    super::print(&String::from_utf8_lossy(&out))
}

/// One page: `sbcbench` itself, then a section per subcommand with its
/// options (grouped as in its --help) and examples.
pub fn man() -> anyhow::Result<()> {
    let command = Cli::command();
    let mut top = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut top)?;
    let mut page = String::from_utf8_lossy(&top).replace(".SH EXTRA\n", ".SH EXAMPLES\n");
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("sbcbench {}", sub.get_name());
        let man = clap_mangen::Man::new(sub.clone().bin_name(&name));
        let mut part = Vec::new();
        man.render_synopsis_section(&mut part)?;
        man.render_description_section(&mut part)?;
        man.render_options_section(&mut part)?;
        if sub.get_after_help().is_some() {
            man.render_extra_section(&mut part)?;
        }
        page.push_str(&format!(".SH \"{}\"\n", name.to_uppercase()));
        // Its sections become subsections of the subcommand's.
        for line in String::from_utf8_lossy(&part).lines() {
            match line.strip_prefix(".SH ") {
                Some("EXTRA") => page.push_str(".SS EXAMPLES\n"),
                Some(heading) => page.push_str(&format!(".SS {heading}\n")),
                None => page.push_str(&format!("{line}\n")),
            }
        }
    }
    super::print(&page)
}
