//! Building the content model (publisher side): aggregate co-occurrence
//! counts → optional Laplace noise → EASE → each item's strongest neighbours.
//!
//! The phone half lives in [`hearth_core::content`]; this module makes the
//! `content/1` blob a catalog ships.
//!
//! # The aggregate and its privacy
//!
//! The only input is `G = XᵀX`, the item co-occurrence counts over users
//! (`X` is the binary user × item matrix of positive engagements): `G[i][i]`
//! is how many users engaged with `i`, `G[i][j]` how many with both. With
//! [`Privacy`], each user's contribution is first bounded to their
//! `max_items_per_user` most recent items, so one user changes at most
//! `k(k+1)/2` cells of the upper triangle (diagonal included) by 1 each: the
//! L1 sensitivity is `Δ = k(k+1)/2`. Adding independent Laplace noise of scale
//! `Δ/ε` to every upper-triangle cell (mirrored below) releases `G` with
//! ε-differential privacy at the user level (Dwork & Roth 2014, Thm 3.6);
//! everything after it (EASE, truncation, quantisation) is post-processing and
//! keeps the guarantee. Noise is added to every cell, zero counts included,
//! or the set of non-zero cells would leak. Two post-processing steps then
//! limit the damage noise does: items whose noisy count `G[i][i]` stays below
//! `b·ln n` (`b = Δ/ε`; a pure-noise cell exceeds it with probability
//! `1/(2n)`) are dropped from the model, and λ grows by `2√2·b·√n`, about the
//! spectral norm of the noise matrix, so `G + λI` stays positive definite and
//! the noise's directions are shrunk.
//!
//! # EASE
//!
//! Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019:
//! `P = (G + λI)⁻¹`, `B[i][j] = −P[i][j] / P[j][j]` for `i ≠ j`, `B[j][j] = 0`.
//! The score of item `j` for a user with items `H` is `Σ_{h∈H} B[h][j]`, which
//! is exactly what the phone computes from the neighbour lists. The model
//! keeps, per item, its `top_n` largest positive weights.

use nalgebra::DMatrix;
use rand_chacha::ChaCha12Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

use hearth_core::content::{ContentModel, MAX_NEIGHBOURS};
use hearth_core::report::mechanism::{NoiseSource, SystemNoise};

use crate::error::CliError;

/// Privacy of the released aggregate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Privacy {
    /// Epsilon of the Laplace mechanism (> 0, finite).
    pub epsilon: f64,
    /// Items counted per user (their most recent), `k ≥ 1`.
    pub max_items_per_user: usize,
}

impl Privacy {
    /// L1 sensitivity of the upper triangle of `G` under this bound.
    pub fn sensitivity(&self) -> f64 {
        let k = self.max_items_per_user as f64;
        k * (k + 1.0) / 2.0
    }
}

/// How to build a model.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildOptions {
    /// EASE's L2 regularisation λ (> 0).
    pub lambda: f64,
    /// Neighbours kept per item (1..=256).
    pub top_n: usize,
    /// Differential privacy of the aggregate; `None` releases exact counts.
    pub privacy: Option<Privacy>,
    /// Seed of the noise; `None` seeds from the operating system's CSPRNG
    /// (what a real release must use).
    pub seed: Option<u64>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            lambda: 200.0,
            top_n: 100,
            privacy: None,
            seed: None,
        }
    }
}

fn usage(m: String) -> CliError {
    CliError::Usage(m)
}

impl BuildOptions {
    fn check(&self) -> Result<(), CliError> {
        if !(self.lambda.is_finite() && self.lambda > 0.0) {
            return Err(usage(format!("lambda must be > 0, got {}", self.lambda)));
        }
        if !(1..=MAX_NEIGHBOURS).contains(&self.top_n) {
            return Err(usage(format!(
                "top-n must be 1..={MAX_NEIGHBOURS}, got {}",
                self.top_n
            )));
        }
        if let Some(p) = self.privacy {
            if !(p.epsilon.is_finite() && p.epsilon > 0.0) {
                return Err(usage(format!(
                    "epsilon must be finite and > 0, got {}",
                    p.epsilon
                )));
            }
            if p.max_items_per_user == 0 {
                return Err(usage("max items per user must be ≥ 1".into()));
            }
        }
        Ok(())
    }
}

