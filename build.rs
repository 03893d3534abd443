//! Builds the pages' catalogues into the binary: every `src/web/locales/<language>.ftl` becomes
//! a language of the pages, so a translator adds one with a file and no code.

use std::path::Path;
use std::{env, fs};

fn main() {
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let folder = Path::new(&manifest).join("src/web/locales");
    println!("cargo::rerun-if-changed={}", folder.display());
    let mut catalogues: Vec<(String, String)> = fs::read_dir(&folder)
        .expect("src/web/locales holds the catalogues")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            if path.extension()? != "ftl" {
                return None;
            }
            let language = path.file_stem()?.to_str()?.to_string();
            Some((language, path.to_str()?.to_string()))
        })
        .collect();
    catalogues.sort();
    assert!(
        catalogues.iter().any(|(language, _)| language == "en"),
        "src/web/locales/en.ftl, the reference catalogue, is missing"
    );
    let mut code = String::from("/// (language, catalogue) for each file of `src/web/locales`.\n");
    code.push_str("pub const BUILT_IN: &[(&str, &str)] = &[\n");
    for (language, path) in catalogues {
        code.push_str(&format!("    ({language:?}, include_str!({path:?})),\n"));
    }
    code.push_str("];\n");
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    fs::write(Path::new(&out).join("catalogues.rs"), code).expect("OUT_DIR is writable");
}
