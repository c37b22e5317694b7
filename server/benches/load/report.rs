//! The benchmark's output: one Markdown table, printed as rows arrive so a
//! long run shows progress, with a baseline and ratio where one applies.

pub struct Report;

impl Report {
    pub fn header() {
        println!("| Scenario | Figure | Kanect | Baseline (same run) | Ratio |");
        println!("|---|---|---|---|---|");
    }

    pub fn row(scenario: &str, figure: &str, value: impl AsRef<str>) {
        println!("| {scenario} | {figure} | {} | | |", value.as_ref());
    }

    /// A row with a baseline; `ratio` is value ÷ baseline, shown with the unit "×".
    pub fn compared(
        scenario: &str,
        figure: &str,
        value: impl AsRef<str>,
        baseline: impl AsRef<str>,
        ratio: f64,
    ) {
        println!(
            "| {scenario} | {figure} | {} | {} | {ratio:.2}× |",
            value.as_ref(),
            baseline.as_ref()
        );
    }
}
