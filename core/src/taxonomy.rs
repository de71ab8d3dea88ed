//! The topic taxonomy: a versioned tree of topics (id, label, parent).
//!
//! Everything Hearth learns about a person is expressed as weights on these
//! topics, and everything a catalog targets is expressed in them too. A taxonomy
//! is loaded from data ([`TaxonomyData`], JSON or postcard); the IAB Content
//! Taxonomy 3.x ships embedded as the default ([`Taxonomy::iab`]).
//!
//! Topics can be marked **sensitive** (special categories of personal data: health,
//! religion, politics, sexual life, criminal matters, …). Marking is inherited: a
//! topic is sensitive when it or any ancestor is marked. The profile never stores
//! sensitive topics and nothing can target them.
//!
//! Attribution: the embedded IAB Tech Lab Content Taxonomy 3.x is (c) IAB Technology
//! Laboratory, licensed CC BY 3.0; see `core/data/ATTRIBUTION.md`.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Dense index of a topic inside one loaded [`Taxonomy`] (0..len).
pub type TopicIdx = u32;

/// The format tag every taxonomy document carries.
pub const FORMAT: &str = "hearth-taxonomy/1";

/// Longest topic id accepted.
pub const MAX_ID_LEN: usize = 64;
/// Longest topic label accepted.
pub const MAX_LABEL_LEN: usize = 128;
/// Most topics a taxonomy may hold.
pub const MAX_TOPICS: usize = 65_536;
/// Deepest nesting accepted (roots have depth 0).
pub const MAX_DEPTH: usize = 16;

/// One topic as written in taxonomy data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicDef {
    /// Stable identifier (IAB ids such as `"483"` or `"JLBCU7"`).
    pub id: String,
    /// Human-readable label, shown to users.
    pub label: String,
    /// Parent id, `None` for a root.
    pub parent: Option<String>,
    /// Special category of personal data this topic belongs to, if any
    /// (`"health"`, `"religion"`, `"politics"`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<String>,
}

/// A taxonomy as data: the project's own interchange format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyData {
    /// Must equal [`FORMAT`].
    pub format: String,
    /// Version string of this taxonomy (catalogs name the version they target).
    pub version: String,
    /// Licence and source attribution, kept with the data.
    #[serde(default)]
    pub attribution: Option<String>,
    /// All topics; parents may appear after their children.
    pub topics: Vec<TopicDef>,
}

/// A topic in a loaded taxonomy.
#[derive(Debug, Clone)]
pub struct Topic {
    /// Stable identifier.
    pub id: String,
    /// Human-readable label.
    pub label: String,
    /// Parent's index, `None` for a root.
    pub parent: Option<TopicIdx>,
    /// Distance from the root (roots are 0).
    pub depth: u8,
    /// The category this topic itself is marked with.
    pub marked_sensitive: Option<String>,
    /// True when this topic or any ancestor is marked sensitive.
    pub sensitive: bool,
    /// Label phrases (each a set of words) used by [`Taxonomy::match_text`].
    keywords: Vec<Vec<String>>,
}

/// A loaded, validated taxonomy. Cheap to share behind an [`Arc`].
#[derive(Debug, Clone)]
pub struct Taxonomy {
    version: String,
    attribution: Option<String>,
    topics: Vec<Topic>,
    by_id: HashMap<String, TopicIdx>,
    by_label: HashMap<String, TopicIdx>,
    by_path: HashMap<String, TopicIdx>,
}

static EMBEDDED_IAB_JSON: &str = include_str!("../data/iab-content-3.x.json");
static IAB: LazyLock<std::result::Result<Arc<Taxonomy>, String>> = LazyLock::new(|| {
    Taxonomy::from_json(EMBEDDED_IAB_JSON)
        .map(Arc::new)
        .map_err(|e| e.to_string())
});

const STOPWORDS: &[&str] = &[
    "and", "the", "of", "for", "or", "a", "an", "in", "to", "with",
];

