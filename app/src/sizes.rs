//! How Kanect writes a number of bytes for people: one way everywhere (a
//! file's size, upload limits and quotas, the admin console), in binary
//! units because the limits are set in them ("25 MiB"). Integer arithmetic
//! only, identical on server and browser — and it keeps the browser bundle
//! free of float formatting.

const UNITS: [(&str, u64); 4] = [
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];

/// "96 bytes", "812 KiB", "2.4 MiB", "25 MiB": at most one decimal, rounded
/// to the nearest tenth, ".0" left out.
pub fn bytes_text(n: u64) -> String {
    let Some(mut at) = UNITS.iter().rposition(|&(_, size)| n >= size) else {
        return format!("{n} bytes");
    };
    let tenths =
        |size: u64| ((u128::from(n) * 10 + u128::from(size) / 2) / u128::from(size)) as u64;
    // 1023.97 KiB rounds to 1024.0: say 1 MiB instead.
    if at + 1 < UNITS.len() && tenths(UNITS[at].1) >= 10 * 1024 {
        at += 1;
    }
    let (unit, size) = UNITS[at];
    let t = tenths(size);
    match t % 10 {
        0 => format!("{} {unit}", t / 10),
        d => format!("{}.{d} {unit}", t / 10),
    }
}

#[cfg(test)]
mod tests {
    use super::bytes_text;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(bytes_text(0), "0 bytes");
        assert_eq!(bytes_text(1023), "1023 bytes");
        assert_eq!(bytes_text(1024), "1 KiB");
        assert_eq!(bytes_text(300 * 1024), "300 KiB");
        assert_eq!(bytes_text(1536), "1.5 KiB");
        assert_eq!(bytes_text(25 * 1024 * 1024), "25 MiB");
        assert_eq!(bytes_text(2_516_582), "2.4 MiB");
        assert_eq!(bytes_text(1024 * 1024 * 1024), "1 GiB");
        assert_eq!(bytes_text(u64::MAX), "16777216 TiB");
    }

    #[test]
    fn a_value_that_rounds_up_to_the_next_unit_is_written_in_it() {
        assert_eq!(bytes_text(1024 * 1024 - 1), "1 MiB");
        assert_eq!(bytes_text(1024 * 1024 - 60), "1023.9 KiB");
    }
}
