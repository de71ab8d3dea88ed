//! `hearth`: the demo, and the publisher and auditor tool.
//!
//! This binary is never linked into the phone library. Run `hearth --help`.
//! The logic of the publisher commands lives in the `hearth_cli` library; this
//! file only parses the command line and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use hearth_cli::catalog_source::{self, parse_rfc3339};
use hearth_cli::publish::{self, Overrides};
use hearth_cli::{CliError, keys, synth};
use hearth_core::catalog::bundle::hex;
use hearth_core::taxonomy::Taxonomy;

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
    /// Create a publisher signing key (Ed25519): NAME.key (secret) and NAME.pub.
    #[command(long_about = "Create a publisher signing key (Ed25519).\n\n\
        Writes DIR/NAME.key, the secret key as a PKCS#8 document in hex (file mode \
        0600), and DIR/NAME.pub, the 32-byte public key in hex that phones are \
        configured to trust. Prints the key id that bundles carry in their header. \
        Existing files are never overwritten unless --force is given.")]
    Keygen(KeygenArgs),
    /// Build, inspect, generate and describe signed ad catalogs.
    Catalog {
        #[command(subcommand)]
        cmd: CatalogCmd,
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

#[derive(Debug, Args)]
struct KeygenArgs {
    /// Directory to write the key files into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Base name of the key files.
    #[arg(long, default_value = "publisher")]
    name: String,
    /// Replace existing key files (the old secret key is lost).
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Subcommand)]
enum CatalogCmd {
    /// Validate a catalog source (JSON) and sign it into a bundle.
    #[command(
        long_about = "Validate a catalog source (JSON) and sign it into a bundle.\n\n\
        The source format is described by `hearth catalog schema`. Every problem is \
        reported with its JSON path: a source that does not parse stops at the first \
        problem; a source that parses is checked against every structural rule (and \
        the embedded taxonomy) and all issues are printed as `PATH: DETAIL [rule RULE]`.\n\n\
        Exit codes: 0 built; 1 I/O or key error; 2 the source is invalid (nothing written)."
    )]
    Build(BuildArgs),
    /// Verify a bundle and summarise it, or dump it as source JSON.
    #[command(
        long_about = "Verify a bundle and summarise it, or dump it as source JSON.\n\n\
        Verification is what a phone does first: size limit (256 MiB), framing, a \
        signing key among the --pub keys, the signature, and the body decode. The \
        catalog is then checked against the structural rules. With --json the catalog \
        is printed in the source format, which `hearth catalog build` accepts again.\n\n\
        Exit codes: 0 verified and valid; 1 verification failed (the reason is printed) \
        or I/O error; 2 verified, but the catalog breaks a rule."
    )]
    Inspect(InspectArgs),
    /// Generate a realistic synthetic catalog source (JSON) for tests and benchmarks.
    #[command(
        long_about = "Generate a realistic synthetic catalog source (JSON) for tests \
        and benchmarks.\n\n\
        Deterministic per --seed: heavy-tailed (Zipf) advertisers, 1-4 creative sets per \
        campaign, 2-5 creatives per set, topic targeting from the non-sensitive topics of \
        the embedded taxonomy, some trait targeting, embeddings, caps, dayparts and \
        geo/locale targeting. Created 2026-01-01T00:00:00Z, expires 7 days later. Pipe it \
        into `hearth catalog build -`."
    )]
    Gen(GenArgs),
    /// Print the JSON Schema of the catalog source format.
    Schema,
}