impl Taxonomy {
    /// The embedded IAB Content Taxonomy 3.x (704 topics, 37 roots), with
    /// Hearth's sensitive-category marks.
    pub fn iab() -> Result<Arc<Taxonomy>> {
        match &*IAB {
            Ok(t) => Ok(Arc::clone(t)),
            Err(e) => Err(Error::InvalidTaxonomy(e.clone())),
        }
    }

    /// Parse and validate a taxonomy from its JSON form.
    pub fn from_json(json: &str) -> Result<Taxonomy> {
        let data: TaxonomyData =
            serde_json::from_str(json).map_err(|e| Error::InvalidTaxonomy(e.to_string()))?;
        Self::from_data(data)
    }

    /// Validate taxonomy data and build the lookup tables.
    ///
    /// Rejects: a wrong format tag, empty or over-long ids and labels, duplicate
    /// ids, parents that do not exist, cycles, nesting deeper than [`MAX_DEPTH`],
    /// more than [`MAX_TOPICS`] topics.
    pub fn from_data(data: TaxonomyData) -> Result<Taxonomy> {
        let bad = |m: String| Err(Error::InvalidTaxonomy(m));
        if data.format != FORMAT {
            return bad(format!("format is {:?}, expected {FORMAT:?}", data.format));
        }
        if data.version.is_empty() || data.version.len() > 128 {
            return bad("version must be 1..=128 bytes".into());
        }
        if data.topics.is_empty() || data.topics.len() > MAX_TOPICS {
            return bad(format!("must hold 1..={MAX_TOPICS} topics"));
        }
        let mut by_id = HashMap::with_capacity(data.topics.len());
        for (i, t) in data.topics.iter().enumerate() {
            if t.id.is_empty() || t.id.len() > MAX_ID_LEN {
                return bad(format!("topics[{i}].id must be 1..={MAX_ID_LEN} bytes"));
            }
            if t.label.trim().is_empty() || t.label.len() > MAX_LABEL_LEN {
                return bad(format!(
                    "topics[{i}].label must be 1..={MAX_LABEL_LEN} bytes"
                ));
            }
            let idx =
                TopicIdx::try_from(i).map_err(|_| Error::InvalidTaxonomy("too big".into()))?;
            if by_id.insert(t.id.clone(), idx).is_some() {
                return bad(format!("topics[{i}].id {:?} is a duplicate", t.id));
            }
        }
        let mut parents = Vec::with_capacity(data.topics.len());
        for (i, t) in data.topics.iter().enumerate() {
            let parent = match &t.parent {
                None => None,
                Some(p) => match by_id.get(p) {
                    Some(&pi) => Some(pi),
                    None => return bad(format!("topics[{i}].parent {p:?} does not exist")),
                },
            };
            parents.push(parent);
        }
        // Depth and cycle check: walk up at most MAX_DEPTH steps.
        let mut depths = Vec::with_capacity(parents.len());
        for (i, _) in parents.iter().enumerate() {
            let mut depth = 0usize;
            let mut cur = parents.get(i).copied().flatten();
            while let Some(p) = cur {
                depth += 1;
                if depth > MAX_DEPTH {
                    return bad(format!(
                        "topics[{i}] is nested deeper than {MAX_DEPTH} levels or in a cycle"
                    ));
                }
                cur = parents.get(p as usize).copied().flatten();
            }
            depths.push(depth as u8);
        }
        let mut topics: Vec<Topic> = data
            .topics
            .into_iter()
            .zip(parents.iter().zip(depths.iter()))
            .map(|(t, (&parent, &depth))| Topic {
                keywords: keywords(&t.label),
                id: t.id,
                label: t.label,
                parent,
                depth,
                sensitive: t.sensitive.is_some(),
                marked_sensitive: t.sensitive,
            })
            .collect();
        // Inherit sensitivity from ancestors.
        for i in 0..topics.len() {
            let mut cur = topics.get(i).and_then(|t| t.parent);
            let mut inherited = false;
            while let Some(p) = cur {
                let Some(pt) = topics.get(p as usize) else {
                    break;
                };
                if pt.marked_sensitive.is_some() {
                    inherited = true;
                    break;
                }
                cur = pt.parent;
            }
            if let Some(t) = topics.get_mut(i) {
                t.sensitive |= inherited;
            }
        }
        let mut tax = Taxonomy {
            version: data.version,
            attribution: data.attribution,
            by_label: HashMap::with_capacity(topics.len()),
            by_path: HashMap::with_capacity(topics.len()),
            topics,
            by_id,
        };
        for i in 0..tax.topics.len() {
            let idx = i as TopicIdx;
            let path = tax.path(idx).to_lowercase();
            tax.by_path.insert(path, idx);
            if let Some(t) = tax.topics.get(i) {
                // Labels need not be unique; the first (shallowest listed) wins,
                // the full path is always unambiguous.
                tax.by_label.entry(t.label.to_lowercase()).or_insert(idx);
            }
        }
        Ok(tax)
    }