/// The co-occurrence counts `G` of `histories` (per user, their positive
/// items, most recent first; duplicates count once), each cut to `bound`
/// items when given.
pub fn cooccurrence(n_items: usize, histories: &[Vec<u32>], bound: Option<usize>) -> DMatrix<f64> {
    let mut g = DMatrix::<f64>::zeros(n_items, n_items);
    let mut seen: Vec<u32> = Vec::new();
    for h in histories {
        seen.clear();
        for &i in h {
            if (i as usize) < n_items && !seen.contains(&i) {
                if bound.is_some_and(|b| seen.len() >= b) {
                    break;
                }
                seen.push(i);
            }
        }
        for (a, &i) in seen.iter().enumerate() {
            for &j in &seen[a..] {
                g[(i as usize, j as usize)] += 1.0;
                if i != j {
                    g[(j as usize, i as usize)] += 1.0;
                }
            }
        }
    }
    g
}

/// A noise generator: seeded, or from the system CSPRNG.
fn rng(seed: Option<u64>) -> Result<ChaCha12Rng, CliError> {
    Ok(match seed {
        Some(s) => ChaCha12Rng::seed_from_u64(s),
        None => {
            let mut sys = SystemNoise::new();
            let mut key = [0u8; 32];
            for chunk in key.chunks_mut(8) {
                chunk.copy_from_slice(&sys.next_u64()?.to_le_bytes());
            }
            ChaCha12Rng::from_seed(key)
        }
    })
}

/// One Laplace(0, `scale`) sample by inversion of a uniform in (−½, ½).
pub fn laplace(rng: &mut impl RngCore, scale: f64) -> f64 {
    // 52 random bits → u in (−½, ½) exactly: (m + ½)/2^52 is exact and < 1,
    // so |u| < ½ and the logarithm stays finite.
    let u = ((rng.next_u64() >> 12) as f64 + 0.5) / (1u64 << 52) as f64 - 0.5;
    -scale * u.signum() * (1.0 - 2.0 * u.abs()).ln()
}

/// Add Laplace(`scale`) noise to every upper-triangle cell of `g`
/// (diagonal included) and mirror it, keeping `g` symmetric.
pub fn add_laplace(g: &mut DMatrix<f64>, scale: f64, rng: &mut impl RngCore) {
    let n = g.nrows();
    for i in 0..n {
        for j in i..n {
            let v = g[(i, j)] + laplace(rng, scale);
            g[(i, j)] = v;
            g[(j, i)] = v;
        }
    }
}

/// EASE's weight matrix `B` from `G` (see the module docs).
pub fn ease(g: &DMatrix<f64>, lambda: f64) -> Result<DMatrix<f64>, CliError> {
    let n = g.nrows();
    let mut a = g.clone();
    for i in 0..n {
        a[(i, i)] += lambda;
    }
    // G + λI is symmetric; with noise it may not be positive definite, so
    // fall back from Cholesky to LU.
    let p = match a.clone().cholesky() {
        Some(c) => c.inverse(),
        None => a.try_inverse().ok_or_else(|| {
            CliError::Usage("the regularised co-occurrence matrix is singular; raise lambda".into())
        })?,
    };
    let mut b = DMatrix::<f64>::zeros(n, n);
    for j in 0..n {
        let d = p[(j, j)];
        for i in 0..n {
            if i != j && d != 0.0 {
                b[(i, j)] = -p[(i, j)] / d;
            }
        }
    }
    Ok(b)
}

