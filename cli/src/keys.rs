//! Publisher keys: `hearth keygen` and the key file formats.
//!
//! - `NAME.key`: the Ed25519 signing key as a PKCS#8 v2 document, lowercase hex,
//!   one line. Secret: created with mode 0600 on unix.
//! - `NAME.pub`: the 32-byte Ed25519 public key, lowercase hex, one line. Phones
//!   are configured with these bytes; bundles name the key by its id (the first 8
//!   bytes of SHA-256 of the public key).

use std::io::Write;
use std::path::{Path, PathBuf};

use hearth_core::catalog::bundle::{PublicKey, SigningKey, hex};

use crate::error::CliError;

/// What [`keygen`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFiles {
    /// The secret key file.
    pub key_path: PathBuf,
    /// The public key file.
    pub pub_path: PathBuf,
    /// The key id, hex.
    pub key_id: String,
    /// The public key, hex.
    pub public_hex: String,
}

/// Generate a key pair and write `DIR/NAME.key` and `DIR/NAME.pub`.
///
/// Creates `dir` if needed. Refuses to overwrite either file unless `force`.
pub fn keygen(dir: &Path, name: &str, force: bool) -> Result<KeyFiles, CliError> {
    if name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
    {
        return Err(CliError::Usage(format!(
            "--name {name:?} must be a plain file name (no path separators, not starting with '.')"
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| CliError::io("cannot create directory", dir, e))?;
    let key_path = dir.join(format!("{name}.key"));
    let pub_path = dir.join(format!("{name}.pub"));
    if !force {
        for p in [&key_path, &pub_path] {
            if p.exists() {
                return Err(CliError::Key {
                    path: p.clone(),
                    reason: "already exists; pass --force to replace it (the old key is lost)"
                        .into(),
                });
            }
        }
    }
    let key = SigningKey::generate()?;
    let public = key.public_key();
    write_secret(
        &key_path,
        format!("{}\n", hex(key.pkcs8())).as_bytes(),
        force,
    )?;
    let public_hex = hex(&public.0);
    std::fs::write(&pub_path, format!("{public_hex}\n"))
        .map_err(|e| CliError::io("cannot write", &pub_path, e))?;
    Ok(KeyFiles {
        key_path,
        pub_path,
        key_id: hex(&public.key_id()),
        public_hex,
    })
}

fn write_secret(path: &Path, bytes: &[u8], force: bool) -> Result<(), CliError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| CliError::io("cannot create", path, e))?;
    // An existing file keeps its mode when truncated: tighten it explicitly.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| CliError::io("cannot restrict permissions of", path, e))?;
    }
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| CliError::io("cannot write", path, e))
}

/// Decode lowercase or uppercase hex.
pub fn hex_decode(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    if s.len() % 2 != 0 {
        return Err(format!("hex has an odd number of digits ({})", s.len()));
    }
    s.as_bytes()
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| format!("{:?} is not a hex byte", String::from_utf8_lossy(pair)))
        })
        .collect()
}

fn read_hex(path: &Path) -> Result<Vec<u8>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io("cannot read", path, e))?;
    hex_decode(&text).map_err(|reason| CliError::Key {
        path: path.to_path_buf(),
        reason,
    })
}

/// Load a signing key written by [`keygen`].
pub fn load_signing_key(path: &Path) -> Result<SigningKey, CliError> {
    let der = read_hex(path)?;
    SigningKey::from_pkcs8(&der).map_err(|e| CliError::Key {
        path: path.to_path_buf(),
        reason: format!("{e} (expected a NAME.key file written by `hearth keygen`)"),
    })
}

/// Load a public key written by [`keygen`].
pub fn load_public_key(path: &Path) -> Result<PublicKey, CliError> {
    let raw = read_hex(path)?;
    PublicKey::from_slice(&raw).map_err(|e| CliError::Key {
        path: path.to_path_buf(),
        reason: format!("{e} (expected a NAME.pub file written by `hearth keygen`)"),
    })
}