    /// The data form of this taxonomy (for embedding in catalogs or export).
    pub fn to_data(&self) -> TaxonomyData {
        TaxonomyData {
            format: FORMAT.to_string(),
            version: self.version.clone(),
            attribution: self.attribution.clone(),
            topics: self
                .topics
                .iter()
                .map(|t| TopicDef {
                    id: t.id.clone(),
                    label: t.label.clone(),
                    parent: t.parent.and_then(|p| self.get(p)).map(|p| p.id.clone()),
                    sensitive: t.marked_sensitive.clone(),
                })
                .collect(),
        }
    }

    /// Version string.
    pub fn version(&self) -> &str {
        &self.version
    }
    /// Licence and source attribution.
    pub fn attribution(&self) -> Option<&str> {
        self.attribution.as_deref()
    }
    /// Number of topics.
    pub fn len(&self) -> usize {
        self.topics.len()
    }
    /// True if the taxonomy holds no topics (never, for a validated one).
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }
    /// All topics, in index order.
    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }
    /// The topic at `idx`, if in range.
    pub fn get(&self, idx: TopicIdx) -> Option<&Topic> {
        self.topics.get(idx as usize)
    }
    /// The index of the topic with this id, or [`Error::UnknownTopic`].
    pub fn idx(&self, id: &str) -> Result<TopicIdx> {
        self.by_id
            .get(id)
            .copied()
            .ok_or_else(|| Error::UnknownTopic(truncate_for_error(id)))
    }
    /// The topic with this id, or [`Error::UnknownTopic`].
    pub fn topic(&self, id: &str) -> Result<&Topic> {
        let idx = self.idx(id)?;
        self.get(idx)
            .ok_or_else(|| Error::UnknownTopic(truncate_for_error(id)))
    }
    /// Look a topic up by its label (case-insensitive) or by its full path
    /// (`"Sports/Soccer"`), or fail with [`Error::UnknownLabel`].
    pub fn idx_by_label(&self, label: &str) -> Result<TopicIdx> {
        let key = label.trim().to_lowercase();
        self.by_path
            .get(&key)
            .or_else(|| self.by_label.get(&key))
            .copied()
            .ok_or_else(|| Error::UnknownLabel(truncate_for_error(label)))
    }
    /// True if the topic (or an ancestor) is a special category of personal data.
    pub fn is_sensitive(&self, idx: TopicIdx) -> bool {
        self.get(idx).is_some_and(|t| t.sensitive)
    }
    /// The parent's index.
    pub fn parent(&self, idx: TopicIdx) -> Option<TopicIdx> {
        self.get(idx).and_then(|t| t.parent)
    }
    /// Ancestors of `idx`, nearest first (not including `idx`).
    pub fn ancestors(&self, idx: TopicIdx) -> Ancestors<'_> {
        Ancestors {
            tax: self,
            cur: self.parent(idx),
        }
    }
    /// True if `ancestor` is `idx` or one of its ancestors.
    pub fn is_within(&self, idx: TopicIdx, ancestor: TopicIdx) -> bool {
        idx == ancestor || self.ancestors(idx).any(|a| a == ancestor)
    }
    /// The `/`-separated label path from the root, e.g. `"Sports/Soccer"`.
    pub fn path(&self, idx: TopicIdx) -> String {
        let mut parts: Vec<&str> = self
            .ancestors(idx)
            .filter_map(|a| self.get(a).map(|t| t.label.as_str()))
            .collect();
        parts.reverse();
        if let Some(t) = self.get(idx) {
            parts.push(&t.label);
        }
        parts.join("/")
    }

    /// Topics whose label words all occur in `text` (case-insensitive, with a
    /// crude plural folding), most specific first, ancestors of a match removed,
    /// at most `limit`. A keyword baseline until a trained classifier is
    /// installed; the text itself is not kept anywhere.
    pub fn match_text(&self, text: &str, limit: usize) -> Vec<TopicIdx> {
        let words: std::collections::HashSet<String> = tokenize(text).collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<TopicIdx> = self
            .topics
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                t.keywords
                    .iter()
                    .any(|phrase| phrase.iter().all(|k| words.contains(k)))
            })
            .map(|(i, _)| i as TopicIdx)
            .collect();
        // Drop any hit that is an ancestor of another hit: the child is more precise
        // and the profile rolls weight up to parents anyway.
        let snapshot = hits.clone();
        hits.retain(|&h| !snapshot.iter().any(|&o| o != h && self.is_within(o, h)));
        hits.sort_by_key(|&h| {
            let t = self.get(h);
            (
                std::cmp::Reverse(t.map_or(0, |t| {
                    t.keywords
                        .iter()
                        .filter(|p| p.iter().all(|k| words.contains(k)))
                        .map(Vec::len)
                        .max()
                        .unwrap_or(0)
                })),
                std::cmp::Reverse(t.map_or(0, |t| t.depth)),
                h,
            )
        });
        hits.truncate(limit);
        hits
    }
}

