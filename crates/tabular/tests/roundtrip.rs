//! Round trips: random small tables through schema inference, encoder and CSV writer; CSV
//! dialect sniffing; sampled decoding; atomic writes.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_tabular::read::csv::read_csv_bytes;
use scorediff_tabular::*;

/// One random column as CSV cell texts: numbers with 0..=3 decimals (written in the style of
/// the column: shortest or fixed), or words; some cells missing.
fn column_texts(n: usize) -> impl Strategy<Value = Vec<String>> {
    let numbers = (0u32..=3, any::<bool>(), -100_000i64..100_000).prop_flat_map(
        move |(dec, fixed, spread)| {
            let spread = spread.unsigned_abs().max(1) as i64;
            prop::collection::vec(prop::option::weighted(0.9, -spread..=spread), n).prop_map(
                move |ms| {
                    ms.into_iter()
                        .map(|m| match m {
                            None => String::new(),
                            Some(m) => {
                                let v = m as f64 / 10f64.powi(dec as i32);
                                if fixed {
                                    format!("{v:.*}", dec as usize)
                                } else {
                                    format!("{v}")
                                }
                            }
                        })
                        .collect()
                },
            )
        },
    );
    let words = prop::collection::vec(prop::option::weighted(0.9, "[a-e]{1,2}"), n)
        .prop_map(|ws| ws.into_iter().map(Option::unwrap_or_default).collect());
    prop_oneof![numbers, words]
}

