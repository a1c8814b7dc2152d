use serde_json::{Value, json};

use super::{BEGIN, END, median, rows, splice};

#[test]
fn median_of_odd_even_and_missing() {
    let cases: [(&[Value], Option<f64>); 4] = [
        (&[], None),
        (
            &[json!({"x": 3}), json!({"x": 1}), json!({"x": 2})],
            Some(2.0),
        ),
        (&[json!({"x": 4}), json!({"x": 1})], Some(2.5)),
        (&[json!({"x": 5}), json!({"y": 1})], Some(5.0)),
    ];
    for (values, expected) in cases {
        let refs: Vec<&Value> = values.iter().collect();
        assert_eq!(median(&refs, "/x"), expected, "{values:?}");
    }
}

#[test]
fn a_chat_run_with_a_lost_message_does_not_meet_its_target() {
    let line = |delivered: f64, lost: u64| {
        json!({"label": "chat-closed", "result": {
            "delivered_per_s": delivered, "lost": lost, "duplicated": 0, "out_of_order": 0,
            "counts": lost == 0, "cpu": {"generator_share": 0.5, "server_share": 1.0}
        }})
    };
    let cases = [
        (
            vec![line(70_000.0, 0), line(65_000.0, 0), line(50_000.0, 0)],
            Some(true),
            "0 / 0 / 0",
        ),
        (
            vec![line(70_000.0, 0), line(65_000.0, 1), line(61_000.0, 0)],
            Some(false),
            "1 / 0 / 0",
        ),
        (vec![line(59_000.0, 0)], Some(false), "0 / 0 / 0"),
        (vec![], None, "–"),
    ];
    for (lines, met, integrity) in cases {
        let row = rows(&lines).remove(0);
        assert_eq!(
            (row.met, row.integrity.as_str(), row.runs),
            (met, integrity, lines.len())
        );
    }
}

#[test]
fn splice_replaces_only_the_generated_section() {
    let old = format!("# B\n\nintro\n\n{BEGIN}\nold table\n{END}\n\n## After\n");
    let new = splice(&old, "new table\n");
    assert_eq!(
        new,
        format!("# B\n\nintro\n\n{BEGIN}\nnew table\n{END}\n\n## After\n")
    );
    let appended = splice("# B\n", "t");
    assert_eq!(appended, format!("# B\n\n{BEGIN}\nt\n{END}\n"));
}
