//! The password policy, after NIST SP 800-63B: length counts, composition rules do not, and
//! guessable passwords (common words, names, the username itself) are refused.

use zxcvbn::Score;

pub const MIN_CHARS: usize = 15;
pub const MAX_CHARS: usize = 256;

/// Checks a new password; `context` holds words the password must not lean on (the username).
pub fn check(password: &str, context: &[&str]) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_CHARS {
        return Err(format!("must be at least {MIN_CHARS} characters"));
    }
    if length > MAX_CHARS {
        return Err(format!("must be at most {MAX_CHARS} characters"));
    }
    let estimate = zxcvbn::zxcvbn(password, context);
    if estimate.score() < Score::Three {
        let hint = estimate
            .feedback()
            .and_then(|feedback| feedback.warning())
            .map(|warning| format!(": {warning}"))
            .unwrap_or_default();
        return Err(format!("is too easy to guess{hint}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused() {
        assert!(check("Xq7!vB2#", &[]).unwrap_err().contains("at least 15"));
    }

    #[test]
    fn long_passwords_are_refused() {
        let long = "correct horse battery staple ".repeat(10);
        assert!(check(&long, &[]).unwrap_err().contains("at most 256"));
    }

    #[test]
    fn common_passwords_are_refused() {
        assert!(check("passwordpassword", &[]).is_err());
        assert!(check("123456789012345", &[]).is_err());
        assert!(check("aaaaaaaaaaaaaaaaaaaa", &[]).is_err());
    }

    #[test]
    fn the_username_does_not_make_a_password() {
        assert!(check("jeanne.dupont2024", &["jeanne.dupont"]).is_err());
    }

    #[test]
    fn long_unusual_passphrases_pass() {
        assert!(check("ferry lantern quietly orbit 47", &[]).is_ok());
        // No composition rules: lower-case words alone are fine when long and unusual.
        assert!(check("sandbar violin kettle meadow", &[]).is_ok());
    }
}
