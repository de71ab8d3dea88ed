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
use hearth_cli::report_tools::aggregate::Aggregator;
use hearth_cli::report_tools::audit::{Auditor, Policy};
use hearth_cli::report_tools::simulate::{self, SimOptions};
use hearth_cli::report_tools::{self, CatalogInfo};
use hearth_cli::{CliError, keys, synth};
use hearth_core::catalog::bundle::hex;
use hearth_core::taxonomy::Taxonomy;

mod classifier_cmd;
mod demo;
mod eval_cmd;

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
    /// The collector side of noised reports: aggregate payloads into estimates.
    Report {
        #[command(subcommand)]
        cmd: ReportCmd,
    },
    /// Check report payloads (JSON lines) against the payload format and a policy.
    #[command(
        long_about = "Check report payloads (JSON lines) against the payload format \
        and a privacy policy.\n\n\
        Every non-blank line must be one payload. Checked: only the allowed fields, none \
        missing (extra-field, missing-field); types and values (schema); epsilon at most \
        --max-epsilon (max-epsilon); p and q recomputed from epsilon, mechanism and domain \
        size (parameters); the mechanism is the one the domain-size rule picks, a capped \
        report (epsilon 0) keeping the mechanism of a configured epsilon (mechanism); the \
        exact canonical bytes (canonical); all payloads of a catalog version have one length, \
        with --catalog the length of a reference payload for that catalog (size); with \
        --catalog its version and domain size (catalog).\n\n\
        Prints one line per violation, `line N: [rule] detail`, then the verdict.\n\n\
        Exit codes: 0 PASS; 1 I/O, key or bundle error; 2 FAIL (some violation)."
    )]
    Audit(AuditArgs),
    /// Simulate devices with known truth through the real reporting code, aggregate,
    /// and compare with the truth and the mechanism's theoretical variance.
    #[command(
        long_about = "Simulate devices with known ground truth through the real \
        reporting code, aggregate, and compare with the truth and with the mechanism's \
        theoretical variance.\n\n\
        Activity per device and day: ads seen with probability 0.7, top campaign from a Zipf \
        law (--zipf); a click with probability 0.2 (80% on the impression campaign); a \
        conversion after a click with probability 0.15. Values are perturbed by \
        Mechanism::choose + perturb (seeded noise) and serialised by Payload::to_json, then \
        aggregated by the same code as `hearth report aggregate`. Devices are split into \
        buckets aggregated on their own, which measures the variance: the mean of \
        (estimate - truth)^2 / theoretical variance should be 1. Deterministic per --seed, \
        whatever the number of threads."
    )]
    Simulate(SimulateArgs),
    /// Simulate days of heavy use of one engine and print the size of
    /// everything it keeps on disk (and the process's memory), month by month.
    Footprint(FootprintArgs),
    /// Train and evaluate the on-device text classifier (text → topics) that
    /// catalogs can ship (`hearth catalog build --classifier`).
    Classifier {
        #[command(subcommand)]
        cmd: classifier_cmd::ClassifierCmd,
    },
    /// Offline ranking quality on an interaction log (items.tsv, events.tsv):
    /// random, popularity, centralised user-kNN and EASE, and Hearth's
    /// on-device models, with HR@10, NDCG@10, MRR and coverage (95% CIs).
    Eval(eval_cmd::EvalArgs),
    /// Build the content model (item neighbours from aggregate co-occurrence
    /// counts) that catalogs ship for on-device ranking.
    Content {
        #[command(subcommand)]
        cmd: eval_cmd::ContentCmd,
    },
    /// The engagement model as a click predictor (AUC, log-loss) and the
    /// off-policy value (IPS, SNIPS) of Hearth's selection on the Open Bandit
    /// Dataset sample (fetch it with scripts/eval-data.sh; see docs/eval-obd.md).
    Obd(hearth_cli::obd::ObdArgs),
}

