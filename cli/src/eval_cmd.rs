//! `hearth eval` and `hearth content`: argument parsing and output; the work
//! is in [`hearth_cli::eval`] and [`hearth_cli::content_model`].

use std::path::PathBuf;

use clap::{Args, Subcommand};
use hearth_cli::CliError;
use hearth_cli::content_model::{self, BuildOptions, Privacy};
use hearth_cli::eval::{self, EvalOptions, data::Dataset};

/// `hearth eval` arguments.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Items: tab-separated `item_id`, `topics` (`|`-separated, `/` for
    /// hierarchy), `title`, with a header line.
    #[arg(long)]
    items: PathBuf,
    /// Events: tab-separated `user_id`, `item_id`, `timestamp` (Unix
    /// seconds), `label` (1 positive, 0 not), with a header line.
    #[arg(long)]
    events: PathBuf,
    /// Epsilons of the noised content model, comma-separated (e.g.
    /// `1,5,20,100`); none by default.
    #[arg(long, value_delimiter = ',')]
    epsilon: Vec<f64>,
    #[command(flatten)]
    model: ModelArgs,
    /// Neighbours of user-kNN.
    #[arg(long, default_value_t = 50)]
    knn: usize,
    /// Seed of the random row, tie order, bootstrap and noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Also draw NDCG@10 per row and the ratio per epsilon into this PNG.
    #[arg(long, value_name = "FILE.png")]
    plot: Option<PathBuf>,
}

/// How the content model is built, in `hearth eval` and `hearth content build`.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Items each user contributes to a noised aggregate (their most recent).
    #[arg(long, default_value_t = 10)]
    max_items_per_user: usize,
    /// EASE's λ (in `hearth eval`, the centralised reference's too).
    #[arg(long, default_value_t = 200.0)]
    lambda: f64,
    /// Neighbours kept per item (1..=256).
    #[arg(long, default_value_t = 100)]
    top_n: usize,
}

/// Run `hearth eval`.
pub fn eval(a: &EvalArgs) -> Result<(), CliError> {
    let ds = Dataset::load(&a.items, &a.events)?;
    let opts = EvalOptions {
        seed: a.seed,
        knn: a.knn,
        lambda: a.model.lambda,
        top_n: a.model.top_n,
        epsilons: a.epsilon.clone(),
        max_items_per_user: a.model.max_items_per_user,
    };
    let r = eval::evaluate(&ds, &opts)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", eval::render(&r));
    }
    if let Some(p) = &a.plot {
        eval::plot::write_png(&r, p)?;
        if !a.json {
            println!("plot: {}", p.display());
        }
    }
    Ok(())
}

/// `hearth content …`.
#[derive(Debug, Subcommand)]
pub enum ContentCmd {
    /// Build the content model (item neighbours) from an interaction log's
    /// aggregate co-occurrence counts, optionally with differential privacy;
    /// ship it with `hearth catalog build --content-model`.
    Build(ContentBuildArgs),
}

/// `hearth content build` arguments.
#[derive(Debug, Args)]
pub struct ContentBuildArgs {
    /// Items (the `hearth eval` format).
    #[arg(long)]
    items: PathBuf,
    /// Events (the `hearth eval` format); positive events count.
    #[arg(long)]
    events: PathBuf,
    /// Where to write the model (the `content/1` blob).
    #[arg(long)]
    out: PathBuf,
    /// Release the aggregate with this epsilon (Laplace, per-user bound);
    /// without it the counts are exact.
    #[arg(long)]
    epsilon: Option<f64>,
    #[command(flatten)]
    model: ModelArgs,
    /// Seed of the noise (for reproducible experiments only; a release uses
    /// the system CSPRNG, the default).
    #[arg(long)]
    seed: Option<u64>,
}

/// Run `hearth content …`.
pub fn content(cmd: ContentCmd) -> Result<(), CliError> {
    let ContentCmd::Build(a) = cmd;
    let ds = Dataset::load(&a.items, &a.events)?;
    // Every user's positive items, most recent first.
    let mut per_user: Vec<Vec<(i64, u32)>> = vec![Vec::new(); ds.users.len()];
    for e in ds.events.iter().filter(|e| e.positive) {
        per_user[e.user as usize].push((e.ts, e.item));
    }
    let histories: Vec<Vec<u32>> = per_user
        .into_iter()
        .map(|mut v| {
            v.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| ds.cmp_item_ids(b.1, a.1)));
            v.into_iter().map(|(_, i)| i).collect()
        })
        .collect();
    let ids: Vec<String> = ds.items.iter().map(|i| i.id.clone()).collect();
    let model = content_model::build(
        &ids,
        &histories,
        &BuildOptions {
            lambda: a.model.lambda,
            top_n: a.model.top_n,
            privacy: a.epsilon.map(|epsilon| Privacy {
                epsilon,
                max_items_per_user: a.model.max_items_per_user,
            }),
            seed: a.seed,
        },
    )?;
    let bytes = model.encode();
    std::fs::write(&a.out, &bytes).map_err(|source| CliError::Io {
        what: "cannot write",
        path: a.out.clone(),
        source,
    })?;
    println!(
        "content model: {} items, {} neighbours, {} bytes{} -> {}",
        model.len(),
        model.neighbour_count(),
        bytes.len(),
        a.epsilon
            .map(|e| format!(
                ", aggregate at epsilon {e} (at most {} items per user)",
                a.model.max_items_per_user
            ))
            .unwrap_or_default(),
        a.out.display()
    );
    Ok(())
}
