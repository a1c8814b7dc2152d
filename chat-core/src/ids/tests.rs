//! Id newtypes: display, parsing and their JSON form.

use super::{MessageId, ThreadId, UserId};

#[test]
fn ids_are_plain_integers_outside() {
    assert_eq!(UserId(42).to_string(), "42");
    assert_eq!(ThreadId(-3).get(), -3);
    assert_eq!("17".parse::<MessageId>(), Ok(MessageId(17)));
    assert!("x".parse::<MessageId>().is_err());
    assert!("9223372036854775808".parse::<UserId>().is_err());
    assert_eq!(serde_json::to_string(&MessageId(5)).unwrap(), "5");
    assert_eq!(serde_json::from_str::<ThreadId>("8").unwrap(), ThreadId(8));
    assert!(MessageId(2) > MessageId(1));
}
