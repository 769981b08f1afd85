//! The in-memory table: named, typed columns of equal length with missing values.
//!
//! Categorical cells are dictionary-coded, as Arrow's dictionary arrays and pandas'
//! `category` dtype hold them: the distinct texts once (the column's *levels*, in order of
//! first appearance) and a `u32` index per cell. A million-row column of ten categories costs
//! 4 MB instead of a `String` per cell (about 56 MB), and code that works per category (the
//! encoder, the metrics) maps each level once instead of hashing every cell.

use std::collections::HashMap;

/// The values of one column. `None` is a missing value.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Numerical values (continuous or integer-valued).
    Numerical(Vec<Option<f64>>),
    /// Categorical values, dictionary-coded ([`CategoricalCells`]): each distinct text once,
    /// so that decoding restores them exactly and a cell costs four bytes.
    Categorical(CategoricalCells),
}

impl ColumnData {
    /// Number of values, missing ones included.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Numerical(v) => v.len(),
            ColumnData::Categorical(v) => v.len(),
        }
    }

    /// Whether the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the column is numerical.
    pub fn is_numerical(&self) -> bool {
        matches!(self, ColumnData::Numerical(_))
    }
}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column's header name.
    pub name: String,
    /// Its values.
    pub data: ColumnData,
}

impl Column {
    /// A numerical column.
    pub fn numerical(name: impl Into<String>, values: Vec<Option<f64>>) -> Self {
        Self {
            name: name.into(),
            data: ColumnData::Numerical(values),
        }
    }

    /// A categorical column from its cells' texts.
    pub fn categorical(name: impl Into<String>, values: Vec<Option<String>>) -> Self {
        Self::categorical_cells(name, values.into_iter().collect())
    }

    /// A categorical column from dictionary-coded cells.
    pub fn categorical_cells(name: impl Into<String>, cells: CategoricalCells) -> Self {
        Self {
            name: name.into(),
            data: ColumnData::Categorical(cells),
        }
    }
}

/// A table: columns of equal length, in their original order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The columns, in order.
    pub columns: Vec<Column>,
}

impl Table {
    /// A table from columns; `None` if their lengths differ.
    pub fn new(columns: Vec<Column>) -> Option<Self> {
        let n = columns.first().map_or(0, |c| c.data.len());
        columns
            .iter()
            .all(|c| c.data.len() == n)
            .then_some(Self { columns })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.data.len())
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

impl ColumnData {
    /// The values at `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Self {
        match self {
            ColumnData::Numerical(v) => ColumnData::Numerical(rows.iter().map(|&i| v[i]).collect()),
            ColumnData::Categorical(v) => ColumnData::Categorical(v.select(rows)),
        }
    }
}

impl Table {
    /// The table of rows `rows` (0-based, in that order). Panics if an index is out of range
    /// (indices come from the caller's own split, never from user data).
    pub fn select_rows(&self, rows: &[usize]) -> Self {
        let columns = self
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                data: c.data.select(rows),
            })
            .collect();
        Self { columns }
    }
}

/// The cells of a categorical column, dictionary-coded: `levels` holds each distinct text
/// once, `codes[i]` is the level of cell `i` or [`CategoricalCells::MISSING`].
///
/// Equality compares the cells' texts, not the coding: two columns with the same values in
/// the same rows are equal whatever order their levels were met in.
#[derive(Debug, Clone, Default)]
pub struct CategoricalCells {
    levels: Vec<String>,
    codes: Vec<u32>,
}

impl CategoricalCells {
    /// The code of a missing cell.
    pub const MISSING: u32 = u32::MAX;

    /// Cells from their levels and codes; `None` if a code is neither a level's index nor
    /// [`Self::MISSING`], or a level is listed twice.
    pub fn from_codes(levels: Vec<String>, codes: Vec<u32>) -> Option<Self> {
        let n = levels.len();
        let distinct = levels
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
            == n;
        let valid = codes
            .iter()
            .all(|&c| c == Self::MISSING || (c as usize) < n);
        (distinct && valid).then_some(Self { levels, codes })
    }

