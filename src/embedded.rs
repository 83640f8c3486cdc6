//! Templates and assets compiled into the binary, so a copied binary needs no other files.

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "templates/"]
pub(crate) struct Templates;

#[derive(RustEmbed)]
#[folder = "assets/"]
pub(crate) struct Assets;

/// `(name, source)` of every embedded template whose name satisfies `keep`. A file
/// `members/home.html.tera` is named `members/home.html`: the `.html` ending turns on
/// autoescaping and gives the response its content type.
pub fn templates(keep: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    Templates::iter()
        .filter_map(|path| {
            let name = path.strip_suffix(".tera")?.to_string();
            if !keep(&name) {
                return None;
            }
            let file = Templates::get(&path)?;
            let source = String::from_utf8(file.data.into_owned()).ok()?;
            Some((name, source))
        })
        .collect()
}