/// Iterator over a topic's ancestors, nearest first.
#[derive(Debug, Clone)]
pub struct Ancestors<'a> {
    tax: &'a Taxonomy,
    cur: Option<TopicIdx>,
}

impl Iterator for Ancestors<'_> {
    type Item = TopicIdx;
    fn next(&mut self) -> Option<TopicIdx> {
        let c = self.cur?;
        self.cur = self.tax.parent(c);
        Some(c)
    }
}

fn fold_word(w: &str) -> String {
    let w = w.to_lowercase();
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_string()
    } else {
        w
    }
}

fn tokenize(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold_word)
}

/// A label is one or more phrases joined by "and", "&" or commas ("Running and
/// Jogging" is two phrases); a text matches the label if it holds every word of
/// one phrase.
fn keywords(label: &str) -> Vec<Vec<String>> {
    let lower = label.to_lowercase().replace(" and ", ",").replace('&', ",");
    lower
        .split(',')
        .map(|phrase| {
            let mut k: Vec<String> = tokenize(phrase)
                .filter(|w| !STOPWORDS.contains(&w.as_str()))
                .collect();
            k.sort();
            k.dedup();
            k
        })
        .filter(|k| !k.is_empty())
        .collect()
}

/// Errors echo user input; keep that echo short.
pub(crate) fn truncate_for_error(s: &str) -> String {
    const MAX: usize = 80;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Taxonomy {
        Taxonomy::from_json(
            r#"{"format":"hearth-taxonomy/1","version":"t1","topics":[
            {"id":"s","label":"Sports","parent":null},
            {"id":"f","label":"Soccer","parent":"s"},
            {"id":"w","label":"World Cup","parent":"f"},
            {"id":"h","label":"Health","parent":null,"sensitive":"health"},
            {"id":"c","label":"Cancer","parent":"h"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn embedded_iab_loads_with_704_topics_and_37_roots() {
        let t = Taxonomy::iab().unwrap();
        assert_eq!(t.len(), 704);
        assert_eq!(t.topics().iter().filter(|t| t.parent.is_none()).count(), 37);
        assert!(t.attribution().unwrap().contains("CC BY 3.0"));
        let soccer = t.idx_by_label("Soccer").unwrap();
        assert_eq!(t.path(soccer), "Sports/Soccer");
        assert_eq!(t.idx_by_label("sports/soccer").unwrap(), soccer);
        // Health conditions, religion, politics are sensitive; sports are not.
        for l in ["Cancer", "Islam", "Elections", "Medical Health"] {
            assert!(t.is_sensitive(t.idx_by_label(l).unwrap()), "{l}");
        }
        assert!(!t.is_sensitive(soccer));
    }

    #[test]
    fn round_trips_through_data() {
        let t = Taxonomy::iab().unwrap();
        let again = Taxonomy::from_data(t.to_data()).unwrap();
        assert_eq!(again.len(), t.len());
        assert_eq!(again.to_data(), t.to_data());
    }

    #[test]
    fn ancestry_and_sensitivity_inheritance() {
        let t = small();
        let w = t.idx("w").unwrap();
        let anc: Vec<_> = t
            .ancestors(w)
            .map(|a| t.get(a).unwrap().id.clone())
            .collect();
        assert_eq!(anc, ["f", "s"]);
        assert_eq!(t.get(w).unwrap().depth, 2);
        assert!(t.is_sensitive(t.idx("c").unwrap()), "inherits from Health");
        assert!(
            t.get(t.idx("c").unwrap())
                .unwrap()
                .marked_sensitive
                .is_none()
        );
        assert!(t.is_within(w, t.idx("s").unwrap()));
        assert!(!t.is_within(t.idx("s").unwrap(), w));
    }

    #[test]
    fn unknown_ids_and_labels_are_typed_errors() {
        let t = small();
        assert!(matches!(t.idx("nope"), Err(Error::UnknownTopic(id)) if id == "nope"));
        assert!(matches!(
            t.idx_by_label("Curling"),
            Err(Error::UnknownLabel(_))
        ));
        let long = "x".repeat(10_000);
        match t.idx(&long) {
            Err(Error::UnknownTopic(id)) => assert!(id.len() < 100),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn invalid_data_is_rejected_with_reason() {
        let cases = [
            (
                r#"{"format":"x","version":"1","topics":[{"id":"a","label":"A","parent":null}]}"#,
                "format",
            ),
            (
                r#"{"format":"hearth-taxonomy/1","version":"1","topics":[]}"#,
                "1..=",
            ),
            (
                r#"{"format":"hearth-taxonomy/1","version":"1","topics":[{"id":"a","label":"A","parent":null},{"id":"a","label":"B","parent":null}]}"#,
                "duplicate",
            ),
            (
                r#"{"format":"hearth-taxonomy/1","version":"1","topics":[{"id":"a","label":"A","parent":"zz"}]}"#,
                "does not exist",
            ),
            (
                r#"{"format":"hearth-taxonomy/1","version":"1","topics":[{"id":"a","label":"A","parent":"b"},{"id":"b","label":"B","parent":"a"}]}"#,
                "cycle",
            ),
            (
                r#"{"format":"hearth-taxonomy/1","version":"1","topics":[{"id":"a","label":" ","parent":null}]}"#,
                "label",
            ),
            (
                r#"{"format":"hearth-taxonomy/1","version":"1","topics":[{"id":"a","label":"A","parent":null,"extra":1}]}"#,
                "unknown field",
            ),
        ];
        for (json, want) in cases {
            match Taxonomy::from_json(json) {
                Err(Error::InvalidTaxonomy(m)) => assert!(m.contains(want), "{m} !~ {want}"),
                other => panic!("{json}: {other:?}"),
            }
        }
    }

    #[test]
    fn text_matching_prefers_specific_topics() {
        let t = small();
        let hits = t.match_text("Tickets for the WORLD cup final", 5);
        assert_eq!(hits, vec![t.idx("w").unwrap()]);
        assert!(t.match_text("", 5).is_empty());
        let iab = Taxonomy::iab().unwrap();
        let hits: Vec<String> = iab
            .match_text("best running shoes for a marathon", 3)
            .into_iter()
            .map(|i| iab.path(i))
            .collect();
        assert!(hits.iter().any(|p| p.contains("Running")), "{hits:?}");
    }
}