#[derive(Debug, Args)]
struct FootprintArgs {
    /// Simulated days.
    #[arg(long, default_value_t = 365)]
    days: u32,
    /// Events recorded per day.
    #[arg(long, default_value_t = 20_000)]
    events_per_day: u32,
    /// Ad requests per day.
    #[arg(long, default_value_t = 300)]
    ad_requests_per_day: u32,
    /// Creatives in the daily catalog.
    #[arg(long, default_value_t = 2_000)]
    creatives: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The app never acknowledges (uploads) a report.
    #[arg(long)]
    never_acknowledge: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum ReportCmd {
    /// Aggregate payloads (JSON lines) into per-campaign estimates with 95% CIs.
    #[command(
        long_about = "Aggregate report payloads (JSON lines, one payload per line) \
        into unbiased per-period, per-metric, per-campaign estimates with 95% confidence \
        intervals.\n\n\
        The catalog bundle (verified with --pub) maps domain value i >= 1 to its i-th \
        campaign. Lines that do not parse, or are payloads for another catalog version or \
        domain size, are counted and listed with their line number and reason; blank lines \
        are counted and skipped. Estimate for a value: the sum over reports with p != q of \
        (1[report supports it] - q)/(p - q) (reports with epsilon 0 carry no signal and are \
        counted separately); 95% CI: estimate +- 1.96 sqrt(variance), the variance being the \
        mechanism's formula at max(estimate, 0).\n\n\
        Exit codes: 0 every line aggregated; 1 I/O, key or bundle error; 2 some lines were \
        rejected (the estimates from the others are still printed)."
    )]
    Aggregate(AggregateArgs),
}

#[derive(Debug, Args)]
struct AggregateArgs {
    /// The payloads, one JSON document per line, or `-` for stdin.
    #[arg(value_name = "FILE", default_value = "-")]
    input: PathBuf,
    /// The catalog bundle the payloads were produced for.
    #[arg(long, value_name = "BUNDLE")]
    catalog: PathBuf,
    /// The publisher public key that signed the bundle (a NAME.pub file).
    #[arg(long = "pub", value_name = "KEY.pub")]
    public: PathBuf,
    /// Print a JSON document instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct AuditArgs {
    /// The payloads, one JSON document per line, or `-` for stdin.
    #[arg(value_name = "FILE", default_value = "-")]
    input: PathBuf,
    /// Largest epsilon per metric report the policy allows.
    #[arg(long, value_name = "EPS", default_value_t = 1.0)]
    max_epsilon: f64,
    /// A catalog bundle: check catalog version, domain size and the reference size.
    #[arg(long, value_name = "BUNDLE", requires = "public")]
    catalog: Option<PathBuf>,
    /// The public key that signed the bundle (a NAME.pub file).
    #[arg(long = "pub", value_name = "KEY.pub", requires = "catalog")]
    public: Option<PathBuf>,
    /// Print the audit as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct SimulateArgs {
    /// Number of simulated devices.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    devices: u64,
    /// Number of campaigns in the catalog.
    #[arg(long, value_name = "C", default_value_t = 100)]
    campaigns: u32,
    /// Epsilon per metric per period.
    #[arg(long, value_name = "E", default_value_t = 1.0)]
    epsilon: f64,
    /// Random seed (truth and noise).
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Zipf exponent of campaign popularity.
    #[arg(long, value_name = "S", default_value_t = 1.1)]
    zipf: f64,
    /// Share of devices past their weekly cap (they report epsilon 0).
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    capped: f64,
    /// Buckets for the variance check (default: min(100, devices / 1000)).
    #[arg(long, value_name = "B", default_value_t = 0)]
    buckets: u32,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "T", default_value_t = 0)]
    threads: usize,
    /// Campaigns listed per metric.
    #[arg(long, value_name = "K", default_value_t = 10)]
    top: usize,
    /// Also write the payloads as JSON lines to FILE (`-`: stdout; the tables then go to stderr).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
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
    /// Ship this text classifier (from `hearth classifier train`; labels must
    /// be topic ids) as the catalog's `classifier/1` model blob.
    #[arg(long, value_name = "MODEL.bin")]
    classifier: Option<PathBuf>,
    /// Ship this content model (from `hearth content build`) as the catalog's
    /// `content/1` model blob, used by the phones' `rank_items`.
    #[arg(long, value_name = "MODEL.bin")]
    content_model: Option<PathBuf>,
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
        Command::Report {
            cmd: ReportCmd::Aggregate(args),
        } => return outcome(aggregate(&args)),
        Command::Audit(args) => return outcome(audit(&args)),
        Command::Simulate(args) => return outcome(simulate(&args).map(|()| ExitCode::SUCCESS)),
        Command::Footprint(args) => return outcome(footprint(&args)),
        Command::Classifier { cmd } => return report(classifier_cmd::run(cmd)),
        Command::Eval(args) => return report(eval_cmd::eval(&args)),
        Command::Content { cmd } => return report(eval_cmd::content(cmd)),
        Command::Obd(args) => return hearth_cli::obd::command(&args),
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

