//! The second factor: time-based one-time codes (RFC 6238: HMAC-SHA-1, 6 digits, 30-second
//! steps) and single-use recovery codes. Pure: the caller gives the time, the secret and the last
//! step an account used.

use rand::Rng;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// How authenticator apps name the registry beside the account.
pub const ISSUER: &str = "Peacekeeper Registry";
const DIGITS: u8 = 6;
const STEP_SECONDS: u64 = 30;
/// A code of the step just before or just after is accepted too: a phone's clock drifts.
const SKEW_STEPS: u16 = 1;
/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;
/// Recovery codes are written in these letters and digits: none that looks like another.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
const RECOVERY_LENGTH: usize = 10;

fn authenticator(secret: &[u8], account: &str) -> Option<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECONDS)
        .with_secret(Secret::from(secret.to_vec()))
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .ok()
}

/// A new secret of 160 bits, the length RFC 4226 recommends.
pub fn new_secret() -> Vec<u8> {
    rand::random::<[u8; 20]>().to_vec()
}

/// The secret as authenticator apps take it when typed (base32).
pub fn secret_text(secret: &[u8]) -> String {
    Secret::from(secret.to_vec()).to_base32()
}

/// The code an authenticator app given `secret_text` (base32) shows at `unix_seconds`.
pub fn code_at(secret_text: &str, unix_seconds: u64) -> Option<String> {
    let secret = Secret::try_from_base32(secret_text).ok()?;
    let code = authenticator(secret.as_bytes(), "")?.generate(unix_seconds);
    Some(code.to_string())
}

/// The `otpauth://` address an authenticator app reads from a QR code. `None` when the account
/// name cannot appear in one (it holds a colon).
pub fn otpauth_uri(secret: &[u8], account: &str) -> Option<String> {
    authenticator(secret, account)?.to_url().ok()
}

/// The step of `code` at `unix_seconds` when it is valid there and newer than `last_step`, the
/// last step the account used: a code is accepted once (RFC 6238, section 5.2), and so is any
/// code of an earlier step.
pub fn accepted_step(
    secret: &[u8],
    code: &str,
    unix_seconds: u64,
    last_step: Option<u64>,
) -> Option<u64> {
    let code = code.trim();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = authenticator(secret, "")?.check(code, unix_seconds)?;
    (last_step.is_none_or(|last| step > last)).then_some(step)
}

/// New recovery codes, shown once to the account holder and then kept only as hashes.
pub fn new_recovery_codes() -> Vec<String> {
    let mut random = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let code: String = (0..RECOVERY_LENGTH)
                .map(|_| {
                    char::from(RECOVERY_ALPHABET[random.gen_range(0..RECOVERY_ALPHABET.len())])
                })
                .collect();
            format!(
                "{}-{}",
                &code[..RECOVERY_LENGTH / 2],
                &code[RECOVERY_LENGTH / 2..]
            )
        })
        .collect()
}

/// A recovery code as typed, in the form it is hashed in: case, spaces and dashes do not count.
/// `None` when it cannot be a recovery code.
pub fn recovery_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (code.len() == RECOVERY_LENGTH && code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)))
        .then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SHA-1 secret of RFC 6238's test vectors (appendix B).
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn the_codes_of_rfc_6238() {
        // The RFC gives 8 digits; 6 digits are their last six.
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let code = &eight[2..];
            assert_eq!(
                accepted_step(RFC_SECRET, code, time, None),
                Some(time / 30),
                "{time}"
            );
        }
    }

    #[test]
    fn a_code_is_accepted_once_and_a_step_either_side() {
        let (time, code) = (1_111_111_109, "081804");
        let step = time / 30;
        assert_eq!(accepted_step(RFC_SECRET, code, time + 30, None), Some(step));
        assert_eq!(accepted_step(RFC_SECRET, code, time - 30, None), Some(step));
        assert_eq!(
            accepted_step(RFC_SECRET, code, time + 60, None),
            None,
            "too late"
        );
        assert_eq!(
            accepted_step(RFC_SECRET, code, time, Some(step)),
            None,
            "used"
        );
        assert_eq!(
            accepted_step(RFC_SECRET, code, time, Some(step + 1)),
            None,
            "older"
        );
        assert_eq!(
            accepted_step(RFC_SECRET, code, time, Some(step - 1)),
            Some(step)
        );
        for wrong in ["081805", "81804", "0818040", " ", "08a804", "０８１８０４"] {
            assert_eq!(
                accepted_step(RFC_SECRET, wrong, time, None),
                None,
                "{wrong}"
            );
        }
    }

    #[test]
    fn an_enrolment_reads_in_an_authenticator_app() {
        let secret = new_secret();
        assert_eq!(secret.len(), 20);
        let uri = otpauth_uri(&secret, "focal.civ").expect("an address");
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(
            uri.contains(&format!("secret={}", secret_text(&secret))),
            "{uri}"
        );
        assert!(uri.contains("focal.civ"), "{uri}");
        assert_eq!(otpauth_uri(&secret, "a:b"), None);
        assert_ne!(new_secret(), secret);
        let now = 1_700_000_000;
        let code = code_at(&secret_text(&secret), now).expect("a code");
        assert_eq!(accepted_step(&secret, &code, now, None), Some(now / 30));
    }

    #[test]
    fn recovery_codes_are_distinct_and_read_back_as_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        for code in &codes {
            let read = recovery_code(code).expect("a recovery code");
            assert_eq!(recovery_code(&code.to_uppercase()), Some(read.clone()));
            assert_eq!(recovery_code(&format!(" {} ", read)), Some(read));
        }
        assert_eq!(recovery_code("abcde-fghj"), None, "too short");
        assert_eq!(recovery_code("abcde-fghjO"), None, "a look-alike letter");
        assert_eq!(recovery_code("123456"), None, "a one-time code");
    }
}
