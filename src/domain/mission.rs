//! Rules for the mission reference data.

use super::country;
use super::validation::{Violations, text_length};

/// Mission acronyms as the UN writes them: 2 to 16 letters or digits, starting with an
/// upper-case letter (`MINUSCA`, and in the official dataset also `UNSecretariat`).
pub fn check_code(code: &str) -> Result<(), String> {
    let well_formed = (2..=16).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_uppercase())
        && code.chars().all(|c| c.is_ascii_alphanumeric());
    if well_formed {
        Ok(())
    } else {
        Err("must be 2 to 16 letters or digits, starting with an upper-case letter".to_string())
    }
}

pub fn check_name(name: &str) -> Result<(), String> {
    text_length(name, 1, 200)
}

pub fn check_host_country(violations: &mut Violations, host_country: Option<&str>) {
    if let Some(code) = host_country {
        violations.check("host_country", country::check_iso3(code));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert!(check_code("MINUSCA").is_ok());
        assert!(check_code("minusca").is_err());
        assert!(check_code("M").is_err());
        assert!(check_code("MINUS CA").is_err());
        assert!(check_code("UNSecretariat").is_ok());
        assert!(check_code("1UN").is_err());
    }
}
