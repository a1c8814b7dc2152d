//! Whole-site checks: every page against the CSP rules and the escaping rules.

use crate::testing::{XSS, all_pages, assert_escaped, inner_text, start_tags, tags_named};
use crate::{asset_url, find_asset};

#[test]
fn every_page_is_a_complete_document() {
    for (name, page) in all_pages("x") {
        let html = page.into_string();
        assert!(html.starts_with("<!DOCTYPE html>"), "{name}");
        let tags = start_tags(&html);
        let root = tags_named(&tags, "html").next().expect("html tag");
        assert_eq!(root.attr("lang"), Some("en"), "{name}");
        let viewport = tags
            .iter()
            .find(|t| t.name == "meta" && t.attr("name") == Some("viewport"));
        assert!(viewport.is_some(), "{name}: viewport meta");
        assert_eq!(tags_named(&tags, "title").count(), 1, "{name}");
        assert_eq!(tags_named(&tags, "h1").count(), 1, "{name}: one h1");
    }
}

#[test]
fn no_page_has_inline_script_style_or_handlers() {
    for hostile in XSS.iter().chain(&["plain"]) {
        for (name, page) in all_pages(hostile) {
            let html = page.into_string();
            let tags = start_tags(&html);
            assert!(
                tags_named(&tags, "style").next().is_none(),
                "{name}: <style>"
            );
            for script in tags_named(&tags, "script") {
                assert!(
                    script
                        .attr("src")
                        .is_some_and(|s| s.starts_with("/static/")),
                    "{name}"
                );
                assert_eq!(inner_text(&html, script), "", "{name}: inline script");
            }
            for tag in &tags {
                for (key, value) in &tag.attrs {
                    assert_ne!(key, "style", "{name}: style= on <{}>", tag.name);
                    assert!(!key.starts_with("on"), "{name}: {key}= on <{}>", tag.name);
                    assert!(
                        !value.trim_start().starts_with("javascript:"),
                        "{name}: {key}"
                    );
                }
            }
        }
    }
}

#[test]
fn user_text_is_escaped_on_every_page() {
    for hostile in XSS {
        for (name, page) in all_pages(hostile) {
            let html = page.into_string();
            assert!(!html.contains(hostile), "{name}: raw {hostile}");
            assert!(!html.contains("<img"), "{name}: injected <img>");
            let scripts = start_tags(&html)
                .iter()
                .filter(|t| t.name == "script")
                .count();
            assert_eq!(scripts, 1, "{name}: only the app script");
            if !name.ends_with("-empty") {
                assert_escaped(&html, hostile);
            }
        }
    }
}

#[test]
fn hashed_assets_are_linked_and_servable() {
    for (name, page) in all_pages("x") {
        let html = page.into_string();
        for logical in ["app.css", "app.js", "favicon.svg"] {
            let url = asset_url(logical);
            assert!(html.contains(&format!("\"{url}\"")), "{name}: {url}");
            let hashed = url.trim_start_matches("/static/");
            assert!(find_asset(hashed).is_some(), "{hashed}");
        }
    }
}

#[test]
fn every_form_posts_with_a_csrf_token() {
    for (name, page) in all_pages("x") {
        let html = page.into_string();
        let tags = start_tags(&html);
        let forms: Vec<_> = tags_named(&tags, "form").collect();
        for form in &forms {
            assert_eq!(form.attr("method"), Some("post"), "{name}");
            let body = inner_text(&html, form);
            let inputs = start_tags(body);
            let csrf = inputs
                .iter()
                .find(|t| t.name == "input" && t.attr("name") == Some("csrf"))
                .unwrap_or_else(|| panic!("{name}: form without csrf"));
            assert_eq!(csrf.attr("type"), Some("hidden"));
            assert!(csrf.attr("value").is_some_and(|v| !v.is_empty()) || name.ends_with("empty"));
        }
    }
}

#[test]
fn hostile_text_lands_escaped_in_each_slot() {
    for hostile in XSS {
        let escaped = hostile.replace('<', "&lt;").replace('>', "&gt;");
        let pages = all_pages(hostile);
        let html_of = |wanted: &str| {
            let (_, page) = pages
                .iter()
                .find(|(name, _)| *name == wanted)
                .expect("page");
            page.clone().into_string()
        };
        let cases = [
            (
                "contacts",
                format!("<span class=\"preview\">{escaped}</span>"),
            ),
            (
                "contacts",
                format!("<span class=\"contact-name\">{escaped}</span>"),
            ),
            ("thread", format!("<span class=\"sender\">{escaped}</span>")),
            ("thread", format!("<p class=\"body\">{escaped}</p>")),
            ("thread", format!("role=\"alert\">{escaped}</p>")),
            ("login", format!("role=\"alert\">{escaped}</p>")),
            ("signup", format!("<li>{escaped}</li>")),
            ("password", format!("<li>{escaped}</li>")),
            ("error", format!("<p class=\"message\">{escaped}</p>")),
            ("error", format!("<h1>{escaped}</h1>")),
        ];
        for (page, fragment) in cases {
            assert!(html_of(page).contains(&fragment), "{page}: {fragment}");
        }
    }
}
