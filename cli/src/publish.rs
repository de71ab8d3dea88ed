//! `hearth catalog build` and `hearth catalog inspect`: source → signed bundle,
//! and bundle → verified summary or source again.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::Path;

use hearth_core::catalog::bundle::{self, BundleHeader, PublicKey, SigningKey, hex};
use hearth_core::catalog::model::Catalog;
use hearth_core::catalog::validate::validate;
use hearth_core::taxonomy::Taxonomy;

use crate::catalog_source::{self, CatalogSource, SourceHeader, format_rfc3339, source_path};
use crate::error::{CliError, SourceIssue};

/// Largest bundle `inspect` opens (256 MiB).
pub const MAX_BUNDLE_LEN: usize = 256 << 20;

/// Header values given on the command line; they replace the source's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--version`.
    pub version: Option<u64>,
    /// `--created-at`, Unix ms.
    pub created_at_ms: Option<i64>,
    /// `--expires-at`, Unix ms.
    pub expires_at_ms: Option<i64>,
}

impl Overrides {
    fn apply(&self, h: SourceHeader) -> SourceHeader {
        SourceHeader {
            version: self.version.unwrap_or(h.version),
            created_at_ms: self.created_at_ms.unwrap_or(h.created_at_ms),
            expires_at_ms: self.expires_at_ms.unwrap_or(h.expires_at_ms),
        }
    }
}

/// A built, signed bundle.
#[derive(Debug, Clone)]
pub struct Built {
    /// The bundle bytes.
    pub bundle: Vec<u8>,
    /// The header values used.
    pub header: SourceHeader,
    /// The catalog that was sealed.
    pub catalog: Catalog,
    /// Id of the signing key.
    pub key_id: [u8; 8],
}

/// Read a file, or stdin for `-`.
pub fn read_input(path: &Path) -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| CliError::io("cannot read", path, e))?;
    } else {
        buf = std::fs::read(path).map_err(|e| CliError::io("cannot read", path, e))?;
    }
    Ok(buf)
}

/// Write a file atomically (temporary file in the same directory, then rename),
/// or to stdout for `-`.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    if path == Path::new("-") {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|e| CliError::io("cannot write", path, e));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| CliError::io("cannot create a temporary file in", dir, e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| CliError::io("cannot write", path, e))?;
    tmp.persist(path)
        .map_err(|e| CliError::io("cannot write", path, e.error))?;
    Ok(())
}

/// A name for where bytes came from, for messages.
pub fn origin(path: &Path) -> String {
    if path == Path::new("-") {
        "stdin".into()
    } else {
        path.display().to_string()
    }
}

/// Every rule a catalog and its header must satisfy before it is sealed:
/// header times, the taxonomy version, and [`validate`]; paths are in the
/// source's spelling.
pub fn check(catalog: &Catalog, header: &SourceHeader, tax: &Taxonomy) -> Vec<SourceIssue> {
    let mut issues = Vec::new();
    if header.expires_at_ms <= header.created_at_ms {
        let show = |ms| format_rfc3339(ms).unwrap_or_else(|_| format!("{ms} ms"));
        issues.push(SourceIssue {
            path: "expires_at".into(),
            rule: "range".into(),
            detail: format!(
                "expires at {} which is not after created_at {}",
                show(header.expires_at_ms),
                show(header.created_at_ms)
            ),
        });
    }
    if catalog.taxonomy_version != tax.version() {
        issues.push(SourceIssue {
            path: "taxonomy_version".into(),
            rule: "taxonomy-version".into(),
            detail: format!(
                "catalog targets taxonomy {:?}, but phones use {:?}",
                catalog.taxonomy_version,
                tax.version()
            ),
        });
    }
    issues.extend(validate(catalog, tax).into_iter().map(|i| SourceIssue {
        path: source_path(&i.path, catalog),
        rule: i.rule.to_string(),
        detail: i.detail,
    }));
    // The text classifier blob must decode and name usable topics, as the
    // phone checks at install.
    if let Err(hearth_core::Error::CatalogInvalid { path, rule, detail }) =
        hearth_core::classifier::TopicClassifier::from_models(&catalog.models, tax)
    {
        issues.push(SourceIssue {
            path: source_path(&path, catalog),
            rule: rule.to_string(),
            detail,
        });
    }
    // So must the content model: a phone refuses a catalog whose content/1
    // does not decode.
    for (i, (key, blob)) in catalog.models.blobs.iter().enumerate() {
        if key == hearth_core::content::BLOB_KEY {
            if let Err(e) = hearth_core::content::ContentModel::decode(blob) {
                issues.push(SourceIssue {
                    path: source_path(&format!("models.blobs[{i}]"), catalog),
                    rule: hearth_core::error::CatalogRule::Model.to_string(),
                    detail: e.to_string(),
                });
            }
        }
    }
    issues
}

