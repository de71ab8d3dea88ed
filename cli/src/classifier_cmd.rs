//! The `hearth classifier` command line: argument parsing and printing; the
//! logic is in [`hearth_cli::classifier`].

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use hearth_cli::CliError;
use hearth_cli::classifier::{self as cls, TrainOptions};
use hearth_cli::publish;

/// `hearth classifier …`.
#[derive(Debug, Subcommand)]
pub enum ClassifierCmd {
    /// Train a text classifier (hashed word and character n-grams, logistic
    /// regression) on a `text<TAB>label` file.
    #[command(long_about = "Train a text classifier on a `text<TAB>label` file.\n\n\
        Features: lowercased words, word bigrams and character n-grams of each word \
        (3..5 by default), hashed (FNV-1a 64 + MurmurHash3 finaliser) into 2^B buckets; \
        multinomial logistic regression by SGD with L2, the example order shuffled per \
        epoch from --seed (the same seed gives the same bytes); weights quantised to i8 \
        per label. Without --buckets-bits, B is the largest (up to 20) that keeps the \
        model within --max-bytes. The output is the `classifier/1` blob that `hearth \
        catalog build --classifier` ships; in a catalog its labels must be topic ids \
        (--label-map maps dataset labels to them). See docs/classifier.md.")]
    Train(TrainArgs),
    /// Evaluate a model on a held-out `text<TAB>label` file: accuracy, macro-F1,
    /// the majority-class baseline, size and speed.
    Eval(EvalArgs),
}

/// `hearth classifier train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training data, `text<TAB>label` per line (a `text<TAB>label` header is skipped).
    #[arg(long, value_name = "TRAIN.tsv")]
    input: PathBuf,
    /// Where to write the model.
    #[arg(long, value_name = "MODEL.bin")]
    out: PathBuf,
    /// 2^B hash buckets (4..=22); default: the most that fit --max-bytes.
    #[arg(long, value_name = "B")]
    buckets_bits: Option<u8>,
    /// Passes over the data.
    #[arg(long, default_value_t = 10)]
    epochs: u32,
    /// Seed of the example order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Initial learning rate (decays linearly to 0).
    #[arg(long, default_value_t = 0.5)]
    lr: f32,
    /// L2 regularisation.
    #[arg(long, default_value_t = 1e-6)]
    l2: f32,
    /// Shortest character n-gram (0 together with --char-max 0: none).
    #[arg(long, default_value_t = 3)]
    char_min: u8,
    /// Longest character n-gram.
    #[arg(long, default_value_t = 5)]
    char_max: u8,
    /// Do not hash word bigrams.
    #[arg(long)]
    no_bigrams: bool,
    /// Largest model accepted, bytes.
    #[arg(long, default_value_t = cls::DEFAULT_MAX_BYTES)]
    max_bytes: usize,
    /// `label<TAB>new label` lines: rename every label (e.g. to topic ids) before training.
    #[arg(long, value_name = "MAP.tsv")]
    label_map: Option<PathBuf>,
}

/// `hearth classifier eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The model (from `hearth classifier train`).
    #[arg(long, value_name = "MODEL.bin")]
    model: PathBuf,
    /// Held-out data, `text<TAB>label` per line.
    #[arg(long, value_name = "TEST.tsv")]
    input: PathBuf,
    /// The same `label<TAB>new label` map the model was trained with.
    #[arg(long, value_name = "MAP.tsv")]
    label_map: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn rows(input: &Path, map: Option<&PathBuf>) -> Result<Vec<cls::Example>, CliError> {
    let mut rows = cls::read_tsv(input)?;
    if let Some(m) = map {
        let text = String::from_utf8(publish::read_input(m)?)
            .map_err(|_| CliError::Input(format!("{} is not UTF-8", m.display())))?;
        cls::relabel(&mut rows, &text, &m.display().to_string())?;
    }
    Ok(rows)
}

/// Run a `hearth classifier` command.
pub fn run(cmd: ClassifierCmd) -> Result<(), CliError> {
    match cmd {
        ClassifierCmd::Train(a) => {
            let rows = rows(&a.input, a.label_map.as_ref())?;
            let opts = TrainOptions {
                bucket_bits: a.buckets_bits,
                word_bigrams: !a.no_bigrams,
                char_min: a.char_min,
                char_max: a.char_max,
                epochs: a.epochs,
                learning_rate: a.lr,
                l2: a.l2,
                seed: a.seed,
                max_bytes: a.max_bytes,
            };
            let t = cls::train(&rows, &opts)?;
            publish::write_output(&a.out, &t.bytes)?;
            let f = t.model.features();
            println!("trained {}", a.out.display());
            println!("  examples       {}", t.examples);
            println!("  labels         {}", t.model.labels().len());
            println!(
                "  features       words{}, char {}..{}, 2^{} buckets",
                if f.word_bigrams { " + bigrams" } else { "" },
                f.char_min,
                f.char_max,
                f.bucket_bits
            );
            println!("  model          {} bytes", t.bytes.len());
            println!("  train accuracy {:.4}", t.train_accuracy);
            println!(
                "  quantisation   i8 predicts what f32 did on {:.2}% of training texts",
                100.0 * t.quantized_agreement
            );
            println!("  time           {:.1} s", t.seconds);
            Ok(())
        }
        ClassifierCmd::Eval(a) => {
            let bytes = publish::read_input(&a.model)?;
            let model = cls::decode(&bytes, &a.model.display().to_string())?;
            let rows = rows(&a.input, a.label_map.as_ref())?;
            let r = cls::evaluate(&model, bytes.len(), &rows);
            if a.json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                print!(
                    "{}",
                    cls::eval_text(
                        &r,
                        &a.model.display().to_string(),
                        &a.input.display().to_string()
                    )
                );
            }
            Ok(())
        }
    }
}