fn csv_of(columns: &[Vec<String>]) -> String {
    let n = columns[0].len();
    let mut s = (0..columns.len())
        .map(|j| format!("c{j}"))
        .collect::<Vec<_>>()
        .join(",")
        + "\n";
    for i in 0..n {
        s += &columns
            .iter()
            .map(|c| c[i].as_str())
            .collect::<Vec<_>>()
            .join(",");
        s += "\n";
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Encode then decode gives the table back exactly, with few quantile knots (so most
    /// values fall between knots and rely on rounding) or many (every value a knot), with
    /// relation blocks or without (small random tables hold many relations), and writing it
    /// gives back every cell's text.
    #[test]
    fn encode_decode_write_is_exact(
        (columns, n_quantiles, relations, dequantise, max_one_hot) in (2usize..40).prop_flat_map(|n| {
            (prop::collection::vec(column_texts(n), 1..5), prop_oneof![2usize..8, Just(1000usize)], any::<bool>(), any::<bool>(), prop_oneof![Just(1usize), Just(3), Just(DEFAULT_MAX_ONE_HOT)])
        })
    ) {
        let text = csv_of(&columns);
        let Ok(raw) = read_csv_bytes("p.csv", text.as_bytes(), &ReadOptions::default()) else {
            // Every row missing in every column: no data rows left.
            return Ok(());
        };
        let schema = Schema::infer(&raw, &InferOptions::default()).unwrap();
        let table = schema.apply(&raw).unwrap();
        let options = EncoderOptions { numerical: NumericalTransform::Quantile { n_quantiles }, onehot_scale: 1.0, max_one_hot, relations, snap_discrete: false, whiten: false, dequantise };
        let Ok(enc) = Encoder::fit(&table, &schema, &options) else {
            // Only an all-missing numerical column can fail, and inference never makes one.
            panic!("fit failed");
        };
        let m = enc.encode(&table).unwrap();
        prop_assert_eq!(m.cols, enc.width());
        let back = enc.decode(&m).unwrap();
        prop_assert_eq!(&back, &table);
        let mut out = Vec::new();
        write_csv_to(&mut out, &back, Some(&schema)).unwrap();
        let again = read_csv_bytes("q.csv", &out, &ReadOptions::default()).unwrap();
        for (j, name) in again.header.iter().enumerate() {
            prop_assert_eq!(&again.columns[j], &raw.columns[raw.position(name).unwrap()]);
        }
    }

    /// Standardization also round-trips integer data of moderate range.
    #[test]
    fn standardized_integers_round_trip(values in prop::collection::vec(-50_000i64..50_000, 3..50)) {
        let table = Table::new(vec![Column::numerical("x", values.iter().map(|&v| Some(v as f64)).collect())]).unwrap();
        let raw = RawTable::from_table("t", &table);
        let schema = Schema::infer(&raw, &InferOptions { target: TargetChoice::None, ..Default::default() }).unwrap();
        let table = schema.apply(&raw).unwrap();
        let options = EncoderOptions { numerical: NumericalTransform::Standardize, onehot_scale: 1.0, max_one_hot: DEFAULT_MAX_ONE_HOT, relations: false, snap_discrete: false, whiten: false, dequantise: false };
        let enc = Encoder::fit(&table, &schema, &options).unwrap();
        prop_assert_eq!(enc.decode(&enc.encode(&table).unwrap()).unwrap(), table);
    }

    /// The quantile scores are increasing in the value: order is preserved.
    #[test]
    fn scores_preserve_order(mut values in prop::collection::vec(-1e6f64..1e6, 2..200), k in 2usize..50) {
        values.sort_by(f64::total_cmp);
        let table = Table::new(vec![Column::numerical("x", values.iter().map(|&v| Some(v)).collect())]).unwrap();
        let schema = Schema::infer(&RawTable::from_table("t", &table), &InferOptions { target: TargetChoice::None, ..Default::default() }).unwrap();
        let options = EncoderOptions { numerical: NumericalTransform::Quantile { n_quantiles: k }, onehot_scale: 1.0, max_one_hot: DEFAULT_MAX_ONE_HOT, relations: false, snap_discrete: false, whiten: false, dequantise: false };
        let enc = Encoder::fit(&table, &schema, &options).unwrap();
        let m = enc.encode(&table).unwrap();
        for i in 1..values.len() {
            prop_assert!(values[i - 1] == values[i] || m.data[i - 1] <= m.data[i]);
        }
    }
}

/// A relation's block decides its target: where it says "holds", the target takes the
/// source's decoded value (rounded and clipped as the target's values are); zeros together
/// make no relation; the blocks come after the columns', one-hot, and a misplaced block
/// fails the encoder's check.
#[test]
fn relation_blocks_set_their_target() {
    let n = 200;
    let a: Vec<Option<f64>> = (0..n).map(|i| Some((1 + i * 37 % 1000) as f64)).collect();
    // b = a in every third row, otherwise a different value; z, y: zero together in 30% of
    // rows, otherwise distinct.
    let b: Vec<Option<f64>> = (0..n)
        .map(|i| {
            Some(if i % 3 == 0 {
                (1 + i * 37 % 1000) as f64
            } else {
                5000.0 + i as f64
            })
        })
        .collect();
    let zero_or = |off: f64| -> Vec<Option<f64>> {
        (0..n)
            .map(|i| Some(if i % 10 < 3 { 0.0 } else { off + i as f64 }))
            .collect()
    };
    let table = Table::new(vec![
        Column::numerical("a", a),
        Column::numerical("b", b),
        Column::numerical("z", zero_or(1.0)),
        Column::numerical("y", zero_or(2.0)),
    ])
    .unwrap();
    let raw = RawTable::from_table("t", &table);
    let schema = Schema::infer(
        &raw,
        &InferOptions {
            target: TargetChoice::None,
            ..Default::default()
        },
    )
    .unwrap();
    let table = schema.apply(&raw).unwrap();
    let options = EncoderOptions {
        relations: true,
        ..EncoderOptions::default()
    };
    let enc = Encoder::fit(&table, &schema, &options).unwrap();
    let described: Vec<String> = enc.relations.iter().map(|r| r.describe()).collect();
    assert_eq!(described, ["b = a"]);
    assert_eq!(enc.width(), 4 + 2);
    assert_eq!(enc.layout().one_hot.len(), 1);
    let mut m = enc.encode(&table).unwrap();
    assert_eq!(enc.decode(&m).unwrap(), table);
    // Row 1 (b != a): switch its block to "holds".
    let (d, rb) = (m.cols, enc.relations[0].start);
    m.data[d + rb] = 1.0;
    m.data[d + rb + 1] = 0.0;
    let back = enc.decode(&m).unwrap();
    let col = |t: &Table, name: &str| match &t.column(name).unwrap().data {
        ColumnData::Numerical(v) => v.clone(),
        ColumnData::Categorical(_) => unreachable!(),
    };
    assert_eq!(col(&back, "b")[1], col(&table, "a")[1]);
    assert_ne!(col(&table, "b")[1], col(&table, "a")[1]);
    assert_eq!(col(&back, "a"), col(&table, "a"));
    let mut bad = enc.clone();
    bad.relations[0].start += 1;
    assert!(bad.check().unwrap_err().contains("b = a"));
    // An encoder without relations reads as before.
    let json = enc.to_json().replace(
        &format!(
            ",\"relations\":{}",
            serde_json::to_string(&enc.relations).unwrap()
        ),
        "",
    );
    let old = Encoder::from_json_str("e.json", &json).unwrap();
    assert!(old.relations.is_empty() && old.width() == 4);
}

#[test]
fn layout_blocks_and_missing_indicators() {
    let raw = read_csv_bytes(
        "t.csv",
        b"id,x,k,y\n1,1.5,a,0\n2,,b,1\n3,2.5,,1\n",
        &ReadOptions::default(),
    )
    .unwrap();
    let schema = Schema::infer(&raw, &InferOptions::default()).unwrap();
    assert_eq!(schema.column("id").unwrap().kind, ColumnKind::Id);
    let table = schema.apply(&raw).unwrap();
    let enc = Encoder::fit(&table, &schema, &EncoderOptions::default()).unwrap();
    // x: score + indicator; k: a, b, missing; y: 0, 1.
    assert_eq!(enc.width(), 2 + 3 + 2);
    let blocks: Vec<(usize, usize)> = enc
        .categorical_blocks()
        .iter()
        .map(|b| (b.start, b.len))
        .collect();
    assert_eq!(blocks, vec![(2, 3), (5, 2)]);
    assert_eq!(enc.layout().width, enc.width());
    let blocks = enc.blocks();
    assert!(blocks[0].missing_indicator && !blocks[0].one_hot);
    let m = enc.encode(&table).unwrap();
    assert_eq!(m.row(1)[1], 1.0);
    assert_eq!(&m.row(2)[2..5], &[0.0, 0.0, 1.0]);
    assert_eq!(enc.decode(&m).unwrap(), table);
}

#[test]
fn sampled_decoding_follows_the_block_and_is_seeded() {
    let raw = read_csv_bytes("t.csv", b"k\na\nb\nc\n", &ReadOptions::default()).unwrap();
    let schema = Schema::infer(&raw, &InferOptions::default()).unwrap();
    let table = schema.apply(&raw).unwrap();
    let enc = Encoder::fit(&table, &schema, &EncoderOptions::default()).unwrap();
    let n = 20_000;
    let probs = [0.2f32, 0.5, 0.3];
    let m = Matrix::new(n, 3, probs.iter().copied().cycle().take(3 * n).collect()).unwrap();
    let a = enc
        .decode_sampled(&m, &mut ChaCha8Rng::seed_from_u64(5))
        .unwrap();
    let b = enc
        .decode_sampled(&m, &mut ChaCha8Rng::seed_from_u64(5))
        .unwrap();
    assert_eq!(a, b);
    let ColumnData::Categorical(v) = &a.columns[0].data else {
        panic!()
    };
    for (cat, p) in ["a", "b", "c"].iter().zip(probs) {
        let share = v.iter().filter(|x| *x == Some(*cat)).count() as f64 / n as f64;
        let sd = (f64::from(p) * (1.0 - f64::from(p)) / n as f64).sqrt();
        assert!(
            (share - f64::from(p)).abs() < 5.0 * sd,
            "{cat}: {share} vs {p}"
        );
    }
    // Argmax picks the largest entry.
    let ColumnData::Categorical(v) = &enc.decode(&m).unwrap().columns[0].data else {
        panic!()
    };
    assert!(v.iter().all(|x| x == Some("b")));
}

#[test]
fn dialects_are_sniffed() {
    let expected = vec![
        vec![Some("1".to_string()), Some("3".into())],
        vec![Some("x, y".into()), Some("z".into())],
    ];
    for text in [
        "a;b\n1;x, y\n3;z\n",
        "a\tb\n1\tx, y\n3\tz\n",
        "a|b\n1|x, y\n3|z\n",
        "a,b\n1,\"x, y\"\n3,z\n",
        "a,b\n1,'x, y'\n3,z\n",
    ] {
        let raw = read_csv_bytes("t.csv", text.as_bytes(), &ReadOptions::default()).unwrap();
        assert_eq!(raw.header, ["a", "b"], "{text:?}");
        assert_eq!(raw.columns, expected, "{text:?}");
    }
    // A given delimiter wins over sniffing.
    let raw = read_csv_bytes(
        "t.csv",
        b"a;b\n1;2\n",
        &ReadOptions {
            delimiter: Some(b','),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(raw.header, ["a;b"]);
}

#[test]
fn header_detection() {
    let read = |t: &str| read_csv_bytes("t.csv", t.as_bytes(), &ReadOptions::default()).unwrap();
    // Code row above names: the names are the header.
    let r = read(",X1,X2,Y\nID,LIMIT,SEX,default\n1,20000,2,1\n");
    assert_eq!(r.header, ["ID", "LIMIT", "SEX", "default"]);
    assert_eq!(r.rows, vec![3]);
    // All-text tables and short codes keep the first row.
    assert_eq!(read("a,b\nx,y\nz,w\n").header, ["a", "b"]);
    assert_eq!(read("X1,X2\nred,blue\n").header, ["X1", "X2"]);
    assert_eq!(read("name,age\nann,NA\nbob,3\n").header, ["name", "age"]);
    // Rows above a given header row are ignored, whatever their shape.
    let r = read_csv_bytes(
        "t.csv",
        b"skip\na,b\n1,2\n",
        &ReadOptions {
            header_row: Some(1),
            ..Default::default()
        },
    );
    assert_eq!(r.unwrap().header, ["a", "b"]);
    let r = read_csv_bytes(
        "t.csv",
        b"a,b\nc,d\n1,2\n",
        &ReadOptions {
            header_row: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.header, ["c", "d"]);
}

#[test]
fn schema_json_round_trip_and_override() {
    let raw = read_csv_bytes(
        "t.csv",
        b"a,b,y\n1,2.5,0\n2,3.5,1\n4,1.5,0\n",
        &ReadOptions::default(),
    )
    .unwrap();
    let schema = Schema::infer(&raw, &InferOptions::default()).unwrap();
    let again = Schema::from_json_str("s", &schema.to_json_pretty()).unwrap();
    assert_eq!(again, schema);
    let user = Schema::from_json_str(
        "user.json",
        r#"{"format_version": 1, "target": "b", "columns": [{"name": "a", "kind": "categorical"}]}"#,
    )
    .unwrap();
    let s = Schema::infer_with(&raw, &InferOptions::default(), Some(&user)).unwrap();
    assert_eq!(s.column("a").unwrap().kind, ColumnKind::Categorical);
    assert_eq!(s.column("a").unwrap().categories, ["1", "2", "4"]);
    assert_eq!(s.target.as_deref(), Some("b"));
}

#[test]
fn csv_writing_is_atomic() {
    let dir = std::env::temp_dir().join(format!("scorediff-tabular-w-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("out.csv");
    std::fs::write(&path, "old").unwrap();
    let t = Table::new(vec![Column::categorical(
        "k",
        vec![Some("a,b".into()), None],
    )])
    .unwrap();
    write_csv(&path, &t, None).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "k\n\"a,b\"\n\"\"\n"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary file left"
    );
    let e = write_csv(dir.join("no/such/dir.csv"), &t, None).unwrap_err();
    assert!(matches!(e, TabularError::Write { .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn split_selects_the_rows() {
    let t = Table::new(vec![Column::numerical(
        "x",
        (0..10).map(|i| Some(f64::from(i))).collect(),
    )])
    .unwrap();
    let (a, b) = split_table(&t, 0.3, 1).unwrap();
    assert_eq!((a.n_rows(), b.n_rows()), (7, 3));
    let ColumnData::Numerical(va) = &a.columns[0].data else {
        panic!()
    };
    let ColumnData::Numerical(vb) = &b.columns[0].data else {
        panic!()
    };
    let mut all: Vec<f64> = va.iter().chain(vb).flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    assert_eq!(all, (0..10).map(f64::from).collect::<Vec<_>>());
}

/// A discrete column decodes to its frequent values only, a continuous one as before; the
/// support is stored with the encoder and an encoder without one reads as continuous.
#[test]
fn discrete_columns_snap_to_their_support() {
    let mut csv = String::from("limit,amount\n");
    for i in 0..1000 {
        let limit = if i == 7 {
            15_000
        } else {
            10_000 * (1 + i % 25)
        };
        csv.push_str(&format!("{limit},{}\n", (i * 7919) % 1000));
    }
    let raw = read_csv_bytes("t.csv", csv.as_bytes(), &ReadOptions::default()).unwrap();
    let schema = Schema::infer(&raw, &InferOptions::default()).unwrap();
    let table = schema.apply(&raw).unwrap();
    let options = EncoderOptions {
        snap_discrete: true,
        ..EncoderOptions::default()
    };
    let enc = Encoder::fit(&table, &schema, &options).unwrap();
    let support = |enc: &Encoder, j: usize| match &enc.columns[j].codec {
        ColumnCodec::Numerical(e) => e.support.clone(),
        ColumnCodec::Categorical(_) => panic!("numerical"),
    };
    // 25 limits of 40 rows each (one row moved to a rare 15,000; more than 20 values, so the
    // column is numerical, not categorical).
    let limits: Vec<f64> = (1..=25).map(|k| 10_000.0 * f64::from(k)).collect();
    assert_eq!(support(&enc, 0), limits);
    assert!(support(&enc, 1).is_empty());
    let n = 4001;
    let z: Vec<f32> = (0..n)
        .flat_map(|i| {
            let z = -5.0 + 10.0 * i as f32 / (n - 1) as f32;
            [z, z]
        })
        .collect();
    let m = Matrix::new(n, 2, z).unwrap();
    let decoded = enc.decode(&m).unwrap();
    let ColumnData::Numerical(decoded_limits) = &decoded.columns[0].data else {
        panic!()
    };
    assert!(decoded_limits.iter().all(|v| v.unwrap() % 10_000.0 == 0.0));
    let ColumnData::Numerical(amounts) = &decoded.columns[1].data else {
        panic!()
    };
    let distinct: std::collections::BTreeSet<i64> =
        amounts.iter().map(|v| v.unwrap() as i64).collect();
    assert!(distinct.len() > 900, "{} amounts", distinct.len());
    // Stored and read back; without the field, the column is continuous.
    let json = enc.to_json();
    assert_eq!(Encoder::from_json_str("e", &json).unwrap(), enc);
    let field = format!(",\"support\":{}", serde_json::to_string(&limits).unwrap());
    assert!(json.contains(&field), "{json}");
    let old = Encoder::from_json_str("e", &json.replace(&field, "")).unwrap();
    assert!(support(&old, 0).is_empty());
    let unsnapped = Encoder::fit(&table, &schema, &EncoderOptions::default()).unwrap();
    assert_eq!(old.columns, unsnapped.columns);
}

#[test]
fn dequantised_ties_round_trip_and_leave_no_point_mass() {
    // A zero-inflated amount (40% zeros) with missing values, an integer column of few
    // values, and a continuous one.
    let mut csv = String::from("amount,age,score\n");
    for i in 0..2000u64 {
        let amount = if i % 5 < 2 {
            "0".to_string()
        } else if i % 97 == 0 {
            String::new()
        } else {
            ((i * 7919) % 5000 + 1).to_string()
        };
        csv.push_str(&format!(
            "{amount},{},{:.3}\n",
            20 + i % 30,
            (i as f64 * 0.37).sin()
        ));
    }
    let raw = read_csv_bytes("t.csv", csv.as_bytes(), &ReadOptions::default()).unwrap();
    let schema = Schema::infer(&raw, &InferOptions::default()).unwrap();
    let table = schema.apply(&raw).unwrap();
    let plain = Encoder::fit(&table, &schema, &EncoderOptions::default()).unwrap();
    let options = EncoderOptions {
        dequantise: true,
        ..EncoderOptions::default()
    };
    let enc = Encoder::fit(&table, &schema, &options).unwrap();
    let m = enc.encode(&table).unwrap();
    assert_eq!(enc.decode(&m).unwrap(), table, "the round trip is exact");
    assert_eq!(m, enc.encode(&table).unwrap(), "a function of the table");
    // The zeros' scores: one value each without spreading, all distinct with it.
    let zero_scores = |enc: &Encoder, m: &Matrix| {
        let ColumnData::Numerical(v) = &table.columns[0].data else {
            panic!("numerical")
        };
        let start = enc.columns[0].start;
        let set: std::collections::BTreeSet<u32> = (0..m.rows)
            .filter(|&i| v[i] == Some(0.0))
            .map(|i| m.row(i)[start].to_bits())
            .collect();
        set.len()
    };
    assert_eq!(zero_scores(&plain, &plain.encode(&table).unwrap()), 1);
    assert!(zero_scores(&enc, &m) > 700, "{}", zero_scores(&enc, &m));
}

/// A column of more categories than `max_one_hot` is coded in `ceil(log2 K)` signed bits:
/// its block is narrow, has no softmax head, round-trips exactly, its codes follow the other
/// columns, and a known category is a condition of one value per bit (a set of categories is
/// refused for it).
#[test]
fn many_categories_are_coded_in_bits() {
    let mut text = String::from("code,group\n");
    for i in 0..3000u32 {
        // 1,000 codes, the low ones frequent; the group follows the code.
        let code = (i * i) % 997 + (i % 3);
        text.push_str(&format!("K{code:04},{}\n", code % 4));
    }
    let raw = read_csv_bytes("t.csv", text.as_bytes(), &ReadOptions::default()).unwrap();
    let infer = InferOptions {
        rare_protect_above: usize::MAX,
        target: TargetChoice::None,
        ..InferOptions::default()
    };
    let schema = Schema::infer(&raw, &infer).unwrap();
    let table = schema.apply(&raw).unwrap();
    let enc = Encoder::fit(&table, &schema, &EncoderOptions::default()).unwrap();
    let ColumnCodec::Categorical(code) = &enc.columns[0].codec else {
        panic!("code is categorical")
    };
    let k = code.n_values();
    assert!(k > DEFAULT_MAX_ONE_HOT, "{k} categories");
    assert_eq!(code.width(), (k as f64).log2().ceil() as usize);
    // Only `group` (4 categories) is one-hot.
    assert_eq!(enc.layout().one_hot.len(), 1);
    assert_eq!(enc.width(), code.width() + 4);
    let m = enc.encode(&table).unwrap();
    assert!(m.row(0)[..code.width()].iter().all(|v| v.abs() == 1.0));
    assert_eq!(enc.decode(&m).unwrap(), table);
    // The fitted codes follow the categories' relations: `group` is the code number mod 4,
    // so the two leading bits name the group.
    let codes = code.codes();
    let top = |k: usize| codes[k] >> (code.width() - 2);
    let number = |k: usize| code.categories[k][1..].parse::<u32>().unwrap();
    for a in 0..code.categories.len() {
        for b in 0..code.categories.len() {
            assert_eq!(number(a) % 4 == number(b) % 4, top(a) == top(b), "{a} {b}");
        }
    }
    // Conditions: one category holds as known bits; several are refused.
    let one = enc
        .row_condition(&[(0, CellRequirement::OneOf(vec!["K0005".into()]))])
        .unwrap();
    assert_eq!(one.intervals.len(), code.width());
    assert!(one.choices.is_empty());
    let two = enc.row_condition(&[(
        0,
        CellRequirement::OneOf(vec!["K0005".into(), "K0006".into()]),
    )]);
    assert!(two.unwrap_err().to_string().contains("one category"));
    // The encoder file keeps the coding; an older file without it reads as one-hot.
    let back = Encoder::from_json_str("e.json", &enc.to_json()).unwrap();
    assert_eq!(back, enc);
    assert_eq!(back.decode(&m).unwrap(), table);
}
