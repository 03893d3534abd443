//! Rules for accounts.

/// Usernames are case-insensitive: they are kept in lower case.
pub fn normalize_username(username: &str) -> String {
    username.trim().to_lowercase()
}

/// 3 to 64 characters: lower-case letters, digits, `.`, `_` and `-`, starting with a letter or digit.
pub fn check_username(username: &str) -> Result<(), String> {
    let length = username.chars().count();
    if !(3..=64).contains(&length) {
        return Err("must be 3 to 64 characters".to_string());
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if !username.chars().all(allowed) {
        return Err("may hold only lower-case letters, digits, '.', '_' and '-'".to_string());
    }
    if !username.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("must start with a letter or a digit".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(check_username("j.dupont").is_ok());
        assert!(check_username("ab").is_err());
        assert!(check_username("-abc").is_err());
        assert!(check_username("jean dupont").is_err());
        assert!(check_username("Jean").is_err());
        assert_eq!(normalize_username(" Jean.Dupont "), "jean.dupont");
    }
}
