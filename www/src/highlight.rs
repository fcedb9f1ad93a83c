//! A text field's explanation drawn in its text: the words that decided are marked with the
//! side they pushed, from the answer's `terms` and their `spans` (code points of the text sent).

use leptos::prelude::*;

/// A run of the text: plain, or one term's occurrence with its contribution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Segment {
    Plain(String),
    Term {
        text: String,
        term: String,
        contribution: f64,
    },
}

/// A term the explanation lists: its contribution to the class shown and where it occurs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ListedTerm {
    pub(crate) term: String,
    pub(crate) contribution: f64,
    pub(crate) spans: Vec<(usize, usize)>,
}

/// `text` cut into segments at the terms' spans. `terms` come strongest first; where two spans
/// overlap (a word and the n-gram holding it), the stronger term keeps the characters.
pub(crate) fn segments(text: &str, terms: &[ListedTerm]) -> Vec<Segment> {
    let chars: Vec<char> = text.chars().collect();
    let mut owner: Vec<Option<usize>> = vec![None; chars.len()];
    for (t, listed) in terms.iter().enumerate() {
        for &(a, b) in &listed.spans {
            let free = a < b && b <= chars.len() && owner[a..b].iter().all(Option::is_none);
            if free {
                owner[a..b].fill(Some(t));
            }
        }
    }
    let mut out = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let who = owner[start];
        let end = (start..chars.len())
            .find(|&i| owner[i] != who)
            .unwrap_or(chars.len());
        let run: String = chars[start..end].iter().collect();
        out.push(match who {
            None => Segment::Plain(run),
            Some(t) => Segment::Term {
                text: run,
                term: terms[t].term.clone(),
                contribution: terms[t].contribution,
            },
        });
        start = end;
    }
    out
}

/// The field's text with its deciding terms marked (warm: pushed the score up, cool: down).
#[component]
pub(crate) fn TermHighlights(caption: String, segments: Vec<Segment>) -> impl IntoView {
    let parts = segments
        .into_iter()
        .map(|s| match s {
            Segment::Plain(text) => view! { <span>{text}</span> }.into_any(),
            Segment::Term {
                text,
                term,
                contribution,
            } => {
                let class = if contribution >= 0.0 { "term up" } else { "term down" };
                let title = format!("{term}: {contribution:+.3}");
                view! {
                    <mark class=class title=title.clone() aria-label=title data-term=term>{text}</mark>
                }
                .into_any()
            }
        })
        .collect_view();
    view! {
        <figure class="highlights" data-testid="term-highlights">
            <figcaption>{caption}</figcaption>
            <p>{parts}</p>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_become_marked_runs_and_the_stronger_term_keeps_an_overlap() {
        let listed = |term: &str, contribution, spans| ListedTerm {
            term: term.to_string(),
            contribution,
            spans,
        };
        let terms = vec![
            listed("dull", 2.0, vec![(2, 6)]),
            listed("dull film", 1.0, vec![(2, 11)]),
            listed("film", -0.5, vec![(7, 11)]),
        ];
        let s = segments("a dull film!", &terms);
        assert_eq!(
            s,
            vec![
                Segment::Plain("a ".into()),
                Segment::Term {
                    text: "dull".into(),
                    term: "dull".into(),
                    contribution: 2.0
                },
                Segment::Plain(" ".into()),
                Segment::Term {
                    text: "film".into(),
                    term: "film".into(),
                    contribution: -0.5
                },
                Segment::Plain("!".into()),
            ]
        );
        // Spans past the text (a stale answer) are ignored, not a panic.
        assert_eq!(
            segments("ab", &[listed("x", 1.0, vec![(1, 9)])]),
            vec![Segment::Plain("ab".into())]
        );
    }
}
