//! Charts drawn on the server as SVG, placed in the page itself: no script, nothing fetched.
//! Colours are presentation attributes (the page's policy refuses inline styles), every chart
//! has a title and a description for screen readers, and every figure is also printed, so
//! nothing is told by colour alone.

use std::collections::BTreeMap;
use std::fmt::Write;

/// Colour-blind-safe colours for the series; further series share the last one ("others").
const PALETTE: [&str; 7] = [
    "#005a9c", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#6b6b6b",
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A stacked bar per period, one segment per series (missions); the largest series keep
/// their own colour, the rest are added up as `others`.
pub struct Stacked<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub others: &'a str,
    /// period → series → value
    pub values: &'a BTreeMap<String, BTreeMap<String, u64>>,
}

impl Stacked<'_> {
    pub fn svg(&self) -> String {
        let mut totals_by_series: BTreeMap<&str, u64> = BTreeMap::new();
        for series in self.values.values() {
            for (name, value) in series {
                *totals_by_series.entry(name).or_default() += value;
            }
        }
        let mut ranked: Vec<(&str, u64)> = totals_by_series.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let own_colour = PALETTE.len() - 1;
        let named: Vec<&str> = ranked.iter().take(own_colour).map(|(n, _)| *n).collect();
        let has_others = ranked.len() > own_colour;

        let periods: Vec<&String> = self.values.keys().collect();
        let peak = self
            .values
            .values()
            .map(|s| s.values().sum::<u64>())
            .max()
            .unwrap_or(0)
            .max(1);
        // Decades of years fit one screen: the bars narrow, and only some periods are named.
        let (left, top, bar_area_height) = (40.0, 10.0, 160.0);
        let step = (560.0 / periods.len().max(1) as f64).min(30.0);
        let (bar_width, gap) = (step * 0.75, step * 0.25);
        let name_every = (14.0 / step).ceil().max(1.0) as usize;
        // Room for the legend even when there are few bars.
        let width = (left + periods.len().max(1) as f64 * step + 10.0).max(320.0);
        let legend_top = top + bar_area_height + 40.0;
        let legend_rows = named.len() + usize::from(has_others);
        let height = legend_top + legend_rows as f64 * 18.0 + 10.0;

        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-labelledby="{id}-t {id}-d" class="chart"><title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>"#,
            id = slug(self.title),
            title = escape(self.title),
            desc = escape(self.description),
        );
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#444"/><text x="{lx}" y="{ty}" font-size="10" text-anchor="end">{peak}</text><text x="{lx}" y="{base}" font-size="10" text-anchor="end">0</text>"##,
            base = top + bar_area_height,
            lx = left - 4.0,
            ty = top + 8.0,
        );
        for (i, period) in periods.iter().enumerate() {
            let x = left + gap / 2.0 + i as f64 * step;
            let mut y = top + bar_area_height;
            let series = &self.values[*period];
            let mut segments: Vec<(usize, u64)> = named
                .iter()
                .enumerate()
                .map(|(colour, name)| (colour, series.get(*name).copied().unwrap_or(0)))
                .collect();
            let rest: u64 = series
                .iter()
                .filter(|(name, _)| !named.contains(&name.as_str()))
                .map(|(_, v)| v)
                .sum();
            segments.push((own_colour, rest));
            let total: u64 = series.values().sum();
            for (colour, value) in segments.into_iter().filter(|(_, v)| *v > 0) {
                let h = value as f64 / peak as f64 * bar_area_height;
                y -= h;
                // Each part names its series and figure, for a pointer or a screen reader.
                let name = named.get(colour).copied().unwrap_or(self.others);
                let _ = write!(
                    svg,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{bar_width:.1}" height="{h:.1}" fill="{}"><title>{}, {}: {value}</title></rect>"#,
                    PALETTE[colour],
                    escape(name),
                    escape(period),
                );
            }
            if i % name_every != 0 {
                continue;
            }
            let _ = write!(
                svg,
                r#"<text x="{cx:.1}" y="{ty:.1}" font-size="9" text-anchor="middle">{total}</text><text x="{cx:.1}" y="{py:.1}" font-size="9" text-anchor="end" transform="rotate(-45 {cx:.1} {py:.1})">{p}</text>"#,
                cx = x + bar_width / 2.0,
                ty = y - 2.0,
                py = top + bar_area_height + 12.0,
                p = escape(period),
            );
        }
        let mut legend: Vec<(usize, String)> = named
            .iter()
            .enumerate()
            .map(|(i, n)| (i, n.to_string()))
            .collect();
        if has_others {
            legend.push((own_colour, self.others.to_string()));
        }
        for (row, (colour, name)) in legend.iter().enumerate() {
            let y = legend_top + row as f64 * 18.0;
            let _ = write!(
                svg,
                r#"<rect x="{left}" y="{y:.0}" width="12" height="12" fill="{}"/><text x="{tx}" y="{ty:.0}" font-size="11">{}</text>"#,
                PALETTE[*colour],
                escape(name),
                tx = left + 18.0,
                ty = y + 10.0,
            );
        }
        svg.push_str("</svg>");
        svg
    }
}

