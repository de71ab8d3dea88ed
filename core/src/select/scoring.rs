//! Stage 5, scoring: expected value = value × predicted engagement.
//!
//! The engagement model is a logistic regression over features computed on the
//! phone:
//!
//! ```text
//! z = b0
//!   + w_interest  · ln(1 + interest)   interest: the highest profile weight among
//!                                       the set's satisfied include topics
//!   + w_context   · context            1 if an include topic is on the screen
//!   + w_trait     · trait              1 if a targeted trait matched
//!   + w_embedding · max(0, cos(taste, set embedding))
//!                                       taste: mean embedding of sets the user
//!                                       clicked or liked (when both exist)
//!   + w_fatigue   · shows_7d           shows of this set in the last 7 days
//!   + w_content   · content            the catalog's content model: the best
//!                                       normalised score c(j)/max c among the
//!                                       set's item ids, from the app's recent
//!                                       items (0 without model or history)
//! p = 1 / (1 + e^-z)
//! expected value = value_micros · p
//! ```
//!
//! Defaults ([`EngagementModel::default`]): `b0 = -4.0` (a 1.8% base rate),
//! `w_interest = 0.8`, `w_context = 1.0`, `w_trait = 0.5`, `w_embedding = 1.0`,
//! `w_fatigue = -0.3`, `w_content = 1.0`. A catalog overrides any of them by name in
//! `models.scoring` (unknown names are ignored, so older phones accept newer
//! catalogs).

/// Features of one candidate.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Features {
    /// Highest matched profile weight.
    pub interest: f64,
    /// An include topic is on the screen.
    pub context: bool,
    /// A targeted trait matched.
    pub trait_match: bool,
    /// Cosine similarity of taste and set embedding (0 when either is missing).
    pub embedding: f64,
    /// Shows of this set in the last 7 days.
    pub shows_7d: u32,
    /// Content-model affinity of the set's item ids to the user's recent
    /// items, `0..=1` (see [`crate::content::ItemAffinity`]).
    pub content: f64,
}

/// Parameters of the engagement model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngagementModel {
    /// Intercept.
    pub b0: f64,
    /// Weight of `ln(1 + interest)`.
    pub w_interest: f64,
    /// Weight of the context match.
    pub w_context: f64,
    /// Weight of a trait match.
    pub w_trait: f64,
    /// Weight of embedding similarity.
    pub w_embedding: f64,
    /// Weight per recent show (negative: fatigue).
    pub w_fatigue: f64,
    /// Weight of the content-model affinity.
    pub w_content: f64,
}

impl Default for EngagementModel {
    fn default() -> Self {
        Self {
            b0: -4.0,
            w_interest: 0.8,
            w_context: 1.0,
            w_trait: 0.5,
            w_embedding: 1.0,
            w_fatigue: -0.3,
            w_content: 1.0,
        }
    }
}

impl EngagementModel {
    /// The defaults with a catalog's overrides applied (non-finite values and
    /// unknown names are ignored).
    pub fn with_overrides(overrides: &[(String, f32)]) -> Self {
        let mut m = Self::default();
        for (name, v) in overrides {
            let v = f64::from(*v);
            if !v.is_finite() {
                continue;
            }
            match name.as_str() {
                "b0" => m.b0 = v,
                "w_interest" => m.w_interest = v,
                "w_context" => m.w_context = v,
                "w_trait" => m.w_trait = v,
                "w_embedding" => m.w_embedding = v,
                "w_fatigue" => m.w_fatigue = v,
                "w_content" => m.w_content = v,
                _ => {}
            }
        }
        m
    }

    /// Predicted engagement probability.
    pub fn p(&self, f: &Features) -> f64 {
        let z = self.b0
            + self.w_interest * f.interest.max(0.0).ln_1p()
            + self.w_context * f64::from(u8::from(f.context))
            + self.w_trait * f64::from(u8::from(f.trait_match))
            + self.w_embedding * f.embedding.max(0.0)
            + self.w_fatigue * f64::from(f.shows_7d)
            + self.w_content * f.content.clamp(0.0, 1.0);
        1.0 / (1.0 + (-z).exp())
    }
}

/// Cosine similarity of a float vector and an int8 embedding (value = x / 127);
/// 0 when the lengths differ or either is zero.
pub fn cosine(taste: &[f32], emb: &[i8]) -> f64 {
    if taste.is_empty() || taste.len() != emb.len() {
        return 0.0;
    }
    let (mut dot, mut a, mut b) = (0.0f64, 0.0f64, 0.0f64);
    for (&t, &e) in taste.iter().zip(emb) {
        let (t, e) = (f64::from(t), f64::from(e) / 127.0);
        dot += t * e;
        a += t * t;
        b += e * e;
    }
    if a == 0.0 || b == 0.0 {
        0.0
    } else {
        dot / (a.sqrt() * b.sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_probabilities() {
        let m = EngagementModel::default();
        let base = m.p(&Features::default());
        assert!((base - 1.0 / (1.0 + 4f64.exp())).abs() < 1e-12);
        // interest e-1 → ln(e) = 1 → z = -4 + 0.8 = -3.2.
        let f = Features {
            interest: std::f64::consts::E - 1.0,
            ..Features::default()
        };
        assert!((m.p(&f) - 1.0 / (1.0 + 3.2f64.exp())).abs() < 1e-12);
        let f = Features {
            context: true,
            trait_match: true,
            embedding: 1.0,
            shows_7d: 2,
            ..Features::default()
        };
        // -4 + 1 + 0.5 + 1 - 0.6 = -2.1
        assert!((m.p(&f) - 1.0 / (1.0 + 2.1f64.exp())).abs() < 1e-12);
        // content 0.5 → z = -4 + 0.5; values beyond 0..=1 are clamped.
        let c = |content| {
            m.p(&Features {
                content,
                ..Features::default()
            })
        };
        assert!((c(0.5) - 1.0 / (1.0 + 3.5f64.exp())).abs() < 1e-12);
        assert_eq!(c(7.0), c(1.0));
        assert_eq!(c(-1.0), base);
        let strong = EngagementModel::with_overrides(&[("w_content".into(), 2.0)]);
        assert!(
            (strong.p(&Features {
                content: 1.0,
                ..Features::default()
            }) - 1.0 / (1.0 + 2f64.exp()))
            .abs()
                < 1e-12
        );
    }

    #[test]
    fn monotone_in_interest_and_fatigue() {
        let m = EngagementModel::default();
        let p = |i, s| {
            m.p(&Features {
                interest: i,
                shows_7d: s,
                ..Features::default()
            })
        };
        assert!(p(5.0, 0) > p(1.0, 0));
        assert!(p(5.0, 3) < p(5.0, 0));
    }

    #[test]
    fn overrides_by_name() {
        let m = EngagementModel::with_overrides(&[
            ("b0".into(), -2.0),
            ("nope".into(), 9.0),
            ("w_context".into(), f32::NAN),
        ]);
        assert_eq!(m.b0, -2.0);
        assert_eq!(m.w_context, 1.0);
    }

    #[test]
    fn cosine_of_embeddings() {
        assert!((cosine(&[1.0, 0.0], &[127, 0]) - 1.0).abs() < 1e-12);
        assert!(cosine(&[1.0, 0.0], &[0, 127]).abs() < 1e-12);
        assert_eq!(cosine(&[1.0], &[127, 0]), 0.0);
        assert_eq!(cosine(&[], &[]), 0.0);
    }
}