/// Parse source bytes (`origin` names them in errors).
pub fn parse_source(json: &[u8], origin: &str) -> Result<CatalogSource, CliError> {
    catalog_source::parse(json).map_err(|error| CliError::Parse {
        origin: origin.to_string(),
        error,
    })
}

/// Check and seal a source. Fails with [`CliError::Invalid`] listing every issue.
pub fn build(
    source: &CatalogSource,
    overrides: &Overrides,
    key: &SigningKey,
    tax: &Taxonomy,
    origin: &str,
) -> Result<Built, CliError> {
    let (catalog, header) = source.to_model();
    let header = overrides.apply(header);
    let issues = check(&catalog, &header, tax);
    if !issues.is_empty() {
        return Err(CliError::Invalid {
            origin: origin.to_string(),
            issues,
        });
    }
    let bundle = bundle::seal(
        &catalog,
        header.version,
        header.created_at_ms,
        header.expires_at_ms,
        key,
    )?;
    Ok(Built {
        bundle,
        header,
        catalog,
        key_id: key.public_key().key_id(),
    })
}

/// Counts that describe a catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Advertisers.
    pub advertisers: usize,
    /// Campaigns.
    pub campaigns: usize,
    /// Creative sets.
    pub creative_sets: usize,
    /// Creatives.
    pub creatives: usize,
    /// Creative sets with topic targeting.
    pub topic_targeted_sets: usize,
    /// Creative sets with trait targeting.
    pub trait_targeted_sets: usize,
    /// Creative sets with an embedding.
    pub sets_with_embedding: usize,
    /// `(advertiser id, name, campaigns)`, most campaigns first.
    pub top_advertisers: Vec<(String, String, usize)>,
}

impl Stats {
    /// Count a catalog; keeps the `top` advertisers with the most campaigns.
    pub fn of(catalog: &Catalog, top: usize) -> Self {
        let sets = || catalog.campaigns.iter().flat_map(|c| &c.creative_sets);
        let mut per_adv: HashMap<&str, usize> = HashMap::new();
        for c in &catalog.campaigns {
            *per_adv.entry(c.advertiser_id.as_str()).or_default() += 1;
        }
        let mut ranked: Vec<(String, String, usize)> = catalog
            .advertisers
            .iter()
            .map(|a| {
                let n = per_adv.get(a.id.as_str()).copied().unwrap_or(0);
                (a.id.clone(), a.name.clone(), n)
            })
            .collect();
        ranked.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(top);
        Stats {
            advertisers: catalog.advertisers.len(),
            campaigns: catalog.campaigns.len(),
            creative_sets: sets().count(),
            creatives: catalog.creative_count(),
            topic_targeted_sets: sets().filter(|s| !s.include_topics.is_empty()).count(),
            trait_targeted_sets: sets().filter(|s| !s.traits.is_empty()).count(),
            sets_with_embedding: sets().filter(|s| !s.embedding.is_empty()).count(),
            top_advertisers: ranked,
        }
    }
}

fn per_creative(bytes: usize, creatives: usize) -> String {
    if creatives == 0 {
        "n/a".into()
    } else {
        format!("{:.1}", bytes as f64 / creatives as f64)
    }
}

fn time_line(ms: i64) -> String {
    format_rfc3339(ms).unwrap_or_else(|_| format!("{ms} ms (not a calendar date)"))
}

/// The summary `build` prints.
pub fn build_summary(built: &Built, out: &str) -> String {
    let s = Stats::of(&built.catalog, 0);
    let n = built.bundle.len();
    let body = n.saturating_sub(bundle::HEADER_LEN + bundle::SIGNATURE_LEN);
    let mut t = String::new();
    let _ = writeln!(t, "built {out}");
    let _ = writeln!(t, "  version        {}", built.header.version);
    let _ = writeln!(
        t,
        "  created at     {}",
        time_line(built.header.created_at_ms)
    );
    let _ = writeln!(
        t,
        "  expires at     {}",
        time_line(built.header.expires_at_ms)
    );
    let _ = writeln!(t, "  key id         {}", hex(&built.key_id));
    let _ = writeln!(t, "  advertisers    {}", s.advertisers);
    let _ = writeln!(t, "  campaigns      {}", s.campaigns);
    let _ = writeln!(t, "  creative sets  {}", s.creative_sets);
    let _ = writeln!(t, "  creatives      {}", s.creatives);
    let _ = writeln!(t, "  bytes          {n} (body {body})");
    let _ = writeln!(t, "  bytes/creative {}", per_creative(n, s.creatives));
    t
}