/// The exit code a collector command chose, or its error's.
fn outcome(result: Result<ExitCode, CliError>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => report(Err(e)),
    }
}

fn aggregate(a: &AggregateArgs) -> Result<ExitCode, CliError> {
    let cat = CatalogInfo::load(&a.catalog, &a.public)?;
    let mut agg = Aggregator::new(cat);
    let input = report_tools::open_input(&a.input)?;
    agg.read_from(input).map_err(|e| CliError::Io {
        what: "cannot read",
        path: a.input.clone(),
        source: e,
    })?;
    let r = agg.report();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", r.table());
    }
    Ok(if r.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("{} line(s) rejected: see the list above", r.rejected.len());
        ExitCode::from(2)
    })
}

fn audit(a: &AuditArgs) -> Result<ExitCode, CliError> {
    if !(a.max_epsilon.is_finite() && a.max_epsilon >= 0.0) {
        return Err(CliError::Usage(
            "--max-epsilon must be a non-negative number".into(),
        ));
    }
    let catalog = match (&a.catalog, &a.public) {
        (Some(c), Some(p)) => Some(CatalogInfo::load(c, p)?),
        _ => None,
    };
    let mut auditor = Auditor::new(
        Policy {
            max_epsilon: a.max_epsilon,
        },
        catalog.as_ref().map(CatalogInfo::audit_catalog),
    );
    let input = std::io::BufReader::with_capacity(1 << 20, report_tools::open_input(&a.input)?);
    auditor.read_from(input).map_err(|e| CliError::Io {
        what: "cannot read",
        path: a.input.clone(),
        source: e,
    })?;
    let r = auditor.finish();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", r.text(&publish::origin(&a.input)));
    }
    Ok(if r.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn simulate(a: &SimulateArgs) -> Result<(), CliError> {
    let opts = SimOptions {
        devices: a.devices,
        campaigns: a.campaigns,
        epsilon: a.epsilon,
        seed: a.seed,
        zipf_s: a.zipf,
        capped: a.capped,
        buckets: a.buckets,
        threads: a.threads,
        top: a.top,
        out: a.out.clone(),
    };
    let r = simulate::run(&opts)?;
    let text = if a.json {
        format!("{}\n", serde_json::to_string_pretty(&r)?)
    } else {
        r.text()
    };
    if a.out.as_deref() == Some(Path::new("-")) {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    Ok(())
}

fn footprint(a: &FootprintArgs) -> Result<ExitCode, CliError> {
    let opts = hearth_cli::footprint::FootprintOptions {
        days: a.days,
        events_per_day: a.events_per_day,
        ad_requests_per_day: a.ad_requests_per_day,
        creatives: a.creatives,
        seed: a.seed,
        never_acknowledge: a.never_acknowledge,
    };
    let r = hearth_cli::footprint::run(&opts, |m| {
        if !a.json {
            eprintln!("day {}: user state {} bytes", m.day, m.user_bytes);
        }
    })?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", r.text());
    }
    Ok(ExitCode::SUCCESS)
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
    let mut source = publish::parse_source(&bytes, &origin)?;
    drop(bytes);
    if let Some(model) = &a.classifier {
        let model_bytes = publish::read_input(model)?;
        hearth_cli::classifier::embed(&mut source, model_bytes, &tax, &publish::origin(model))?;
    }
    if let Some(model) = &a.content_model {
        let model_bytes = publish::read_input(model)?;
        hearth_cli::content_model::embed(&mut source, model_bytes, &publish::origin(model))?;
    }
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
