//! The in-memory table: named, typed columns of equal length with missing values.

/// The values of one column. `None` is a missing value.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Numerical values (continuous or integer-valued).
    Numerical(Vec<Option<f64>>),
    /// Categorical values, kept as their text so that decoding restores them exactly.
    Categorical(Vec<Option<String>>),
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

    /// A categorical column.
    pub fn categorical(name: impl Into<String>, values: Vec<Option<String>>) -> Self {
        Self {
            name: name.into(),
            data: ColumnData::Categorical(values),
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
            ColumnData::Categorical(v) => {
                ColumnData::Categorical(rows.iter().map(|&i| v[i].clone()).collect())
            }
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