/// Build the content model of `item_ids` from users' histories (positive
/// items, most recent first).
pub fn build(
    item_ids: &[String],
    histories: &[Vec<u32>],
    opts: &BuildOptions,
) -> Result<ContentModel, CliError> {
    opts.check()?;
    let n = item_ids.len();
    let mut g = cooccurrence(n, histories, opts.privacy.map(|p| p.max_items_per_user));
    let mut lambda = opts.lambda;
    if let Some(p) = opts.privacy {
        let mut r = rng(opts.seed)?;
        let scale = p.sensitivity() / p.epsilon;
        add_laplace(&mut g, scale, &mut r);
        // Items whose noisy count stays below b·ln(n) are indistinguishable
        // from noise (a pure-noise cell exceeds it with probability 1/(2n)):
        // drop them from the model (post-processing).
        let tau = scale * (n.max(2) as f64).ln();
        let drop: Vec<usize> = (0..n).filter(|&i| g[(i, i)] < tau).collect();
        for &i in &drop {
            g.row_mut(i).fill(0.0);
            g.column_mut(i).fill(0.0);
        }
        // The noise matrix's spectral norm is about 2σ√n (σ = √2·scale);
        // regularising by that much keeps G + λI positive definite and
        // shrinks the noise's directions (post-processing: no privacy cost).
        lambda += 2.0 * std::f64::consts::SQRT_2 * scale * (n as f64).sqrt();
    }
    let b = ease(&g, lambda)?;
    let neighbours = (0..n)
        .map(|i| {
            let mut row: Vec<(u32, f32)> = (0..n)
                .filter(|&j| j != i && b[(i, j)] > 0.0)
                .map(|j| (j as u32, b[(i, j)] as f32))
                .collect();
            row.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
            row.truncate(opts.top_n);
            row
        })
        .collect();
    Ok(ContentModel::from_weights(item_ids.to_vec(), neighbours)?)
}

