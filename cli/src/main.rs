//! `hearth`: the demo, and (in later issues) the publisher and auditor tool.
//!
//! This binary is never linked into the phone library. Run `hearth --help`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod demo;

/// Hearth: on-device interest profiles and ad selection, and the tools around it.
#[derive(Debug, Parser)]
#[command(name = "hearth", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the main job end to end on embedded defaults: a temporary encrypted
    /// profile, a scripted week of a realistic user's events, then what Hearth
    /// learned on the "phone" and why. No server, no set-up.
    Demo(demo::DemoArgs),
    /// Inspect the embedded topic taxonomy (IAB Content Taxonomy 3.x).
    Taxonomy {
        #[command(subcommand)]
        cmd: TaxonomyCmd,
    },
}

#[derive(Debug, Subcommand)]
enum TaxonomyCmd {
    /// Print every topic: id, path, and sensitive category if any.
    List,
    /// Show which topics a piece of text matches (the keyword matcher used for
    /// searches without topics).
    Match {
        /// The text, e.g. a search query or a page title.
        text: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Taxonomy { cmd } => taxonomy(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn taxonomy(cmd: TaxonomyCmd) -> Result<(), Box<dyn std::error::Error>> {
    let tax = hearth_core::taxonomy::Taxonomy::iab()?;
    match cmd {
        TaxonomyCmd::List => {
            println!("# {} ({} topics)", tax.version(), tax.len());
            for (i, t) in tax.topics().iter().enumerate() {
                let sens = if t.sensitive { "  [sensitive]" } else { "" };
                println!("{:>8}  {}{}", t.id, tax.path(i as u32), sens);
            }
        }
        TaxonomyCmd::Match { text } => {
            for idx in tax.match_text(&text, 10) {
                if let Some(t) = tax.get(idx) {
                    let sens = if t.sensitive {
                        "  [sensitive: never stored]"
                    } else {
                        ""
                    };
                    println!("{:>8}  {}{}", t.id, tax.path(idx), sens);
                }
            }
        }
    }
    Ok(())
}
