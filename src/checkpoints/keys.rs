//! The Ed25519 key pair that signs checkpoints, as PEM files: the private key (PKCS#8) readable by
//! its owner alone, the public key (SPKI) in the same name with `.pub` added, for anyone who
//! checks.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::KeypairBytes;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0} exists already; keygen never overwrites a key")]
    Exists(String),
    #[error("{0}: {1}")]
    Io(String, io::Error),
    #[error(
        "the signing key {0} can be read by group or others (mode {1:04o}); make it its owner's \
         alone: chmod 600 {0}"
    )]
    OpenToOthers(String, u32),
    #[error("{0} is not an Ed25519 private key in PKCS#8 PEM: {1}")]
    NotAPrivateKey(String, String),
    #[error("{0} is not an Ed25519 public key in PEM (SPKI): {1}")]
    NotAPublicKey(String, String),
    #[error("the key could not be encoded: {0}")]
    Encoding(String),
}

/// Where the public key of the private key `private` is written: the same name with `.pub`.
pub fn public_path(private: &Path) -> PathBuf {
    let mut name = OsString::from(private.as_os_str());
    name.push(".pub");
    PathBuf::from(name)
}

/// Makes a new key pair: the private key in `out` (mode 0600), the public key beside it.
/// Returns where the public key went. Neither file may exist yet.
pub fn generate(out: &Path) -> Result<PathBuf, KeyError> {
    let public = public_path(out);
    for path in [out, public.as_path()] {
        if path.symlink_metadata().is_ok() {
            return Err(KeyError::Exists(path.display().to_string()));
        }
    }
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    // The private key alone (PKCS#8 v1), which OpenSSL reads too; the public key is derived.
    let private_only = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    let private_pem = private_only
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Encoding(e.to_string()))?;
    let public_pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyError::Encoding(e.to_string()))?;
    write_new(out, private_pem.as_bytes(), 0o600)?;
    if let Err(e) = write_new(&public, public_pem.as_bytes(), 0o644) {
        // Half a pair is of no use, and would stop the next keygen.
        let _ = fs::remove_file(out);
        return Err(e);
    }
    Ok(public)
}

/// Writes a file that must not exist yet, created with `mode`, and flushes it to disk.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyError> {
    let failed = |e: io::Error| match e.kind() {
        io::ErrorKind::AlreadyExists => KeyError::Exists(path.display().to_string()),
        _ => KeyError::Io(path.display().to_string(), e),
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(failed)?;
    file.write_all(bytes).map_err(failed)?;
    file.sync_all().map_err(failed)
}

/// Reads the private key, refusing one that group or others could read: a key anyone on the
/// machine can copy signs nothing worth believing.
pub fn load_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    let name = path.display().to_string();
    let mode = fs::metadata(path)
        .map_err(|e| KeyError::Io(name.clone(), e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(KeyError::OpenToOthers(name, mode & 0o7777));
    }
    let pem = fs::read_to_string(path).map_err(|e| KeyError::Io(name.clone(), e))?;
    SigningKey::from_pkcs8_pem(&pem).map_err(|e| KeyError::NotAPrivateKey(name, e.to_string()))
}

pub fn load_public_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    let name = path.display().to_string();
    let pem = fs::read_to_string(path).map_err(|e| KeyError::Io(name.clone(), e))?;
    VerifyingKey::from_public_key_pem(&pem)
        .map_err(|e| KeyError::NotAPublicKey(name, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pair_is_written_once_and_read_back() {
        let folder = tempfile::tempdir().unwrap();
        let out = folder.path().join("signing.pem");
        let public = generate(&out).unwrap();
        assert_eq!(public, folder.path().join("signing.pem.pub"));
        let mode = fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let key = load_signing_key(&out).unwrap();
        assert_eq!(load_public_key(&public).unwrap(), key.verifying_key());
        assert!(matches!(generate(&out), Err(KeyError::Exists(_))));
        fs::set_permissions(&out, fs::Permissions::from_mode(0o640)).unwrap();
        assert!(matches!(
            load_signing_key(&out),
            Err(KeyError::OpenToOthers(_, 0o640))
        ));
        assert!(matches!(
            load_public_key(&out),
            Err(KeyError::NotAPublicKey(..))
        ));
    }
}
