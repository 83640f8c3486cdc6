//! Compacts the stored API description (`src/apidoc/openapi.json`, kept indented so that its
//! changes read well in a diff) into the form the binary serves.

use std::path::PathBuf;

fn main() {
    let source = "src/apidoc/openapi.json";
    println!("cargo:rerun-if-changed={source}");
    let text = std::fs::read_to_string(source).expect("src/apidoc/openapi.json is readable");
    let doc: serde_json::Value = match serde_json::from_str(&text) {
        Ok(doc) => doc,
        Err(err) => panic!("{source} is not valid JSON: {err}"),
    };
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("openapi.min.json"), doc.to_string()).expect("OUT_DIR is writable");
}