/// A verified bundle.
#[derive(Debug, Clone)]
pub struct Inspected {
    /// The header.
    pub header: BundleHeader,
    /// The decoded catalog.
    pub catalog: Catalog,
    /// Bundle size in bytes.
    pub len: usize,
    /// Rule violations found by [`check`] (a phone would refuse the catalog).
    pub issues: Vec<SourceIssue>,
}

impl Inspected {
    /// The header values in the source's terms.
    pub fn source_header(&self) -> SourceHeader {
        SourceHeader {
            version: self.header.catalog_version,
            created_at_ms: self.header.created_at_ms,
            expires_at_ms: self.header.expires_at_ms,
        }
    }
}

/// Verify (size limit, framing, trusted key, signature), decode and check a
/// bundle.
pub fn inspect(
    bytes: &[u8],
    trusted: &[PublicKey],
    tax: &Taxonomy,
    origin: &str,
) -> Result<Inspected, CliError> {
    let (header, catalog) =
        bundle::open(bytes, trusted, MAX_BUNDLE_LEN).map_err(|error| CliError::Bundle {
            origin: origin.to_string(),
            error,
        })?;
    let sh = SourceHeader {
        version: header.catalog_version,
        created_at_ms: header.created_at_ms,
        expires_at_ms: header.expires_at_ms,
    };
    let issues = check(&catalog, &sh, tax);
    Ok(Inspected {
        header,
        catalog,
        len: bytes.len(),
        issues,
    })
}

/// The readable summary `inspect` prints. `now_ms` decides the expiry note.
pub fn inspect_summary(ins: &Inspected, origin: &str, now_ms: i64) -> String {
    let h = &ins.header;
    let c = &ins.catalog;
    let s = Stats::of(c, 5);
    let mut t = String::new();
    let _ = writeln!(t, "{origin}: signature OK");
    let _ = writeln!(t, "  format         {}", h.format_version);
    let _ = writeln!(t, "  version        {}", h.catalog_version);
    let _ = writeln!(t, "  created at     {}", time_line(h.created_at_ms));
    let expiry = if now_ms >= h.expires_at_ms {
        "  (expired: phones refuse it)"
    } else {
        ""
    };
    let _ = writeln!(t, "  expires at     {}{expiry}", time_line(h.expires_at_ms));
    let _ = writeln!(t, "  key id         {}", hex(&h.key_id));
    let _ = writeln!(t, "  region         {}", c.region);
    let _ = writeln!(t, "  taxonomy       {}", c.taxonomy_version);
    let _ = writeln!(t, "  advertisers    {}", s.advertisers);
    let _ = writeln!(t, "  campaigns      {}", s.campaigns);
    let _ = writeln!(
        t,
        "  creative sets  {} ({} topic-targeted, {} trait-targeted, {} with embedding)",
        s.creative_sets, s.topic_targeted_sets, s.trait_targeted_sets, s.sets_with_embedding
    );
    let _ = writeln!(t, "  creatives      {}", s.creatives);
    let _ = writeln!(
        t,
        "  bytes          {} ({} per creative)",
        ins.len,
        per_creative(ins.len, s.creatives)
    );
    if !c.models.scoring.is_empty() || !c.models.blobs.is_empty() {
        let blobs: Vec<String> = c
            .models
            .blobs
            .iter()
            .map(|(k, b)| format!("{k} ({} bytes)", b.len()))
            .collect();
        let _ = writeln!(
            t,
            "  models         {} scoring parameters; blobs: {}",
            c.models.scoring.len(),
            if blobs.is_empty() {
                "none".to_string()
            } else {
                blobs.join(", ")
            }
        );
    }
    if !s.top_advertisers.is_empty() {
        let _ = writeln!(t, "  top advertisers by campaigns:");
        for (id, name, n) in &s.top_advertisers {
            let _ = writeln!(t, "    {n:>6}  {name} ({id})");
        }
    }
    if ins.issues.is_empty() {
        let _ = writeln!(t, "  validation     OK");
    } else {
        let _ = writeln!(
            t,
            "  validation     {} issues (phones refuse this catalog)",
            ins.issues.len()
        );
    }
    t
}

/// The verified catalog as source JSON (pretty), which `build` accepts again.
pub fn inspect_json(ins: &Inspected) -> Result<String, CliError> {
    let src = CatalogSource::from_model(&ins.catalog, &ins.source_header());
    Ok(catalog_source::to_json(&src, true)?)
}