/// Horizontal bars, one per labelled value, each with its figure printed beside it.
pub struct Bars<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub bars: &'a [(String, Option<f64>)],
    /// Written after each figure ("days"); empty for counts.
    pub unit: &'a str,
    /// Written where a value is missing.
    pub missing: &'a str,
}

impl Bars<'_> {
    pub fn svg(&self) -> String {
        let (label_width, bar_space, row) = (190.0, 220.0, 22.0);
        let width = label_width + bar_space + 90.0;
        let height = self.bars.len().max(1) as f64 * row + 10.0;
        let peak = self
            .bars
            .iter()
            .filter_map(|(_, v)| *v)
            .fold(0.0_f64, f64::max)
            .max(1.0);
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-labelledby="{id}-t {id}-d" class="chart"><title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>"#,
            id = slug(self.title),
            title = escape(self.title),
            desc = escape(self.description),
        );
        for (i, (name, value)) in self.bars.iter().enumerate() {
            let y = 5.0 + i as f64 * row;
            let w = value.map_or(0.0, |v| v / peak * bar_space);
            let figure = match value {
                Some(v) if v.fract() == 0.0 => format!("{v:.0}{}", self.unit),
                Some(v) => format!("{v:.1}{}", self.unit),
                None => self.missing.to_string(),
            };
            let _ = write!(
                svg,
                r##"<text x="{lx}" y="{ty:.0}" font-size="11" text-anchor="end">{}</text><rect x="{label_width}" y="{y:.0}" width="{w:.1}" height="16" fill="#005a9c"/><text x="{fx:.1}" y="{ty:.0}" font-size="11">{}</text>"##,
                escape(name),
                escape(&figure),
                lx = label_width - 6.0,
                ty = y + 12.0,
                fx = label_width + w + 4.0,
            );
        }
        svg.push_str("</svg>");
        svg
    }
}

/// An id for the chart's title and description, from its title.
fn slug(title: &str) -> String {
    let slug: String = title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("chart-{slug}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_print_every_figure_and_escape_labels() {
        let bars = [
            ("<script>".to_string(), Some(12.0)),
            ("charged".to_string(), Some(3.5)),
            ("judgment".to_string(), None),
        ];
        let svg = Bars {
            title: "Funnel",
            description: "cases",
            bars: &bars,
            unit: " d",
            missing: "none yet",
        }
        .svg();
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
        assert!(svg.contains(">12 d<") && svg.contains(">3.5 d<") && svg.contains(">none yet<"));
    }

    #[test]
    fn stacked_bars_total_each_period_and_group_the_smallest_series() {
        let mut values: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for (i, mission) in ["A", "B", "C", "D", "E", "F", "G", "H"].iter().enumerate() {
            values
                .entry("2024".to_string())
                .or_default()
                .insert(mission.to_string(), i as u64 + 1);
        }
        values
            .entry("2025".to_string())
            .or_default()
            .insert("A".to_string(), 4);
        let svg = Stacked {
            title: "Attacks",
            description: "per year",
            others: "others",
            values: &values,
        }
        .svg();
        // 1 + 2 + ... + 8 = 36 in 2024; the two smallest missions (B, C) share "others".
        assert!(svg.contains(">36<") && svg.contains(">4<"));
        assert!(svg.contains(">others<") && svg.contains(">H<") && !svg.contains(">B</text>"));
    }
}
