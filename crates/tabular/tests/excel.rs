//! Spreadsheet reading: a workbook laid out like the UCI `default of credit card clients.xls`
//! (sheet `Data`, a row of codes `X1..`/`Y` above the row of names) reads like its CSV export.

use rust_xlsxwriter::Workbook;
use scorediff_tabular::*;

const NAMES: [&str; 5] = [
    "ID",
    "LIMIT_BAL",
    "SEX",
    "BILL_AMT1",
    "default payment next month",
];
const CODES: [&str; 5] = ["", "X1", "X2", "X3", "Y"];
const ROWS: [[f64; 5]; 4] = [
    [1.0, 20000.0, 2.0, 3913.0, 1.0],
    [2.0, 120000.0, 2.0, -2682.0, 1.0],
    [3.0, 90000.0, 1.0, 29239.0, 0.0],
    [4.0, 50000.0, 1.0, 46990.5, 0.0],
];

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "scorediff-tabular-xl-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Writes the two-header-row workbook, with an extra first sheet so that `Data` is not first.
fn write_workbook(path: &std::path::Path) {
    let mut wb = Workbook::new();
    let other = wb.add_worksheet();
    other.set_name("Notes").unwrap();
    other.write_string(0, 0, "not the data").unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("Data").unwrap();
    for (j, code) in CODES.iter().enumerate() {
        if !code.is_empty() {
            ws.write_string(0, j as u16, *code).unwrap();
        }
    }
    for (j, name) in NAMES.iter().enumerate() {
        ws.write_string(1, j as u16, *name).unwrap();
    }
    for (i, row) in ROWS.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            ws.write_number(i as u32 + 2, j as u16, *v).unwrap();
        }
    }
    wb.save(path).unwrap();
}

fn csv_text() -> String {
    let mut s = NAMES.join(",") + "\n";
    s += "1,20000,2,3913,1\n2,120000,2,-2682,1\n3,90000,1,29239,0\n4,50000,1,46990.5,0\n";
    s
}

#[test]
fn two_header_rows_on_sheet_data_read_like_the_csv() {
    let path = temp("credit.xlsx");
    write_workbook(&path);
    let xl = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(xl.header, NAMES);
    // Spreadsheet rows 3..6 hold the data (rows 1 and 2 are the two header rows).
    assert_eq!(xl.rows, vec![3, 4, 5, 6]);
    // Integer-valued floats come out as integers' text.
    assert_eq!(xl.columns[1].get(0), Some("20000"));
    let csv =
        read::csv::read_csv_bytes("credit.csv", csv_text().as_bytes(), &ReadOptions::default())
            .unwrap();
    assert_eq!(xl.header, csv.header);
    assert_eq!(xl.columns, csv.columns);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn sheet_and_header_row_can_be_chosen() {
    let path = temp("choose.xlsx");
    write_workbook(&path);
    // By index, and with the code row taken as the header on purpose.
    let opts = ReadOptions {
        sheet: Some("1".into()),
        header_row: Some(0),
        ..Default::default()
    };
    let raw = read_path(&path, &opts).unwrap();
    assert_eq!(raw.header[1], "X1");
    assert_eq!(raw.header[0], "column_1");
    assert_eq!(raw.n_rows(), 5);
    let notes = read_path(
        &path,
        &ReadOptions {
            sheet: Some("Notes".into()),
            ..Default::default()
        },
    );
    assert!(matches!(notes, Err(TabularError::NoDataRows { .. })));
    let missing = read_path(
        &path,
        &ReadOptions {
            sheet: Some("Sheet9".into()),
            ..Default::default()
        },
    );
    match missing {
        Err(e @ TabularError::SheetNotFound { .. }) => {
            assert!(e.to_string().contains("Notes, Data"))
        }
        other => panic!("expected SheetNotFound, got {other:?}"),
    }
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn spreadsheet_values_round_trip_through_the_encoder() {
    let path = temp("rt.xlsx");
    write_workbook(&path);
    let raw = read_path(&path, &ReadOptions::default()).unwrap();
    let schema = Schema::infer(&raw, &InferOptions::default()).unwrap();
    assert_eq!(schema.column("ID").unwrap().kind, ColumnKind::Id);
    let table = schema.apply(&raw).unwrap();
    let enc = Encoder::fit(&table, &schema, &EncoderOptions::default()).unwrap();
    let back = enc.decode(&enc.encode(&table).unwrap()).unwrap();
    assert_eq!(back, table);
    let mut out = Vec::new();
    write_csv_to(&mut out, &back, Some(&schema)).unwrap();
    let text = String::from_utf8(out).unwrap();
    // The CSV export's text, ID dropped.
    let expected: String = csv_text()
        .lines()
        .map(|l| l.split_once(',').unwrap().1.to_string() + "\n")
        .collect();
    assert_eq!(text, expected);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

/// The legacy `.xls` format (BIFF8), as the UCI repository ships Credit Default: a fixture
/// written by `tests/fixtures/make_xls.py` with the same layout and rows as above.
#[test]
fn legacy_xls_with_two_header_rows_reads_like_the_csv() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two_header_rows.xls");
    let xl = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(xl.header, NAMES);
    assert_eq!(xl.rows, vec![3, 4, 5, 6]);
    let csv =
        read::csv::read_csv_bytes("credit.csv", csv_text().as_bytes(), &ReadOptions::default())
            .unwrap();
    assert_eq!(xl.columns, csv.columns);
    // Typed like the CSV: the id dropped, the amounts numerical, the codes categorical.
    let schema = Schema::infer(&xl, &InferOptions::default()).unwrap();
    assert_eq!(schema.target.as_deref(), Some("default payment next month"));
    let table = schema.apply(&xl).unwrap();
    assert!(table.column("ID").is_none());
    assert_eq!(table.n_rows(), 4);
}
