//! Argon2id password hashes with the OWASP parameters (`Argon2::default()`: m=19 MiB, t=2, p=1).
//! Hashing is slow on purpose: call these only from blocking threads, never on the async workers.

use std::sync::OnceLock;

use argon2::password_hash::SaltString;
use argon2::password_hash::rand_core::OsRng;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the same time as checking a real password, so that an unknown username cannot be
/// told from a wrong password by the time the answer takes.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("a dummy password nobody has").unwrap_or_default());
    let _ = verify(password, dummy);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let first = hash("ferry lantern quietly orbit 47").unwrap();
        let second = hash("ferry lantern quietly orbit 47").unwrap();
        assert!(first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(first, second);
        assert!(verify("ferry lantern quietly orbit 47", &first));
        assert!(!verify("ferry lantern quietly orbit 48", &first));
        assert!(!verify("anything", "not a hash"));
    }
}
