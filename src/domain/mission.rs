//! Rules for the mission reference data.

use super::country;
use super::validation::{Violations, text_length};

/// Mission acronyms as the UN writes them: 2 to 16 upper-case letters or digits.
pub fn check_code(code: &str) -> Result<(), String> {
    let well_formed = (2..=16).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if well_formed {
        Ok(())
    } else {
        Err("must be 2 to 16 upper-case letters or digits".to_string())
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
    }
}
