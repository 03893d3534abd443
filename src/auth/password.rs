//! Argon2id password hashes with the OWASP parameters (`Argon2::default()`: m=19 MiB, t=2, p=1).
//! Hashing is slow on purpose: call these only from blocking threads, never on the async workers.

use std::sync::{Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher, Version};

pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// Argon2's working memory, kept from one check for the next. Freed after each check, the
/// 19 MiB would stay with the allocator of every thread that ever checked a password: a storm
/// of sign-ins spread over the blocking threads grew the server by a copy per thread.
static SPARE_MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

fn with_memory<T>(blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    let spare = SPARE_MEMORY.lock().ok().and_then(|mut spare| spare.pop());
    let mut memory = spare.unwrap_or_default();
    memory.resize(blocks, Block::default());
    let result = work(&mut memory);
    // What is kept holds nothing derived from the last password.
    memory.fill(Block::default());
    if let Ok(mut spare) = SPARE_MEMORY.lock() {
        spare.push(memory);
    }
    result
}

/// Whether `password` is the one `stored_hash` (a PHC string) was made from. This is what
/// `PasswordVerifier` does, with the working memory kept for the next check.
pub fn verify(password: &str, stored_hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored_hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(version), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        parsed
            .version
            .map_or(Ok(Version::default()), Version::try_from),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params);
    let mut computed = vec![0u8; expected.len()];
    let hashed = with_memory(argon2.params().block_count(), |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, memory)
    });
    // `Output` compares in constant time.
    hashed.is_ok() && Output::new(&computed).is_ok_and(|computed| computed == expected)
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

    #[test]
    fn hashes_made_with_other_settings_verify_by_their_own() {
        let salt = SaltString::generate(&mut OsRng);
        let cheaper = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x10,
            Params::new(4096, 1, 1, Some(24)).unwrap(),
        );
        let stored = cheaper
            .hash_password(b"ferry lantern quietly orbit 47", &salt)
            .unwrap()
            .to_string();
        assert!(verify("ferry lantern quietly orbit 47", &stored));
        assert!(!verify("ferry lantern quietly orbit 4", &stored));
        // The same hash cut short no longer matches.
        assert!(!verify(
            "ferry lantern quietly orbit 47",
            &stored[..stored.len() - 4]
        ));
    }
}
