//! A column of text cells held in one buffer.
//!
//! A file is read into text cells before it is typed. Held as `Vec<Option<String>>`, a cell
//! costs 24 bytes of `String` plus a heap allocation of at least 32 bytes, whatever its text:
//! about 1.7 GB for the 30 million cells of a 1,000,000 x 30 table whose cells are 6
//! characters. [`TextColumn`] keeps a column's text end to end in one `String`, the end of
//! each cell in a `Vec<usize>` and whether it is missing in a `Vec<bool>`: 9 bytes a cell
//! plus its text, three allocations a column. Cells are read as `&str` borrowed from it
//! (`polars`' and Arrow's string arrays are laid out the same way: values and offsets).

/// Text cells of one column, `None` where missing; cell `i` is `text[ends[i - 1]..ends[i]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextColumn {
    text: String,
    ends: Vec<usize>,
    missing: Vec<bool>,
}

impl TextColumn {
    /// An empty column with room for `rows` cells.
    pub fn with_capacity(rows: usize) -> Self {
        Self {
            text: String::new(),
            ends: Vec::with_capacity(rows),
            missing: Vec::with_capacity(rows),
        }
    }

    /// Appends a cell (`None`: missing).
    pub fn push(&mut self, cell: Option<&str>) {
        if let Some(t) = cell {
            self.text.push_str(t);
        }
        self.ends.push(self.text.len());
        self.missing.push(cell.is_none());
    }

    /// Number of cells, missing ones included.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the column has no cell.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Cell `i` (`None`: missing, or `i` out of range).
    pub fn get(&self, i: usize) -> Option<&str> {
        if *self.missing.get(i)? {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.text[start..self.ends[i]])
    }

    /// The cells in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<&str>> + Clone + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The present cells' texts in order.
    pub fn texts(&self) -> impl Iterator<Item = &str> + Clone + '_ {
        self.iter().flatten()
    }

    /// Whether some cell is missing.
    pub fn has_missing(&self) -> bool {
        self.missing.iter().any(|&m| m)
    }

    /// The cells as owned strings.
    pub fn to_vec(&self) -> Vec<Option<String>> {
        self.iter().map(|c| c.map(str::to_string)).collect()
    }
}

impl<S: AsRef<str>> FromIterator<Option<S>> for TextColumn {
    fn from_iter<I: IntoIterator<Item = Option<S>>>(cells: I) -> Self {
        let cells = cells.into_iter();
        let mut column = Self::with_capacity(cells.size_hint().0);
        for c in cells {
            column.push(c.as_ref().map(AsRef::as_ref));
        }
        column
    }
}

/// Compares cell by cell with owned cells (as tests and callers write them).
impl PartialEq<Vec<Option<String>>> for TextColumn {
    fn eq(&self, other: &Vec<Option<String>>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Cells come back as pushed, empty and missing cells kept apart.
        #[test]
        fn cells_round_trip(cells in proptest::collection::vec(proptest::option::of(".{0,6}"), 0..40)) {
            let column: TextColumn = cells.iter().cloned().collect();
            prop_assert_eq!(column.len(), cells.len());
            prop_assert_eq!(column.to_vec(), cells.clone());
            prop_assert_eq!(column.has_missing(), cells.iter().any(Option::is_none));
            prop_assert_eq!(column.get(cells.len()), None);
            let texts: Vec<&str> = column.texts().collect();
            let expected: Vec<&str> = cells.iter().flatten().map(String::as_str).collect();
            prop_assert_eq!(texts, expected);
        }
    }

    #[test]
    fn an_empty_cell_is_not_a_missing_one() {
        let column: TextColumn = [Some(""), None, Some("a")].into_iter().collect();
        assert_eq!(
            column.iter().collect::<Vec<_>>(),
            vec![Some(""), None, Some("a")]
        );
    }
}
