//! The README's configuration table stays in step with the code.

#[test]
fn the_readme_lists_every_setting_with_its_environment_variable() {
    let readme = include_str!("../../README.md");
    for key in clubroom::config::KEYS {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{key}` |")))
            .unwrap_or_else(|| panic!("README has no row for {key}"));
        assert!(row.contains(&format!("`CLUBROOM_{}`", key.to_uppercase())), "{key}: {row}");
    }
}
