//! The UN's casualty ids as officers type them: `<MISSION>-YYYY-MM-NNNNN`.
//!
//! An id an officer adds must name the incident's own mission, so that whether an id is already
//! recorded can only be asked of one's own mission. The official dataset keeps its own
//! exceptions (ids such as `UN SECRETA-...`), which only its import writes.

/// Whether `id` reads `<mission>-YYYY-MM-NNNNN`, with a month from 01 to 12.
pub fn fits(mission: &str, id: &str) -> bool {
    if mission.is_empty() {
        return false;
    }
    let Some(rest) = id
        .strip_prefix(mission)
        .and_then(|rest| rest.strip_prefix('-'))
    else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    let digits =
        |part: &str, count: usize| part.len() == count && part.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [year, month, number] => {
            digits(year, 4)
                && digits(month, 2)
                && matches!(month.parse::<u8>(), Ok(1..=12))
                && digits(number, 5)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::fits;

    #[test]
    fn only_the_missions_own_well_formed_ids_fit() {
        assert!(fits("MINUSCA", "MINUSCA-2026-11-00001"));
        assert!(fits("MINUSCA", "MINUSCA-1999-01-99999"));
        for wrong in [
            "MONUSCO-2026-11-00001",
            "MINUSCA-2026-13-00001",
            "MINUSCA-2026-00-00001",
            "MINUSCA-2026-1-00001",
            "MINUSCA-26-11-00001",
            "MINUSCA-2026-11-0001",
            "MINUSCA-2026-11-00001-2",
            "MINUSCA2026-11-00001",
            "MINUSCA-2026-11-0000x",
            "UN SECRETA-2019-01-00001",
            "",
        ] {
            assert!(!fits("MINUSCA", wrong), "{wrong}");
        }
        assert!(!fits("", "-2026-11-00001"), "no mission, no fit");
    }
}