    /// Number of cells, missing ones included.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The text of cell `i` (`None` when missing). Panics if `i` is out of range.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.level(self.codes[i])
    }

    /// Whether cell `i` is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        self.codes[i] == Self::MISSING
    }

    /// The texts of the cells, in row order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<&str>> + Clone + '_ {
        self.codes.iter().map(|&c| self.level(c))
    }

    /// The distinct texts, in order of first appearance (some may no longer occur after
    /// [`Self::select`]).
    pub fn levels(&self) -> &[String] {
        &self.levels
    }

    /// The cells' codes: indices into [`Self::levels`], or [`Self::MISSING`].
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// How many cells hold each level (`counts[k]` for `levels()[k]`), and how many are
    /// missing.
    pub fn level_counts(&self) -> (Vec<usize>, usize) {
        let mut counts = vec![0; self.levels.len()];
        let mut missing = 0;
        for &c in &self.codes {
            match c {
                Self::MISSING => missing += 1,
                c => counts[c as usize] += 1,
            }
        }
        (counts, missing)
    }

    /// The distinct values that occur, each once (`None` if a cell is missing), in order of
    /// their levels, the missing value last.
    pub fn present(&self) -> Vec<Option<&str>> {
        let (counts, missing) = self.level_counts();
        (self.levels.iter().zip(counts))
            .filter(|&(_, n)| n > 0)
            .map(|(l, _)| Some(l.as_str()))
            .chain((missing > 0).then_some(None))
            .collect()
    }

    /// The cells at `rows`, in that order (the levels are kept).
    pub fn select(&self, rows: &[usize]) -> Self {
        Self {
            levels: self.levels.clone(),
            codes: rows.iter().map(|&i| self.codes[i]).collect(),
        }
    }

    /// Appends `other`'s cells, its levels mapped onto this column's.
    pub fn extend(&mut self, other: &Self) {
        let map = self.adopt_levels(other);
        self.codes.extend(other.codes.iter().map(|&c| match c {
            Self::MISSING => Self::MISSING,
            c => map[c as usize],
        }));
    }

    /// The code in this column of each of `other`'s levels, appending those it lacks.
    pub fn adopt_levels(&mut self, other: &Self) -> Vec<u32> {
        let mut index = self.index();
        (other.levels.iter())
            .map(|l| intern(&mut self.levels, &mut index, l))
            .collect()
    }

    /// The code of `value` (`None`: [`Self::MISSING`]), appending it as a level when new.
    /// A linear search of the levels: for many cells, map levels once ([`Self::adopt_levels`]).
    pub fn code_of(&mut self, value: Option<&str>) -> u32 {
        match value {
            None => Self::MISSING,
            Some(text) => match self.levels.iter().position(|l| l == text) {
                Some(k) => k as u32,
                None => {
                    self.levels.push(text.to_string());
                    (self.levels.len() - 1) as u32
                }
            },
        }
    }

    /// Sets cell `i` to `value` (`None`: missing). Panics if `i` is out of range.
    pub fn set(&mut self, i: usize, value: Option<&str>) {
        self.codes[i] = self.code_of(value);
    }

    /// Sets cell `i` to the level of `code` (or missing). Panics if `i` is out of range or
    /// `code` is neither a level's nor [`Self::MISSING`].
    pub fn set_code(&mut self, i: usize, code: u32) {
        assert!(code == Self::MISSING || (code as usize) < self.levels.len());
        self.codes[i] = code;
    }

    /// The cells as owned texts.
    pub fn to_texts(&self) -> Vec<Option<String>> {
        self.iter().map(|v| v.map(str::to_string)).collect()
    }

    fn level(&self, code: u32) -> Option<&str> {
        (code != Self::MISSING).then(|| self.levels[code as usize].as_str())
    }

    fn index(&self) -> HashMap<String, u32> {
        (self.levels.iter().enumerate())
            .map(|(k, l)| (l.clone(), k as u32))
            .collect()
    }
}

/// The code of `text` in `levels`, appending it as a new level when it is not there.
fn intern(levels: &mut Vec<String>, index: &mut HashMap<String, u32>, text: &str) -> u32 {
    if let Some(&k) = index.get(text) {
        return k;
    }
    let k = u32::try_from(levels.len())
        .ok()
        .filter(|&k| k != CategoricalCells::MISSING)
        .expect("fewer than 2^32 - 1 distinct categories in a column");
    levels.push(text.to_string());
    index.insert(text.to_string(), k);
    k
}

impl PartialEq for CategoricalCells {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<S: AsRef<str>> FromIterator<Option<S>> for CategoricalCells {
    fn from_iter<I: IntoIterator<Item = Option<S>>>(iter: I) -> Self {
        let mut cells = Self::default();
        let mut index = HashMap::new();
        let iter = iter.into_iter();
        cells.codes.reserve(iter.size_hint().0);
        for value in iter {
            let code = match value {
                None => Self::MISSING,
                Some(text) => intern(&mut cells.levels, &mut index, text.as_ref()),
            };
            cells.codes.push(code);
        }
        cells
    }
}
