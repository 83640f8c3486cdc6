//! Every embedded template renders with the context its handler gives it, so a missing
//! variable fails here rather than in front of a member.

use clubroom::email::EmailTemplates;
use serde_json::{json, Value};

/// `template_contexts.json`, plus the `pages` and `emails` of each feature's file in
/// `fixtures/templates/`.
fn fixtures() -> Value {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let read = |path: &std::path::Path| -> Value {
        let text = std::fs::read_to_string(path).unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let mut all = read(&dir.join("template_contexts.json"));
    let mut extra: Vec<_> = std::fs::read_dir(dir.join("templates"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    extra.sort();
    for path in extra {
        let more = read(&path);
        for section in ["pages", "emails"] {
            for (name, value) in more[section].as_object().into_iter().flatten() {
                assert!(all[section].get(name).is_none(), "{name} has two fixtures");
                all[section][name] = value.clone();
            }
        }
    }
    all
}

/// Page templates; layouts, partials and `_`-prefixed pieces are rendered inside them.
fn is_page(name: &str) -> bool {
    let piece = name.rsplit('/').next().is_some_and(|file| file.starts_with('_'));
    !(piece
        || name.starts_with("email/")
        || name.starts_with("layouts/")
        || name.starts_with("partials/"))
}

/// A label's `for`, `aria-describedby` and the like find the first element with an id: a second
/// one is left nameless for screen readers (a form field without its label).
fn assert_unique_ids(name: &str, html: &str) {
    let mut seen = std::collections::HashSet::new();
    for part in html.split(" id=\"").skip(1) {
        let id = part.split('"').next().unwrap_or_default();
        assert!(seen.insert(id), "{name}: the id {id:?} is used twice");
    }
}

/// The layout's three pieces came in order around the page: one document, one title that ends
/// with the club's name (or Clubroom's, before there is a club) and starts with no blank, one
/// main area.
fn assert_whole_page(name: &str, html: &str) {
    assert!(html.starts_with("<!doctype html>\n"), "{name}: {:?}", &html[..40.min(html.len())]);
    assert!(html.trim_end().ends_with("</html>"), "{name} ends the document");
    let head = html.split("</head>").next().unwrap_or_default();
    assert_eq!(head.matches("<title>").count(), 1, "{name}: one title");
    let title = head.split("<title>").nth(1).and_then(|t| t.split("</title>").next());
    let title = title.unwrap_or_else(|| panic!("{name}: no title"));
    let named = title.ends_with("Riverside Skating Club") || title.ends_with("Clubroom");
    assert!(title.trim() == title && named, "{name}: {title:?}");
    for tag in ["</head>", "<main ", "</main>", "<footer", "</html>"] {
        assert_eq!(html.matches(tag).count(), 1, "{name}: {tag}");
    }
}

#[test]
fn every_page_template_renders_for_visitors_and_members_with_and_without_errors() {
    let fixtures = fixtures();
    let mut tera = tera::Tera::default();
    let templates = clubroom::embedded::templates(|n| !n.starts_with("email/"));
    tera.add_raw_templates(templates.clone()).unwrap();

    let pages = fixtures["pages"].as_object().unwrap();
    let names: Vec<&String> = templates.iter().map(|(n, _)| n).filter(|n| is_page(n)).collect();
    assert!(names.len() >= 10, "templates are embedded");
    for name in names {
        let page = pages.get(name.as_str()).unwrap_or_else(|| panic!("add a fixture for {name}"));
        for site in fixtures["sites"].as_array().unwrap() {
            for (errors, error) in
                [(json!({}), Value::Null), (fixtures["form_errors"].clone(), json!("Fix this."))]
            {
                let mut context = page.clone();
                context["site"] = site.clone();
                context["errors"] = errors;
                context["error"] = error;
                let ctx = tera::Context::from_value(context).unwrap();
                let html = tera.render(name, &ctx).unwrap_or_else(|e| panic!("{name}: {e:?}"));
                assert!(html.contains("Riverside Skating Club"), "{name} uses the layout");
                assert_whole_page(name, &html);
                assert!(!html.contains("<script>"), "{name}: no inline script");
                assert!(!html.contains("style=\""), "{name}: no inline style (CSP)");
                assert_unique_ids(name, &html);
                assert!(!html.contains("<th></th>"), "{name}: a header cell names its column");
            }
        }
    }
}

#[test]
fn every_email_renders_its_subject_text_and_html() {
    let fixtures = fixtures();
    let emails = EmailTemplates::load().unwrap();
    let names = emails.names();
    assert!(names.contains(&"welcome_admin".to_string()));
    for name in names {
        let data = fixtures["emails"]
            .get(&name)
            .unwrap_or_else(|| panic!("add a fixture for email {name}"));
        let rendered = emails.render(&name, data).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(!rendered.subject.is_empty() && !rendered.subject.contains('\n'), "{name} subject");
        let html = rendered.html.replace("&#x2F;", "/");
        for key in ["url", "code", "code_url", "login_url", "admin_url"] {
            if let Some(value) = data.get(key).and_then(|v| v.as_str()) {
                assert!(rendered.text.contains(value), "{name}: the text part has the {key}");
                assert!(html.contains(value), "{name}: the html part has the {key}");
            }
        }
        // A subject shows on lock screens and in notification previews.
        if let Some(code) = data.get("code").and_then(|v| v.as_str()) {
            assert!(!rendered.subject.contains(code), "{name}: the code is in the subject");
        }
    }
}

#[test]
fn html_templates_escape_what_people_type() {
    let mut tera = tera::Tera::default();
    tera.add_raw_templates(clubroom::embedded::templates(|n| !n.starts_with("email/"))).unwrap();
    let mut context = fixtures()["pages"]["accounts/login.html"].clone();
    context["login"] = json!("<script>alert(1)</script>");
    context["site"] = fixtures()["sites"][0].clone();
    context["errors"] = json!({});
    context["error"] = Value::Null;
    let html =
        tera.render("accounts/login.html", &tera::Context::from_value(context).unwrap()).unwrap();
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;"));
}
