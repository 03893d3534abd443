//! ISO 3166-1 alpha-3 country codes (the officially assigned ones), and the former codes of
//! States that no longer exist.

const ISO3: &[&str] = &[
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA", "ATF",
    "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR", "BHR", "BHS",
    "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN", "BVT", "BWA", "CAF",
    "CAN", "CCK", "CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV",
    "CRI", "CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "DEU", "DJI", "DMA", "DNK", "DOM", "DZA",
    "ECU", "EGY", "ERI", "ESH", "ESP", "EST", "ETH", "FIN", "FJI", "FLK", "FRA", "FRO", "FSM",
    "GAB", "GBR", "GEO", "GGY", "GHA", "GIB", "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD",
    "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HMD", "HND", "HRV", "HTI", "HUN", "IDN", "IMN",
    "IND", "IOT", "IRL", "IRN", "IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ",
    "KEN", "KGZ", "KHM", "KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE",
    "LKA", "LSO", "LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA", "MDG", "MDV", "MEX",
    "MHL", "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS",
    "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR", "NPL",
    "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER", "PHL", "PLW", "PNG", "POL", "PRI", "PRK",
    "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU", "SDN", "SEN", "SGP",
    "SGS", "SHN", "SJM", "SLB", "SLE", "SLV", "SMR", "SOM", "SPM", "SRB", "SSD", "STP", "SUR",
    "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA", "TCD", "TGO", "THA", "TJK", "TKL",
    "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV", "TWN", "TZA", "UGA", "UKR", "UMI", "URY",
    "USA", "UZB", "VAT", "VCT", "VEN", "VGB", "VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "ZAF",
    "ZMB", "ZWE",
];

/// Codes of States that no longer exist (ISO 3166-3), still needed for the history: the
/// official fatalities dataset names peacekeepers of Yugoslavia, for one.
const FORMER_ISO3: [&str; 9] = [
    "ANT", "BUR", "CSK", "DDR", "SCG", "SUN", "TMP", "YUG", "ZAR",
];

/// Every officially assigned code, sorted.
pub fn current_codes() -> &'static [&'static str] {
    ISO3
}

pub fn is_iso3(code: &str) -> bool {
    ISO3.binary_search(&code).is_ok() || FORMER_ISO3.contains(&code)
}

pub fn check_iso3(code: &str) -> Result<(), String> {
    if is_iso3(code) {
        Ok(())
    } else {
        Err(format!(
            "`{code}` is not an ISO 3166-1 alpha-3 country code"
        ))
    }
}

/// A State that exists today, as a focal point speaks for: former codes are refused.
pub fn check_current(code: &str) -> Result<(), String> {
    if ISO3.binary_search(&code).is_ok() {
        Ok(())
    } else if FORMER_ISO3.contains(&code) {
        Err(format!(
            "`{code}` is the code of a State that no longer exists"
        ))
    } else {
        check_iso3(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_complete_and_sorted() {
        assert_eq!(ISO3.len(), 249);
        assert!(ISO3.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn lookups() {
        assert!(is_iso3("MLI"));
        assert!(is_iso3("COD"));
        assert!(!is_iso3("mli"));
        assert!(!is_iso3("XXX"));
        assert!(!is_iso3("ML"));
        assert!(is_iso3("YUG"));
        assert!(check_current("SEN").is_ok());
        assert!(
            check_current("YUG")
                .unwrap_err()
                .contains("no longer exists")
        );
        assert!(check_current("XXX").is_err());
    }
}
