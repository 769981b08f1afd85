//! Dictionary-coded categorical cells: the texts in are the texts out, whatever the coding.

use proptest::prelude::*;
use scorediff_tabular::CategoricalCells;

fn cells_strategy() -> impl Strategy<Value = Vec<Option<String>>> {
    // Few distinct texts so that levels repeat; the empty text is a category, not missing.
    prop::collection::vec(
        prop::option::weighted(
            0.8,
            prop::sample::select(vec!["", "a", "b", "é", "10", "a "]),
        ),
        0..60,
    )
    .prop_map(|v| v.into_iter().map(|x| x.map(str::to_string)).collect())
}

fn texts(c: &CategoricalCells) -> Vec<Option<String>> {
    c.to_texts()
}

proptest! {
    #[test]
    fn texts_round_trip_through_codes(v in cells_strategy()) {
        let c: CategoricalCells = v.iter().cloned().collect();
        prop_assert_eq!(c.len(), v.len());
        prop_assert_eq!(texts(&c), v.clone());
        for (i, x) in v.iter().enumerate() {
            prop_assert_eq!(c.get(i), x.as_deref());
            prop_assert_eq!(c.is_missing(i), x.is_none());
        }
        // Each distinct text is one level.
        let distinct: std::collections::HashSet<&str> = v.iter().flatten().map(String::as_str).collect();
        prop_assert_eq!(c.levels().len(), distinct.len());
    }

    #[test]
    fn extend_is_concatenation_of_texts(a in cells_strategy(), b in cells_strategy()) {
        let mut c: CategoricalCells = a.iter().cloned().collect();
        // The second part meets its levels in another order.
        let d: CategoricalCells = b.iter().rev().cloned().collect::<CategoricalCells>()
            .select(&(0..b.len()).rev().collect::<Vec<_>>());
        c.extend(&d);
        let mut both = a.clone();
        both.extend(b.iter().cloned());
        prop_assert_eq!(texts(&c), both);
    }

    #[test]
    fn select_and_set_act_on_texts(v in cells_strategy(), seed in 0usize..1000) {
        prop_assume!(!v.is_empty());
        let c: CategoricalCells = v.iter().cloned().collect();
        let rows: Vec<usize> = (0..v.len()).map(|k| (k * 7 + seed) % v.len()).collect();
        let s = c.select(&rows);
        let expected: Vec<Option<String>> = rows.iter().map(|&i| v[i].clone()).collect();
        prop_assert_eq!(texts(&s), expected);
        let mut t = c.clone();
        let i = seed % v.len();
        t.set(i, Some("new"));
        prop_assert_eq!(t.get(i), Some("new"));
        t.set(i, None);
        prop_assert!(t.is_missing(i));
    }
}

#[test]
fn equality_compares_texts_not_level_order() {
    let x: CategoricalCells = [Some("a"), Some("b"), None].into_iter().collect();
    let y = CategoricalCells::from_codes(
        vec!["b".into(), "a".into()],
        vec![1, 0, CategoricalCells::MISSING],
    )
    .unwrap();
    assert_ne!(x.levels(), y.levels());
    assert_eq!(x, y);
    let z: CategoricalCells = [Some("a"), Some("b"), Some("b")].into_iter().collect();
    assert_ne!(x, z);
}

#[test]
fn invalid_codes_and_repeated_levels_are_refused() {
    assert!(CategoricalCells::from_codes(vec!["a".into()], vec![1]).is_none());
    assert!(CategoricalCells::from_codes(vec!["a".into(), "a".into()], vec![0]).is_none());
    assert!(CategoricalCells::from_codes(vec!["a".into()], vec![0, u32::MAX]).is_some());
}

#[test]
fn present_lists_occurring_values_once_missing_last() {
    let c: CategoricalCells = [Some("b"), None, Some("a"), Some("b")]
        .into_iter()
        .collect();
    assert_eq!(c.present(), vec![Some("b"), Some("a"), None]);
    // A level no longer occurring after a selection is not present.
    assert_eq!(c.select(&[0, 3]).present(), vec![Some("b")]);
}
