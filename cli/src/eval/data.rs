//! Reading the generic interaction log (`items.tsv`, `events.tsv`) and the
//! leave-last-positive-out split.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use hearth_core::taxonomy::{FORMAT, Taxonomy, TaxonomyData, TopicDef};

use crate::error::CliError;

/// One item of `items.tsv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    /// The item's id.
    pub id: String,
    /// Topic ids in the taxonomy built from the file (deduplicated).
    pub topics: Vec<String>,
    /// Title (kept for display).
    pub title: String,
}

/// One event of `events.tsv`, with user and item as dense indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRow {
    /// User index into [`Dataset::users`].
    pub user: u32,
    /// Item index into [`Dataset::items`].
    pub item: u32,
    /// Unix seconds.
    pub ts: i64,
    /// 1 = positive engagement.
    pub positive: bool,
}

/// A loaded interaction log.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Items in file order.
    pub items: Vec<ItemRow>,
    /// User ids, in first-seen order.
    pub users: Vec<String>,
    /// Events in file order.
    pub events: Vec<EventRow>,
    /// The taxonomy built from the items' topic labels: one topic per
    /// distinct `/`-path prefix, id `t<N>`, label the last path segment.
    pub taxonomy: Arc<Taxonomy>,
}

/// One user's part of the split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSplit {
    /// User index.
    pub user: u32,
    /// Training events (everything before the target), in time order.
    pub train: Vec<EventRow>,
    /// The held-out item: the user's last positive event.
    pub target: u32,
    /// Unix seconds of the target event.
    pub target_ts: i64,
}

/// The evaluation split of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Users that are evaluated.
    pub users: Vec<UserSplit>,
    /// Users with no positive event at all (no target).
    pub skipped_no_target: usize,
    /// Users whose target has no positive event before it.
    pub skipped_no_positive_history: usize,
}

fn err(file: &Path, line: usize, msg: impl Into<String>) -> CliError {
    CliError::Input(format!("{}:{line}: {}", file.display(), msg.into()))
}

/// Column positions of `names` in a tab-separated header, by name.
fn columns<const N: usize>(
    file: &Path,
    header: Option<&str>,
    names: [&str; N],
) -> Result<[usize; N], CliError> {
    let header = header.ok_or_else(|| err(file, 1, "empty file (a header line is required)"))?;
    let cols: Vec<&str> = header.trim_end_matches('\r').split('\t').collect();
    let mut out = [0; N];
    for (k, name) in names.iter().enumerate() {
        out[k] = cols.iter().position(|c| c.trim() == *name).ok_or_else(|| {
            err(
                file,
                1,
                format!("no column {name:?} in the header (found {cols:?})"),
            )
        })?;
    }
    Ok(out)
}

fn field<'a>(
    file: &Path,
    line: usize,
    f: &[&'a str],
    col: usize,
    name: &str,
) -> Result<&'a str, CliError> {
    f.get(col)
        .map(|s| s.trim())
        .ok_or_else(|| err(file, line, format!("missing column {name:?}")))
}

/// The non-blank data lines after the header, as (1-based line number,
/// tab-separated fields).
fn rows<'a>(lines: std::str::Lines<'a>) -> impl Iterator<Item = (usize, Vec<&'a str>)> {
    lines.enumerate().filter_map(|(n, line)| {
        let line = line.trim_end_matches('\r');
        (!line.trim().is_empty()).then(|| (n + 2, line.split('\t').collect()))
    })
}

