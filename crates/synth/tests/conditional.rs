//! Conditional generation and imputation from one fitted model: every condition holds on
//! every row (a property over random conditions), the conditioned rows follow the condition
//! in the columns it does not fix, bad conditions are refused naming the column, and
//! imputation fills exactly the missing cells and never changes a known one.

use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scorediff_synth::condition::{
    ColumnCondition, Requirement, Value, matching_rows, parse_where, resolve, warnings,
};
use scorediff_synth::faer::FaerBackend;
use scorediff_synth::impute::impute;
use scorediff_synth::net::NetSpec;
use scorediff_synth::pipeline::{FitConfig, Model, conditioned_sampler, fit, sample_where};
use scorediff_synth::tabular::{ColumnData, InferOptions, ReadOptions, Schema, Table, load_table};
use scorediff_synth::train::EarlyStop;
use std::ops::ControlFlow;
use std::sync::OnceLock;

/// 600 rows: an id, `income` (2 decimals, some missing), `age` (integer), `city` (three
/// common cities and one held by 4 rows), `label` = 1 exactly when income is above 50.
fn csv() -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut s = String::from("customer,income,age,city,label\n");
    for i in 0..600 {
        let age: u32 = rng.random_range(20..70);
        let income: f64 = 20.0 + 0.8 * f64::from(age) + rng.random_range(0.0..30.0);
        let city = if i < 4 {
            "lyon"
        } else if age < 35 {
            "north"
        } else if age < 50 {
            ["south", "north"][i % 2]
        } else {
            "east"
        };
        let income_text = if i % 25 == 7 {
            String::new()
        } else {
            format!("{income:.2}")
        };
        let label = u8::from(income > 50.0);
        s.push_str(&format!(
            "C{:05},{income_text},{age},{city},{label}\n",
            1000 + i
        ));
    }
    s
}

fn data() -> &'static (Table, Schema) {
    static DATA: OnceLock<(Table, Schema)> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("table.csv");
        std::fs::write(&path, csv()).expect("write");
        load_table(
            &path,
            &ReadOptions::default(),
            None,
            &InferOptions::default(),
        )
        .expect("load")
    })
}

fn model() -> &'static Model<FaerBackend> {
    static MODEL: OnceLock<Model<FaerBackend>> = OnceLock::new();
    MODEL.get_or_init(|| {
        let (table, schema) = data();
        let mut cfg = FitConfig {
            net: NetSpec::Mlp {
                width: 64,
                depth: 2,
                residual: true,
            },
            ..FitConfig::default()
        }
        .with_seed(3);
        cfg.train.max_steps = 600;
        cfg.train.batch_size = Some(128);
        cfg.stop = EarlyStop::None;
        cfg.guard = scorediff_synth::guard::GuardConfig::off();
        cfg.sampler.steps = 10;
        let be = FaerBackend::default();
        fit(&be, table, schema, &cfg, &mut |_| ControlFlow::Continue(())).expect("fit")
    })
}

fn conditions(texts: &[&str]) -> Vec<ColumnCondition> {
    let m = model();
    texts
        .iter()
        .map(|t| parse_where(t, &m.schema).expect("parse"))
        .collect()
}

fn draw(texts: &[&str], rows: usize, seed: u64) -> Table {
    let m = model();
    let resolved = resolve(&conditions(texts), &m.schema, &m.encoder).expect("resolve");
    let sampler = scorediff_synth::process::SamplerConfig {
        seed,
        ..conditioned_sampler(&m.config.sampler)
    };
    sample_where(
        &FaerBackend::default(),
        m,
        rows,
        &resolved,
        &sampler,
        &mut |_, _| {},
    )
    .expect("sample")
}

fn numbers(t: &Table, name: &str) -> Vec<Option<f64>> {
    match &t.column(name).expect("column").data {
        ColumnData::Numerical(v) => v.clone(),
        ColumnData::Categorical(_) => panic!("{name} is categorical"),
    }
}

fn texts(t: &Table, name: &str) -> Vec<Option<String>> {
    match &t.column(name).expect("column").data {
        ColumnData::Categorical(v) => v.to_texts(),
        ColumnData::Numerical(_) => panic!("{name} is numerical"),
    }
}