/// Put a built model (the bytes `hearth content build` wrote) into a catalog
/// source as its [`BLOB_KEY`](hearth_core::content::BLOB_KEY) blob, after
/// checking it decodes as a phone will; replaces an earlier content model.
pub fn embed(
    source: &mut crate::catalog_source::CatalogSource,
    model_bytes: Vec<u8>,
    origin: &str,
) -> Result<(), CliError> {
    ContentModel::decode(&model_bytes).map_err(|e| CliError::Input(format!("{origin}: {e}")))?;
    let key = hearth_core::content::BLOB_KEY;
    let blobs = &mut source.models.blobs.0;
    blobs.retain(|(k, _)| k != key);
    blobs.push((key.to_string(), crate::catalog_source::Base64(model_bytes)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooccurrence_counts_pairs_once_per_user_within_the_bound() {
        let h = vec![vec![0, 1, 1, 2], vec![1, 2], vec![3]];
        let g = cooccurrence(4, &h, None);
        assert_eq!(g[(1, 1)], 2.0);
        assert_eq!(g[(1, 2)], 2.0);
        assert_eq!(g[(2, 1)], 2.0);
        assert_eq!(g[(0, 2)], 1.0);
        assert_eq!(g[(0, 3)], 0.0);
        assert_eq!(g[(3, 3)], 1.0);
        // Bound 2: the first user keeps items 0 and 1 (duplicates skipped).
        let g = cooccurrence(4, &h, Some(2));
        assert_eq!(g[(0, 2)], 0.0);
        assert_eq!(g[(0, 1)], 1.0);
        assert_eq!(g[(1, 2)], 1.0);
        // Users keep {0, 1}, {1, 2}, {3}: 4 + 4 + 1 cells of 1.
        assert_eq!(g.sum(), 9.0);
    }

    #[test]
    fn sensitivity_bounds_one_users_change() {
        // Adding a user with k items changes the upper triangle by exactly
        // k(k+1)/2 in L1.
        let base = vec![vec![0, 1], vec![2, 3, 4]];
        let k = 3;
        let mut with = base.clone();
        with.push(vec![0, 2, 4, 1, 3]);
        let a = cooccurrence(5, &base, Some(k));
        let b = cooccurrence(5, &with, Some(k));
        let mut l1 = 0.0;
        for i in 0..5 {
            for j in i..5 {
                l1 += (a[(i, j)] - b[(i, j)]).abs();
            }
        }
        let p = Privacy {
            epsilon: 1.0,
            max_items_per_user: k,
        };
        assert_eq!(l1, p.sensitivity());
        assert_eq!(p.sensitivity(), 6.0);
    }

    #[test]
    fn laplace_has_the_stated_scale() {
        let mut r = ChaCha12Rng::seed_from_u64(7);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| laplace(&mut r, 2.0)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let mad = xs.iter().map(|x| x.abs()).sum::<f64>() / n as f64;
        // E|X| = b and Var = 2b²: 2.0 and 8.0.
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((mad - 2.0).abs() < 0.03, "{mad}");
    }

    #[test]
    fn ease_solves_the_closed_form() {
        // Two items always together, a third alone: B links 0 and 1 only.
        let h = vec![vec![0, 1], vec![0, 1], vec![1, 0], vec![2]];
        let g = cooccurrence(3, &h, None);
        let b = ease(&g, 1.0).unwrap();
        assert_eq!(b[(0, 0)], 0.0);
        // G + I = [[4,3,0],[3,4,0],[0,0,2]]; P = inverse; B01 = -P01/P11 = 3/4.
        assert!((b[(0, 1)] - 0.75).abs() < 1e-12, "{b}");
        assert!((b[(1, 0)] - 0.75).abs() < 1e-12);
        assert!(b[(0, 2)].abs() < 1e-12 && b[(2, 0)].abs() < 1e-12);
    }

    #[test]
    fn noise_drops_items_it_drowns_and_keeps_strong_ones() {
        // 300 users pair i0 with i1; 100 rare pairs (i2k, i2k+1) have one
        // user each.
        let n = 202;
        let ids: Vec<String> = (0..n).map(|i| format!("i{i}")).collect();
        let mut h = vec![vec![0, 1]; 300];
        h.extend((1..101).map(|k| vec![2 * k, 2 * k + 1]));
        let at = |epsilon| BuildOptions {
            lambda: 1.0,
            privacy: Some(Privacy {
                epsilon,
                max_items_per_user: 2,
            }),
            seed: Some(3),
            ..BuildOptions::default()
        };
        // ε = 1: b = 3, τ = 3·ln 202 ≈ 15.9. i0 and i1 (count 300) stay
        // linked; a rare item (count 1) survives with probability
        // ½·e^(−14.9/3) ≈ 0.35%, so about 0.7 of the 200 do.
        let m = build(&ids, &h, &at(1.0)).unwrap();
        assert_eq!(m.neighbours(0).next().map(|x| x.0), Some(1));
        assert_eq!(m.neighbours(1).next().map(|x| x.0), Some(0));
        let survivors = (2..n as u32)
            .filter(|&i| m.neighbours(i).count() > 0)
            .count();
        assert!(survivors <= 6, "{survivors} rare items kept");
        // ε = 0.001: b = 3000: nothing survives, the model is empty.
        let m = build(&ids, &h, &at(0.001)).unwrap();
        assert_eq!(m.neighbour_count(), 0);
    }

    #[test]
    fn build_keeps_the_strongest_positive_neighbours() {
        let ids: Vec<String> = (0..4).map(|i| format!("i{i}")).collect();
        let h = vec![vec![0, 1], vec![0, 1], vec![0, 2], vec![3]];
        let opts = BuildOptions {
            lambda: 1.0,
            top_n: 1,
            ..BuildOptions::default()
        };
        let m = build(&ids, &h, &opts).unwrap();
        let n0: Vec<_> = m.neighbours(0).collect();
        assert_eq!(n0.len(), 1);
        assert_eq!(n0[0].0, 1, "i1 co-occurs with i0 twice, i2 once");
        assert_eq!(m.neighbours(3).count(), 0);
        assert!(
            build(
                &ids,
                &h,
                &BuildOptions {
                    top_n: 0,
                    ..opts.clone()
                }
            )
            .is_err()
        );
        let noisy = BuildOptions {
            privacy: Some(Privacy {
                epsilon: 0.0,
                max_items_per_user: 2,
            }),
            ..opts
        };
        assert!(build(&ids, &h, &noisy).is_err());
    }
}