impl Dataset {
    /// Read `items.tsv` and `events.tsv` (see [`super`] for the format).
    pub fn load(items: &Path, events: &Path) -> Result<Self, CliError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| CliError::Input(format!("{}: {e}", p.display())))
        };
        Self::parse(items, &read(items)?, events, &read(events)?)
    }

    /// Parse the two files' text (`items_name`/`events_name` name them in errors).
    pub fn parse(
        items_name: &Path,
        items_text: &str,
        events_name: &Path,
        events_text: &str,
    ) -> Result<Self, CliError> {
        // Items and the taxonomy of their labels.
        let mut lines = items_text.lines();
        let [c_id, c_topics, c_title] =
            columns(items_name, lines.next(), ["item_id", "topics", "title"])?;
        let mut paths: HashMap<String, String> = HashMap::new(); // path -> topic id
        let mut defs: Vec<TopicDef> = Vec::new();
        let mut items: Vec<ItemRow> = Vec::new();
        let mut item_index: HashMap<String, u32> = HashMap::new();
        for (ln, f) in rows(lines) {
            let id = field(items_name, ln, &f, c_id, "item_id")?;
            if id.is_empty() {
                return Err(err(items_name, ln, "empty item_id"));
            }
            let labels = field(items_name, ln, &f, c_topics, "topics")?;
            let title = f.get(c_title).map_or("", |s| s.trim()).to_string();
            let mut topics: Vec<String> = Vec::new();
            for label in labels.split('|').map(str::trim).filter(|l| !l.is_empty()) {
                let mut prefix = String::new();
                let mut parent: Option<String> = None;
                for seg in label.split('/').map(str::trim) {
                    if seg.is_empty() {
                        return Err(err(
                            items_name,
                            ln,
                            format!("topic {label:?} has an empty path segment"),
                        ));
                    }
                    if !prefix.is_empty() {
                        prefix.push('/');
                    }
                    prefix.push_str(seg);
                    let id = match paths.get(&prefix) {
                        Some(id) => id.clone(),
                        None => {
                            let id = format!("t{}", defs.len());
                            defs.push(TopicDef {
                                id: id.clone(),
                                label: seg.to_string(),
                                parent: parent.clone(),
                                sensitive: None,
                            });
                            paths.insert(prefix.clone(), id.clone());
                            id
                        }
                    };
                    parent = Some(id);
                }
                if let Some(leaf) = parent {
                    if !topics.contains(&leaf) {
                        topics.push(leaf);
                    }
                }
            }
            if item_index
                .insert(id.to_string(), items.len() as u32)
                .is_some()
            {
                return Err(err(items_name, ln, format!("item_id {id:?} repeats")));
            }
            items.push(ItemRow {
                id: id.to_string(),
                topics,
                title,
            });
        }
        if items.is_empty() {
            return Err(err(items_name, 1, "no items"));
        }
        if defs.is_empty() {
            // A taxonomy needs a topic; a log without labels still evaluates.
            defs.push(TopicDef {
                id: "t0".into(),
                label: "(none)".into(),
                parent: None,
                sensitive: None,
            });
        }
        let taxonomy = Taxonomy::from_data(TaxonomyData {
            format: FORMAT.into(),
            version: format!("eval-{}", defs.len()),
            attribution: None,
            topics: defs,
        })
        .map_err(|e| CliError::Input(format!("{}: topics: {e}", items_name.display())))?;

        // Events.
        let mut lines = events_text.lines();
        let [c_user, c_item, c_ts, c_label] = columns(
            events_name,
            lines.next(),
            ["user_id", "item_id", "timestamp", "label"],
        )?;
        let mut users: Vec<String> = Vec::new();
        let mut user_index: HashMap<String, u32> = HashMap::new();
        let mut events = Vec::new();
        for (ln, f) in rows(lines) {
            let user = field(events_name, ln, &f, c_user, "user_id")?;
            let item = field(events_name, ln, &f, c_item, "item_id")?;
            let ts = field(events_name, ln, &f, c_ts, "timestamp")?;
            let label = field(events_name, ln, &f, c_label, "label")?;
            let item = *item_index.get(item).ok_or_else(|| {
                err(
                    events_name,
                    ln,
                    format!("item_id {item:?} is not in the items file"),
                )
            })?;
            let ts: i64 = ts.parse().map_err(|_| {
                err(
                    events_name,
                    ln,
                    format!("timestamp {ts:?} is not an integer (Unix seconds)"),
                )
            })?;
            let positive = match label {
                "1" => true,
                "0" => false,
                other => {
                    return Err(err(
                        events_name,
                        ln,
                        format!("label {other:?} must be 0 or 1"),
                    ));
                }
            };
            if user.is_empty() {
                return Err(err(events_name, ln, "empty user_id"));
            }
            let u = match user_index.get(user) {
                Some(&u) => u,
                None => {
                    let u = users.len() as u32;
                    users.push(user.to_string());
                    user_index.insert(user.to_string(), u);
                    u
                }
            };
            events.push(EventRow {
                user: u,
                item,
                ts,
                positive,
            });
        }
        Ok(Self {
            items,
            users,
            events,
            taxonomy: Arc::new(taxonomy),
        })
    }

    /// Order of two item ids for ties in time: numerically when both are
    /// integers, else as strings.
    pub fn cmp_item_ids(&self, a: u32, b: u32) -> Ordering {
        let (a, b) = (&self.items[a as usize].id, &self.items[b as usize].id);
        match (a.parse::<i64>(), b.parse::<i64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
            _ => a.cmp(b),
        }
    }

    /// The leave-last-positive-out split: per user, events in time order
    /// (ties by item id); the last positive event is the target; everything
    /// before it is training history.
    pub fn split(&self) -> Split {
        let mut per_user: Vec<Vec<EventRow>> = vec![Vec::new(); self.users.len()];
        for e in &self.events {
            per_user[e.user as usize].push(*e);
        }
        let mut out = Split {
            users: Vec::new(),
            skipped_no_target: 0,
            skipped_no_positive_history: 0,
        };
        for (u, mut evs) in per_user.into_iter().enumerate() {
            evs.sort_by(|a, b| {
                a.ts.cmp(&b.ts)
                    .then_with(|| self.cmp_item_ids(a.item, b.item))
            });
            let Some(t) = evs.iter().rposition(|e| e.positive) else {
                out.skipped_no_target += 1;
                continue;
            };
            let target = evs[t];
            evs.truncate(t);
            // Earlier interactions with the target item leave training, so
            // no model (nor the candidate list) learns the answer from them.
            evs.retain(|e| e.item != target.item);
            if !evs.iter().any(|e| e.positive) {
                out.skipped_no_positive_history += 1;
                continue;
            }
            out.users.push(UserSplit {
                user: u as u32,
                train: evs,
                target: target.item,
                target_ts: target.ts,
            });
        }
        out
    }
}
