//! Field-level validation results: every invalid field is reported at once, by its JSON path.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON path of the field, e.g. `victims[3].nationality`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects the problems of one request before answering.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Records the error of a check that returned one.
    pub fn check(&mut self, field: &str, result: Result<(), String>) {
        if let Err(message) = result {
            self.add(field, message);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// A required text of `min..=max` characters (counted as characters, not bytes).
pub fn text_length(value: &str, min: usize, max: usize) -> Result<(), String> {
    let length = value.chars().count();
    if length < min {
        Err(if min == 1 {
            "must not be empty".to_string()
        } else {
            format!("must be at least {min} characters")
        })
    } else if length > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_problem() {
        let mut violations = Violations::new();
        violations.check("a", text_length("", 1, 3));
        violations.check("b", text_length("abcd", 1, 3));
        violations.check("c", text_length("abc", 1, 3));
        let errors = violations.into_result().unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].field, "a");
        assert_eq!(errors[1].message, "must be at most 3 characters");
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert!(text_length("éèà", 3, 3).is_ok());
    }
}