#[derive(Debug, Args)]
struct BuildArgs {
    /// The catalog source JSON, or `-` for stdin.
    #[arg(value_name = "SOURCE.json")]
    source: PathBuf,
    /// The signing key (a NAME.key file from `hearth keygen`).
    #[arg(long, value_name = "NAME.key")]
    key: PathBuf,
    /// Where to write the bundle (`-` for stdout; the summary then goes to stderr).
    #[arg(long, value_name = "BUNDLE")]
    out: PathBuf,
    /// Catalog version; replaces the source's `version`.
    #[arg(long, value_name = "N")]
    version: Option<u64>,
    /// Creation time (RFC 3339); replaces the source's `created_at`.
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    created_at: Option<i64>,
    /// Expiry time (RFC 3339); replaces the source's `expires_at`.
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    expires_at: Option<i64>,
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// The bundle file, or `-` for stdin.
    #[arg(value_name = "BUNDLE")]
    bundle: PathBuf,
    /// A trusted public key (a NAME.pub file); repeat for several (key rotation).
    #[arg(long = "pub", value_name = "NAME.pub", required = true)]
    public: Vec<PathBuf>,
    /// Print the catalog as source JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct GenArgs {
    /// Exact number of creatives.
    #[arg(long, value_name = "N")]
    creatives: usize,
    /// Random seed: the same seed always gives the same catalog.
    #[arg(long, value_name = "S")]
    seed: u64,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Catalog version written in the source.
    #[arg(long, value_name = "V", default_value_t = 1)]
    version: u64,
    /// Indent the JSON (default: one compact line).
    #[arg(long)]
    pretty: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Taxonomy { cmd } => taxonomy(cmd),
        Command::Keygen(args) => return report(keygen(&args)),
        Command::Catalog { cmd } => return report(catalog(cmd)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Print a publisher command's error (every issue, one per line) and map it to
/// its exit code.
fn report(result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let CliError::Invalid { issues, .. } = &e {
                for issue in issues {
                    eprintln!("{issue}");
                }
            }
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn keygen(args: &KeygenArgs) -> Result<(), CliError> {
    let files = keys::keygen(&args.out, &args.name, args.force)?;
    println!("key id      {}", files.key_id);
    println!(
        "secret key  {}  (keep it secret; mode 0600)",
        files.key_path.display()
    );
    println!(
        "public key  {}  (configure phones to trust it)",
        files.pub_path.display()
    );
    Ok(())
}

fn catalog(cmd: CatalogCmd) -> Result<(), CliError> {
    match cmd {
        CatalogCmd::Build(a) => build(&a),
        CatalogCmd::Inspect(a) => inspect(&a),
        CatalogCmd::Gen(a) => gen_catalog(&a),
        CatalogCmd::Schema => {
            print!("{}", catalog_source::schema_json()?);
            Ok(())
        }
    }
}

fn build(a: &BuildArgs) -> Result<(), CliError> {
    let origin = publish::origin(&a.source);
    let key = keys::load_signing_key(&a.key)?;
    let tax = Taxonomy::iab()?;
    let bytes = publish::read_input(&a.source)?;
    let source = publish::parse_source(&bytes, &origin)?;
    drop(bytes);
    let overrides = Overrides {
        version: a.version,
        created_at_ms: a.created_at,
        expires_at_ms: a.expires_at,
    };
    let built = publish::build(&source, &overrides, &key, &tax, &origin)?;
    drop(source);
    publish::write_output(&a.out, &built.bundle)?;
    let summary = publish::build_summary(&built, &publish::origin(&a.out));
    if a.out == Path::new("-") {
        eprint!("{summary}");
    } else {
        print!("{summary}");
    }
    Ok(())
}

fn inspect(a: &InspectArgs) -> Result<(), CliError> {
    let origin = publish::origin(&a.bundle);
    let trusted = a
        .public
        .iter()
        .map(|p| keys::load_public_key(p))
        .collect::<Result<Vec<_>, _>>()?;
    let tax = Taxonomy::iab()?;
    let bytes = publish::read_input(&a.bundle)?;
    let ins = publish::inspect(&bytes, &trusted, &tax, &origin).inspect_err(|e| {
        if let CliError::Bundle {
            error: hearth_core::Error::CatalogUntrustedKey { .. },
            ..
        } = e
        {
            let ids: Vec<String> = trusted.iter().map(|k| hex(&k.key_id())).collect();
            eprintln!("trusted key ids: {}", ids.join(", "));
        }
    })?;
    if a.json {
        print!("{}", publish::inspect_json(&ins)?);
    } else {
        let now = hearth_core::Clock::now_ms(&hearth_core::SystemClock);
        print!("{}", publish::inspect_summary(&ins, &origin, now));
    }
    if ins.issues.is_empty() {
        Ok(())
    } else {
        Err(CliError::Invalid {
            origin,
            issues: ins.issues,
        })
    }
}

fn gen_catalog(a: &GenArgs) -> Result<(), CliError> {
    let tax = Taxonomy::iab()?;
    let opts = synth::GenOptions {
        creatives: a.creatives,
        seed: a.seed,
        version: a.version,
    };
    let source = synth::generate(&opts, &tax).map_err(CliError::Usage)?;
    let json = catalog_source::to_json(&source, a.pretty)?;
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from("-"));
    publish::write_output(&out, json.as_bytes())
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