/// A random condition on each of a random set of columns, from the training table's own
/// values: categories (one or several), numerical equalities, closed and open ranges.
fn random_conditions(seed: u64) -> Vec<String> {
    let (table, _) = data();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    for name in ["income", "age", "city", "label"] {
        if rng.random::<f64>() < 0.5 {
            continue;
        }
        let i = rng.random_range(0..table.n_rows());
        let j = rng.random_range(0..table.n_rows());
        match name {
            "city" => {
                let mut cats = vec!["north", "south", "east", "lyon"];
                cats.retain(|_| rng.random::<f64>() < 0.6);
                if cats.is_empty() {
                    cats.push("east");
                }
                out.push(format!("city={}", cats.join("|")));
            }
            "label" => out.push(format!("label={}", rng.random_range(0..2))),
            _ => {
                let v = numbers(table, name);
                let (Some(a), Some(b)) = (v[i], v[j]) else {
                    continue;
                };
                let (lo, hi) = (a.min(b), a.max(b));
                out.push(match rng.random_range(0..4) {
                    0 => format!("{name}={lo}"),
                    1 => format!("{name}={lo}..{hi}"),
                    2 => format!("{name}={lo}.."),
                    _ => format!("{name}=..{hi}"),
                });
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_condition_holds_on_every_row(seed in 0u64..1_000_000) {
        let texts = random_conditions(seed);
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let m = model();
        let conds = conditions(&texts);
        let syn = draw(&texts, 40, seed);
        prop_assert_eq!(syn.n_rows(), 40);
        let meeting = matching_rows(&conds, &m.schema, &syn).unwrap();
        prop_assert_eq!(meeting.len(), 40, "conditions {:?}", texts);
    }
}

#[test]
fn the_other_columns_follow_the_condition() {
    // label = 0 exactly when income <= 50 (a minority): the conditioned rows' incomes must
    // move down, and the old cities (east) must be much more frequent among ages 55..69.
    let plain = draw(&[], 400, 1);
    let poor = draw(&["label=0"], 400, 1);
    let mean = |t: &Table| {
        let v: Vec<f64> = numbers(t, "income").into_iter().flatten().collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let below = numbers(&poor, "income")
        .iter()
        .flatten()
        .filter(|&&x| x <= 50.0)
        .count() as f64
        / 400.0;
    assert!(
        mean(&poor) < mean(&plain) - 10.0,
        "income given label=0: {} against {}",
        mean(&poor),
        mean(&plain)
    );
    assert!(
        below > 0.75,
        "{below} of the label=0 rows have income <= 50"
    );
    let old = draw(&["age=55..69"], 300, 2);
    let east = texts(&old, "city")
        .iter()
        .filter(|c| c.as_deref() == Some("east"))
        .count();
    assert!(east > 220, "{east} of 300 rows aged 55..69 in `east`");
}

#[test]
fn the_same_seed_draws_the_same_rows() {
    let a = draw(&["city=north|south", "age=30.."], 50, 9);
    let b = draw(&["city=north|south", "age=30.."], 50, 9);
    let c = draw(&["city=north|south", "age=30.."], 50, 10);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn conditions_a_model_cannot_hold_are_refused_naming_the_column() {
    let m = model();
    let refused = |text: &str, needle: &str| {
        let err = parse_where(text, &m.schema)
            .and_then(|c| resolve(&[c], &m.schema, &m.encoder))
            .expect_err(text)
            .to_string();
        assert!(err.contains(needle), "`{text}`: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    };
    refused("nope=1", "no column `nope`");
    refused("city", "NAME=VALUE");
    refused("customer=C01000", "id column");
    refused("city=paris", "`paris` is not a category");
    refused("age=200", "lie in");
    refused("age=80..90", "lie in");
    refused("age=40..30", "empty");
    refused("age=33.5", "takes no value 33.5");
    refused("income=abc", "not a number");
    refused("city=1..2", "`1..2` is not a category");
    refused("age=..", "at least one end");
    let twice = vec![
        parse_where("age=30..40", &m.schema).unwrap(),
        parse_where("age=35", &m.schema).unwrap(),
    ];
    let err = resolve(&twice, &m.schema, &m.encoder)
        .unwrap_err()
        .to_string();
    assert!(err.contains("two conditions"), "{err}");
    let set = ColumnCondition {
        column: "age".into(),
        requirement: Requirement::OneOf(vec![Value::Number(30.0)]),
    };
    let err = resolve(&[set], &m.schema, &m.encoder)
        .unwrap_err()
        .to_string();
    assert!(err.contains("numerical"), "{err}");
}

#[test]
fn a_rare_condition_gets_a_warning_with_its_share() {
    let m = model();
    let rare = resolve(&conditions(&["city=lyon"]), &m.schema, &m.encoder).unwrap();
    let w = warnings(&rare, m.n_train_rows);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("0.67%") && w[0].contains("about 4 of 600"),
        "{}",
        w[0]
    );
    let common = resolve(&conditions(&["city=north"]), &m.schema, &m.encoder).unwrap();
    assert!(warnings(&common, m.n_train_rows).is_empty());
}

#[test]
fn matching_rows_reads_values_as_the_table_does() {
    let (table, schema) = data();
    let conds: Vec<ColumnCondition> = ["label=1.0", "age=..34"]
        .iter()
        .map(|t| parse_where(t, schema).unwrap())
        .collect();
    let rows = matching_rows(&conds, schema, table).unwrap();
    let (ages, labels) = (numbers(table, "age"), texts(table, "label"));
    let expected: Vec<usize> = (0..table.n_rows())
        .filter(|&i| labels[i].as_deref() == Some("1") && ages[i].is_some_and(|a| a <= 34.0))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(rows, expected);
}

/// The training table with about `share` of its cells missing (seeded), ids kept.
fn with_gaps(share: f64, seed: u64) -> Table {
    let (table, _) = data();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = table.select_rows(&(0..120).collect::<Vec<_>>());
    for c in &mut out.columns {
        match &mut c.data {
            ColumnData::Numerical(v) => v.iter_mut().for_each(|x| {
                if rng.random::<f64>() < share {
                    *x = None
                }
            }),
            ColumnData::Categorical(v) => (0..v.len()).for_each(|i| {
                if rng.random::<f64>() < share {
                    v.set(i, None)
                }
            }),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn imputation_fills_the_gaps_and_never_changes_a_known_cell(
        seed in 0u64..1000,
        share in 0.05f64..0.9,
        draws in 1usize..4,
    ) {
        let m = model();
        let gaps = with_gaps(share, seed);
        let sampler = conditioned_sampler(&m.config.sampler);
        let (filled, summary) =
            impute(&FaerBackend::default(), m, &gaps, &sampler, draws, &mut |_, _| {}).unwrap();
        prop_assert_eq!(filled.n_rows(), gaps.n_rows());
        let mut holes = 0;
        for (g, f) in gaps.columns.iter().zip(&filled.columns) {
            prop_assert_eq!(&g.name, &f.name);
            match (&g.data, &f.data) {
                (ColumnData::Numerical(a), ColumnData::Numerical(b)) => {
                    for (x, y) in a.iter().zip(b.iter()) {
                        match x {
                            Some(_) => prop_assert_eq!(x, y),
                            None => { holes += 1; prop_assert!(y.is_some()) }
                        }
                    }
                }
                (ColumnData::Categorical(a), ColumnData::Categorical(b)) => {
                    for (x, y) in a.iter().zip(b.iter()) {
                        match x {
                            Some(_) => prop_assert_eq!(x, y),
                            None => { holes += 1; prop_assert!(y.is_some()) }
                        }
                    }
                }
                _ => prop_assert!(false, "kinds changed"),
            }
        }
        prop_assert_eq!(summary.cells_filled, holes);
        prop_assert_eq!(summary.draws, draws);
    }
}

#[test]
fn imputation_follows_the_known_cells() {
    // Incomes hidden, labels known: the filled incomes of label-1 rows lie above those of
    // label-0 rows (label = income > 50).
    let m = model();
    let (table, _) = data();
    let mut gaps = table.select_rows(&(0..200).collect::<Vec<_>>());
    let truth = numbers(&gaps, "income");
    if let ColumnData::Numerical(v) = &mut gaps.columns[0].data {
        v.iter_mut().for_each(|x| *x = None);
    }
    let sampler = conditioned_sampler(&m.config.sampler);
    let (filled, _) = impute(
        &FaerBackend::default(),
        m,
        &gaps,
        &sampler,
        5,
        &mut |_, _| {},
    )
    .unwrap();
    let (got, labels) = (numbers(&filled, "income"), texts(&filled, "label"));
    let right = (0..200)
        .filter(|&i| truth[i].is_some())
        .filter(|&i| (got[i].unwrap() > 50.0) == (labels[i].as_deref() == Some("1")))
        .count();
    let known = truth.iter().flatten().count();
    assert!(
        right as f64 > 0.85 * known as f64,
        "{right} of {known} imputed incomes on the side of 50 their label says"
    );
}

#[test]
fn an_unknown_category_in_a_table_to_impute_names_its_row_and_column() {
    let m = model();
    let mut gaps = with_gaps(0.2, 1);
    if let Some(c) = gaps.columns.iter_mut().find(|c| c.name == "city")
        && let ColumnData::Categorical(v) = &mut c.data
    {
        v.set(4, Some("paris"));
    }
    let sampler = conditioned_sampler(&m.config.sampler);
    let err = impute(
        &FaerBackend::default(),
        m,
        &gaps,
        &sampler,
        1,
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("row 5") && err.contains("`city`") && err.contains("paris"),
        "{err}"
    );
}
