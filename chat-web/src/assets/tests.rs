use super::*;

#[test]
fn fnv1a_matches_reference_vectors() {
    // Vectors from the FNV reference implementation.
    let cases: &[(&[u8], u64)] = &[
        (b"", 0xcbf2_9ce4_8422_2325),
        (b"a", 0xaf63_dc4c_8601_ec8c),
        (b"foobar", 0x8594_4171_f739_67e8),
    ];
    for (input, expected) in cases {
        assert_eq!(fnv1a_64(input), *expected, "input {input:?}");
    }
}

#[test]
fn hashed_name_inserts_hash_before_extension() {
    let cases = [
        ("app.js", "app.abc.js"),
        ("app.min.css", "app.min.abc.css"),
        ("LICENSE", "LICENSE.abc"),
    ];
    for (logical, expected) in cases {
        assert_eq!(hashed_name(logical, "abc"), expected);
    }
}

#[test]
fn every_logical_asset_has_a_hashed_url_that_find_asset_resolves() {
    for logical in ["app.css", "app.js", "favicon.svg"] {
        let url = asset_url(logical);
        let name = url.strip_prefix(STATIC_PREFIX).expect("prefix");
        assert_ne!(name, logical, "{logical} is not hashed");
        let asset = find_asset(name).expect("asset found by hashed name");
        assert_eq!(asset.logical, logical);
        assert!(!asset.bytes.is_empty());
        let hash = name.split('.').nth(1).expect("hash part");
        assert_eq!(hash.len(), 16);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(asset.etag, format!("\"{hash}\""));
    }
}

#[test]
fn content_types_follow_the_extension() {
    let cases = [
        ("app.css", "text/css; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ];
    for (logical, content_type) in cases {
        let url = asset_url(logical);
        let asset = find_asset(url.trim_start_matches(STATIC_PREFIX)).expect("asset");
        assert_eq!(asset.content_type, content_type);
    }
}

#[test]
fn unknown_names_are_not_found() {
    assert!(
        find_asset("app.js").is_none(),
        "unhashed names are not served"
    );
    assert!(find_asset("nope.0000000000000000.js").is_none());
    assert!(find_asset("").is_none());
    assert_eq!(asset_url("missing.js"), "/static/missing.js");
}

#[test]
fn static_assets_is_computed_once() {
    assert!(std::ptr::eq(static_assets(), static_assets()));
    assert_eq!(static_assets().len(), SOURCES.len());
}
