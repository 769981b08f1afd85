//! Spreadsheet reading with `calamine` (`.xls`, `.xlsx`, `.xlsm`, `.xlsb`, `.ods`).
//!
//! Cells become text the way a CSV export would write them, so that a spreadsheet and its CSV
//! export give the same [`RawTable`]: numbers, which spreadsheets store as floats, are written
//! by [`crate::number::float_text`] (an integer-valued `20000.0` becomes `20000`); error cells
//! (`#N/A`, `#DIV/0!`, ...) are missing; booleans become `true`/`false`; dates keep calamine's
//! text form. Row numbers in errors are the sheet's 1-based row numbers.

use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use crate::error::{Result, TabularError};
use crate::number::float_text;
use crate::read::{RawBuilder, RawTable, ReadOptions, display_path};

/// The sheet chosen when none is asked for, if the workbook has it (the UCI spreadsheets' name).
pub const DEFAULT_SHEET: &str = "Data";

/// Reads one sheet of a spreadsheet file.
pub fn read_excel(path: &Path, options: &ReadOptions) -> Result<RawTable> {
    let file = display_path(path);
    let excel_err = |e: calamine::Error| TabularError::Excel {
        file: file.clone(),
        message: e.to_string(),
    };
    let mut workbook = open_workbook_auto(path).map_err(excel_err)?;
    let names = workbook.sheet_names();
    let sheet = choose_sheet(&file, &names, options.sheet.as_deref())?;
    let range = workbook.worksheet_range(&sheet).map_err(excel_err)?;
    let first_row = range.start().map_or(0, |(r, _)| u64::from(r));
    let mut builder = RawBuilder::new(&file, options.header_row);
    for (i, row) in range.rows().enumerate() {
        let cells: Vec<Option<String>> = row.iter().map(|c| cell_text(c, options)).collect();
        if cells.iter().all(Option::is_none) {
            continue;
        }
        builder.push(cells.iter().map(Option::as_deref), first_row + i as u64 + 1)?;
    }
    builder.finish()
}

/// The sheet to read: by name, else by 0-based index; by default [`DEFAULT_SHEET`] if present,
/// else the first sheet.
fn choose_sheet(file: &str, names: &[String], wanted: Option<&str>) -> Result<String> {
    let not_found = |sheet: &str| TabularError::SheetNotFound {
        file: file.to_string(),
        sheet: sheet.to_string(),
        available: names.join(", "),
    };
    match wanted {
        Some(w) => names
            .iter()
            .find(|n| n.as_str() == w)
            .or_else(|| w.parse::<usize>().ok().and_then(|i| names.get(i)))
            .cloned()
            .ok_or_else(|| not_found(w)),
        None => names
            .iter()
            .find(|n| n.as_str() == DEFAULT_SHEET)
            .or_else(|| names.first())
            .cloned()
            .ok_or_else(|| not_found(DEFAULT_SHEET)),
    }
}

/// A cell as text (`None` when missing).
fn cell_text(cell: &Data, options: &ReadOptions) -> Option<String> {
    match cell {
        Data::Empty | Data::Error(_) => None,
        Data::Float(f) => options.cell(&float_text(*f)),
        Data::Int(i) => Some(i.to_string()),
        Data::String(s) => options.cell(s),
        other => options.cell(&other.to_string()),
    }
}
